/// The one error type of the `Inference` layer.
///
/// Every case carries a stable `code` (snake_case, never renamed once published) so the API
/// and the CLI can report it unchanged, and a `description` a person can act on.
public enum InferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not a readable ONNX `ModelProto` (garbage, truncated, wrong format).
    case malformedModel(detail: String)
    /// The ONNX file is larger than `InferenceLimits.modelBytesMax`.
    case modelTooLarge(bytes: Int, limit: Int)
    /// A node uses an operator outside the supported set.
    case unsupportedOperator(op: String, node: String)
    /// A supported operator is used with an attribute value v1 does not implement.
    case unsupportedAttribute(op: String, node: String, detail: String)
    /// The graph is not a single chain of supported operators from one input to one output.
    case unsupportedGraph(node: String, detail: String)
    /// A weight, bias or shape tensor the node needs is not an initializer, or is unreadable.
    case invalidInitializer(name: String, detail: String)
    /// A tensor (initializer or activation) holds more than `InferenceLimits.tensorElementsMax`.
    case tensorTooLarge(name: String, elements: Int, limit: Int)
    /// The model has more linear layers than `InferenceLimits.layerCountMax`.
    case tooManyLayers(count: Int, limit: Int)
    /// Shapes do not fit together (node inputs, reshape targets, layer chaining).
    case shapeMismatch(detail: String)
    /// A quantisation parameter is out of its documented range.
    case invalidQuantization(detail: String)
    /// A quantised weight or bias does not fit the integer range the engine allows.
    case weightOutOfRange(layer: Int, value: Double)
    /// The accumulator of a layer could exceed `InferenceLimits.accumulatorBitsMax` bits.
    case accumulatorBoundTooLarge(layer: Int, bits: Int, limit: Int)
    /// An input tensor has the wrong shape or element count for the model.
    case inputShapeMismatch(expected: [Int], actual: [Int])
    /// An input value is not finite or lies outside the model's input range.
    case inputOutOfRange(index: Int, value: String)
    /// An input value of a token-id model is not a whole number in `0..<count`.
    case inputIDOutOfRange(index: Int, value: String, count: Int64)
    /// A trace value differs from what the integer semantics give (names layer, step, index).
    case traceMismatch(layer: Int, step: String, index: Int)
    /// A canonical model description could not be decoded (truncated, extended, inconsistent).
    case invalidEncoding(detail: String)
    /// A classifier's class list is unusable (empty, too long, repeated, not matching its scores).
    case invalidLabels(detail: String)
    /// A claimed class label is not the one the proven scores give (`ClassLabels`).
    case labelMismatch(item: Int, claimed: String, expected: String)

    /// The stable, machine-readable code of this error.
    public var code: String {
        switch self {
        case .malformedModel: "onnx_malformed"
        case .modelTooLarge: "model_too_large"
        case .unsupportedOperator: "unsupported_operator"
        case .unsupportedAttribute: "unsupported_attribute"
        case .unsupportedGraph: "unsupported_graph"
        case .invalidInitializer: "invalid_initializer"
        case .tensorTooLarge: "tensor_too_large"
        case .tooManyLayers: "too_many_layers"
        case .shapeMismatch: "shape_mismatch"
        case .invalidQuantization: "invalid_quantization"
        case .weightOutOfRange: "weight_out_of_range"
        case .accumulatorBoundTooLarge: "accumulator_bound_too_large"
        case .inputShapeMismatch: "input_shape_mismatch"
        case .inputOutOfRange: "input_out_of_range"
        case .inputIDOutOfRange: "input_id_out_of_range"
        case .traceMismatch: "trace_mismatch"
        case .invalidEncoding: "invalid_model_encoding"
        case .invalidLabels: "invalid_class_labels"
        case .labelMismatch: "label_mismatch"
        }
    }

    /// A one-line explanation that starts with the stable code.
    public var description: String {
        switch self {
        case .malformedModel(let detail):
            "\(code): not a readable ONNX model: \(detail)"
        case .modelTooLarge(let bytes, let limit):
            "\(code): model is \(bytes) bytes, the limit is \(limit)"
        case .unsupportedOperator(let op, let node):
            "\(code): operator \(op) (node '\(node)') is not supported"
        case .unsupportedAttribute(let op, let node, let detail):
            "\(code): \(op) node '\(node)': \(detail)"
        case .unsupportedGraph(let node, let detail):
            "\(code): node '\(node)': \(detail)"
        case .invalidInitializer(let name, let detail):
            "\(code): tensor '\(name)': \(detail)"
        case .tensorTooLarge(let name, let elements, let limit):
            "\(code): tensor '\(name)' has \(elements) elements, the limit is \(limit)"
        case .tooManyLayers(let count, let limit):
            "\(code): \(count) linear layers, the limit is \(limit)"
        case .shapeMismatch(let detail):
            "\(code): \(detail)"
        case .invalidQuantization(let detail):
            "\(code): \(detail)"
        case .weightOutOfRange(let layer, let value):
            "\(code): layer \(layer) has a parameter \(value) that does not fit the integer range"
        case .accumulatorBoundTooLarge(let layer, let bits, let limit):
            "\(code): layer \(layer) accumulator needs \(bits) bits, the limit is \(limit)"
        case .inputShapeMismatch(let expected, let actual):
            "\(code): input shape \(actual), the model expects \(expected)"
        case .inputOutOfRange(let index, let value):
            "\(code): input[\(index)] = \(value) is outside the model's input range"
        case .inputIDOutOfRange(let index, let value, let count):
            "\(code): input[\(index)] = \(value) is not a token id: the model takes whole numbers 0…\(count - 1)"
        case .traceMismatch(let layer, let step, let index):
            "\(code): layer \(layer), \(step), index \(index) does not follow the integer semantics"
        case .invalidEncoding(let detail):
            "\(code): \(detail)"
        case .invalidLabels(let detail):
            "\(code): \(detail)"
        case .labelMismatch(let item, let claimed, let expected):
            "\(code): item \(item) is labelled '\(claimed)', its proven scores give '\(expected)'"
        }
    }
}
