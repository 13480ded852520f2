import ZKProof

/// Why a proof was rejected. Each case names the check that failed; `code` is stable.
public enum ProofVerificationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The proof is larger than `ProofLimits.proofBytesMax`; nothing was decoded.
    case proofTooLarge(bytes: Int, limit: Int)
    /// The bytes are not a well-formed v1 proof for this model's shapes.
    case malformedProof(ProofFormatError)
    /// The input has the wrong length or a value outside the model's input range.
    case invalidInput(InferenceError)
    /// A pre-activation is outside `±2^B` for its layer's accumulator bound `B`.
    case preActivationOutOfBound(layer: Int, index: Int, bits: Int)
    /// A non-linear step could not be recomputed from the trace.
    case traceRejected(layer: Int, reason: InferenceError)
    /// The verified output differs from the one the caller expected (`index` −1: length).
    case outputMismatch(index: Int)
    /// `Z̃(r, q) ≠ ⟨W̃(r, ·), X̃(·, q)⟩ + b̃(r)·Σ eq(q)` for a layer: the trace is not the product.
    case linearCheckFailed(layer: Int, expected: Scalar, actual: Scalar)
    /// The sum-check of the element-wise layers failed (a round, the final check, or the fold
    /// of a weight combination to its claimed evaluation): some `Z` of such a layer is not
    /// `w ⊙ X + b`.
    case elementwiseCheckFailed(SumCheckError)
    /// A tree-ensemble step's paths or table claims failed (the code is the tree check's:
    /// `tree_path_root`, `tree_branch_mismatch`, `tree_table_check_failed`, …).
    case treeRejected(step: Int, TreeVerificationError)
    /// The batched opening of the weight and bias commitments failed: some `t_k` or `β_k` is
    /// not the row combination of the committed weights.
    case commitmentOpeningFailed
    /// A check of a private proof failed: `step` names the layer and the argument
    /// (booleanity, clamp, complement, linear, output), `check` the equation or sub-proof.
    case privateCheckFailed(step: String, check: String)
    /// A hidden input's opening does not open the proof's input commitment (other values,
    /// other blindings, or a table of another shape).
    case inputOpeningMismatch

    /// The stable machine-readable code.
    public var code: String {
        switch self {
        case .proofTooLarge: "proof_too_large"
        case .malformedProof: "proof_malformed"
        case .invalidInput: "input_invalid"
        case .preActivationOutOfBound: "pre_activation_out_of_bound"
        case .traceRejected: "trace_rejected"
        case .outputMismatch: "output_mismatch"
        case .linearCheckFailed: "linear_check_failed"
        case .elementwiseCheckFailed: "elementwise_check_failed"
        case .treeRejected(_, let e): e.code
        case .commitmentOpeningFailed: "commitment_opening_failed"
        case .privateCheckFailed: "private_check_failed"
        case .inputOpeningMismatch: "input_opening_mismatch"
        }
    }

    /// A sentence a person can act on.
    public var description: String {
        switch self {
        case .proofTooLarge(let bytes, let limit): "proof of \(bytes) bytes exceeds the \(limit)-byte limit"
        case .malformedProof(let e): "malformed proof: \(e)"
        case .invalidInput(let e): "input rejected: \(e)"
        case .preActivationOutOfBound(let layer, let index, let bits):
            "layer \(layer): pre-activation \(index) is outside ±2^\(bits)"
        case .traceRejected(let layer, let e): "layer \(layer): trace rejected: \(e)"
        case .outputMismatch(let index): index < 0 ? "output length differs from the expected output"
            : "output \(index) differs from the expected output"
        case .linearCheckFailed(let layer, let expected, let actual):
            "layer \(layer): linear check failed (Z̃(r,q) = \(expected), W̃·X̃ + b̃ = \(actual))"
        case .elementwiseCheckFailed(let e): "element-wise layers: check failed: \(e)"
        case .treeRejected(let step, let e): "tree-ensemble step \(step): \(e)"
        case .commitmentOpeningFailed: "the weight commitment opening failed"
        case .privateCheckFailed(let step, let check): "private proof, \(step): \(check)"
        case .inputOpeningMismatch: "the input opening does not open the proof's input commitment"
        }
    }
}

/// Why a proof could not be made.
public enum ProvingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The commitment was made for a different model (digest or description differ).
    case commitmentMismatch
    /// The model refused the input.
    case invalidInput(InferenceError)

    /// The stable machine-readable code.
    public var code: String {
        switch self {
        case .commitmentMismatch: "commitment_mismatch"
        case .invalidInput(let e): e.code
        }
    }

    /// A sentence a person can act on.
    public var description: String {
        switch self {
        case .commitmentMismatch: "the commitment was made for a different model"
        case .invalidInput(let e): "input rejected: \(e)"
        }
    }
}
