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

    /// A private commitment file written by `model commit --private`.
    static func privateCommitment(_ path: String) throws -> PrivateCommitment {
        try PrivateCommitment(decoding: read(path, limit: PrivateProofLimits.commitmentBytesMax))
    }

    /// The blinding material written beside a private commitment, checked to be that commitment's.
    static func material(_ path: String, for commitment: PrivateCommitment) throws -> PrivateMaterial {
        try PrivateMaterial(decoding: read(path, limit: PrivateProofLimits.commitmentBytesMax), for: commitment)
    }

    /// A commitment file of either mode, told apart by its magic.
    static func anyCommitment(_ path: String) throws -> CommitmentFile {
        let bytes = try read(path, limit: max(ProofLimits.commitmentBytesMax, PrivateProofLimits.commitmentBytesMax))
        if bytes.starts(with: Array("PMZC".utf8)) { return .private(try PrivateCommitment(decoding: bytes)) }
        guard bytes.count <= ProofLimits.commitmentBytesMax else {
            throw ProofCommandError.tooLarge(path: path, bytes: bytes.count, limit: ProofLimits.commitmentBytesMax)
        }
        return .public(try ModelCommitment(decoding: bytes))
    }
}

/// A commitment file: a public (v1) model commitment or a private (v2) hiding one.
enum CommitmentFile {
    case `public`(ModelCommitment)
    case `private`(PrivateCommitment)

    var mode: ProofMode {
        switch self {
        case .public: .public
        case .private: .private
        }
    }

    var spec: ModelSpec {
        switch self {
        case .public(let c): c.spec
        case .private(let c): c.spec
        }
    }
}
