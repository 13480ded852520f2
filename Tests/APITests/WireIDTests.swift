import MarketTestSupport
import API
import Foundation
import HTTPServer
import Inference
import Market
import Testing

/// Every id in every response is the lower-case canonical form (the one the proof's binding
/// context and the receipt's signature use), ids are accepted in either case, and the lock
/// hands out the binding context ready-made: a client that keeps ids as the strings it was
/// given, and proves with the context it was given, is paid.
@Suite struct WireIDTests {
    /// The UUIDs in `text`, as written (any 36 characters `UUID(uuidString:)` reads).
    static func uuids(in text: String) -> [String] {
        let chars = Array(text.utf8)
        var found: [String] = []
        var i = 0
        while i + 36 <= chars.count {
            let window = String(decoding: chars[i..<i + 36], as: UTF8.self)
            if UUID(uuidString: window) != nil { found.append(window); i += 36 } else { i += 1 }
        }
        return found
    }

    /// The UUIDs in `text` that are not lower case.
    static func notLowerCase(_ text: String) -> [String] { uuids(in: text).filter { $0 != $0.lowercased() } }

    @Test func everyResponseOfAWholeRun_CarriesLowerCaseIDs_AndTheLocksContextIsPaid() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let modelID = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()
        var seen: [(String, String)] = []
        func record(_ what: String, _ response: HTTPClientResponse) -> HTTPClientResponse {
            var text = response.bodyText
            // A problem's `instance` is the request's path as the client sent it, ids and all.
            if var problem = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], problem["instance"] != nil {
                problem["instance"] = nil
                text = String(decoding: (try? JSONSerialization.data(withJSONObject: problem)) ?? Data(), as: UTF8.self)
            }
            seen.append((what, text))
            return response
        }

        let created = record("createJob", try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))
        let jobID = try #require(try f.object(created)["id"] as? String)
        // Ids sent in upper case are the same ids.
        let upperJob = jobID.uppercased(), upperWorker = workerID.uppercased()
        _ = record("getJob", try await f.send(.get, "/v1/jobs/\(upperJob)", key: clientKey))
        _ = record("listOpenJobs", try await f.send(.get, "/v1/market/jobs", key: workerKey))
        let lockResponse = record("lockJob", try await f.send(.post, "/v1/jobs/\(upperJob)/lock", key: workerKey, json: ["worker_id": upperWorker]))
        #expect(lockResponse.status.code == 201, "\(lockResponse.bodyText)")
        let lock = try f.object(lockResponse)
        let nonce = try #require(lock["nonce"] as? String)
        let context = try #require(lock["binding_context"] as? String)
        #expect(context == "\(jobID):\(workerID):\(nonce)", "the context is the ids as given, lower case")

        // Prove with exactly the context the lock gave (parsed as `proofmarket prove --context` does).
        let parsed = try BindingContext(parsing: context)
        let loaded = RealProofs.loaded, input = RealProofs.input(0)
        let (_, proofBytes) = try InferenceProver.prove(model: loaded.model, commitment: loaded.commitment,
                                                        input: try loaded.model.quantizeInput(floats: input.values, shape: input.shape),
                                                        context: parsed)
        let settled = record("submitProof", try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                                                              json: ["worker_id": workerID, "proof": Data(proofBytes).base64EncodedString()]))
        #expect(settled.status.code == 200, "a proof bound to the lock's binding_context is accepted: \(settled.bodyText)")

        _ = record("getJob", try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        _ = record("listJobs", try await f.send(.get, "/v1/jobs", key: clientKey))
        _ = record("getReceipt", try await f.send(.get, "/v1/jobs/\(jobID)/receipt", key: clientKey))
        _ = record("getModel", try await f.send(.get, "/v1/models/\(modelID)", key: clientKey))
        _ = record("getWorker", try await f.send(.get, "/v1/workers/\(upperWorker)", key: workerKey))
        _ = record("heartbeat", try await f.send(.post, "/v1/workers/\(workerID)/heartbeat", key: workerKey))
        _ = record("registerWorker", try await f.send(.post, "/v1/workers", key: workerKey, json: ["name": "second"]))
        _ = record("getAccount", try await f.send(.get, "/v1/admin/accounts/\(clientID.uppercased())", key: f.adminKey))
        _ = record("createAccount", try await f.send(.post, "/v1/admin/accounts", key: f.adminKey, json: ["kind": "client", "owner": "o"]))
        _ = record("issueKey", try await f.send(.post, "/v1/admin/accounts/\(clientID)/keys", key: f.adminKey))
        _ = record("deposit", try await f.send(.post, "/v1/admin/accounts/\(clientID)/deposit", key: f.adminKey, json: ["amount": 5]))
        _ = record("listLedger", try await f.send(.get, "/v1/admin/ledger", key: f.adminKey))
        _ = record("verifyLedger", try await f.send(.get, "/v1/admin/ledger/verify", key: f.adminKey))
        _ = record("stats", try await f.send(.get, "/v1/admin/stats", key: f.adminKey))
        let second = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))["id"] as? String)
        _ = record("cancelJob", try await f.send(.delete, "/v1/jobs/\(second)", key: clientKey))
        _ = record("streamJobEvents", try await f.send(.get, "/v1/jobs/\(second)/events", key: clientKey))
        // Problems quote ids in the same form.
        _ = record("getJob (unknown)", try await f.send(.get, "/v1/jobs/\(UUID().uuidString.uppercased())", key: clientKey))
        _ = record("cancelJob (not open)", try await f.send(.delete, "/v1/jobs/\(upperJob)", key: clientKey))

        var ids = 0
        for (what, body) in seen {
            ids += Self.uuids(in: body).count
            #expect(Self.notLowerCase(body).isEmpty, "\(what) answered ids in upper case: \(Self.notLowerCase(body))")
        }
        #expect(ids > 40, "the responses carried ids to check")
        try await f.expectLedgerIntact()
    }
}
