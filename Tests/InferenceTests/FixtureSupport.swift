import BundledAssets
import Foundation
@testable import Inference

/// The committed fixtures (written by scripts/make_fixtures.py) and their test-set sample;
/// `mlp_large` is the demo's model, `models/digits-mlp-large.onnx`.
enum Fixtures {
    /// The trained digits models, each compared against onnxruntime's float outputs.
    static let trainedModels = ["mlp_small", "mlp_large", "cnn_max", "cnn_avg"]

    /// Fixtures that are the product's own files (`models/`), read from the copies built into
    /// the program, so the tests check exactly the bytes the demo runs.
    static let productModels: [String: [UInt8]] = ["mlp_large": BundledAssets.demoModel]

    /// Raw bytes of `Fixtures/<name>.onnx` (or of the product's model of that name).
    static func bytes(_ name: String) throws -> [UInt8] {
        if let bytes = productModels[name] {
            guard !bytes.isEmpty else { throw FixtureMissing(name: name) }
            return bytes
        }
        guard let url = Bundle.module.url(forResource: name, withExtension: "onnx", subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return [UInt8](try Data(contentsOf: url))
    }

    /// The fixture imported with the default quantisation.
    static func model(_ name: String, config: QuantizationConfig = .default) throws -> QuantizedModel {
        try ONNXImporter.importModel(bytes(name), config: config)
    }

    /// The decoded `digits_sample.json`, loaded once.
    static let sample: Sample = {
        guard let url = Bundle.module.url(forResource: "digits_sample", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url),
              let sample = try? JSONDecoder().decode(Sample.self, from: data) else {
            return Sample(pixelScale: 0, pixels: [], labels: [], models: [:])
        }
        return sample
    }()

    /// Mirror of the JSON the fixture script writes.
    struct Sample: Decodable {
        let pixelScale: Double
        let pixels: [[Int]]
        let labels: [Int]
        let models: [String: ModelOutputs]

        /// Input `i` as the model's float input (pixel / 16).
        func input(_ i: Int) -> [Double] { pixels[i].map { Double($0) * pixelScale } }
    }

    /// onnxruntime's float outputs for one model.
    struct ModelOutputs: Decodable {
        let file: String
        let inputShape: [Int]
        let outputs: [[Double]]
        let argmax: [Int]
    }

    struct FixtureMissing: Error { let name: String }
}

/// Index of the largest value (first one on ties), as numpy's argmax.
func argmax<T: Comparable>(_ v: [T]) -> Int {
    var best = 0
    for i in v.indices where v[i] > v[best] { best = i }
    return best
}
