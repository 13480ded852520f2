import Foundation
import Testing
@testable import Inference

/// The model zoo (`Fixtures/zoo`, written once by scripts/fixtures/make_zoo.py with torch and
/// onnxruntime): real exports of both torch exporters. Each file the importer takes must agree
/// with onnxruntime on the committed inputs and prove; each it refuses must say which node
/// and operator stopped it. Serialized: each case runs 64 inferences and a few proofs of a
/// real network, and the other suites of the run share the same two cores.
@Suite(.serialized) struct ZooTests {
    struct Manifest: Decodable {
        let fixtures: [Entry]
    }

    struct Entry: Decodable {
        let model: String
        let file: String
        let exporter: String
        let task: String
        let samples: Int
        let inputsFile: String
        let outputsFile: String
        let sampleInputShape: [Int]
        let sampleOutputShape: [Int]
        let dynamicBatch: Bool

        enum CodingKeys: String, CodingKey {
            case model, file, exporter, task, samples
            case inputsFile = "inputs_file", outputsFile = "outputs_file"
            case sampleInputShape = "sample_input_shape", sampleOutputShape = "sample_output_shape"
            case dynamicBatch = "dynamic_batch"
        }
    }

    /// The architectures the importer takes today (both exporters of each). The others need
    /// smooth activations, normalisation, recurrent layers or committed constant tensors: all do now.
    static let importable: Set<String> = [
        "lenet5", "cnn_batchnorm", "residual", "global_avgpool", "depthwise", "conv1d_series", "concat_branches", "dynamic_batch",
        "mlp_activations", "lstm", "gru", "transformer_encoder",
    ]

    /// Largest error allowed on a regressor's output, in output units (2^-8 scales, a handful of layers).
    static let regressorErrorMax = 0.05

    static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/zoo") else {
            throw Fixtures.FixtureMissing(name: name)
        }
        return try Data(contentsOf: url)
    }

    static let manifest: Manifest? = try? JSONDecoder().decode(Manifest.self, from: data("manifest.json"))

    static func floats(_ name: String) throws -> [Double] {
        let bytes = [UInt8](try data(name))
        return stride(from: 0, to: bytes.count - 3, by: 4).map { i in
            Double(Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24))
        }
    }

    static var entries: [Entry] { manifest?.fixtures ?? [] }

    @Test func manifestLists_BothExportersOfEveryArchitecture() throws {
        let entries = try #require(Self.manifest).fixtures
        #expect(entries.count == 24)
        #expect(Set(entries.map(\.model)).count == 12)
        #expect(Self.importable.isSubset(of: Set(entries.map(\.model))))
    }

    @Test(arguments: entries.filter { importable.contains($0.model) }.map(\.file))
    func importable_AgreesWithOnnxruntime_AndProves(file: String) throws {
        let entry = try #require(Self.entries.first { $0.file == file })
        let model = try ONNXImporter.importModel([UInt8](try Self.data(file)))
        let inputs = try Self.floats(entry.inputsFile), outputs = try Self.floats(entry.outputsFile)
        let inSize = entry.sampleInputShape.reduce(1, *), outSize = entry.sampleOutputShape.reduce(1, *)
        #expect(inputs.count == entry.samples * inSize && outputs.count == entry.samples * outSize)
        #expect(entry.samples >= 50)
        var agree = 0, worst = 0.0
        var quantised: [[Int64]] = []
        for s in 0..<entry.samples {
            let x = try model.quantizeInput(floats: Array(inputs[(s * inSize)..<((s + 1) * inSize)]), shape: model.spec.inputShape)
            quantised.append(x)
            let y = model.dequantizeOutput(try model.run(x).output)
            let reference = Array(outputs[(s * outSize)..<((s + 1) * outSize)])
            #expect(y.count == outSize)
            if argmax(y) == argmax(reference) { agree += 1 }
            worst = max(worst, zip(y, reference).map { abs($0 - $1) }.max() ?? 0)
        }
        if entry.task == "classifier" {
            // Argmax agreement with onnxruntime on at least 95 % of the committed inputs.
            #expect(agree * 100 >= 95 * entry.samples, "\(file): argmax agrees on \(agree) of \(entry.samples); largest error \(worst)")
        } else {
            #expect(worst <= Self.regressorErrorMax, "\(file): largest error \(worst)")
        }
        // Two single proofs, and for a batchable model a batch of eight in one proof.
        let commitment = try ModelCommitment(committing: model)
        let context = BindingContext(jobID: "zoo", workerID: file, nonce: "1")
        for x in quantised.prefix(2) {
            let (y, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: context)
            #expect(try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof, context: context) == y)
        }
        // A dynamic batch dimension, and a fixed batch of 1 whose steps keep items apart, batch alike.
        if entry.dynamicBatch { #expect(model.spec.batchable) }
        if model.spec.batchable {
            let batch = quantised.prefix(8).flatMap { $0 }
            let (y, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: batch, context: context)
            #expect(y == (try quantised.prefix(8).flatMap { try model.run($0).output }))
            #expect(try InferenceVerifier.verify(commitment: commitment, input: batch, proof: proof, context: context) == y)
        }
    }

    @Test(arguments: entries.filter { !importable.contains($0.model) }.map(\.file))
    func refused_NamesTheNodeAndTheOperator(file: String) throws {
        let bytes = [UInt8](try Self.data(file))
        do {
            _ = try ONNXImporter.importModel(bytes)
            Issue.record("\(file) imports now: add it to ZooTests.importable")
        } catch {
            #expect(["unsupported_operator", "unsupported_graph", "unsupported_attribute"].contains(error.code), "\(error)")
            #expect(error.description.contains("node"), "\(error)")
        }
    }
}
