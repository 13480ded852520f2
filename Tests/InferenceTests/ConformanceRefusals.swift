@testable import Inference

/// The documented reasons a conformance case may be refused (docs/PROTOCOL.md,
/// "Conformance"), each with the stable error codes it comes with and how the refusal says it.
///
/// An import refusal matches a reason when its code is one of the reason's and its message
/// contains one of the reason's phrases; any other refusal fails the suite, so a new way of
/// refusing must be added here and to the documentation together. The last three reasons are
/// the harness's own: the model imports, but the case lies outside what a quantised run can
/// answer.
enum ConformanceRefusal: String, CaseIterable, Sendable {
    case nonFloatTensor = "non_float_tensor"
    case opsetTooNew = "opset_too_new"
    case unsupportedAttribute = "unsupported_attribute"
    case operandArity = "operand_arity"
    case constantOperand = "constant_operand"
    case spatialRank = "spatial_rank"
    case tensorShape = "tensor_shape"
    case emptyTensor = "empty_tensor"
    case constantResult = "constant_result"
    case emptyGraph = "empty_graph"
    case inputOutOfRange = "input_out_of_range"
    case outputOutOfRange = "output_out_of_range"
    case illConditioned = "ill_conditioned"

    /// What the reason means, for the table and the documentation.
    var meaning: String {
        switch self {
        case .nonFloatTensor: "an input, output or parameter is not a float32 tensor the importer reads (integer, bool, float16, …)"
        case .opsetTooNew: "the model's default opset is outside ONNXImporter.opsetVersions"
        case .unsupportedAttribute: "an attribute or constant parameter value the importer does not implement"
        case .operandArity: "a variadic operator (Max, Min) with other than two operands"
        case .constantOperand: "a constant operand of a shape the importer does not take"
        case .spatialRank: "pooling or convolution over three or more spatial axes"
        case .tensorShape: "a tensor shape no step takes (rank 0; a per-channel step over a leading axis above 1; a recurrent batch above 1)"
        case .emptyTensor: "a tensor or slice with no elements"
        case .constantResult: "the node's result is a constant (Shape), so the graph computes nothing from its input"
        case .emptyGraph: "the node is removed at import (Identity) and the graph has no step left"
        case .inputOutOfRange: "an input value outside the activation range at the model's scale, or not finite"
        case .outputOutOfRange: "an expected output outside the activation range, or not finite"
        case .illConditioned: "the bound is infinite at the case's inputs (a divisor or Log argument within ε of 0)"
        }
    }

    /// The error codes the refusal may carry.
    var codes: Set<String> {
        switch self {
        case .nonFloatTensor: ["unsupported_graph", "unsupported_attribute", "invalid_initializer"]
        case .opsetTooNew: ["onnx_malformed"]
        case .unsupportedAttribute: ["unsupported_attribute", "unsupported_graph"]
        case .operandArity, .constantResult, .emptyGraph: ["unsupported_graph"]
        case .constantOperand: ["shape_mismatch", "unsupported_graph"]
        case .spatialRank, .tensorShape: ["shape_mismatch"]
        case .emptyTensor: ["unsupported_graph", "unsupported_attribute"]
        case .inputOutOfRange: ["input_out_of_range"]
        case .outputOutOfRange: ["output_out_of_range"]
        case .illConditioned: ["ill_conditioned"]
        }
    }

    /// Phrases of the refusal's message that identify the reason.
    var phrases: [String] {
        switch self {
        case .nonFloatTensor: ["must be a float tensor", "may only be cast to a float type", "is not a number type",
                               "holds token ids", "an integer input holds token ids"]
        case .opsetTooNew: ["operator set version must be in"]
        case .unsupportedAttribute:
            ["transA=1 is not supported", "only positive steps", "must contain 0", "only mode 'constant'",
             "training_mode true", "training_mode=1 is not supported", "Pow is supported with a constant scalar exponent", "exponent",
             "only the last axis is supported", "is not 'none' or 'tanh'", "before opset 13 only the last axis",
             "only 'forward' is supported"]
        case .operandArity: ["takes two inputs"]
        case .constantOperand: ["does not broadcast to", "needs a weight [K, N]", "with a constant of shape"]
        case .spatialRank: ["needs [1, C, L] or [1, C, H, W]", "supports 1-D and 2-D inputs"]
        case .tensorShape: ["is not a valid tensor shape", "a per-channel step needs [1, C, …]", "(batch 1, layout"]
        case .emptyTensor: ["must be a positive constant", "is empty"]
        case .constantResult: ["is not computed from the model input"]
        case .emptyGraph: ["0 steps"]
        case .inputOutOfRange, .outputOutOfRange, .illConditioned: []
        }
    }

    /// The reason an import refusal of case `c` gives, or nil when it is none of the documented ones.
    ///
    /// A case with a runtime input or an output that is not a float tensor is not packed
    /// (`ConformanceModel`), so its several inputs are refused as such: that refusal is one of
    /// non-float data.
    static func classify(_ error: InferenceError, case c: ConformanceCase) -> ConformanceRefusal? {
        let text = error.description
        let nonFloat = c.description.inputs.contains { !$0.isFloat32 } || c.description.outputs.contains { !$0.isFloating }
        if nonFloat, error.code == "unsupported_graph", text.contains("exactly one input that is not an initializer") {
            return .nonFloatTensor
        }
        return allCases.first { reason in
            reason.codes.contains(error.code) && reason.phrases.contains { text.contains($0) }
        }
    }
}
