import API
import Foundation
import HTTPServer
import Market
import MarketTestSupport
import Testing

/// Client values that PostgreSQL cannot hold, or would store other than as sent, are 400s
/// naming the field, refused before any work; bodies are strict JSON whose errors say which
/// field and why in plain words.
@Suite struct RequestValidationTests {
    // MARK: values outside their column (each was a 500, or stored wrong)

    @Test func operatorWithNUL_IsAFieldError_NotA500() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let (_, workerKey) = try await f.account("worker")
        let refused = try await f.send(.post, "/v1/workers", key: workerKey, json: ["name": "w", "capabilities": ["operators": ["\u{0}"]]])
        try f.expectProblem(refused, 400, "invalid_field")
        #expect(try f.object(refused)["detail"] as? String
                == "field `capabilities.operators[0]`: control characters are not allowed (found U+0000)")
        #expect(try await f.market.pool.query("SELECT count(*) AS n FROM workers").first?.decode("n", as: Int64.self) == 0)
    }

    @Test func cursorBeyondTimestampRange_IsAFieldError_NotA500() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client")
        let id = UUID().uuidString.lowercased()
        for micros in ["-9223372036854775808", "9223372036854775807", "-1"] {
            try f.expectProblem(try await f.send(.get, "/v1/jobs?cursor=\(micros)_\(id)", key: clientKey), 400, "invalid_field")
        }
        // A cursor within the range still pages.
        let page = try await f.send(.get, "/v1/jobs?cursor=1800000000000000_\(id)", key: clientKey)
        #expect(page.status.code == 200, "\(page.bodyText)")
    }

    @Test func proveMsOutsideInteger_IsRefusedBeforeVerification_AndTheMaximumIsStored() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 100_000)
        let (workerKey, workerID) = try await f.worker()
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))["id"] as? String)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID]))
        let proof = Data(RealProofs.prove(jobID: try #require(UUID(uuidString: jobID)), workerID: try #require(UUID(uuidString: workerID)),
                                          nonce: try #require(lock["nonce"] as? String), input: RealProofs.input(0))).base64EncodedString()
        // A proof that would be rejected: the bound is checked first, so the answer is the bound's.
        let garbage = Data([1, 2, 3]).base64EncodedString()
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                                             json: ["worker_id": workerID, "proof": garbage, "prove_ms": 2_147_483_648]), 400, "invalid_field")
        for proveMs in [2_147_483_648, -5, Int64.max] {
            let refused = try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                                           json: ["worker_id": workerID, "proof": proof, "prove_ms": proveMs])
            try f.expectProblem(refused, 400, "invalid_field")
            #expect(try f.object(refused)["detail"] as? String == "field `prove_ms`: must be an integer from 0 to 2147483647")
        }
        // Nothing was verified or recorded, and the job is still locked for its holder.
        let job = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(job["status"] as? String == "locked")
        #expect((job["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } == ["created", "locked"])
        let settled = try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                                       json: ["worker_id": workerID, "proof": proof, "prove_ms": 2_147_483_647])
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        #expect(try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))["prove_ms"] as? Int == 2_147_483_647)
        try await f.expectLedgerIntact()
    }

    // MARK: control characters in stored text

    @Test func controlCharactersInStoredText_AreRefused_NothingIsStoredCut() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 100_000)
        let (_, workerKey) = try await f.account("worker")

        let owner = try await f.send(.post, "/v1/admin/accounts", key: f.adminKey, json: ["kind": "client", "owner": "alice\u{0}.admin"])
        try f.expectProblem(owner, 400, "invalid_field")
        #expect(try f.object(owner)["detail"] as? String == "field `owner`: control characters are not allowed (found U+0000)")
        try f.expectProblem(try await f.send(.post, "/v1/admin/accounts", key: f.adminKey, json: ["kind": "client", "owner": "bob\u{85}"]),
                            400, "invalid_field")
        try f.expectProblem(try await f.send(.post, "/v1/workers", key: workerKey, json: ["name": "w\u{7}"]), 400, "invalid_field")
        var hooked = APIFixture.dutchJob
        hooked["webhook_url"] = "http://127.0.0.1:9/hook\u{0}.evil.example"
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: hooked), 400, "invalid_field")
        var cutModel = APIFixture.dutchJob
        cutModel["model_id"] = APIFixture.modelID + "\u{0}junk"
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: cutModel), 400, "invalid_field")
        try f.expectProblem(try await f.send(.post, "/v1/models?name=m%00x", key: clientKey, bytes: [9, 9, 9]), 400, "invalid_field")
        try f.expectProblem(try await f.send(.get, "/v1/models/\(APIFixture.modelID)%00x", key: clientKey), 404, "unknown_model")
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob,
                                             headers: [("Idempotency-Key", String(repeating: "k", count: 201))]), 400, "invalid_field")

        let stored = try await f.market.pool.query("""
            SELECT (SELECT count(*) FROM accounts WHERE owner LIKE 'alice%' OR owner LIKE 'bob%') AS accounts,
                   (SELECT count(*) FROM workers) AS workers, (SELECT count(*) FROM jobs) AS jobs,
                   (SELECT count(*) FROM models) AS models
            """).first
        #expect(try stored?.decode("accounts", as: Int64.self) == 0 && stored?.decode("workers", as: Int64.self) == 0)
        #expect(try stored?.decode("jobs", as: Int64.self) == 0 && stored?.decode("models", as: Int64.self) == 1)
        // Text without control characters, however unusual, is kept exactly.
        let kept = try f.object(try await f.send(.post, "/v1/admin/accounts", key: f.adminKey, json: ["kind": "client", "owner": "ålice\u{200D}.admin"]))
        #expect(kept["owner"] as? String == "ålice\u{200D}.admin")
        try await f.expectLedgerIntact()
    }

    // MARK: strict JSON

    @Test func duplicateKeys_AreRefusedInEveryBody_NamingTheKey() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let (clientID, _) = try await f.account("client")
        let (_, workerKey) = try await f.account("worker")
        let deposit = try await f.send(.post, "/v1/admin/accounts/\(clientID)/deposit", key: f.adminKey,
                                       bytes: Array(#"{"amount":1,"amount":1000000000000}"#.utf8), headers: [("Content-Type", "application/json")])
        try f.expectProblem(deposit, 400, "duplicate_json_key")
        #expect(try f.object(deposit)["detail"] as? String == "the key `amount` appears more than once in the object at the body; send each key once")
        // The same key spelled with an escape is the same key.
        try f.expectProblem(try await f.send(.post, "/v1/admin/accounts/\(clientID)/deposit", key: f.adminKey,
                                             bytes: Array(#"{"amount":1,"\u0061mount":5}"#.utf8)), 400, "duplicate_json_key")
        let nested = try await f.send(.post, "/v1/workers", key: workerKey,
                                      bytes: Array(#"{"name":"w","capabilities":{"operators":[],"operators":["Gemm"]}}"#.utf8))
        try f.expectProblem(nested, 400, "duplicate_json_key")
        #expect(try f.object(nested)["detail"] as? String
                == "the key `operators` appears more than once in the object at `capabilities`; send each key once")
        #expect(try await f.market.balance(of: try #require(UUID(uuidString: clientID))) == Balance(available: 0, held: 0))
        try await f.expectLedgerIntact()
    }

    @Test func invalidJSON_SaysWhichFieldAndWhy_InPlainWords() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 100_000)
        let (workerKey, _) = try await f.worker()
        func detail(_ path: String, _ key: String, _ body: String) async throws -> String? {
            let response = try await f.send(.post, path, key: key, bytes: Array(body.utf8))
            try f.expectProblem(response, 400, "invalid_json")
            return try f.object(response)["detail"] as? String
        }
        func job(_ change: (inout [String: Any]) -> Void) throws -> String {
            var body = APIFixture.dutchJob
            change(&body)
            return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        }
        #expect(try await detail("/v1/jobs", clientKey, try job { $0["max_price"] = "10" }) == "field `max_price`: expected an integer, found a string")
        #expect(try await detail("/v1/jobs", clientKey, try job { $0["model_id"] = nil }) == "missing required field `model_id`")
        #expect(try await detail("/v1/jobs", clientKey, try job { $0["lock_stake"] = 1.5 }) == "field `lock_stake`: expected an integer, found 1.5")
        #expect(try await detail("/v1/jobs", clientKey, try job { $0["max_price"] = NSNull() }) == "field `max_price` must not be null")
        #expect(try await detail("/v1/jobs", clientKey, try job { $0["input"] = ["shape": [1, 2], "values": [1, "x"]] })
                == "field `input.values[1]`: expected a number, found a string")
        #expect(try await detail("/v1/jobs", clientKey, try job { $0["bidding_start"] = "tomorrow" })
                == "field `bidding_start`: expected an RFC 3339 date-time such as 2030-01-01T00:00:00Z, found a string that is not one")
        #expect(try await detail("/v1/admin/accounts/\(clientID)/deposit", f.adminKey, #"{"amount": 99999999999999999999}"#)
                == "field `amount`: expected an integer from -9223372036854775808 to 9223372036854775807, found 99999999999999999999")
        #expect(try await detail("/v1/jobs/\(UUID())/lock", workerKey, #"{"worker_id": "zz"}"#)
                == "field `worker_id`: expected a UUID such as 123e4567-e89b-12d3-a456-426614174000, found a string that is not one")
        #expect(try await detail("/v1/workers", workerKey, #"[{"name": "w"}]"#) == "the body must be an object, found an array")
        #expect(try await detail("/v1/workers", workerKey, #"{"name": "w",}"#)
                == "the body is not valid JSON: unexpected `}` at byte 13, where a key in double quotes was expected")
        #expect(try await detail("/v1/workers", workerKey, "") == "the body is not valid JSON: the body is empty; send a JSON object")
        let deep = String(repeating: "[", count: 100_000)
        #expect(try await detail("/v1/workers", workerKey, deep)?.contains("nested more than 64 levels deep") == true)

        // RFC 3339 date-times with fractions and offsets are read as what they say.
        let created = try await f.send(.post, "/v1/jobs", key: clientKey, json: try JSONSerialization.jsonObject(with: Data(try job {
            $0["bidding_start"] = "2027-01-15T10:31:30.25+02:00"
        }.utf8)))
        #expect(created.status.code == 201, "\(created.bodyText)")
        let stored = try f.object(created)["bidding_start"] as? String
        #expect(stored == "2027-01-15T08:31:30Z")
    }
}
