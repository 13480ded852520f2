import MarketTestSupport
import API
import Foundation
import HTTPServer
import Inference
import Market
import Testing

/// Private jobs through their lives over HTTP: batches proven in one private proof, and jobs
/// whose proof hides their input (with its opening checked, kept from everyone but the
/// owner, and carried by no receipt). Real PostgreSQL, real sockets, real private proofs of
/// the digits MLP.
@Suite struct PrivateJobAPITests {
    typealias WorkerKey = (key: String, workerID: String)

    static func fixture(_ configuration: MarketConfiguration = MarketConfiguration()) async throws -> APIFixture {
        let f = try await APIFixture.make(configuration: configuration, privateProofs: InferencePrivateProofs())
        try await f.model()
        return f
    }

    /// A funded worker that proves in both modes.
    static func privateWorker(_ f: APIFixture) async throws -> WorkerKey {
        let (_, key) = try await f.account("worker", funds: 100_000)
        let registered = try f.object(try await f.send(.post, "/v1/workers", key: key,
                                                       json: ["name": "zk", "proof_modes": ["public", "private"]]))
        return (key, try #require(registered["id"] as? String))
    }

    /// A private Dutch job on these items (one item: `input`, more: `inputs`).
    static func job(_ items: [Tensor], hideInput: Bool = false) -> [String: Any] {
        var body = APIFixture.dutchJob
        body["proof_mode"] = "private"
        if hideInput { body["hide_input"] = true }
        if items.count > 1 {
            body["input"] = nil
            body["inputs"] = items.map { ["shape": $0.shape, "values": $0.values] }
        } else {
            body["input"] = ["shape": items[0].shape, "values": items[0].values]
        }
        return body
    }

    static func items(_ count: Int, from first: Int = 0) -> [Tensor] { (0..<count).map { RealProofs.input(first + $0) } }

    /// The batch as the market stores it: the items side by side, shape [B, 64].
    static func joined(_ items: [Tensor]) -> Tensor {
        items.count == 1 ? items[0] : Tensor(shape: [items.count, 64], values: items.flatMap(\.values))
    }

    /// Posts a job; its id.
    static func post(_ f: APIFixture, _ body: [String: Any], key: String) async throws -> String {
        let created = try await f.send(.post, "/v1/jobs", key: key, json: body)
        #expect(created.status.code == 201, "\(created.bodyText)")
        return try #require(try f.object(created)["id"] as? String)
    }

    /// Locks a job; the grant.
    static func lock(_ f: APIFixture, _ jobID: String, _ worker: WorkerKey) async throws -> [String: Any] {
        let lock = try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: worker.key, json: ["worker_id": worker.workerID])
        #expect(lock.status.code == 201, "\(lock.bodyText)")
        return try f.object(lock)
    }

    /// A private proof of `input` for the lock, made with the material the lock holder reads,
    /// and with `hideInput` the opening of its input commitment.
    static func prove(_ f: APIFixture, _ jobID: String, _ worker: WorkerKey, nonce: String, input: Tensor,
                      hideInput: Bool) async throws -> (proof: [UInt8], opening: [UInt8]?) {
        let grant = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/private-material?worker_id=\(worker.workerID)", key: worker.key))
        let commitmentBytes = try #require((grant["commitment"] as? String).flatMap { Data(base64Encoded: $0) })
        let materialBytes = try #require((grant["material"] as? String).flatMap { Data(base64Encoded: $0) })
        let commitment = try PrivateCommitment(decoding: Array(commitmentBytes))
        let material = try PrivateMaterial(decoding: Array(materialBytes), for: commitment)
        let model = RealProofs.loaded.model
        let x = try model.quantizeInput(floats: input.values, shape: input.shape)
        let context = InferenceProofVerifier.context(jobID: try #require(UUID(uuidString: jobID)),
                                                     workerID: try #require(UUID(uuidString: worker.workerID)), nonce: nonce)
        let proven = try PrivateProver.prove(model: model, commitment: commitment, material: material, input: x, context: context,
                                             hideInput: hideInput)
        return (proven.proof, proven.opening?.encoded)
    }

    /// Submits a proof (and an opening, if any).
    static func submit(_ f: APIFixture, _ jobID: String, _ worker: WorkerKey, proof: [UInt8],
                       opening: [UInt8]?) async throws -> HTTPClientResponse {
        var body: [String: Any] = ["worker_id": worker.workerID, "proof": Data(proof).base64EncodedString()]
        if let opening { body["input_opening"] = Data(opening).base64EncodedString() }
        return try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: worker.key, json: body)
    }

    /// The model's private commitment as its page gives it.
    static func privateCommitment(_ f: APIFixture, key: String) async throws -> PrivateCommitment {
        let page = try f.object(try await f.send(.get, "/v1/models/\(APIFixture.modelID)", key: key))
        let hex = try #require((page["private_commitment"] as? [String: Any])?["bytes"] as? String)
        return try PrivateCommitment(decoding: try #require(Receipt.bytes(hex: hex)))
    }

    /// Checks a receipt's signature under the coordinator's key, as a holder of the receipt would.
    static func expectSigned(_ f: APIFixture, _ receipt: [String: Any]) async throws {
        let coordinator = try f.object(try await f.send(.get, "/v1/coordinator"))
        let key = try #require((coordinator["public_key"] as? String).flatMap(Receipt.bytes(hex:)))
        let output = try #require(receipt["output"] as? [String: Any])
        let message = Receipt.message(
            jobID: try #require((receipt["job_id"] as? String).flatMap(UUID.init(uuidString:))),
            modelID: try #require(receipt["model_id"] as? String), commitmentDigest: try #require(receipt["commitment_digest"] as? String),
            inputDigest: try #require(receipt["input_digest"] as? String),
            output: VerifiedOutput(shape: try #require(output["shape"] as? [Int]), quantised: try #require(output["quantised"] as? [Int64]),
                                   values: []),
            proofDigest: try #require(receipt["proof_digest"] as? String),
            workerID: try #require((receipt["worker_id"] as? String).flatMap(UUID.init(uuidString:))),
            nonce: try #require(receipt["nonce"] as? String))
        let signature = try #require((receipt["signature"] as? String).flatMap(Receipt.bytes(hex:)))
        #expect(CoordinatorKey.verify(publicKey: key, message: message, signature: signature))
    }

    /// The outputs the model computes on `items`, as a private proof states them (no clamp counts).
    static func expectedOutputs(_ items: [Tensor]) -> [[Int64]] { items.map { RealProofs.output(for: $0).quantised } }

    @Test func privateBatch_LocksProvesSettlesWithOutputsPagedAndAVerifiableReceipt() async throws {
        var configuration = MarketConfiguration()
        configuration.privateWorkFactorPercent = 300
        let f = try await Self.fixture(configuration)
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let worker = try await Self.privateWorker(f)
        let items = Self.items(3)
        // Priced with the private work factor times the batch.
        let quote = try f.object(try await f.send(.get, "/v1/market/quote?model=\(APIFixture.modelID)&batch=3&proof_mode=private", key: clientKey))
        let work = try #require(quote["work_macs"] as? Int64)
        #expect(quote["job_macs"] as? Int64 == work * 3 * 300 / 100, "\(quote)")

        let jobID = try await Self.post(f, Self.job(items), key: clientKey)
        let job = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(job["batch_items"] as? Int == 3 && job["proof_mode"] as? String == "private" && job["hide_input"] as? Bool == false)
        let lock = try await Self.lock(f, jobID, worker)
        #expect(lock["proof_mode"] as? String == "private" && lock["hide_input"] as? Bool == false)
        let nonce = try #require(lock["nonce"] as? String)
        let (proof, _) = try await Self.prove(f, jobID, worker, nonce: nonce, input: Self.joined(items), hideInput: false)
        let settled = try await Self.submit(f, jobID, worker, proof: proof, opening: nil)
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        let output = try #require(try f.object(settled)["output"] as? [String: Any])
        #expect(output["shape"] as? [Int] == [3, 10] && output["quantised"] as? [Int64] == Self.expectedOutputs(items).flatMap { $0 })
        #expect(output["clamped_in_model"] == nil && output["clamped_in_model_by_item"] == nil)

        // The outputs, paged by item as for a public batch.
        let done = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(done["status"] as? String == "fulfilled")
        #expect((done["batch_output"] as? [String: Any])?["items"] as? Int == 3)
        var seen: [[Int64]] = []
        var cursor: String? = "0"
        while let next = cursor {
            let page = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/outputs?limit=2&cursor=\(next)", key: clientKey))
            for item in try #require(page["outputs"] as? [[String: Any]]) {
                let out = try #require(item["output"] as? [String: Any])
                #expect(out["shape"] as? [Int] == [1, 10])
                seen.append(try #require(out["quantised"] as? [Int64]))
            }
            cursor = page["next_cursor"] as? String
        }
        #expect(seen == Self.expectedOutputs(items))

        // The receipt: signed, its private proof checked against the model's private commitment.
        let receipt = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/receipt", key: clientKey))
        #expect(receipt["proof_mode"] as? String == "private" && receipt["input_commitment"] == nil)
        #expect(receipt["input_digest"] as? String == (try Receipt.inputDigest(Self.joined(items))))
        try await Self.expectSigned(f, receipt)
        let commitment = try await Self.privateCommitment(f, key: clientKey)
        let x = try commitment.spec.quantizeInput(floats: Self.joined(items).values, shape: [3, 64])
        let context = InferenceProofVerifier.context(jobID: try #require(UUID(uuidString: jobID)),
                                                     workerID: try #require(UUID(uuidString: worker.workerID)), nonce: nonce)
        let receiptProof = try #require((receipt["proof"] as? String).flatMap { Data(base64Encoded: $0) })
        #expect(try PrivateVerifier.verify(commitment: commitment, input: x, proof: Array(receiptProof), context: context)
                == Self.expectedOutputs(items).flatMap { $0 })
        try await f.expectLedgerIntact()
    }

    @Test func privateBatch_AtTheConfiguredLimit_IsTaken_OnePast_IsBatchTooLarge() async throws {
        var configuration = MarketConfiguration()
        configuration.batchInputsMax = 4
        let f = try await Self.fixture(configuration)
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        _ = try await Self.post(f, Self.job(Self.items(4)), key: clientKey)
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(Self.items(5))), 422, "batch_too_large")
        var tensor = Self.job([RealProofs.input(0)])
        tensor["input"] = ["shape": [5, 64], "values": Self.joined(Self.items(5)).values]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: tensor), 422, "batch_too_large")
        // Nothing was escrowed for the refused ones.
        #expect((try f.object(try await f.send(.get, "/v1/jobs", key: clientKey))["jobs"] as? [Any])?.count == 1)
        try await f.expectLedgerIntact()
    }

    @Test func privateBatch_WhoseProofWouldPassTheSubmissionLimit_IsRefused_TheLargestThatFits_IsTaken() async throws {
        // LeNet-5: a private proof of one image is over a megabyte, so a batch of 16 passes
        // Market.proofBytesMax while it is well inside the public limits; its worker could never
        // submit the proof.
        let f = try await Self.fixture()
        defer { Task { await f.stop() } }
        let onnxURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("InferenceTests/Fixtures/zoo/lenet5.torchscript.onnx")
        let onnx = Array(try Data(contentsOf: onnxURL))
        let importer = InferenceModelImporter()
        let facts = try importer.importModel(onnx)
        let admin = try await f.market.authenticate(key: f.adminKey)
        let model = try await f.market.registerModel(id: importer.digest(of: onnx), owner: admin.accountID, name: "lenet",
                                                     onnx: onnx, facts: facts).model
        let spec = try importer.quantizedModel(onnx).spec
        let fits = (1...16).filter { (PrivateReadiness.proofBytes(spec, items: $0, hideInput: false) ?? .max) <= Market.proofBytesMax }
        let largest = try #require(fits.last)
        #expect(largest > 1 && largest < 16 && fits == Array(1...largest))
        let (_, clientKey) = try await f.account("client", funds: 10_000_000)
        func body(_ items: Int) -> [String: Any] {
            var body = APIFixture.dutchJob
            body["model_id"] = model.id
            body["proof_mode"] = "private"
            let elements = facts.inputShape.dropFirst().reduce(1, *)
            body["input"] = ["shape": [items] + facts.inputShape.dropFirst(), "values": [Double](repeating: 0.25, count: items * elements)]
            return body
        }
        let past = try await f.send(.post, "/v1/jobs", key: clientKey, json: body(16))
        try f.expectProblem(past, 422, "batch_proof_too_large")
        #expect(past.bodyText.contains("private proof") && past.bodyText.contains("at most \(largest) inputs"), "\(past.bodyText)")
        _ = try await Self.post(f, body(largest), key: clientKey)
        try await f.expectLedgerIntact()
    }

    @Test func privateProofBytes_IsTheLengthOfARealProof() throws {
        let model = RealProofs.loaded.model
        let (commitment, material) = try PrivateProver.commit(model)
        for (items, hide) in [(1, false), (3, false), (2, true)] {
            let x = try model.quantizeInput(floats: Self.joined(Self.items(items)).values, shape: [items, 64])
            let context = InferenceProofVerifier.context(jobID: UUID(), workerID: UUID(), nonce: "n")
            let proven = try PrivateProver.prove(model: model, commitment: commitment, material: material, input: x,
                                                 context: context, hideInput: hide)
            #expect(PrivateReadiness.proofBytes(model.spec, items: items, hideInput: hide) == proven.proof.count)
        }
    }

    @Test func hiddenInputJob_ThroughItsLife_ReceiptCarriesTheCommitmentAndNoInput() async throws {
        let f = try await Self.fixture()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let (_, otherClientKey) = try await f.account("client", funds: 0)
        let worker = try await Self.privateWorker(f)
        let input = RealProofs.input(2)
        let jobID = try await Self.post(f, Self.job([input], hideInput: true), key: clientKey)
        // The owner sees the input it posted; an admin sees the job without it.
        let owned = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(owned["hide_input"] as? Bool == true && (owned["input"] as? [String: Any])?["values"] as? [Double] == input.values)
        let asAdmin = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: f.adminKey))
        #expect(asAdmin["hide_input"] as? Bool == true && asAdmin["input"] == nil, "\(asAdmin)")
        let listed = try f.object(try await f.send(.get, "/v1/jobs", key: f.adminKey))
        #expect((listed["jobs"] as? [[String: Any]])?.first?["input"] == nil)
        // Before it is fulfilled, the opening is not there yet; to anyone else, the job is not there.
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(jobID)/input-opening", key: clientKey), 409, "job_not_fulfilled")

        let lock = try await Self.lock(f, jobID, worker)
        #expect(lock["hide_input"] as? Bool == true && lock["proof_mode"] as? String == "private")
        let nonce = try #require(lock["nonce"] as? String)
        let (proof, opening) = try await Self.prove(f, jobID, worker, nonce: nonce, input: input, hideInput: true)
        let openingBytes = try #require(opening)
        #expect(PrivateInputOpening.encodedBytes(spec: RealProofs.loaded.model.spec, items: 1) == openingBytes.count)
        let settled = try await Self.submit(f, jobID, worker, proof: proof, opening: openingBytes)
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        let output = try #require(try f.object(settled)["output"] as? [String: Any])
        #expect(output["quantised"] as? [Int64] == Self.expectedOutputs([input])[0] && output["clamped_input"] == nil)

        // The receipt names the input commitment in place of the input digest, and carries no input.
        let receipt = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/receipt", key: clientKey))
        let commitmentHex = try #require(receipt["input_commitment"] as? String)
        let commitmentID = try #require(receipt["input_commitment_id"] as? String)
        #expect(receipt["input_digest"] as? String == commitmentID && receipt["input"] == nil)
        #expect(commitmentID == Receipt.commitmentDigest(try #require(Receipt.bytes(hex: commitmentHex))))
        #expect(commitmentID != (try Receipt.inputDigest(input)))
        try await Self.expectSigned(f, receipt)
        // Checked offline without the input: the proof names exactly the receipt's commitment.
        let commitment = try await Self.privateCommitment(f, key: clientKey)
        let context = InferenceProofVerifier.context(jobID: try #require(UUID(uuidString: jobID)),
                                                     workerID: try #require(UUID(uuidString: worker.workerID)), nonce: nonce)
        let receiptProof = Array(try #require((receipt["proof"] as? String).flatMap { Data(base64Encoded: $0) }))
        let verified = try PrivateVerifier.verifyHidingInput(commitment: commitment, proof: receiptProof, context: context)
        #expect(verified.output == Self.expectedOutputs([input])[0])
        #expect(verified.inputCommitment.encoded == Receipt.bytes(hex: commitmentHex) && verified.inputCommitment.id == commitmentID)
        let done = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: f.adminKey))
        #expect(done["input_commitment_id"] as? String == commitmentID && done["input"] == nil)

        // The owner, and only the owner, gets the opening; it opens the receipt's commitment to the input.
        let fetched = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/input-opening", key: clientKey))
        #expect(fetched["input_commitment_id"] as? String == commitmentID)
        let fetchedOpening = Array(try #require((fetched["opening"] as? String).flatMap { Data(base64Encoded: $0) }))
        #expect(fetchedOpening == openingBytes)
        let opened = try PrivateVerifier.openInput(try PrivateInputOpening(decoding: fetchedOpening),
                                                   inputCommitment: verified.inputCommitment, commitment: commitment)
        #expect(opened == (try commitment.spec.quantizeInput(floats: input.values, shape: input.shape)))
        for key in [otherClientKey, f.adminKey, worker.key] {
            try f.expectProblem(try await f.send(.get, "/v1/jobs/\(jobID)/input-opening", key: key), 404, "unknown_job")
        }
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(UUID().uuidString)/input-opening", key: clientKey), 404, "unknown_job")

        // No event or webhook payload carries the input (events are what webhooks send).
        let events = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: f.adminKey))["events"] as? [[String: Any]] ?? []
        #expect(!events.isEmpty)
        let eventText = String(decoding: try JSONSerialization.data(withJSONObject: events), as: UTF8.self)
        #expect(!eventText.contains("values") && !eventText.contains("\(input.values[10])"), "\(eventText)")
        try await f.expectLedgerIntact()
    }

    @Test func hiddenInputBatch_WhoseOpeningFits_IsTaken_OnePast_IsBatchTooLarge() async throws {
        let f = try await Self.fixture()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        // The digits model's opening grows by powers of two in the items: 256 fit, 257 do not.
        let spec = RealProofs.loaded.model.spec
        let fits = try #require(PrivateInputOpening.encodedBytes(spec: spec, items: 256))
        let past = try #require(PrivateInputOpening.encodedBytes(spec: spec, items: 257))
        #expect(fits <= Market.inputOpeningBytesMax && past > Market.inputOpeningBytesMax, "\(fits) \(past)")
        _ = try await Self.post(f, Self.job(Self.items(256), hideInput: true), key: clientKey)
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(Self.items(257), hideInput: true)),
                            422, "batch_too_large")
        // The same batch with its input in the clear is taken.
        _ = try await Self.post(f, Self.job(Self.items(257)), key: clientKey)
        try await f.expectLedgerIntact()
    }

    @Test func hiddenInputBatch_IsProvenInOneProof_ItsOpeningOpensEveryItem() async throws {
        let f = try await Self.fixture()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let worker = try await Self.privateWorker(f)
        let items = Self.items(2, from: 5)
        let jobID = try await Self.post(f, Self.job(items, hideInput: true), key: clientKey)
        let lock = try await Self.lock(f, jobID, worker)
        let nonce = try #require(lock["nonce"] as? String)
        let (proof, opening) = try await Self.prove(f, jobID, worker, nonce: nonce, input: Self.joined(items), hideInput: true)
        let settled = try await Self.submit(f, jobID, worker, proof: proof, opening: opening)
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        let page = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/outputs", key: clientKey))
        let outputs = try #require(page["outputs"] as? [[String: Any]]).compactMap { ($0["output"] as? [String: Any])?["quantised"] as? [Int64] }
        #expect(outputs == Self.expectedOutputs(items))
        let receipt = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/receipt", key: clientKey))
        #expect(receipt["input_commitment_id"] as? String == receipt["input_digest"] as? String)
        #expect((receipt["output"] as? [String: Any])?["shape"] as? [Int] == [2, 10])
        let fetched = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/input-opening", key: clientKey))
        let decoded = try PrivateInputOpening(decoding: Array(try #require((fetched["opening"] as? String).flatMap { Data(base64Encoded: $0) })))
        #expect(decoded.input == (try RealProofs.loaded.model.quantizeInput(floats: Self.joined(items).values, shape: [2, 64])))
        try await f.expectLedgerIntact()
    }

    @Test func openingOfAPublicInputJob_IsInputNotHidden() async throws {
        let f = try await Self.fixture()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let jobID = try await Self.post(f, Self.job([RealProofs.input(0)]), key: clientKey)
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(jobID)/input-opening", key: clientKey), 409, "input_not_hidden")
    }

    @Test func missingWrongOrOtherInputsOpenings_AreRejectedAsInvalidProofs_AndTheLockIsSlashed() async throws {
        let f = try await Self.fixture()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let worker = try await Self.privateWorker(f)
        let input = RealProofs.input(3)
        let jobID = try await Self.post(f, Self.job([input], hideInput: true), key: clientKey)
        let lock = try await Self.lock(f, jobID, worker)
        let nonce = try #require(lock["nonce"] as? String)
        let (proof, opening) = try await Self.prove(f, jobID, worker, nonce: nonce, input: input, hideInput: true)
        // A proof and opening of another input, both well made for this lock.
        let (otherProof, otherOpening) = try await Self.prove(f, jobID, worker, nonce: nonce, input: RealProofs.input(4), hideInput: true)
        var malformed = try #require(opening)
        malformed.removeLast()

        func expectRejected(_ proof: [UInt8], _ opening: [UInt8]?, _ reason: String,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let answer = try await Self.submit(f, jobID, worker, proof: proof, opening: opening)
            try f.expectProblem(answer, 422, "proof_rejected", sourceLocation: sourceLocation)
            #expect(answer.bodyText.contains("reason: \(reason)"), "\(answer.bodyText)", sourceLocation: sourceLocation)
        }
        try await expectRejected(proof, nil, "input_opening_required")
        try await expectRejected(proof, malformed, "input_opening_malformed")
        try await expectRejected(proof, otherOpening, "input_opening_mismatch")
        try await expectRejected(otherProof, otherOpening, "input_opening_differs")
        // A proof that does not hide its input is not what the job asks for.
        let (plain, _) = try await Self.prove(f, jobID, worker, nonce: nonce, input: input, hideInput: false)
        try await expectRejected(plain, nil, "proof_malformed")
        #expect(try await f.rejections(ofWorker: worker.workerID) == 5)
        let events = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))["events"] as? [[String: Any]] ?? []
        let reasons = events.filter { $0["kind"] as? String == "proof_rejected" }.compactMap { ($0["detail"] as? [String: Any])?["reason"] as? String }
        #expect(reasons == ["input_opening_required", "input_opening_malformed", "input_opening_mismatch", "input_opening_differs", "proof_malformed"])
        // Nothing was stored for the rejected ones.
        #expect(try await f.db.pool.query("SELECT 1 FROM job_input_openings").rows.isEmpty)

        // As for any invalid proof, the lock stays until it runs out, and is then slashed; the job reopens.
        f.clock.advance(seconds: 121)
        _ = try await Sweeper(market: f.market).runOnce()
        let reopened = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(reopened["status"] as? String == "open", "\(reopened)")
        let kinds = (reopened["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(kinds.contains("lock_expired"), "\(kinds)")
        let slashed = try await f.db.pool.query("SELECT count(*) AS n FROM ledger_entries WHERE kind = 'slash_to_client' AND job_id = $1",
                                                [.uuid(try #require(UUID(uuidString: jobID)))]).first?.decode("n", as: Int.self)
        #expect(slashed == 1)
        try await f.expectLedgerIntact()
    }

    @Test func hideInput_WithoutPrivateMode_IsRefused() async throws {
        let f = try await Self.fixture()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        var body = APIFixture.dutchJob
        body["hide_input"] = true
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: body), 400, "hide_input_requires_private")
        body["proof_mode"] = "public"
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: body), 400, "hide_input_requires_private")
        body["hide_input"] = false
        let plain = try await f.send(.post, "/v1/jobs", key: clientKey, json: body)
        #expect(plain.status.code == 201, "\(plain.bodyText)")
        #expect(try f.object(plain)["hide_input"] as? Bool == false)
        // Nothing was escrowed for the refused ones.
        #expect((try f.object(try await f.send(.get, "/v1/jobs", key: clientKey))["jobs"] as? [Any])?.count == 1)
        try await f.expectLedgerIntact()
    }
}
