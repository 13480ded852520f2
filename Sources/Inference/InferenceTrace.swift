/// Everything an integer run computed, layer by layer, in the clear.
///
/// v1 proofs reveal this trace: the prover sends each layer's `preActivation` and `output`;
/// the verifier recomputes `columns` from the previous output with `LayerSpec.columns(_:)`
/// and each `output` with `LayerSpec.activate(_:)` (`ModelSpec.checkTrace` does both), and
/// the proof checks `preActivation = W · columns + b`.
public struct InferenceTrace: Sendable, Equatable {
    /// The quantised model input.
    public let input: [Int64]
    /// One record per linear layer of the model, in order.
    public let layers: [LayerTrace]
    /// Each product of two activations (`matMul` step), before its rescale, in node order.
    public let products: [[Int64]]
    /// The quantised model output: the output tensors, concatenated.
    public let output: [Int64]
    /// How many values a rescale pushed outside the activation range (clamped to it).
    public let saturated: Int
    /// Each tree-ensemble step's input, in node order.
    public let treeInputs: [[Int64]]

    /// Creates a trace from its parts.
    public init(input: [Int64], layers: [LayerTrace], products: [[Int64]], output: [Int64], saturated: Int = 0,
                treeInputs: [[Int64]] = []) {
        self.treeInputs = treeInputs
        self.input = input
        self.layers = layers
        self.products = products
        self.output = output
        self.saturated = saturated
    }

    /// A chain's trace, whose output is the last layer's (the input if there are no layers).
    public init(input: [Int64], layers: [LayerTrace]) {
        self.init(input: input, layers: layers, products: [], output: layers.last?.output ?? input)
    }
}

/// What one linear layer read and produced.
public struct LayerTrace: Sendable, Equatable {
    /// The matrix `X` the layer multiplied: `inner × positions`, row-major (im2col for Conv;
    /// `rows × positions` for an element-wise layer).
    public let columns: [Int64]
    /// `Z = W · X + b`: `rows × positions`, row-major.
    public let preActivation: [Int64]
    /// `activation(Z)`, same length as `preActivation`; the next layer's incoming activation.
    public let output: [Int64]

    /// Creates a layer record from its parts.
    public init(columns: [Int64], preActivation: [Int64], output: [Int64]) {
        self.columns = columns
        self.preActivation = preActivation
        self.output = output
    }
}
