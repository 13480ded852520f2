import Foundation
import Inference

/// The JSON input of `prove`, `verify`, `infer` and `client jobs submit`:
/// `{"shape": [...], "values": [...]}` in floats (whole numbers for a model that takes token
/// ids), the same spelling as the API's tensors.
///
/// The floats are quantised with the model's input scale (`ModelSpec.quantizeInput`), so the
/// same file gives the same integer input to the prover and to the verifier. Files written
/// before the spelling was settled name the values `data`; they are still read, with a note
/// on standard error, so old inputs keep working while they are renamed.
struct InputTensor: Decodable {
    /// Largest input file accepted, in bytes.
    static let fileBytesMax = 16 * 1024 * 1024

    /// The tensor shape, batch included (e.g. `[1, 64]`).
    let shape: [Int]
    /// The values in row-major order.
    let values: [Double]
    /// True when the file named them `data` (the deprecated spelling).
    let usedDeprecatedDataKey: Bool

    private enum Keys: String, CodingKey { case shape, values, data }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        shape = try c.decode([Int].self, forKey: .shape)
        if c.contains(.values) {
            guard !c.contains(.data) else {
                throw DecodingError.dataCorruptedError(forKey: .data, in: c, debugDescription: "give `values` or the deprecated `data`, not both")
            }
            values = try c.decode([Double].self, forKey: .values)
            usedDeprecatedDataKey = false
        } else {
            values = try c.decode([Double].self, forKey: .data)
            usedDeprecatedDataKey = true
        }
    }

    /// Decodes an input file's bytes; `path` names it in errors and in the deprecation note
    /// written to `warn` (standard error by default).
    static func decode(_ bytes: [UInt8], path: String, warn: (String) -> Void = InputTensor.standardError) throws -> InputTensor {
        let tensor: InputTensor
        do {
            tensor = try JSONDecoder().decode(InputTensor.self, from: Data(bytes))
        } catch {
            throw ProofCommandError.badInput(path: path, detail: "expected {\"shape\": [...], \"values\": [...]} (\(error))")
        }
        if tensor.usedDeprecatedDataKey {
            warn("warning: \(path): the key `data` is deprecated; name the values `values`, as the API does\n")
        }
        return tensor
    }

    /// Reads and decodes an input file.
    static func load(_ path: String) throws -> InputTensor {
        try decode(try FileInput.read(path, limit: fileBytesMax), path: path)
    }

    /// Writes to standard error.
    static func standardError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// The quantised input for `spec`, refusing a shape that is not the model's.
    func quantized(for spec: ModelSpec) throws -> [Int64] {
        try spec.quantizeInput(floats: values, shape: shape)
    }
}
