import Inference

/// The inference layer's private proofs (protocol v2, `Sources/Inference/Proof/Private/`) as
/// the market uses them: readiness per step, fresh hiding commitments, verification.
public struct InferencePrivateProofs: PrivateProofSystem {
    /// Creates the adapter (it holds no state).
    public init() {}

    /// Each step with its readiness; a chain of ready steps that is not a whole private-ready
    /// graph (its output not the last step's, say) adds the step `graph`, not ready.
    public func operators(_ spec: ModelSpec) -> [PrivateOperator] {
        var steps = PrivateReadiness.operators(spec).map { PrivateOperator(name: $0.name, privateReady: $0.privateReady) }
        let unsupported = PrivateReadiness.unsupportedOperators(spec)
        if unsupported.contains("graph") { steps.append(PrivateOperator(name: "graph", privateReady: false)) }
        return steps
    }

    /// A fresh hiding commitment of the model and its material.
    public func commit(_ model: QuantizedModel) throws -> PrivateModelCommitment {
        let (commitment, material) = try PrivateProver.commit(model)
        return PrivateModelCommitment(id: commitment.id, encoded: commitment.encoded, material: material.encoded)
    }

    /// Decodes the stored commitment, then verifies; every failure is a code and a sentence.
    public func verify(commitment: [UInt8], input: [Int64], proof: [UInt8], context: BindingContext)
        -> Result<[Int64], PrivateProofFailure> {
        let decoded: PrivateCommitment
        do {
            decoded = try PrivateCommitment(decoding: commitment)
        } catch {
            return .failure(PrivateProofFailure(code: "commitment_invalid", message: "the model's private commitment does not decode: \(error)"))
        }
        do {
            return .success(try PrivateVerifier.verify(commitment: decoded, input: input, proof: proof, context: context))
        } catch {
            return .failure(PrivateProofFailure(code: error.code, message: "\(error)"))
        }
    }

    /// Decodes the stored commitment, verifies the proof, then opens its input commitment with
    /// the opening; every failure is a code and a sentence.
    public func verifyHidingInput(commitment: [UInt8], proof: [UInt8], opening: [UInt8]?, context: BindingContext)
        -> Result<HiddenInputVerdict, PrivateProofFailure> {
        let decoded: PrivateCommitment
        do {
            decoded = try PrivateCommitment(decoding: commitment)
        } catch {
            return .failure(PrivateProofFailure(code: "commitment_invalid", message: "the model's private commitment does not decode: \(error)"))
        }
        let verified: (output: [Int64], inputCommitment: PrivateInputCommitment)
        do {
            verified = try PrivateVerifier.verifyHidingInput(commitment: decoded, proof: proof, context: context)
        } catch {
            return .failure(PrivateProofFailure(code: error.code, message: "\(error)"))
        }
        guard let opening else {
            return .failure(PrivateProofFailure(code: "input_opening_required", message: "the proof hides its input and came with no opening of it"))
        }
        let decodedOpening: PrivateInputOpening
        do { decodedOpening = try PrivateInputOpening(decoding: opening) } catch {
            return .failure(PrivateProofFailure(code: error.code, message: error.description))
        }
        do {
            let input = try PrivateVerifier.openInput(decodedOpening, inputCommitment: verified.inputCommitment, commitment: decoded)
            return .success(HiddenInputVerdict(output: verified.output, inputCommitment: verified.inputCommitment.encoded,
                                               inputCommitmentID: verified.inputCommitment.id, openedInput: input))
        } catch {
            return .failure(PrivateProofFailure(code: error.code, message: "\(error)"))
        }
    }

    /// The mode the proof's magic declares.
    public func mode(of proof: [UInt8]) -> ProvingMode? {
        ProofFormat.mode(of: proof).flatMap { ProvingMode(rawValue: $0.rawValue) }
    }
}
