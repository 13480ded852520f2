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

/// Bounded file reading for every file the proof commands take.
enum FileInput {
    /// The file's bytes, refusing one larger than `limit` bytes before reading it whole.
    static func read(_ path: String, limit: Int) throws -> [UInt8] {
        let url = URL(fileURLWithPath: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size else { throw ProofCommandError.unreadable(path: path) }
        guard size <= limit else { throw ProofCommandError.tooLarge(path: path, bytes: size, limit: limit) }
        guard let data = try? Data(contentsOf: url) else { throw ProofCommandError.unreadable(path: path) }
        return [UInt8](data)
    }

    /// An ONNX model read from disk and imported with the default quantisation.
    static func model(_ path: String) throws -> QuantizedModel {
        try ONNXImporter.importModel(read(path, limit: InferenceLimits.modelBytesMax))
    }
}

extension FileInput {
    /// A commitment file written by `model commit`, decoded and validated.
    static func commitment(_ path: String) throws -> ModelCommitment {
        try ModelCommitment(decoding: read(path, limit: ProofLimits.commitmentBytesMax))
    }
}

/// Writing of the files the proof commands produce.
enum FileOutput {
    /// Writes `bytes` to `path` atomically (a half-written proof is never left behind).
    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ProofCommandError.unwritable(path: path)
        }
    }
}

/// Errors of the proof commands (`model`, `infer`, `prove`, `verify`) before any proof work, with stable codes.
enum ProofCommandError: Error, CustomStringConvertible {
    /// A file is missing or cannot be read.
    case unreadable(path: String)
    /// An output file cannot be written.
    case unwritable(path: String)
    /// A file is larger than the command accepts.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// The input JSON is not `{"shape": [...], "data": [...]}`.
    case badInput(path: String, detail: String)
    /// `--context` is not `JOB:WORKER:NONCE`.
    case badContext(String)

    /// Stable code, printed first.
    var code: String {
        switch self {
        case .unreadable: "file_unreadable"
        case .unwritable: "file_unwritable"
        case .tooLarge: "file_too_large"
        case .badInput: "input_malformed"
        case .badContext: "context_malformed"
        }
    }

    var description: String {
        switch self {
        case .unreadable(let path): "\(code): cannot read \(path)"
        case .unwritable(let path): "\(code): cannot write \(path)"
        case .tooLarge(let path, let bytes, let limit): "\(code): \(path) is \(bytes) bytes, the limit is \(limit)"
        case .badInput(let path, let detail): "\(code): \(path): \(detail)"
        case .badContext(let text): "\(code): context '\(text)' must be JOB:WORKER:NONCE"
        }
    }
}
