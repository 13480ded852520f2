import MarketTestSupport
import API
import Foundation
import HTTPServer
import Market
import Testing

/// Proofs of one model submitted together are verified together: every check of each, then
/// one multi-scalar multiplication for all. A bad proof among them is found and alone refused.
@Suite(.timeLimit(.minutes(5))) struct BatchedVerificationTests {
    @Test func thirtyTwoConcurrentProofs_AreVerifiedTogether_TheOneBadAloneRejected() async throws {
        var configuration = MarketConfiguration()
        configuration.verificationThreads = 2
        let f = try await APIFixture.make(configuration: configuration)
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 2_000_000)
        let workers = try await (0..<8).asyncMap { _ in try await f.worker(funds: 20_000) }
        let count = 32, bad = 17
        var jobs: [(id: String, worker: (key: String, workerID: String), proof: [UInt8])] = []
        for i in 0..<count {
            var terms = APIFixture.dutchJob
            terms["input"] = ["shape": [1, 64], "values": RealProofs.input(i).values]
            let job = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: terms))
            let jobID = try #require(job["id"] as? String)
            let worker = workers[i % workers.count]
            let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: worker.key, json: ["worker_id": worker.workerID]))
            let nonce = try #require(lock["nonce"] as? String)
            let ids = (try #require(UUID(uuidString: jobID)), try #require(UUID(uuidString: worker.workerID)))
            let proof = i == bad
                ? RealProofs.proveWithChangedOpening(jobID: ids.0, workerID: ids.1, nonce: nonce, input: RealProofs.input(i))
                : RealProofs.prove(jobID: ids.0, workerID: ids.1, nonce: nonce, input: RealProofs.input(i))
            jobs.append((jobID, worker, proof))
        }

        // Both verification threads held, so every proof is waiting when they come free: what
        // the batcher then does does not depend on how the submissions interleave.
        let pool = f.market.verificationPool
        let release = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0)
        let holders = (0..<pool.threads).map { _ in
            Task { try await pool.run { started.signal(); release.wait() } }
        }
        for _ in 0..<pool.threads { await Self.wait(started) }
        let submissions = jobs.map { job in
            Task { try await f.send(.post, "/v1/jobs/\(job.id)/proof", key: job.worker.key,
                                    json: ["worker_id": job.worker.workerID, "proof": Data(job.proof).base64EncodedString()]) }
        }
        while f.market.verificationBatcher.waitingCount < count { try await Task.sleep(for: .milliseconds(20)) }
        for _ in 0..<pool.threads { release.signal() }
        for holder in holders { try await holder.value }

        for (i, submission) in submissions.enumerated() {
            let response = try await submission.value
            if i == bad {
                try f.expectProblem(response, 422, "proof_rejected")
                #expect(response.bodyText.contains("commitment_opening_failed"), "\(response.bodyText)")
            } else {
                #expect(response.status.code == 200, "job \(i): \(response.status.code) \(response.bodyText)")
                #expect(try f.object(response)["price"] as? Int != nil)
            }
        }
        let statistics = f.market.verificationBatcher.statistics
        #expect(statistics.largestBatch == count)
        #expect(statistics.combinedBatches == 1 && statistics.combinedProofs == count)
        let metrics = try await f.send(.get, "/metrics", key: f.adminKey)
        #expect(metrics.bodyText.contains("proofmarket_verification_combined_batches_total 1\n"))
        #expect(metrics.bodyText.contains("proofmarket_verification_combined_proofs_total 32\n"))

        for (i, job) in jobs.enumerated() {
            let state = try f.object(try await f.send(.get, "/v1/jobs/\(job.id)", key: clientKey))
            let events = (state["events"] as? [[String: Any]]) ?? []
            if i == bad {
                #expect(state["status"] as? String == "locked")
                let rejection = events.first { $0["kind"] as? String == "proof_rejected" }
                #expect((rejection?["detail"] as? [String: String])?["reason"] == "commitment_opening_failed")
            } else {
                #expect(state["status"] as? String == "fulfilled", "job \(i)")
                #expect(!events.contains { $0["kind"] as? String == "proof_rejected" })
            }
        }
        // As today, the bad proof's lock stays until it expires; then its stake is slashed.
        f.clock.advance(seconds: 200)
        let sweep = try await Sweeper(market: f.market).runOnce()
        #expect(sweep.locksExpired == 1)
        let reopened = try f.object(try await f.send(.get, "/v1/jobs/\(jobs[bad].id)", key: clientKey))
        #expect(reopened["status"] as? String != "locked")
        try await f.expectLedgerIntact()
    }

    /// Waits for `semaphore` off the cooperative pool.
    static func wait(_ semaphore: DispatchSemaphore) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { semaphore.wait(); c.resume() }
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
