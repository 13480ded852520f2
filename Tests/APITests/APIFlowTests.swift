import MarketTestSupport
import API
import Foundation
import HTTPServer
import Market
import Testing

@Suite struct APIFlowTests {
    @Test func fullCycleOverHTTP_PostLockProveSettleReceipt() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()

        let created = try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob, headers: [("Idempotency-Key", "job-1")])
        #expect(created.status.code == 201, "\(created.bodyText)")
        let job = try f.object(created)
        let jobID = try #require(job["id"] as? String)
        #expect(job["escrow"] as? Int == 10_250 && job["status"] as? String == "open")
        // The replay returns the first job; no second escrow.
        let replay = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob, headers: [("Idempotency-Key", "job-1")]))
        #expect(replay["id"] as? String == jobID)

        // The worker sees it in the market (x-api-key works as well as Bearer).
        let open = try f.object(try await f.send(.get, "/v1/market/jobs?wait=5", headers: [("x-api-key", workerKey)]))
        let listed = try #require(open["jobs"] as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String } == [jobID])
        #expect(listed.first?["current_price"] as? Int == 1_000)
        // With the ramp's terms, a worker knows when the price will meet its floor.
        #expect(listed.first?["min_price"] as? Int == 1_000 && listed.first?["ramp_up_s"] as? Int == 60)
        #expect(listed.first?["bidding_start"] as? String == job["bidding_start"] as? String)

        f.clock.advance(seconds: 30)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID]))
        #expect(lock["price"] as? Int == 5_500)
        let nonce = try #require(lock["nonce"] as? String)
        let input = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/input?worker_id=\(workerID)", key: workerKey))
        #expect(input["values"] as? [Double] == RealProofs.input(0).values)

        // A bad proof is a 422 with its reason; the lock stays.
        let bad = try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                                   json: ["worker_id": workerID, "proof": Data([1, 2, 3]).base64EncodedString()])
        try f.expectProblem(bad, 422, "proof_rejected")
        let proof = Data(RealProofs.prove(jobID: UUID(uuidString: jobID)!, workerID: UUID(uuidString: workerID)!, nonce: nonce,
                                          input: RealProofs.input(0))).base64EncodedString()
        let settled = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                                                     json: ["worker_id": workerID, "proof": proof, "prove_ms": 12]))
        #expect(settled["price"] as? Int == 5_500 && settled["fee"] as? Int == 137 && settled["worker_payment"] as? Int == 5_363)

        let done = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(done["status"] as? String == "fulfilled")
        let kinds = (done["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
        #expect(kinds == ["created", "locked", "proof_rejected", "fulfilled"])
        let receipt = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/receipt", key: clientKey))
        let decoded = try JSONCoding.decoder.decode(ReceiptWire.self, from: try JSONSerialization.data(withJSONObject: receipt))
        #expect(decoded.signature.count == 128)
        let coordinator = try f.object(try await f.send(.get, "/v1/coordinator"))
        #expect(coordinator["public_key"] as? String == decoded.coordinatorPublicKey)
        try await f.expectLedgerIntact()
    }

    struct ReceiptWire: Decodable { let signature: String; let coordinatorPublicKey: String }

    @Test func longPollOnAJob_ReturnsWhenItChanges() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))["id"] as? String)
        let before = f.watcher.wakeupsByNotification
        async let waited = f.send(.get, "/v1/jobs/\(jobID)?wait=30&status=open", key: clientKey)
        while f.watcher.waiting == 0 { await Task.yield() }
        _ = try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID])
        let changed = try f.object(try await waited)
        #expect(changed["status"] as? String == "locked")
        #expect(f.watcher.wakeupsByNotification > before)
    }
}
