import API
import Foundation
import HTTPServer
import Market
import Testing

@Suite struct APIErrorTests {
    @Test func badInputs_AreClearClientErrors() async throws {
        var limits = MarketAPI.Limits()
        limits.jsonBodyBytesMax = 64 * 1024
        limits.jobBodyBytesMax = 64 * 1024
        let f = try await APIFixture.make(limits: limits)
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 20_000)
        let (workerKey, workerID) = try await f.worker()

        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, bytes: Array("{\"model_id\": ".utf8)), 400, "invalid_json")
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: ["model_id": "x"]), 400, "invalid_json")
        var wrongShape = APIFixture.dutchJob
        wrongShape["input"] = ["shape": [1, 3], "values": [1, 2, 3]]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: wrongShape), 422, "input_shape_mismatch")
        var absurd = APIFixture.dutchJob
        absurd["min_price"] = 50_000
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: absurd), 422, "invalid_terms")
        var unknownAuction = APIFixture.dutchJob
        unknownAuction["auction"] = "english"
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: unknownAuction), 422, "invalid_terms")
        var dear = APIFixture.dutchJob
        dear["max_price"] = 19_999
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: dear), 402, "insufficient_balance")
        var unknownModel = APIFixture.dutchJob
        unknownModel["model_id"] = "nope"
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: unknownModel), 404, "unknown_model")

        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(UUID())", key: clientKey), 404, "unknown_job")
        try f.expectProblem(try await f.send(.get, "/v1/jobs/not-a-uuid", key: clientKey), 404, "unknown_job")
        try f.expectProblem(try await f.send(.get, "/v1/models/nope", key: clientKey), 404, "unknown_model")
        try f.expectProblem(try await f.send(.get, "/v1/jobs?status=bogus", key: clientKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(UUID())?status=bogus", key: clientKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/jobs?cursor=zzz", key: clientKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/market/jobs?wait=-1", key: workerKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/market/jobs?wait=60.5", key: workerKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(UUID())?wait=nan", key: clientKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/market/jobs?limit=100000", key: workerKey), 422, "invalid_request")
        let big = [UInt8](repeating: UInt8(ascii: " "), count: 65 * 1024)
        let tooLarge = try await f.send(.post, "/v1/jobs", key: clientKey, bytes: big)
        #expect(tooLarge.status.code == 413)
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(UUID())/lock", key: workerKey, json: ["worker_id": workerID]), 404, "unknown_job")
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(UUID())/proof", key: workerKey,
                                             json: ["worker_id": workerID, "proof": "!!!"]), 422, "invalid_request")
        // Nothing above moved money.
        let account = try await f.market.authenticate(key: clientKey)
        #expect(try await f.market.balance(of: account.accountID) == Balance(available: 20_000, held: 0))
        try await f.expectLedgerIntact()
    }

    @Test func modelName_AtTheLimitIsKept_PastItIsRefused() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client")
        let atLimit = try await f.send(.post, "/v1/models?name=\(String(repeating: "m", count: 200))", key: clientKey, bytes: [1, 2, 3])
        #expect(atLimit.status.code == 202, "\(atLimit.bodyText)")
        let past = try await f.send(.post, "/v1/models?name=\(String(repeating: "m", count: 201))", key: clientKey, bytes: [4, 5, 6])
        try f.expectProblem(past, 422, "invalid_request")
    }

    @Test func configuredWaitMaximum_AtItWaits_PastItIsRefused() async throws {
        var limits = MarketAPI.Limits()
        limits.waitSecondsMax = 0.5
        let f = try await APIFixture.make(limits: limits)
        defer { Task { await f.stop() } }
        let (workerKey, _) = try await f.worker()
        let atLimit = try await f.send(.get, "/v1/market/jobs?wait=0.5", key: workerKey)
        #expect(atLimit.status.code == 200, "\(atLimit.bodyText)")
        let past = try await f.send(.get, "/v1/market/jobs?wait=0.6", key: workerKey)
        try f.expectProblem(past, 422, "invalid_request")
        #expect(try f.object(past)["detail"] as? String == "wait must be a number of seconds from 0 to 0.5")
    }

    @Test func workerCannotReadTheInputOfAJobItHasNotLocked() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let (holderKey, holderID) = try await f.worker()
        let (otherKey, otherID) = try await f.worker()
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))["id"] as? String)
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(jobID)/input?worker_id=\(otherID)", key: otherKey), 409, "not_lock_holder")
        _ = try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: holderKey, json: ["worker_id": holderID])
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(jobID)/input?worker_id=\(otherID)", key: otherKey), 409, "not_lock_holder")
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(jobID)/input?worker_id=\(holderID)", key: otherKey), 404, "unknown_worker")
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: otherKey, json: ["worker_id": otherID]), 409, "job_not_open")
        let input = try await f.send(.get, "/v1/jobs/\(jobID)/input?worker_id=\(holderID)", key: holderKey)
        #expect(input.status.code == 200)
    }

    @Test func authorisationMatrix_EachRoleAgainstEachEndpoint() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))["id"] as? String)
        let keys = ["client": clientKey, "worker": workerKey, "admin": f.adminKey]
        // (method, path, body, roles allowed). A refused role gets 403 forbidden; an allowed one never 401/403.
        let matrix: [(HTTPMethod, String, Any?, Set<String>)] = [
            (.post, "/v1/jobs", APIFixture.dutchJob, ["client"]),
            (.get, "/v1/jobs", nil, ["client", "admin"]),
            (.get, "/v1/market/jobs", nil, ["worker", "admin"]),
            (.post, "/v1/workers", ["name": "x"], ["worker"]),
            (.post, "/v1/jobs/\(jobID)/lock", ["worker_id": workerID], ["worker"]),
            (.post, "/v1/jobs/\(jobID)/bids", ["worker_id": workerID, "price": 5], ["worker"]),
            (.post, "/v1/jobs/\(jobID)/release", ["worker_id": workerID], ["worker"]),
            (.post, "/v1/jobs/\(jobID)/proof", ["worker_id": workerID, "proof": "AA=="], ["worker"]),
            (.get, "/v1/jobs/\(jobID)/input?worker_id=\(workerID)", nil, ["worker"]),
            (.delete, "/v1/jobs/\(jobID)", nil, ["client"]),
            (.post, "/v1/admin/accounts", ["kind": "client", "owner": "m"], ["admin"]),
            (.get, "/v1/admin/accounts/\(clientID)", nil, ["admin"]),
            (.post, "/v1/admin/accounts/\(clientID)/deposit", ["amount": 1], ["admin"]),
            (.post, "/v1/admin/accounts/\(clientID)/keys", [String: Any](), ["admin"]),
            (.get, "/v1/admin/ledger", nil, ["admin"]),
            (.get, "/v1/admin/ledger/verify", nil, ["admin"]),
            (.get, "/v1/admin/stats", nil, ["admin"]),
            (.post, "/v1/models", nil, ["client", "admin"]),
            (.get, "/metrics", nil, ["admin"]),
        ]
        for (method, path, body, allowed) in matrix {
            // Anonymous: always 401.
            try f.expectProblem(try await f.send(method, path, json: body), 401, "unauthenticated")
            for role in ["worker", "admin", "client"] {
                let response = try await f.send(method, path, key: keys[role], json: body)
                if allowed.contains(role) {
                    #expect(![401, 403].contains(response.status.code) && response.status.code < 500,
                            "\(role) \(method) \(path): \(response.status.code) \(response.bodyText)")
                } else {
                    try f.expectProblem(response, 403, "forbidden")
                }
            }
        }
        // A revoked key is refused everywhere.
        let admin = try await f.market.authenticate(key: f.adminKey)
        let client = try await f.market.authenticate(key: clientKey)
        _ = admin
        try await f.market.revokeKey(client.keyID)
        try f.expectProblem(try await f.send(.get, "/v1/jobs", key: clientKey), 401, "key_revoked")
        try await f.expectLedgerIntact()
    }

    @Test func healthMetricsAndTheContract_AreServed() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        // The coordinator waits at most 0.9 s for its probe; the test process proves for every
        // other suite on the same two cores, so one slow first probe (it also opens the probe's
        // session) may say "degraded". A healthy database must say "ok" within a few seconds.
        var status: String?
        for _ in 0..<50 where status != "ok" {
            status = try f.object(try await f.send(.get, "/health"))["status"] as? String
            if status != "ok" { try await Task.sleep(nanoseconds: 200_000_000) }
        }
        #expect(status == "ok")
        _ = try await f.send(.get, "/v1/jobs")
        let metrics = try await f.send(.get, "/metrics", key: f.adminKey)
        #expect(metrics.bodyText.contains("proofmarket_http_requests_total{route=\"GET /v1/jobs\"} 1"))
        #expect(metrics.bodyText.contains("proofmarket_jobs") || metrics.bodyText.contains("proofmarket_proofs_verified_total 0"))
        let document = try await f.send(.get, "/openapi.yaml")
        #expect(document.status.code == 200 && document.bodyText.hasPrefix("openapi: 3.1"))
    }

    @Test func metrics_CarryTheLedgerTotals() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 50_000)
        _ = try await f.account("client", funds: 7_000)
        let created = try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob)
        let escrow = try #require(try f.object(created)["escrow"] as? Int)
        try await f.expectLedgerIntact()   // seals the chain
        let text = try await f.send(.get, "/metrics", key: f.adminKey).bodyText
        func value(_ series: String) -> Int? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
        }
        #expect(value("proofmarket_ledger_micros{account_kind=\"client\",bucket=\"available\"}") == 57_000 - escrow)
        #expect(value("proofmarket_ledger_micros{account_kind=\"client\",bucket=\"held\"}") == escrow)
        #expect(value("proofmarket_ledger_micros{account_kind=\"external\",bucket=\"available\"}") == -57_000)
        #expect(value("proofmarket_ledger_accounts{account_kind=\"client\"}") == 2)
        #expect(value("proofmarket_ledger_sealed_entries") == 3)   // two deposits and the escrow
    }
}
