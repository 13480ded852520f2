/// Why a private proof (or commitment) could not be made.
public enum PrivateProofError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model has an operator the private mode does not prove yet (named as `model inspect` does).
    case unsupportedOperator(String)
    /// The model refused the input.
    case invalidInput(InferenceError)
    /// The material is not this commitment's, or the commitment not this model's.
    case materialMismatch
    /// A pre-activation does not fit its layer's bit table (never for an admissible run).
    case witnessOutOfBound(layer: Int)
    /// A group operation failed in OpenSSL (never a property of the input).
    case groupOperationFailed

    /// The stable machine-readable code.
    public var code: String {
        switch self {
        case .unsupportedOperator: "private_unsupported_operator"
        case .invalidInput: "input_invalid"
        case .materialMismatch: "material_mismatch"
        case .witnessOutOfBound: "private_witness_out_of_bound"
        case .groupOperationFailed: "group_operation_failed"
        }
    }

    /// A sentence a person can act on.
    public var description: String {
        switch self {
        case .unsupportedOperator(let name): "operator \(name) has no private proof yet (prove it in public mode)"
        case .invalidInput(let e): "input rejected: \(e)"
        case .materialMismatch: "the blinding material does not belong to this commitment and model"
        case .witnessOutOfBound(let k): "layer \(k): a pre-activation does not fit the layer's bound"
        case .groupOperationFailed: "a group operation failed"
        }
    }
}
