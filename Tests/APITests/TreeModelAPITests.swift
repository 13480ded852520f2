import MarketTestSupport
import API
import Foundation
import HTTPServer
import Inference
import Market
import Testing

/// A random forest registered over the API like any ONNX model, and a job on it through lock,
/// a real worker proof, verification and settlement.
@Suite struct TreeModelAPITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("InferenceTests/Fixtures/sklearn")

    struct Record: Decodable {
        let inputs: [[Double]]
        let labels: [Int]
    }

    @Test func forestModel_RegistersProvesVerifiesAndSettles() async throws {
        let onnx = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("forest_digits_zipmap.onnx")))
        let record = try JSONDecoder().decode(Record.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("forest_digits_zipmap.json")))
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let created = try await f.send(.post, "/v1/models?name=forest", key: clientKey, bytes: onnx)
        #expect(created.status.code == 202, "\(created.bodyText)")
        let modelID = try #require(try f.object(created)["id"] as? String)
        let model = try await f.settledModel(modelID, key: clientKey)
        #expect(model["status"] as? String == "ready", "\(model)")
        let commitmentHex = try #require(model["commitment"] as? String)
        let commitment = try ModelCommitment(decoding: try #require(Receipt.bytes(hex: commitmentHex)))
        #expect(commitment.spec.treeEnsembles.count == 1)
        // The worker's model: the same file imported the same way.
        let quantised = try ONNXImporter.importModel(onnx)
        #expect(quantised.digest == commitment.modelDigest)

        let (workerKey, workerID) = try await f.worker()
        var job = APIFixture.dutchJob
        job["model_id"] = modelID
        job["input"] = ["shape": [1, 64], "values": record.inputs[0]]
        let jobObject = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: job))
        let jobID = try #require(jobObject["id"] as? String)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID]))
        let nonce = try #require(lock["nonce"] as? String)
        let x = try quantised.quantizeInput(floats: record.inputs[0], shape: [1, 64])
        let context = InferenceProofVerifier.context(jobID: try #require(UUID(uuidString: jobID)),
                                                     workerID: try #require(UUID(uuidString: workerID)), nonce: nonce)
        let (expected, proof) = try InferenceProver.prove(model: quantised, commitment: commitment, input: x, context: context)
        let settled = try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                                       json: ["worker_id": workerID, "proof": Data(proof).base64EncodedString()])
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        let result = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(result["status"] as? String == "fulfilled", "\(result)")
        let output = try #require(result["output"] as? [String: Any])
        let proven = try #require(output["quantised"] as? [Int]).map(Int64.init)
        #expect(proven == expected)
        // The label is classes[argmax] of the proven probabilities, onnxruntime's label.
        #expect(commitment.spec.labels(forOutput: proven) == [.integer(Int64(record.labels[0]))])
        try await f.expectLedgerIntact()
    }
}
