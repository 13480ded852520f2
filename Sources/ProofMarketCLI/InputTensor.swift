import Foundation
import Inference

/// The JSON input of `prove`, `verify` and `infer`: `{"shape": [...], "data": [...]}` in floats.
///
/// The floats are quantised with the model's input scale (`ModelSpec.quantizeInput`), so the
/// same file gives the same integer input to the prover and to the verifier.
struct InputTensor: Decodable {
    /// Largest input file accepted, in bytes.
    static let fileBytesMax = 16 * 1024 * 1024

    /// The tensor shape, batch included (e.g. `[1, 64]`).
    let shape: [Int]
    /// The values in row-major order.
    let data: [Double]

    /// Reads and decodes an input file.
    static func load(_ path: String) throws -> InputTensor {
        let bytes = try FileInput.read(path, limit: fileBytesMax)
        do {
            return try JSONDecoder().decode(InputTensor.self, from: Data(bytes))
        } catch {
            throw ProofCommandError.badInput(path: path, detail: "expected {\"shape\": [...], \"data\": [...]} (\(error))")
        }
    }

    /// The quantised input for `spec`, refusing a shape that is not the model's.
    func quantized(for spec: ModelSpec) throws -> [Int64] {
        try spec.quantizeInput(floats: data, shape: shape)
    }
}
