import Foundation
import Inference

/// The real `ProofVerifier`: checks a v1 inference proof against the model's commitment,
/// bound to the job, the worker and the lock's nonce (see `InferenceProtocol`).
///
/// Decoded commitments are kept (by their bytes' digest), since decoding curve points costs
/// more than some checks. The verifier never traps on proof bytes: every failure comes back
/// as `.rejected` with the inference layer's stable code.
public final class InferenceProofVerifier: ProofVerifier {
    private let commitments = BoundedCache<String, ModelCommitment>(capacity: InferenceProofVerifier.cachedCommitmentsMax)
    /// Commitments kept decoded at once.
    public static let cachedCommitmentsMax = 64

    /// Creates a verifier.
    public init() {}

    /// The binding a prover must use for this lock (the worker passes it to `InferenceProver.prove`).
    public static func context(jobID: UUID, workerID: UUID, nonce: String) -> BindingContext {
        BindingContext(jobID: jobID.uuidString.lowercased(), workerID: workerID.uuidString.lowercased(), nonce: nonce)
    }

    /// Checks one proof.
    public func verify(_ r: VerificationRequest) -> VerificationOutcome {
        let commitment: ModelCommitment
        do {
            commitment = try decoded(r.commitment)
        } catch {
            return .rejected(reason: "commitment_invalid", message: "the model's stored commitment does not decode: \(error)")
        }
        let input: [Int64]
        do {
            input = try commitment.spec.quantizeInput(floats: r.input.values, shape: r.input.shape)
        } catch {
            return .rejected(reason: "input_invalid", message: "the job's input does not fit the model: \(error.code)")
        }
        let context = Self.context(jobID: r.jobID, workerID: r.workerID, nonce: r.nonce)
        do {
            let output = try InferenceVerifier.verify(commitment: commitment, input: input, proof: r.proof, context: context)
            return .valid(VerifiedOutput(shape: [1, output.count], quantised: output,
                                         values: commitment.spec.dequantizeOutput(output)))
        } catch {
            return .rejected(reason: error.code, message: "the proof does not verify: \(error)")
        }
    }

    private func decoded(_ bytes: [UInt8]) throws -> ModelCommitment {
        let key = Crypto.hex(Crypto.sha256(bytes))
        if let hit = commitments[key] { return hit }
        let commitment = try ModelCommitment(decoding: bytes)
        commitments.keep(commitment, for: key)
        return commitment
    }
}

/// Turns ONNX bytes into what the market stores: import, quantise (the default
/// configuration), commit. The model's id is the SHA-256 of the ONNX bytes, known before the
/// (possibly slow) import, so an upload can be answered at once and de-duplicated.
public struct InferenceModelImporter: Sendable {
    /// Creates an importer.
    public init() {}

    /// The content address: hex SHA-256 of the ONNX bytes.
    public func digest(of onnx: [UInt8]) -> String { Crypto.hex(Crypto.sha256(onnx)) }

    /// Validates, quantises and commits; throws the inference layer's error for a model it cannot use.
    public func importModel(_ onnx: [UInt8]) throws -> ModelFacts {
        let model = try ONNXImporter.importModel(onnx)
        let commitment = try ModelCommitment.commit(model)
        let spec = model.spec
        let operators = Set(spec.layers.map { layer -> String in
            switch layer.kind {
            case .dense: return "Gemm"
            case .convolution: return "Conv"
            }
        })
        let macs = spec.layers.reduce(Int64(0)) { $0 + Int64($1.rows) * Int64($1.inner) * Int64($1.positions) }
        let config = spec.config
        let quantisation = #"{"activation_bits":\#(config.activationBits),"activation_fraction_bits":\#(config.activationFractionBits),"weight_fraction_bits":\#(config.weightFractionBits)}"#
        return ModelFacts(inputShape: spec.inputShape, outputShape: [1, spec.outputElements], operators: operators.sorted(),
                          quantisationJSON: quantisation, commitment: commitment.encoded, workMacs: macs)
    }

    /// The quantised model itself, for a worker that proves with it.
    public func quantizedModel(_ onnx: [UInt8]) throws -> QuantizedModel { try ONNXImporter.importModel(onnx) }
}
