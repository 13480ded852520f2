import MarketTestSupport
import API
import Foundation
import HTTPServer
import Market
import Testing

/// The proof-mode fields of the market that hold whatever the private proof system: workers'
/// advertised modes, quotes of private work, a coordinator without private proofs, and the
/// private-material route's refusals. Real PostgreSQL, real sockets.
@Suite struct ProofModeAPITests {
    @Test func workerProofModes_AreAdvertisedAtRegistrationAndChangedByHeartbeat() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let (_, key) = try await f.account("worker", funds: 0)
        let plain = try f.object(try await f.send(.post, "/v1/workers", key: key, json: ["name": "plain"]))
        #expect(plain["proof_modes"] as? [String] == ["public"])
        let both = try await f.send(.post, "/v1/workers", key: key, json: ["name": "both", "proof_modes": ["public", "private"]])
        #expect(both.status.code == 201, "\(both.bodyText)")
        let id = try #require(try f.object(both)["id"] as? String)
        #expect(try f.object(both)["proof_modes"] as? [String] == ["public", "private"])

        let narrowed = try await f.send(.post, "/v1/workers/\(id)/heartbeat", key: key, json: ["proof_modes": ["private"]])
        #expect(try f.object(narrowed)["proof_modes"] as? [String] == ["private"], "\(narrowed.bodyText)")
        // A heartbeat without a body is a sign of life only: the modes stay.
        let plainBeat = try await f.send(.post, "/v1/workers/\(id)/heartbeat", key: key)
        #expect(try f.object(plainBeat)["proof_modes"] as? [String] == ["private"])

        try f.expectProblem(try await f.send(.post, "/v1/workers", key: key, json: ["name": "x", "proof_modes": ["secret"]]), 422, "invalid_request")
        try f.expectProblem(try await f.send(.post, "/v1/workers", key: key, json: ["name": "x", "proof_modes": []]), 422, "invalid_request")
        try f.expectProblem(try await f.send(.post, "/v1/workers", key: key, json: ["name": "x", "proof_modes": ["public", "public"]]),
                            422, "invalid_request")
        try f.expectProblem(try await f.send(.post, "/v1/workers/\(id)/heartbeat", key: key, json: ["proof_modes": ["zk"]]), 422, "invalid_request")
    }

    @Test func quote_CountsThePrivateWorkFactor() async throws {
        var configuration = MarketConfiguration()
        configuration.privateWorkFactorPercent = 350
        let f = try await APIFixture.make(configuration: configuration)
        defer { Task { await f.stop() } }
        let model = try await f.model()
        let (_, key) = try await f.account("client", funds: 0)
        let publicQuote = try f.object(try await f.send(.get, "/v1/market/quote?model=\(model)", key: key))
        let privateQuote = try f.object(try await f.send(.get, "/v1/market/quote?model=\(model)&proof_mode=private", key: key))
        let work = try #require(publicQuote["work_macs"] as? Int64)
        #expect(publicQuote["proof_mode"] as? String == "public" && publicQuote["work_factor_percent"] as? Int == 100)
        #expect(publicQuote["job_macs"] as? Int64 == work)
        #expect(privateQuote["proof_mode"] as? String == "private" && privateQuote["work_factor_percent"] as? Int == 350)
        #expect(privateQuote["job_macs"] as? Int64 == work * 350 / 100)
        // With neither past jobs nor floors, both price from the default rate: the private job's maximum is its larger work's.
        let publicMax = try #require((publicQuote["suggested"] as? [String: Any])?["max_price"] as? Int64)
        let privateMax = try #require((privateQuote["suggested"] as? [String: Any])?["max_price"] as? Int64)
        #expect(privateMax > publicMax * 3 && privateMax <= publicMax * 4, "\(publicMax) \(privateMax)")
        try f.expectProblem(try await f.send(.get, "/v1/market/quote?model=\(model)&proof_mode=hidden", key: key), 422, "invalid_request")
    }

    @Test func coordinatorWithoutPrivateProofs_RefusesPrivateJobsAndTakesPublicOnes() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        try await f.model()
        let (_, key) = try await f.account("client", funds: 1_000_000)
        var body = APIFixture.dutchJob
        body["proof_mode"] = "private"
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: key, json: body), 409, "proof_mode_unsupported")
        body["proof_mode"] = "open"
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: key, json: body), 422, "invalid_request")
        body["proof_mode"] = "public"
        let created = try await f.send(.post, "/v1/jobs", key: key, json: body)
        #expect(created.status.code == 201, "\(created.bodyText)")
        #expect(try f.object(created)["proof_mode"] as? String == "public")
        // Nothing was escrowed for the refused ones.
        let account = try f.object(try await f.send(.get, "/v1/jobs", key: key))
        #expect((account["jobs"] as? [Any])?.count == 1)
        try await f.expectLedgerIntact()
    }

    @Test func privateMaterialRoute_RefusesEveryoneButAPrivateJobsLockHolder() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let holder = try await f.worker(), other = try await f.worker()
        let job = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))
        let jobID = try #require(job["id"] as? String)
        let path = "/v1/jobs/\(jobID)/private-material?worker_id="
        // Before any lock: nobody holds it.
        try f.expectProblem(try await f.send(.get, path + holder.workerID, key: holder.key), 403, "private_material_forbidden")
        let lock = try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: holder.key, json: ["worker_id": holder.workerID])
        #expect(lock.status.code == 201, "\(lock.bodyText)")
        #expect(try f.object(lock)["proof_mode"] as? String == "public")
        // Another worker, even naming itself, may not read it; naming the holder from its own account is an unknown worker.
        try f.expectProblem(try await f.send(.get, path + other.workerID, key: other.key), 403, "private_material_forbidden")
        try f.expectProblem(try await f.send(.get, path + holder.workerID, key: other.key), 404, "unknown_worker")
        // A client key is refused by role; the holder of a public job learns it has no material.
        try f.expectProblem(try await f.send(.get, path + holder.workerID, key: clientKey), 403, "forbidden")
        try f.expectProblem(try await f.send(.get, path + holder.workerID, key: holder.key), 409, "job_not_private")
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(jobID)/private-material", key: holder.key), 422, "invalid_request")
    }
}
