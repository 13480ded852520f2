import API
import Foundation
import HTTPServer
import Market
import MarketTestSupport
import Testing
import TestSupport

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
        // an open, a cancelled job, one to cancel and one to raise, and a registered worker.
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
        let toRaiseID = try await postJob()
        // A public job the worker holds: its private material is refused as `job_not_private`.
        let heldID = try await postJob()
        _ = try await f.send(.post, "/v1/jobs/\(heldID)/lock", key: workerKey, json: ["worker_id": workerID])
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
            ("updateJob", client, ["path.id": quoted(toRaiseID)]),
            // A cancelled job's stream is finite; an open job's would last until the request timeout.
            ("streamJobEvents", client, ["path.id": quoted(cancelledID)]),
            ("getReceipt", client, ["path.id": quoted(fulfilledID)]),
            ("lockJob", worker, ["path.id": quoted(openID), "body.worker_id": quoted(workerID)]),
            ("placeBid", worker, ["path.id": quoted(openID), "body.worker_id": quoted(workerID)]),
            ("getJobInput", worker, ["path.id": quoted(openID), "query.worker_id": quoted(workerID)]),
            ("getPrivateMaterial", worker, ["path.id": quoted(heldID), "query.worker_id": quoted(workerID)]),
            ("submitProof", worker, ["path.id": quoted(openID), "body.worker_id": quoted(workerID)]),
            ("releaseLock", worker, ["path.id": quoted(openID), "body.worker_id": quoted(workerID)]),
            ("registerWorker", worker, [:]),
            ("getWorker", worker, ["path.id": quoted(workerID)]),
            ("heartbeat", worker, ["path.id": quoted(workerID)]),
            ("listOpenJobs", worker, [:]),
            ("getQuote", client, ["query.model": quoted(modelID)]),
            ("getAccount", admin, ["path.id": quoted(clientID)]),
            ("issueKey", admin, ["path.id": quoted(clientID)]),
            ("deposit", admin, ["path.id": quoted(clientID)]),
            // A fulfilled job's timeline, so its whole schema is checked (other ids are a documented 404).
            ("getJobTimeline", admin, ["path.id": quoted(fulfilledID)]),
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
            // The stream is declared as what it is on the wire, a string (so generated clients
            // read it as text); schemathesis would judge each event against that, so its frames
            // are judged by `event_stream_frames_are_events` (below) instead.
            if operation.id == "streamJobEvents" { config += "checks = { response_schema_conformance = { enabled = false } }\n" }
        }
        // `/health`'s 503 is its documented answer when the database probe does not answer
        // within a second; in this test process, which proves and verifies for every other
        // suite on the same two cooperative threads, that happens without a sick database.
        // Its body is still checked against the document.
        config += """
            [[operations]]
            include-operation-id = "health"
            checks = { not_a_server_error = { enabled = false } }

            """
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("pm-schemathesis-\(UUID().uuidString.prefix(8))").path
        let configPath = scratch + ".toml", hooksPath = scratch + "-hooks.py", tallyPath = scratch + "-tally.json"
        config = "hooks = \"\(hooksPath)\"\n" + config
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try (Self.shapeCheck(tallyPath: tallyPath) + Self.codeCheck(documentPath: OpenAPIContractTests.documentPath)
             + Self.batchBodies(input: input))
            .write(toFile: hooksPath, atomically: true, encoding: .utf8)
        defer { for path in [configPath, hooksPath, tallyPath] { try? FileManager.default.removeItem(atPath: path) } }

        let started = Date()
        let (status, output) = try await PythonTools.run(schemathesis, [
            // Every check is on by default; naming them here (`--checks all`) would override the
            // configuration's one exception per operation (the event stream's, above).
            "--config-file", configPath, "run", "\(f.base)/openapi.yaml",
            // It judges by status alone, and schema-valid values may still break the market's
            // rules across fields (min_price above max_price) or its state (a deposit to an admin
            // account, a wait above this fixture's one-second maximum), each a documented 4xx.
            // `schema_valid_bodies_are_not_refused_for_their_shape` (below) judges by problem code.
            "--exclude-checks", "positive_data_acceptance",
            "--seed", "\(Self.seed)",
        ], seconds: 480)
        let stats = try f.object(try await f.send(.get, "/v1/admin/stats", key: f.adminKey))
        print("schemathesis took \(Int(Date().timeIntervalSince(started))) s; jobs by status after it: "
              + "\(stats["jobs_by_status"] ?? "?")\n\(output.split(separator: "\n").suffix(20).joined(separator: "\n"))")
        #expect(status == 0, "schemathesis found the server and openapi/openapi.yaml at odds:\n\(output)")

        // Schema-valid bodies of the operations whose bodies carry the most rules: each was
        // generated, none was refused for its shape, and some were accepted outright.
        let tally = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tallyPath))) as? [String: [String: Int]],
                                 "the shape check wrote no tally")
        print("schema-valid bodies, by outcome: \(tally)")
        for operation in Self.shapeCheckedOperations.values {
            let outcomes = tally[operation] ?? [:]
            #expect(outcomes.values.reduce(0, +) >= 3, "\(operation): too few schema-valid bodies were generated: \(outcomes)")
            let shape = outcomes.filter { Self.shapeCodes.contains(String($0.key.split(separator: " ").last ?? "")) || $0.key.hasPrefix("400") }
            #expect(shape.isEmpty, "\(operation): schema-valid bodies refused for their shape: \(shape)")
        }
        #expect((tally["createJob"] ?? [:]).keys.contains { $0.hasPrefix("201") }, "no generated job was accepted: \(tally)")
        #expect((tally["uploadModel"] ?? [:]).keys.contains { $0.hasPrefix("20") }, "no generated model was accepted: \(tally)")
        try await f.expectLedgerIntact()
    }

    /// The operations whose schema-valid bodies are checked for shape refusals, by label.
    static let shapeCheckedOperations = ["POST /v1/jobs": "createJob", "POST /v1/jobs/{id}/proof": "submitProof",
                                         "POST /v1/models": "uploadModel"]
    /// The problem codes that mean "the request's shape is wrong": on a body the document calls
    /// valid, each is the document and the server disagreeing. (`invalid_request` is, on these
    /// three operations, only ever about a value's own form: the proof's base64, the model's name.)
    static let shapeCodes: Set<String> = ["invalid_json", "invalid_field", "duplicate_json_key", "invalid_request"]

    /// A schemathesis check that fails any problem answer whose code the operation does not
    /// list in `x-problem-codes` (or the document in `x-problem-codes-common`).
    static func codeCheck(documentPath: String) -> String {
        """

            import yaml

            with open("\(documentPath)") as f:
                _DOCUMENT = yaml.safe_load(f)
            _COMMON = set(_DOCUMENT.get("x-problem-codes-common", []))
            _LISTED = {(method.upper(), path): set(op.get("x-problem-codes", [])) | _COMMON
                       for path, item in _DOCUMENT["paths"].items() for method, op in item.items()
                       if isinstance(op, dict) and "operationId" in op}

            @schemathesis.check
            def problem_codes_are_the_operations(ctx, response, case):
                types = [v for k, values in response.headers.items() if k.lower() == "content-type" for v in values]
                if not types or not types[0].startswith("application/problem+json"):
                    return
                listed = _LISTED.get((case.operation.method.upper(), case.operation.path))
                if listed is None:
                    return
                try:
                    code = json.loads(response.content).get("code")
                except Exception:
                    code = None
                if code not in listed:
                    raise AssertionError(f"{case.operation.method.upper()} {case.operation.path} answered code {code!r}, "
                                         f"which its x-problem-codes do not list")

            import jsonschema

            _EVENT = jsonschema.Draft202012Validator({"$ref": "#/components/schemas/Event", "components": _DOCUMENT["components"]})

            @schemathesis.check
            def event_stream_frames_are_events(ctx, response, case):
                if case.operation.path != "/v1/jobs/{id}/events" or response.status_code != 200:
                    return
                frames, frame = [], {}
                for line in response.text.split("\\n"):
                    if line == "":
                        if frame:
                            frames.append(frame)
                        frame = {}
                        continue
                    name, _, value = line.partition(": ")
                    frame[name] = value
                if not frames:
                    raise AssertionError("the event stream held no event")
                for frame in frames:
                    data = json.loads(frame.get("data", "null"))
                    _EVENT.validate(data)
                    if frame.get("event") != data["kind"] or frame.get("id") != str(data["id"]):
                        raise AssertionError(f"an event frame's event/id lines disagree with its data: {frame}")

            """
    }

    /// A hook for createJob's generated bodies: the configuration fixes `input` to the model's
    /// real input, so a body that was also given `inputs` (a batch) would name both, which the
    /// document's `oneOf` forbids; such a body becomes a batch of the real input twice (and no
    /// `input`), so the batch form is sent with data the model takes.
    static func batchBodies(input: Tensor) -> String {
        let item = "{\"shape\": [\(input.shape.map(String.init).joined(separator: ", "))], \"values\": [\(input.values.map { "\($0)" }.joined(separator: ", "))]}"
        return """

            @schemathesis.hook
            def map_case(ctx, case):
                body = case.body
                if case.operation.label == "POST /v1/jobs" and isinstance(body, dict) and "input" in body and "inputs" in body:
                    meta = case.meta
                    if meta is not None and meta.generation.mode.is_positive:
                        del body["input"]
                        body["inputs"] = [\(item), \(item)]
                return case

            """
    }

    /// A schemathesis check (a hooks file) that fails a schema-valid (positive) case of a
    /// shape-checked operation answered with a 400 or a shape code, and writes every such case's
    /// outcome (`"<status> <code>"`, counted once per distinct request) to `tallyPath` at the end.
    static func shapeCheck(tallyPath: String) -> String {
        let labels = shapeCheckedOperations.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
        let codes = shapeCodes.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
        return """
            import json, hashlib
            import schemathesis

            LABELS = {\(labels)}
            SHAPE_CODES = {\(codes)}

            @schemathesis.check
            class schema_valid_bodies_are_not_refused_for_their_shape:
                def __init__(self):
                    self.outcomes = {}

                def after_response(self, ctx, response, case):
                    operation = LABELS.get(case.operation.label)
                    meta = case.meta
                    if operation is None or meta is None or not meta.generation.mode.is_positive:
                        return
                    try:
                        code = json.loads(response.content).get("code", "")
                    except Exception:
                        code = ""
                    outcome = f"{response.status_code} {code}".strip()
                    request = repr((case.path_parameters, case.query, case.headers and sorted(case.headers.items()), case.body))
                    digest = hashlib.sha256(request.encode("utf-8", "backslashreplace")).hexdigest()
                    self.outcomes.setdefault(operation, {}).setdefault(outcome, set()).add(digest)
                    if response.status_code == 400 or code in SHAPE_CODES:
                        detail = response.text[:300] if hasattr(response, "text") else ""
                        raise AssertionError(f"a schema-valid request to {operation} was refused for its shape: {outcome}: {detail}")

                def after_run(self, ctx):
                    tally = {op: {outcome: len(cases) for outcome, cases in outcomes.items()} for op, outcomes in self.outcomes.items()}
                    with open("\(tallyPath)", "w") as f:
                        json.dump(tally, f)

            """
    }
}
