import Foundation
import Inference

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

    /// An ONNX model read from disk and imported with the scales `flags` name.
    static func model(_ path: String, _ flags: QuantisationFlags) throws -> QuantizedModel {
        try ONNXImporter.importModel(read(path, limit: InferenceLimits.modelBytesMax), options: flags.options())
    }

    /// `model(_:_:)` with what registration reports beside the scales (moved tree thresholds).
    static func modelReporting(_ path: String, _ flags: QuantisationFlags) throws -> ModelImport {
        try ONNXImporter.importModelReporting(read(path, limit: InferenceLimits.modelBytesMax), options: flags.options())
    }
}

extension FileInput {
    /// A commitment file written by `model commit`, decoded and validated.
    static func commitment(_ path: String) throws -> ModelCommitment {
        try ModelCommitment(decoding: read(path, limit: ProofLimits.commitmentBytesMax))
    }
}
