import MarketTestSupport
import API
import Foundation
import HTTPServer
import Market
import Testing

/// A client must not be able to have an honest worker slashed by keeping the coordinator busy.
@Suite(.timeLimit(.minutes(5))) struct ProofPriorityTests {
    /// The attack: a job with a short lock; right after a worker locks it, its client uploads
    /// several large models; the worker's valid proof arrives well before the lock expires.
    /// Before, imports and proofs shared one FIFO pool of threads: the proof waited behind the
    /// imports, the lock ran out meanwhile, the sweeper slashed the worker's stake and the proof
    /// was answered `lock_expired`. Now the proof is verified on threads of its own and judged
    /// as of its arrival, so the worker is paid and gets its stake back whatever the timing.
    @Test func clientUploadsWhileAWorkerProves_TheWorkerIsStillPaid() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 2_000_000)
        let stake = 1_000_000, price = 500_000
        let (workerKey, workerID) = try await f.worker(funds: Int64(stake))
        var terms = APIFixture.dutchJob
        terms["min_price"] = price
        terms["max_price"] = price
        terms["ramp_up_s"] = 0
        terms["lock_timeout_s"] = 15
        terms["lock_stake"] = stake
        let job = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: terms))
        let jobID = try #require(job["id"] as? String)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID]))
        let nonce = try #require(lock["nonce"] as? String)
        let proof = RealProofs.prove(jobID: try #require(UUID(uuidString: jobID)), workerID: try #require(UUID(uuidString: workerID)),
                                     nonce: nonce, input: RealProofs.input(0))

        // Right after the lock: four large, real, distinct models (each seconds of import work).
        let uploads = try await withThrowingTaskGroup(of: HTTPClientResponse.self) { group in
            for seed in 1...4 {
                let onnx = GeneratedModel.onnx(inputs: 1024, hidden: 1024, seed: UInt64(seed))
                group.addTask { try await f.send(.post, "/v1/models?name=big-\(seed)", key: clientKey, bytes: onnx) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let accepted = uploads.filter { $0.status.code == 202 }
        #expect(accepted.count >= 2, "\(uploads.map { "\($0.status.code) \($0.bodyText.prefix(120))" })")
        for refused in uploads where refused.status.code != 202 {
            // Past the per-account bound an upload is refused before anything is stored.
            try f.expectProblem(refused, 429, "too_many_imports")
            #expect(refused.headers["retry-after"] != nil)
        }

        // The proof arrives 2 s into the 15 s lock, while the imports run.
        f.clock.advance(seconds: 2)
        let submitted = Task {
            try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                             json: ["worker_id": workerID, "proof": Data(proof).base64EncodedString()])
        }
        // Meanwhile the lock's time runs out and the sweeper passes. A proof that is still
        // waiting in the coordinator's own queue must not lose the lock for it. The clock moves
        // once the coordinator has recorded the arrival (on a loaded machine the request itself
        // can take seconds to be read; a proof that had not arrived is not this test's case).
        let jobUUID = try #require(UUID(uuidString: jobID))
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let row = try await f.db.pool.query("SELECT proof_received_at IS NOT NULL AS seen, status FROM jobs WHERE id = $1",
                                                [.uuid(jobUUID)]).first
            if try row?.decode("seen", as: Bool.self) == true || (try row?.decode("status", as: String.self)) != "locked" { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        f.clock.advance(seconds: 14)
        let sweep = try await Sweeper(market: f.market).runOnce()
        let answer = try await submitted.value
        #expect(answer.status.code == 200, "\(answer.status.code) \(answer.bodyText)")
        #expect(sweep.locksExpired == 0, "\(sweep)")

        let workerAccount = try await f.market.authenticate(key: workerKey).accountID
        let payment = Int64(price) - MarketConfiguration.share(Int64(price), basisPoints: f.market.configuration.feeBasisPoints)
        #expect(try await f.market.balance(of: workerAccount) == Balance(available: Int64(stake) + payment, held: 0))
        let client = try await f.market.authenticate(key: clientKey)
        #expect(client.accountID.uuidString.lowercased() == clientID.lowercased())
        #expect(try await f.market.balance(of: client.accountID) == Balance(available: 2_000_000 - Int64(price), held: 0))
        let done = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(done["status"] as? String == "fulfilled")
        // A later sweep finds nothing to slash either.
        #expect(try await Sweeper(market: f.market).runOnce().locksExpired == 0)
        try await f.expectLedgerIntact()

        // The accepted imports were real: they finish, as ready models.
        for upload in accepted {
            let id = try #require(try f.object(upload)["id"] as? String)
            let model = try await f.settledModel(id, key: clientKey)
            #expect(model["status"] as? String == "ready", "\(model)")
        }
    }
}
