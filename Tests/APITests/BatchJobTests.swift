import MarketTestSupport
import API
import Foundation
import HTTPServer
import Inference
import Market
import Testing

/// Batch jobs over HTTP: real PostgreSQL, real sockets, real batch proofs of the digits MLP.
@Suite struct BatchJobTests {
    /// `count` sample inputs, each of the model's shape [1, 64].
    static func items(_ count: Int, from first: Int = 0) -> [Tensor] { (0..<count).map { RealProofs.input(first + $0) } }

    static func job(_ items: [Tensor], auction: String = "dutch") -> [String: Any] {
        var body = APIFixture.dutchJob
        body.removeValue(forKey: "input")
        body["inputs"] = items.map { ["shape": $0.shape, "values": $0.values] }
        if auction == "sealed" {
            body["auction"] = "sealed"
            body["bid_window_s"] = 30
            body.removeValue(forKey: "ramp_up_s")
        }
        return body
    }

    /// The batch as the market stores it: the items side by side, shape [B, 64].
    static func batchTensor(_ items: [Tensor]) -> Tensor {
        Tensor(shape: [items.count, 64], values: items.flatMap(\.values))
    }

    /// Proves the locked batch and submits it; returns the settlement's JSON.
    func prove(_ f: APIFixture, jobID: String, worker: (key: String, workerID: String), nonce: String,
               items: [Tensor]) async throws -> [String: Any] {
        let input = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/input?worker_id=\(worker.workerID)", key: worker.key))
        #expect(input["shape"] as? [Int] == [items.count, 64])
        let proof = RealProofs.prove(jobID: try #require(UUID(uuidString: jobID)), workerID: try #require(UUID(uuidString: worker.workerID)),
                                     nonce: nonce, input: Self.batchTensor(items))
        let response = try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: worker.key,
                                        json: ["worker_id": worker.workerID, "proof": Data(proof).base64EncodedString(), "prove_ms": 5])
        #expect(response.status.code == 200, "\(response.bodyText)")
        return try f.object(response)
    }

    /// Checks a fulfilled batch: its job view, every output page by page, and its receipt
    /// verified offline (signature under the pinned key, proof against the commitment).
    func expectFulfilled(_ f: APIFixture, jobID: String, clientKey: String, items: [Tensor]) async throws {
        let done = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(done["status"] as? String == "fulfilled" && done["batch_items"] as? Int == items.count)
        let summary = try #require(done["batch_output"] as? [String: Any], "\(done)")
        #expect(summary["items"] as? Int == items.count && summary["item_shape"] as? [Int] == [1, 10])
        #expect(done["output"] == nil)

        // Paged two at a time, the outputs are each item's own, in order.
        var cursor: String?
        var seen: [Int] = []
        repeat {
            let page = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/outputs?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""), key: clientKey))
            #expect(page["batch_items"] as? Int == items.count)
            let outputs = try #require(page["outputs"] as? [[String: Any]])
            #expect(outputs.count <= 2 && !outputs.isEmpty)
            for entry in outputs {
                let index = try #require(entry["index"] as? Int)
                let output = try #require(entry["output"] as? [String: Any])
                let expected = RealProofs.output(for: items[index])
                #expect(output["quantised"] as? [Int64] == expected.quantised, "item \(index)")
                #expect(output["argmax"] as? Int == expected.argmax)
                #expect(output["clamped_input"] as? Int == expected.clampedInput)
                #expect(output["clamped_in_model"] as? Int == expected.clampedInModel)
                seen.append(index)
            }
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        #expect(seen == Array(0..<items.count))

        let receipt = try JSONCoding.decoder.decode(ReceiptWire.self, from: Data(try await f.send(.get, "/v1/jobs/\(jobID)/receipt", key: clientKey).body))
        let key = try await f.market.coordinatorKey()
        let expected = VerifiedOutput.batch(items.map(RealProofs.output(for:)))
        let output = VerifiedOutput(shape: receipt.output.shape, quantised: receipt.output.quantised, values: receipt.output.values,
                                    clampedInput: receipt.output.clampedInput, clampedInModel: receipt.output.clampedInModel)
        #expect(output.shape == [items.count, 10] && output.quantised == expected.quantised)
        #expect(receipt.output.clampedInputByItem == expected.clampedInputByItem)
        #expect(receipt.output.clampedInModelByItem == expected.clampedInModelByItem)
        let message = Receipt.message(jobID: receipt.jobId, modelID: receipt.modelId, commitmentDigest: receipt.commitmentDigest,
                                      inputDigest: receipt.inputDigest, output: output, proofDigest: receipt.proofDigest,
                                      workerID: receipt.workerId, nonce: receipt.nonce)
        #expect(CoordinatorKey.verify(publicKey: key.publicKey, message: message, signature: try #require(Receipt.bytes(hex: receipt.signature))))
        #expect(receipt.inputDigest == (try Receipt.inputDigest(Self.batchTensor(items))))
        // The proof verifies offline against the commitment whose digest the receipt signs.
        let commitment = RealProofs.loaded.commitment
        #expect(Receipt.commitmentDigest(commitment.encoded) == receipt.commitmentDigest)
        let x = try commitment.spec.quantizeInput(floats: Self.batchTensor(items).values, shape: [items.count, 64])
        let proof = Array(try #require(Data(base64Encoded: receipt.proof)))
        let proven = try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof,
                                                  context: InferenceProofVerifier.context(jobID: receipt.jobId, workerID: receipt.workerId, nonce: receipt.nonce))
        #expect(proven == expected.quantised)
        try await f.expectLedgerIntact()
    }

    struct ReceiptWire: Decodable {
        struct Output: Decodable {
            let shape: [Int]; let quantised: [Int64]; let values: [Double]; let clampedInput: Int?; let clampedInModel: Int?
            let clampedInputByItem: [Int]?; let clampedInModelByItem: [Int]?
        }
        let jobId: UUID; let modelId: String; let commitmentDigest: String; let inputDigest: String; let output: Output
        let proof: String; let proofDigest: String; let workerId: UUID; let nonce: String; let signature: String
    }

    @Test func dutchBatch_LocksProvesSettlesOnceWithEveryOutputInTheReceipt() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let worker = try await f.worker()
        let items = Self.items(5)
        let created = try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(items))
        #expect(created.status.code == 201, "\(created.bodyText)")
        let job = try f.object(created)
        let jobID = try #require(job["id"] as? String)
        // One escrow for the whole batch: the maximum price plus its fee, as for one input.
        #expect(job["escrow"] as? Int == 10_250 && job["batch_items"] as? Int == 5)
        #expect((job["input"] as? [String: Any])?["shape"] as? [Int] == [5, 64])

        let open = try f.object(try await f.send(.get, "/v1/market/jobs", key: worker.key))
        #expect((open["jobs"] as? [[String: Any]])?.first?["batch_items"] as? Int == 5)
        f.clock.advance(seconds: 30)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: worker.key, json: ["worker_id": worker.workerID]))
        #expect(lock["price"] as? Int == 5_500)
        let settled = try await prove(f, jobID: jobID, worker: worker, nonce: try #require(lock["nonce"] as? String), items: items)
        #expect(settled["price"] as? Int == 5_500 && settled["worker_payment"] as? Int == 5_363)
        let output = try #require(settled["output"] as? [String: Any])
        #expect(output["shape"] as? [Int] == [5, 10])
        #expect(output["clamped_input_by_item"] as? [Int] == items.map { RealProofs.output(for: $0).clampedInput ?? -1 })
        try await expectFulfilled(f, jobID: jobID, clientKey: clientKey, items: items)

        // Submitting again settles nothing twice and answers with the same outputs.
        let proof = RealProofs.prove(jobID: UUID(uuidString: jobID)!, workerID: UUID(uuidString: worker.workerID)!,
                                     nonce: lock["nonce"] as! String, input: Self.batchTensor(items))
        let again = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: worker.key,
                                                   json: ["worker_id": worker.workerID, "proof": Data(proof).base64EncodedString()]))
        #expect((again["output"] as? [String: Any])?["quantised"] as? [Int64] == output["quantised"] as? [Int64])
        try await f.expectLedgerIntact()
    }

    @Test func sealedBatch_AwardedProvedAndSettled() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let worker = try await f.worker()
        let items = Self.items(3, from: 4)
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(items, auction: "sealed")))["id"] as? String)
        let bid = try await f.send(.post, "/v1/jobs/\(jobID)/bids", key: worker.key, json: ["worker_id": worker.workerID, "price": 3_000])
        #expect(bid.status.code == 201, "\(bid.bodyText)")
        f.clock.advance(seconds: 30)
        #expect(try await Sweeper(market: f.market).runOnce().auctionsAwarded == 1)
        let admin = try await f.market.authenticate(key: f.adminKey)
        let locked = try await f.market.job(try #require(UUID(uuidString: jobID)), by: admin)
        #expect(locked.status == .locked && locked.lockPrice == 3_000)
        let settled = try await prove(f, jobID: jobID, worker: worker, nonce: try #require(locked.nonce), items: items)
        #expect(settled["price"] as? Int == 3_000)
        try await expectFulfilled(f, jobID: jobID, clientKey: clientKey, items: items)
    }

    @Test func batchGivenAsOneTensor_WithTheBatchFirst_IsTheSameBatch() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let items = Self.items(3)
        var body = APIFixture.dutchJob
        body["input"] = ["shape": [3, 64], "values": Self.batchTensor(items).values]
        let job = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: body))
        #expect(job["batch_items"] as? Int == 3)
        // Items without their leading 1 are the same items.
        var flat = Self.job(items)
        flat["inputs"] = items.map { ["shape": [64], "values": $0.values] }
        #expect(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: flat))["batch_items"] as? Int == 3)
        // An extra leading dimension is not read as a batch; both forms at once are refused.
        body["input"] = ["shape": [1, 3, 64], "values": Self.batchTensor(items).values]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: body), 422, "input_shape_mismatch")
        var both = Self.job(items)
        both["input"] = APIFixture.dutchJob["input"]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: both), 422, "invalid_request")
        var mixed = Self.job(items)
        mixed["inputs"] = [["shape": [1, 64], "values": items[0].values], ["shape": [1, 63], "values": Array(items[1].values.prefix(63))]]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: mixed), 422, "input_shape_mismatch")
    }

    @Test func batchAtTheConfiguredLimit_IsTaken_OnePast_IsBatchTooLarge() async throws {
        var configuration = MarketConfiguration()
        configuration.batchInputsMax = 4
        let f = try await APIFixture.make(configuration: configuration)
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let atLimit = try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(Self.items(4)))
        #expect(atLimit.status.code == 201, "\(atLimit.bodyText)")
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(Self.items(5))), 422, "batch_too_large")
        var tensor = APIFixture.dutchJob
        tensor["input"] = ["shape": [5, 64], "values": Self.batchTensor(Self.items(5)).values]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: tensor), 422, "batch_too_large")
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job([])), 422, "batch_too_large")
        // The model states its limit.
        let model = try f.object(try await f.send(.get, "/v1/models/\(APIFixture.modelID)", key: clientKey))
        #expect(model["batch_inputs_max"] as? Int == 4)
        try await f.expectLedgerIntact()
    }

    @Test func defaultLimit_Is4096_AndABatchOfOneMoreIsRefused() async throws {
        #expect(MarketConfiguration().batchInputsMax == 4_096)
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        // Every proof of the digits MLP's largest batch fits the proof limit, so the configured limit is its limit.
        let model = try f.object(try await f.send(.get, "/v1/models/\(APIFixture.modelID)", key: clientKey))
        #expect(model["batch_inputs_max"] as? Int == 4_096)
        #expect(RealProofs.loaded.commitment.proofByteBound(items: 4_096) <= Market.proofBytesMax)
        let item = RealProofs.input(0).values
        var body = APIFixture.dutchJob
        body["input"] = ["shape": [4_097, 64], "values": Array([[Double]](repeating: item, count: 4_097).joined())]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: body), 422, "batch_too_large")
        body["input"] = ["shape": [4_096, 64], "values": Array([[Double]](repeating: item, count: 4_096).joined())]
        let atLimit = try await f.send(.post, "/v1/jobs", key: clientKey, json: body)
        #expect(atLimit.status.code == 201, "\(atLimit.bodyText)")
        #expect(try f.object(atLimit)["batch_items"] as? Int == 4_096)
    }

    @Test func modelThatMixesItems_RefusesBatchesOfMoreThanOne_WithItsOwnCode() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        // The recurrent zoo model (GRU, batch 1) runs its steps across a sequence: not batchable.
        let onnxURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("InferenceTests/Fixtures/zoo/gru.torchscript.onnx")
        let onnx = Array(try Data(contentsOf: onnxURL))
        let importer = InferenceModelImporter()
        #expect(!(try importer.quantizedModel(onnx)).spec.batchable)
        let admin = try await f.market.authenticate(key: f.adminKey)
        let facts = try importer.importModel(onnx)
        let model = try await f.market.registerModel(id: importer.digest(of: onnx), owner: admin.accountID, name: "gru",
                                                     onnx: onnx, facts: facts).model
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let elements = facts.inputShape.reduce(1, *)
        let item = Tensor(shape: facts.inputShape, values: (0..<elements).map { Double($0 % 7) / 8 })
        var body = Self.job([item, item])
        body["model_id"] = model.id
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: body), 422, "batch_not_supported")
        var tensor = APIFixture.dutchJob
        tensor["model_id"] = model.id
        tensor["input"] = ["shape": [2] + facts.inputShape.dropFirst(), "values": item.values + item.values]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: tensor), 422, "batch_not_supported")
        // One input, given either way, is a job as always; the model states it takes one.
        body = Self.job([item])
        body["model_id"] = model.id
        let single = try await f.send(.post, "/v1/jobs", key: clientKey, json: body)
        let singleJob = try f.object(single)
        #expect(single.status.code == 201 && singleJob["batch_items"] as? Int == 1, "\(single.bodyText)")
        let view = try f.object(try await f.send(.get, "/v1/models/\(model.id)", key: clientKey))
        #expect(view["batch_inputs_max"] as? Int == 1)
        try await f.expectLedgerIntact()
    }

    @Test func batchWhoseProofCouldPassTheProofLimit_IsRefused_TheModelStatesItsLimit() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        // The large digits MLP (64 → 256 → 256 → 10): each item adds 522 pre-activations to a
        // proof, so fewer than 4096 items fit the proof limit.
        let onnxURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("models/digits-mlp-large.onnx")
        let onnx = Array(try Data(contentsOf: onnxURL))
        let importer = InferenceModelImporter()
        let facts = try importer.importModel(onnx)
        let commitment = try ModelCommitment(decoding: facts.commitment)
        let limit = commitment.batchItemsMax
        #expect(limit > 1 && limit < 4_096)
        #expect(commitment.proofByteBound(items: limit) <= Market.proofBytesMax)
        #expect(commitment.proofByteBound(items: limit + 1) > Market.proofBytesMax)
        let admin = try await f.market.authenticate(key: f.adminKey)
        let model = try await f.market.registerModel(id: importer.digest(of: onnx), owner: admin.accountID, name: "large",
                                                     onnx: onnx, facts: facts).model
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let view = try f.object(try await f.send(.get, "/v1/models/\(model.id)", key: clientKey))
        #expect(view["batch_inputs_max"] as? Int == limit)
        let item = RealProofs.input(0).values
        var body = APIFixture.dutchJob
        body["model_id"] = model.id
        body["input"] = ["shape": [limit + 1, 64], "values": Array([[Double]](repeating: item, count: limit + 1).joined())]
        let past = try await f.send(.post, "/v1/jobs", key: clientKey, json: body)
        try f.expectProblem(past, 422, "batch_proof_too_large")
        #expect(past.bodyText.contains("at most \(limit) inputs"), "\(past.bodyText)")
        body["input"] = ["shape": [limit, 64], "values": Array([[Double]](repeating: item, count: limit).joined())]
        let at = try await f.send(.post, "/v1/jobs", key: clientKey, json: body)
        #expect(at.status.code == 201, "\(at.bodyText)")
    }

    @Test func proofByteBound_HoldsForARealBatchProof() throws {
        let loaded = RealProofs.loaded
        let items = Self.items(7)
        let proof = RealProofs.prove(jobID: UUID(), workerID: UUID(), nonce: "n", input: Self.batchTensor(items))
        #expect(proof.count <= loaded.commitment.proofByteBound(items: 7))
        #expect(loaded.commitment.proofByteBound(items: 7) < loaded.commitment.proofByteBound(items: 8))
        #expect(loaded.commitment.batchItemsMax == InferenceLimits.batchItemsMax)
    }

    /// The 100-tree random forest fixture (breast cancer, 30 features) and its onnxruntime inputs,
    /// registered as the tree fixtures are: 32-bit activations, scales from 64 inputs.
    static func forest() throws -> (onnx: [UInt8], inputs: [[Double]], options: QuantisationOptions) {
        struct Record: Decodable { let inputs: [[Double]] }
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("InferenceTests/Fixtures/sklearn")
        let onnx = Array(try Data(contentsOf: directory.appendingPathComponent("forest_cancer.onnx")))
        let inputs = try JSONDecoder().decode(Record.self, from: Data(contentsOf: directory.appendingPathComponent("forest_cancer.json"))).inputs
        return (onnx, inputs, QuantisationOptions(activationBits: 32, fractionBits: .auto, calibration: Array(inputs.prefix(64))))
    }

    @Test func proofByteBound_HoldsForARealForestBatchProof() throws {
        let (onnx, inputs, options) = try Self.forest()
        let model = try ONNXImporter.importModel(onnx, options: options)
        #expect(model.spec.treeEnsembles.first?.trees.count == 100 && model.layers.isEmpty)
        let commitment = try ModelCommitment(committing: model)
        let x = try inputs.prefix(7).flatMap { try model.quantizeInput(floats: $0) }
        let context = InferenceProofVerifier.context(jobID: UUID(), workerID: UUID(), nonce: "n")
        let proof = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: context).proof
        #expect(proof.count <= commitment.proofByteBound(items: 7), "\(proof.count) > \(commitment.proofByteBound(items: 7))")
        // Each item adds its paths: at most depth + 1 steps in each of the 100 trees.
        let perItem = commitment.proofByteBound(items: 8) - commitment.proofByteBound(items: 7)
        let one = try InferenceProver.prove(model: model, commitment: commitment, input: x.prefix(30).map { $0 }, context: context).proof
        #expect(perItem >= (proof.count - one.count) / 6, "per item \(perItem)")
        #expect(commitment.batchItemsMax > 1 && commitment.batchItemsMax < InferenceLimits.batchItemsMax)
        #expect(commitment.proofByteBound(items: commitment.batchItemsMax) <= ProofLimits.proofBytesMax)
        #expect(commitment.proofByteBound(items: commitment.batchItemsMax + 1) > ProofLimits.proofBytesMax)
    }

    @Test func forestBatchWhoseProofCouldPassTheProofLimit_IsRefused() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let (onnx, inputs, options) = try Self.forest()
        let importer = InferenceModelImporter()
        let facts = try importer.importModel(onnx, options: options)
        let limit = try ModelCommitment(decoding: facts.commitment).batchItemsMax
        #expect(limit > 1 && limit < 4_096)
        let admin = try await f.market.authenticate(key: f.adminKey)
        let model = try await f.market.registerModel(id: importer.digest(of: onnx, options: options), owner: admin.accountID,
                                                     name: "forest", onnx: onnx, facts: facts).model
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let view = try f.object(try await f.send(.get, "/v1/models/\(model.id)", key: clientKey))
        #expect(view["batch_inputs_max"] as? Int == limit)
        func batch(_ n: Int) -> [String: Any] {
            var body = APIFixture.dutchJob
            body["model_id"] = model.id
            body["input"] = ["shape": [n, 30], "values": (0..<n).flatMap { inputs[$0 % inputs.count] }]
            return body
        }
        let past = try await f.send(.post, "/v1/jobs", key: clientKey, json: batch(limit + 1))
        try f.expectProblem(past, 422, "batch_proof_too_large")
        #expect(past.bodyText.contains("at most \(limit) inputs"), "\(past.bodyText)")
        let at = try await f.send(.post, "/v1/jobs", key: clientKey, json: batch(limit))
        #expect(at.status.code == 201, "\(at.bodyText)")
        try await f.expectLedgerIntact()
    }

    @Test func cancelledAndExpiredBatches_ReturnTheirEscrow() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 100_000)
        let worker = try await f.worker()
        let first = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(Self.items(3))))["id"] as? String)
        let cancelled = try f.object(try await f.send(.delete, "/v1/jobs/\(first)", key: clientKey))
        #expect(cancelled["status"] as? String == "cancelled" && cancelled["batch_items"] as? Int == 3)
        try f.expectProblem(try await f.send(.get, "/v1/jobs/\(first)/outputs", key: clientKey), 409, "job_not_fulfilled")

        // A locked batch whose lock runs past the deadline expires: stake slashed, escrow back.
        let second = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(Self.items(3))))["id"] as? String)
        _ = try await f.send(.post, "/v1/jobs/\(second)/lock", key: worker.key, json: ["worker_id": worker.workerID])
        f.clock.advance(seconds: 601)
        _ = try await Sweeper(market: f.market).runOnce()
        let expired = try f.object(try await f.send(.get, "/v1/jobs/\(second)", key: clientKey))
        #expect(expired["status"] as? String == "expired")
        let balance = try f.object(try await f.send(.get, "/v1/admin/accounts/\(clientID)", key: f.adminKey))
        #expect((balance["held"] as? Int) == 0, "\(balance)")
        try await f.expectLedgerIntact()
    }
}
