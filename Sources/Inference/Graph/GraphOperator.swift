/// One step of a model graph: what it computes from its input tensors, in integers.
///
/// A model is a list of `GraphNode`s in topological order over numbered tensors (the model
/// inputs first, then one output tensor per node). Only two kinds of step involve values the
/// verifier does not see: `linear` (committed weights; its pre-activation `Z` is in the proof
/// and checked against the commitment) and `matMul` (a product of two activations; its `Z` is
/// in the proof and checked by a random-point test). Every other step is a function of clear
/// integers that the engine, the prover and the verifier compute with this same code.
public enum GraphOperator: Sendable, Equatable, Hashable {
    /// The linear layer `layers[layer]` of the spec (dense, per-token or convolution), with
    /// its activation (rescale and clamp). One input; the output has `shape` (the layer's
    /// output elements in the layer's order, e.g. `[1, M, L]` for a 1-D convolution).
    case linear(layer: Int, shape: [Int])
    /// The product of two activations `A [..., m, k] · B [..., k, n]` (batched over the
    /// leading dimensions), then `activation` (rescale from `f_A + f_B` and clamp).
    case matMul(activation: Activation)
    /// Rescale by `2^shift` (negative: multiply by `2^-shift`, exact) and clamp to `[lo, hi]`:
    /// Relu and Clip anywhere, and changes of scale. One input.
    case rescale(shift: Int, lo: Int64, hi: Int64)
    /// An element-wise operation of two tensors (ONNX broadcasting), or of a tensor and a
    /// public scalar constant.
    case binary(BinaryOperation)
    /// Max or average pooling over the last one or two axes of a `[1, C, ...]` tensor.
    case pool(PoolSpec)
    /// Sum, mean, maximum or minimum over some axes.
    case reduce(ReduceSpec)
    /// A permutation of the axes.
    case transpose(permutation: [Int])
    /// The same values under another shape (same element count).
    case reshape(shape: [Int])
    /// Joins its inputs along `axis`.
    case concat(axis: Int)
    /// A strided window: per axis a start, a count and a positive step.
    case slice(starts: [Int], counts: [Int], steps: [Int])
    /// Constant padding: `begins[i]` and `ends[i]` values added on axis `i`.
    case pad(begins: [Int], ends: [Int], value: Int64)
    /// Picks entries along `axis` at constant `indices` (output shape replaces that axis by
    /// `indexShape`).
    case gather(axis: Int, indices: [Int], indexShape: [Int])
    /// A non-linear function element by element (scales and clamp inside the operator; see
    /// docs/PROTOCOL-nonlinear.md).
    case element(ElementOperator)
    /// Softmax, or LogSoftmax when `log`, over `axis`, at `outputFractionBits`, clamped to `[lo, hi]`.
    case softmax(axis: Int, log: Bool, outputFractionBits: Int, lo: Int64, hi: Int64)
    /// Softmax over `axis` of the non-zero values, a zero value giving 0 (ai.onnx.ml
    /// `SOFTMAX_ZERO`; `AxisReductions.softmaxZero`), at `outputFractionBits`, clamped to `[lo, hi]`.
    case softmaxZero(axis: Int, outputFractionBits: Int, lo: Int64, hi: Int64)
    /// `(x − mean) / √(variance + ε)` over the axes from `axis` on (`centered`; LayerNorm), or
    /// `x / √(mean(x²) + ε)` (RMS normalisation), before any scale and shift; `epsilon` in
    /// `2^-40` units.
    case normalize(axis: Int, epsilon: Int64, centered: Bool, outputFractionBits: Int, lo: Int64, hi: Int64)
    /// A tree ensemble (`TreeEnsemble.evaluate`) over an input of `featureCount` values at
    /// `2^-f_in`; its node and value tables are committed (the model's `trees`, in node
    /// order), and the proof carries each item's path through every tree.
    case treeEnsemble(TreeEnsembleSpec)
}

/// `a ∘ b` element by element with ONNX (numpy) broadcasting, then rescale to the output
/// scale and clamp to `[lo, hi]`.
public struct BinaryOperation: Sendable, Equatable, Hashable {
    /// The operation.
    public enum Kind: UInt8, Sendable, Equatable, Hashable {
        /// `a + b`.
        case add = 1
        /// `a − b`.
        case sub = 2
        /// `a · b`.
        case mul = 3
        /// `a / b`, rounded half up; division by 0 gives `hi` (or `lo` for a negative `a`).
        case div = 4
        /// `max(a, b)`.
        case max = 5
        /// `min(a, b)`.
        case min = 6
    }

    /// A public scalar operand (hyper-parameters such as `1/√d`, `0.5`, `1`; never weights).
    public struct Constant: Sendable, Equatable, Hashable {
        /// The integer value, at `2^-fractionBits`.
        public let value: Int64
        /// Its scale.
        public let fractionBits: Int
        /// True when the constant is the first operand (`c − x`, `c / x`).
        public let first: Bool

        /// Collects the parts; `fractionBits` must lie in 0…30.
        public init(value: Int64, fractionBits: Int, first: Bool) {
            self.value = value
            self.fractionBits = fractionBits
            self.first = first
        }
    }

    /// The operation.
    public let kind: Kind
    /// The scalar operand, when the node has one tensor input.
    public let constant: Constant?
    /// Fraction bits of the result.
    public let outputFractionBits: Int
    /// Smallest result.
    public let lo: Int64
    /// Largest result.
    public let hi: Int64

    /// Collects the parts.
    public init(kind: Kind, constant: Constant?, outputFractionBits: Int, lo: Int64, hi: Int64) {
        self.kind = kind
        self.constant = constant
        self.outputFractionBits = outputFractionBits
        self.lo = lo
        self.hi = hi
    }
}

/// Max or average pooling over the spatial axes of a `[1, C, L]` or `[1, C, H, W]` tensor
/// (a 1-D pooling is the 2-D one with height 1), with padding, dilation and ceil mode.
public struct PoolSpec: Sendable, Equatable, Hashable {
    /// The largest value of each window (padding ignored), or the rounded mean.
    public let isMax: Bool
    /// Kernel `[kh, kw]`.
    public let kernel: [Int]
    /// Strides `[sh, sw]`.
    public let strides: [Int]
    /// Padding `[top, left, bottom, right]`.
    public let pads: [Int]
    /// Dilations `[dh, dw]`.
    public let dilations: [Int]
    /// Output size rounds up (ONNX `ceil_mode = 1`).
    public let ceilMode: Bool
    /// Average pooling divides by the window including padding (`count_include_pad = 1`).
    public let countIncludePad: Bool

    /// Collects the parts; `GraphShapes` validates them against the input.
    public init(isMax: Bool, kernel: [Int], strides: [Int], pads: [Int], dilations: [Int],
                ceilMode: Bool, countIncludePad: Bool) {
        self.isMax = isMax
        self.kernel = kernel
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }

    /// Output length of one spatial axis: `⌊ or ⌈(n + pb + pe − span) / s⌉ + 1`, and in ceil
    /// mode one fewer when the last window would start in the end padding.
    static func outputLength(input n: Int, kernel k: Int, stride s: Int, padBegin pb: Int, padEnd pe: Int,
                             dilation d: Int, ceil: Bool) -> Int? {
        let span = (k - 1) * d + 1
        let room = n + pb + pe - span
        guard room >= 0, s >= 1 else { return nil }
        var out = (ceil ? (room + s - 1) / s : room / s) + 1
        if ceil, (out - 1) * s >= n + pb { out -= 1 }
        return out
    }
}

/// A reduction over some axes.
public struct ReduceSpec: Sendable, Equatable, Hashable {
    /// The reduction.
    public enum Kind: UInt8, Sendable, Equatable, Hashable {
        /// The sum, clamped to `[lo, hi]`.
        case sum = 1
        /// The sum divided by the count, rounded half up (`divideRoundingHalfUp`).
        case mean = 2
        /// The largest value.
        case max = 3
        /// The smallest value.
        case min = 4
        /// The index along the one reduced axis of the first largest value (an integer at
        /// scale 2^0; ONNX ArgMax).
        case argMax = 5
        /// The index of the first smallest value (ArgMin).
        case argMin = 6
        /// The index of the last largest value (ArgMax with `select_last_index`).
        case argMaxLast = 7
        /// The index of the last smallest value (ArgMin with `select_last_index`).
        case argMinLast = 8

        /// Whether the result is an index rather than a value of the input.
        public var isIndex: Bool { rawValue >= 5 }
    }

    /// The reduction.
    public let kind: Kind
    /// The reduced axes, ascending, none repeated.
    public let axes: [Int]
    /// Reduced axes stay as length 1.
    public let keepDimensions: Bool
    /// Clamp of the result.
    public let lo: Int64
    /// Clamp of the result.
    public let hi: Int64

    /// Collects the parts.
    public init(kind: Kind, axes: [Int], keepDimensions: Bool, lo: Int64, hi: Int64) {
        self.kind = kind
        self.axes = axes
        self.keepDimensions = keepDimensions
        self.lo = lo
        self.hi = hi
    }
}

/// One node: an operator and the tensors it reads (ids: model inputs first, then node outputs).
public struct GraphNode: Sendable, Equatable, Hashable {
    /// What the node computes.
    public let op: GraphOperator
    /// The tensors it reads, in the operator's order.
    public let inputs: [Int]
    /// A name for errors and `model inspect` (the ONNX node's); not part of the model's identity.
    public let name: String

    /// Collects the parts.
    public init(op: GraphOperator, inputs: [Int], name: String = "") {
        self.op = op
        self.inputs = inputs
        self.name = name
    }

    public static func == (a: GraphNode, b: GraphNode) -> Bool { a.op == b.op && a.inputs == b.inputs }
    public func hash(into h: inout Hasher) { h.combine(op); h.combine(inputs) }
}
