import MarketTestSupport
import API
import Foundation
import HTTPServer
@testable import Inference
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
    /// The moved-threshold report of a tree model's registration, as the API shows it.
    static func treeThresholds(_ model: [String: Any]) throws -> [[String: Any]] {
        let text = try #require(model["quantisation"] as? String)
        let quantisation = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return try #require(quantisation["tree_thresholds"] as? [[String: Any]], "\(text)")
    }

    @Test func movedThresholds_AreReportedAtRegistration() async throws {
        let onnx = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("tree_iris.onnx")))
        let record = try JSONDecoder().decode(Record.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("tree_iris.json")))
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, key) = try await f.account("client")
        func register(_ quantisation: [String: Any], _ name: String) async throws -> [String: Any] {
            let body: [String: Any] = ["onnx": Data(onnx).base64EncodedString(), "quantisation": quantisation]
            let created = try await f.send(.post, "/v1/models?name=\(name)", key: key, json: body)
            #expect(created.status.code == 202, "\(created.bodyText)")
            let id = try #require(try f.object(created)["id"] as? String)
            let model = try await f.settledModel(id, key: key)
            #expect(model["status"] as? String == "ready", "\(model)")
            // Registering the same again answers with the ready model and the same report.
            let again = try f.object(try await f.send(.post, "/v1/models?name=\(name)", key: key, json: body))
            #expect(again["quantisation"] as? String == model["quantisation"] as? String)
            return model
        }
        // At 32-bit activations no iris threshold moves across these 64 inputs.
        let fine = try Self.treeThresholds(try await register(["activation_bits": 32, "fraction_bits": "auto",
                                                                "calibration": Array(record.inputs.prefix(64))], "fine"))
        #expect(fine.count == 1)
        #expect(fine.first?["checked"] as? Bool == true && fine.first?["calibration_inputs"] as? Int == 64
                && fine.first?["moved"] as? Int == 0 && (fine.first?["examples"] as? [Any])?.isEmpty == true, "\(fine)")
        // Two values of the root's feature either side of its threshold, closer than the quantum.
        let proto = try Onnx_ModelProto(serializedBytes: onnx)
        let node = try #require(proto.graph.node.first { $0.opType == "TreeEnsembleClassifier" })
        let feature = Int(try #require(node.attribute.first { $0.name == "nodes_featureids" }).ints[0])
        let threshold = try #require(node.attribute.first { $0.name == "nodes_values" }).floats[0]
        var below = record.inputs[0], above = record.inputs[0]
        below[feature] = Double(threshold.nextDown)
        above[feature] = Double(threshold.nextUp)
        let coarse = try Self.treeThresholds(try await register(["fraction_bits": "auto",
                                                                  "calibration": Array(record.inputs.prefix(30)) + [below, above]], "coarse"))
        let report = try #require(coarse.first)
        #expect(report["checked"] as? Bool == true && report["calibration_inputs"] as? Int == 32)
        let moved = try #require(report["moved"] as? Int)
        let examples = try #require(report["examples"] as? [[String: Any]])
        #expect(moved >= 1 && examples.count == min(moved, TreeThresholdReport.listed), "\(report)")
        let root = try #require(examples.first { $0["tree"] as? Int == 0 && $0["node"] as? Int == 0 }, "\(report)")
        #expect(root["feature"] as? Int == feature && root["threshold"] as? Double == Double(threshold), "\(root)")
        #expect(root["quantised_threshold"] as? Double != nil && root["value"] as? Double != nil && root["quantised_value"] as? Double != nil)
        // The library reports the same count.
        let library = try ONNXImporter.importModelReporting(onnx, options: QuantisationOptions(
            fractionBits: .auto, calibration: Array(record.inputs.prefix(30)) + [below, above]))
        #expect(library.treeThresholds.first?.movedCount == moved)
    }
}
