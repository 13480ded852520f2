import API
import Foundation
import HTTPServer
import Market
import MarketTestSupport
import Testing

/// schemathesis against a live coordinator: it reads `<base>/openapi.yaml`, generates valid and
/// invalid requests for every operation, and checks every answer against the document (no 5xx,
/// documented status, content type, headers and schema, invalid data refused, auth not ignored).
@Suite struct SchemathesisTests {
    /// Examples schemathesis generates per operation in its fuzzing phase; bounds the run to
    /// a few minutes on two cores. PROOFMARKET_SCHEMATHESIS_EXAMPLES overrides it.
    static let examplesPerOperation = environment("PROOFMARKET_SCHEMATHESIS_EXAMPLES") ?? 50
    /// The seed, fixed so a failure replays; PROOFMARKET_SCHEMATHESIS_SEED picks another to explore.
    static let seed = environment("PROOFMARKET_SCHEMATHESIS_SEED") ?? 1

    private static func environment(_ name: String) -> Int? { ProcessInfo.processInfo.environment[name].flatMap { Int($0) } }

    @Test(.timeLimit(.minutes(10))) func liveServer_KeepsToTheContract() async throws {
        let schemathesis = try PythonTools.schemathesis()
        // A long-poll on a job that does not change holds for its whole `wait`; a one-second
        // maximum keeps generated waits short (longer ones are a documented 422).
        var limits = MarketAPI.Limits()
        limits.waitSecondsMax = 1
        let f = try await APIFixture.make(limits: limits, importer: InferenceModelImporter())
        defer { Task { await f.stop() } }

        // Something to find behind the ids: a ready model, a funded client with a fulfilled,
        // an open, a cancelled job and one to cancel, and a registered worker.
        let modelID = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()
        func postJob() async throws -> String {
            let created = try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob)
            #expect(created.status.code == 201, "\(created.bodyText)")
            return try #require(try f.object(created)["id"] as? String)
        }
        let fulfilledID = try await postJob()
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(fulfilledID)/lock", key: workerKey, json: ["worker_id": workerID]))
        let proof = RealProofs.prove(jobID: try #require(UUID(uuidString: fulfilledID)), workerID: try #require(UUID(uuidString: workerID)),
                                     nonce: try #require(lock["nonce"] as? String), input: RealProofs.input(0))
        let settled = try await f.send(.post, "/v1/jobs/\(fulfilledID)/proof", key: workerKey,
                                       json: ["worker_id": workerID, "proof": Data(proof).base64EncodedString()])
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        let openID = try await postJob(), toCancelID = try await postJob(), cancelledID = try await postJob()
        _ = try await f.send(.delete, "/v1/jobs/\(cancelledID)", key: clientKey)

        // Each operation runs with the key of the role it serves, and its ids point at the
        // seeded resources (the other ids and fields are generated). Values are TOML.
        let client = "Bearer \(clientKey)", worker = "Bearer \(workerKey)", admin = "Bearer \(f.adminKey)"
        func quoted(_ text: String) -> String { "\"\(text)\"" }
        let input = RealProofs.input(0)
        let inputTOML = "{ shape = [\(input.shape.map(String.init).joined(separator: ", "))], "
            + "values = [\(input.values.map { "\($0)" }.joined(separator: ", "))] }"
        let operations: [(id: String, authorization: String, parameters: [String: String])] = [
            ("uploadModel", client, [:]),
            ("getModel", client, ["path.id": quoted(modelID)]),
            ("downloadModel", client, ["path.id": quoted(modelID)]),
            // The model's real input, so generated terms decide whether a job is created.
            ("createJob", client, ["body.model_id": quoted(modelID), "body.input": inputTOML]),
            ("listJobs", client, [:]),
            ("getJob", client, ["path.id": quoted(fulfilledID)]),
            ("cancelJob", client, ["path.id": quoted(toCancelID)]),
            // A cancelled job's stream is finite; an open job's would last until the request timeout.
            ("streamJobEvents", client, ["path.id": quoted(cancelledID)]),
            ("getReceipt", client, ["path.id": quoted(fulfilledID)]),
            ("lockJob", worker, ["path.id": quoted(openID), "body.worker_id": quoted(workerID)]),
            ("placeBid", worker, ["path.id": quoted(openID), "body.worker_id": quoted(workerID)]),
            ("getJobInput", worker, ["path.id": quoted(openID), "query.worker_id": quoted(workerID)]),
            ("submitProof", worker, ["path.id": quoted(openID), "body.worker_id": quoted(workerID)]),
            ("releaseLock", worker, ["path.id": quoted(openID), "body.worker_id": quoted(workerID)]),
            ("registerWorker", worker, [:]),
            ("getWorker", worker, ["path.id": quoted(workerID)]),
            ("heartbeat", worker, ["path.id": quoted(workerID)]),
            ("listOpenJobs", worker, [:]),
            ("getAccount", admin, ["path.id": quoted(clientID)]),
            ("issueKey", admin, ["path.id": quoted(clientID)]),
            ("deposit", admin, ["path.id": quoted(clientID)]),
        ]
        var config = """
            color = false
            headers = { Authorization = "\(admin)" }
            request-timeout = 30
            [generation]
            max-examples = \(Self.examplesPerOperation)
            # Invalid data may also be refused for its size (413, documented) before it is parsed.
            [checks.negative_data_rejection]
            expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

            """
        for operation in operations {
            let parameters = operation.parameters.sorted { $0.key < $1.key }.map { "\"\($0.key)\" = \($0.value)" }
            config += """
                [[operations]]
                include-operation-id = "\(operation.id)"
                headers = { Authorization = "\(operation.authorization)" }
                parameters = { \(parameters.joined(separator: ", ")) }

                """
        }
        let configPath = FileManager.default.temporaryDirectory.appendingPathComponent("pm-schemathesis-\(UUID().uuidString.prefix(8)).toml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: configPath) }

        let started = Date()
        let (status, output) = try await PythonTools.run(schemathesis, [
            "--config-file", configPath, "run", "\(f.base)/openapi.yaml", "--checks", "all",
            // The document's schemas allow values that the market's rules refuse with a
            // documented 422 (min_price above max_price, a deposit to an admin account, a
            // wait above this fixture's one-second maximum…), which this check counts as failures.
            "--exclude-checks", "positive_data_acceptance",
            "--seed", "\(Self.seed)",
        ], seconds: 480)
        let stats = try f.object(try await f.send(.get, "/v1/admin/stats", key: f.adminKey))
        print("schemathesis took \(Int(Date().timeIntervalSince(started))) s; jobs by status after it: "
              + "\(stats["jobs_by_status"] ?? "?")\n\(output.split(separator: "\n").suffix(20).joined(separator: "\n"))")
        #expect(status == 0, "schemathesis found the server and openapi/openapi.yaml at odds:\n\(output)")
        try await f.expectLedgerIntact()
    }
}
