import API
import Foundation
import HTTPServer
import Market
import Testing
import TestSupport

/// The contract and the server agree: the document is valid OpenAPI 3.1 (checked by the pinned
/// openapi-spec-validator, see PythonTools), and every operation it lists is routed by the server.
/// SchemathesisTests checks the answers themselves against it.
@Suite struct OpenAPIContractTests {
    static var documentPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("openapi/openapi.yaml").path
    }

    @Test func document_IsValidOpenAPI31() async throws {
        let (status, text) = try await PythonTools.run(try PythonTools.python(), ["-c", """
            import sys
            from openapi_spec_validator import validate
            from openapi_spec_validator.readers import read_from_filename
            d, _ = read_from_filename(sys.argv[1]); validate(d); print(d['openapi'])
            """, Self.documentPath], seconds: 120)
        #expect(status == 0, "openapi-spec-validator: \(text)")
        #expect(text.hasPrefix("3.1"))
    }

    @Test func everyDocumentedOperation_IsRouted() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let text = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        var operations: [(HTTPMethod, String)] = []
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if !line.hasPrefix("  ") || line.hasPrefix("components") { path = nil }
            guard let p = path else { continue }
            for (word, method) in [("get", HTTPMethod.get), ("post", .post), ("patch", .patch), ("delete", .delete)] where line == "    \(word):" {
                operations.append((method, p.replacingOccurrences(of: "{id}", with: UUID().uuidString)))
            }
        }
        #expect(operations.count == 40, "documented operations")
        for (method, path) in operations {
            // A 503 with Retry-After (a database probe or pool that timed out on a loaded machine)
            // is asked again, as a client would; anything else is the route's answer.
            var response = try await f.send(method, path)
            for _ in 0..<5 where response.status.code == 503 && response.headers["retry-after"] != nil {
                try await Task.sleep(for: .seconds(2))
                response = try await f.send(method, path)
            }
            let problem = (try? f.object(response))?["code"] as? String
            #expect(problem != "not_found" && problem != "method_not_allowed" && response.status.code < 500,
                    "\(method) \(path) is documented but answered \(response.status.code) \(response.bodyText)")
        }
    }

    /// The links a generated client or a stateful tester follows are in the document, each to
    /// an operation that exists, and the document is served as text (`text/yaml`).
    @Test func links_LeadToOperations_AndTheDocumentIsServedAsText() async throws {
        let (status, text) = try await PythonTools.run(try PythonTools.python(), ["-c", """
            import json, sys
            from openapi_spec_validator.readers import read_from_filename
            d, _ = read_from_filename(sys.argv[1])
            ids = {op['operationId'] for p in d['paths'].values() for m, op in p.items() if isinstance(op, dict) and 'operationId' in op}
            out = {}
            for path, item in d['paths'].items():
                for method, op in item.items():
                    if not isinstance(op, dict): continue
                    for code, response in op.get('responses', {}).items():
                        for name, link in (response.get('links') or {}).items():
                            out[op['operationId'] + ' ' + name] = link['operationId'] in ids
            print(json.dumps(out))
            """, Self.documentPath], seconds: 120)
        #expect(status == 0, "\(text)")
        let links = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Bool], "\(text)")
        for expected in ["createJob GetJob", "createJob StreamJobEvents", "createJob GetReceipt", "registerWorker GetWorker"] {
            #expect(links[expected] == true, "link \(expected): \(links)")
        }
        #expect(links.values.allSatisfy { $0 }, "every link names an operation of the document: \(links)")

        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let served = try await f.send(.get, "/openapi.yaml")
        #expect(served.status.code == 200)
        #expect(served.headers["content-type"] == "text/yaml; charset=utf-8")
        #expect(served.bodyText == (try String(contentsOfFile: Self.documentPath, encoding: .utf8)))
    }

    /// The bounds the document states, as the pinned YAML reader reads them: `schema.field.keyword` → value.
    static func documentedBounds() async throws -> [String: Int64] {
        let (status, text) = try await PythonTools.run(try PythonTools.python(), ["-c", """
            import json, sys
            from openapi_spec_validator.readers import read_from_filename
            d, _ = read_from_filename(sys.argv[1]); s = d['components']['schemas']
            def walk(node, name):
                if isinstance(node, dict):
                    if '$ref' in node: node = s[node['$ref'].split('/')[-1]]
                    for k in ('minimum', 'maximum', 'minLength', 'maxLength', 'maxItems'):
                        if k in node: out[name + '.' + k] = node[k]
                    for sub in node.get('allOf', []) + node.get('oneOf', []): walk(sub, name)
                    for k, v in node.get('properties', {}).items(): walk(v, name + '.' + k)
                    if 'items' in node: walk(node['items'], name + '[]')
            out = {}
            for n in ('CreateDutchJob', 'CreateSealedJob', 'ProofRequest', 'RegisterWorker', 'CreateAccount'): walk(s[n], n)
            walk(d['paths']['/v1/admin/accounts/{id}/deposit']['post']['requestBody']['content']['application/json']['schema'], 'Deposit')
            walk(d['components']['parameters']['IdempotencyKey']['schema'], 'IdempotencyKey')
            print(json.dumps(out))
            """, Self.documentPath], seconds: 120)
        #expect(status == 0, "\(text)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        return object.compactMapValues { ($0 as? NSNumber)?.int64Value }
    }

    /// The byte limits the document states are the ones the code defines once: the model upload
    /// is the importer's limit, the proof the verifier's, and the proof field's base64 length
    /// follows from it.
    @Test func documentedByteLimits_AreTheCodesConstants() async throws {
        let text = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        #expect(text.contains("at most \(Market.modelBytesMax) bytes, the importer's own limit"))
        #expect(text.contains("A proof larger than \(Market.proofBytesMax) bytes is a 413"))
        #expect(text.contains("1 to \(Market.proofBytesMax) bytes, the verifier's limit"))
        let bounds = try await Self.documentedBounds()
        #expect(bounds["ProofRequest.proof.maxLength"] == Int64(4 * ((Market.proofBytesMax + 2) / 3)), "\(bounds)")
    }

    /// Each documented bound is the server's: a body at it is accepted, one just past it refused.
    @Test func documentedBounds_AreTheServers_AtTheBoundAcceptedPastItRefused() async throws {
        let bounds = try await Self.documentedBounds()
        func bound(_ name: String) throws -> Int64 { guard let value = bounds[name] else { throw BoundMissing(name: name) }; return value }
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client")
        for _ in 0..<3 {   // room for escrows at the largest price
            let deposit = try await f.send(.post, "/v1/admin/accounts/\(clientID)/deposit", key: f.adminKey, json: ["amount": 1_000_000_000_000])
            #expect(deposit.status.code == 201, "\(deposit.bodyText)")
        }
        let (_, workerKey) = try await f.account("worker")

        // (what, request at the bound, request past it, expected refusal)
        struct Probe { let name: String; let at: [String: Any]; let past: [String: Any]; let status: Int; let code: String }
        func job(_ changes: [String: Any]) -> [String: Any] {
            var body = APIFixture.dutchJob
            body["ramp_up_s"] = 0
            for (key, value) in changes { body[key] = value }
            return body
        }
        func sealed(_ changes: [String: Any]) -> [String: Any] {
            var body = job(["auction": "sealed", "bid_window_s": 60, "deadline_s": 604_800])
            for (key, value) in changes { body[key] = value }
            return body
        }
        let maxPrice = try bound("CreateDutchJob.max_price.maximum"), minPrice = try bound("CreateDutchJob.max_price.minimum")
        let stake = try bound("CreateDutchJob.lock_stake.maximum"), lockTimeout = try bound("CreateDutchJob.lock_timeout_s.maximum")
        let deadline = try bound("CreateDutchJob.deadline_s.maximum"), ramp = try bound("CreateDutchJob.ramp_up_s.maximum")
        let window = try bound("CreateSealedJob.bid_window_s.maximum"), url = try bound("CreateDutchJob.webhook_url.maxLength")
        #expect(try bound("CreateSealedJob.max_price.maximum") == maxPrice && bound("CreateDutchJob.min_price.maximum") == maxPrice)
        func hook(_ length: Int64) -> String { "http://example.com/" + String(repeating: "a", count: Int(length) - 19) }
        let jobProbes = [
            Probe(name: "max_price ≤ max", at: job(["min_price": 0, "max_price": maxPrice]), past: job(["min_price": 0, "max_price": maxPrice + 1]),
                  status: 422, code: "invalid_terms"),
            Probe(name: "max_price ≥ min", at: job(["min_price": 0, "max_price": minPrice]), past: job(["min_price": 0, "max_price": minPrice - 1]),
                  status: 422, code: "invalid_terms"),
            Probe(name: "lock_stake", at: job(["lock_stake": stake]), past: job(["lock_stake": stake + 1]), status: 422, code: "invalid_terms"),
            Probe(name: "lock_timeout_s", at: job(["lock_timeout_s": lockTimeout, "deadline_s": deadline]),
                  past: job(["lock_timeout_s": lockTimeout + 1, "deadline_s": deadline]), status: 422, code: "invalid_terms"),
            Probe(name: "deadline_s", at: job(["deadline_s": deadline]), past: job(["deadline_s": deadline + 1]), status: 422, code: "invalid_terms"),
            Probe(name: "ramp_up_s", at: job(["ramp_up_s": ramp, "lock_timeout_s": lockTimeout, "deadline_s": deadline]),
                  past: job(["ramp_up_s": ramp + 1, "lock_timeout_s": lockTimeout, "deadline_s": deadline]), status: 422, code: "invalid_terms"),
            Probe(name: "bid_window_s", at: sealed(["bid_window_s": window]), past: sealed(["bid_window_s": window + 1]),
                  status: 422, code: "invalid_terms"),
            Probe(name: "webhook_url length", at: job(["webhook_url": hook(url)]), past: job(["webhook_url": hook(url + 1)]),
                  status: 422, code: "invalid_request"),
        ]
        for probe in jobProbes {
            let at = try await f.send(.post, "/v1/jobs", key: clientKey, json: probe.at)
            #expect(at.status.code == 201, "\(probe.name) at the documented bound: \(at.bodyText)")
            try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: probe.past), probe.status, probe.code)
        }
        let keyMax = Int(try bound("IdempotencyKey.maxLength"))
        let keyed = try await f.send(.post, "/v1/jobs", key: clientKey, json: job([:]), headers: [("Idempotency-Key", String(repeating: "k", count: keyMax))])
        #expect(keyed.status.code == 201, "\(keyed.bodyText)")
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: job([:]),
                                             headers: [("Idempotency-Key", String(repeating: "k", count: keyMax + 1))]), 400, "invalid_field")

        // Names count characters (Unicode scalars), not bytes: "é" is two bytes.
        let nameMax = Int(try bound("RegisterWorker.name.maxLength"))
        let named = try await f.send(.post, "/v1/workers", key: workerKey, json: ["name": String(repeating: "é", count: nameMax)])
        #expect(named.status.code == 201, "\(named.bodyText)")
        try f.expectProblem(try await f.send(.post, "/v1/workers", key: workerKey, json: ["name": String(repeating: "é", count: nameMax + 1)]),
                            422, "invalid_request")
        let operatorsMax = Int(try bound("RegisterWorker.capabilities.operators.maxItems"))
        let operatorMax = Int(try bound("RegisterWorker.capabilities.operators[].maxLength"))
        let many = try await f.send(.post, "/v1/workers", key: workerKey,
                                    json: ["name": "w", "capabilities": ["operators": Array(repeating: String(repeating: "G", count: operatorMax), count: operatorsMax)]])
        #expect(many.status.code == 201, "\(many.bodyText)")
        try f.expectProblem(try await f.send(.post, "/v1/workers", key: workerKey,
                                             json: ["name": "w", "capabilities": ["operators": Array(repeating: "Gemm", count: operatorsMax + 1)]]),
                            422, "invalid_request")
        try f.expectProblem(try await f.send(.post, "/v1/workers", key: workerKey,
                                             json: ["name": "w", "capabilities": ["operators": [String(repeating: "G", count: operatorMax + 1)]]]),
                            400, "invalid_field")
        let ownerMax = Int(try bound("CreateAccount.owner.maxLength"))
        let owned = try await f.send(.post, "/v1/admin/accounts", key: f.adminKey, json: ["kind": "client", "owner": String(repeating: "é", count: ownerMax)])
        #expect(owned.status.code == 201, "\(owned.bodyText)")
        try f.expectProblem(try await f.send(.post, "/v1/admin/accounts", key: f.adminKey,
                                             json: ["kind": "client", "owner": String(repeating: "é", count: ownerMax + 1)]), 422, "invalid_request")
        let amountMax = try bound("Deposit.amount.maximum")
        #expect(try await f.send(.post, "/v1/admin/accounts/\(clientID)/deposit", key: f.adminKey, json: ["amount": amountMax]).status.code == 201)
        try f.expectProblem(try await f.send(.post, "/v1/admin/accounts/\(clientID)/deposit", key: f.adminKey, json: ["amount": amountMax + 1]),
                            422, "invalid_request")
        // prove_ms: its bound is checked before anything else about the proof (RequestValidationTests
        // submits a real proof at it); past it is refused whatever the job.
        let proveMax = try bound("ProofRequest.prove_ms.maximum")
        #expect(try proveMax == Int64(Int32.max) && bound("ProofRequest.prove_ms.minimum") == 0)
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(UUID())/proof", key: workerKey,
                                             json: ["worker_id": UUID().uuidString, "proof": "AA==", "prove_ms": proveMax + 1]), 400, "invalid_field")
        try await f.expectLedgerIntact()
    }
}

/// A bound the contract test looks for and openapi.yaml does not state.
struct BoundMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "openapi.yaml states no \(name)" }
}
