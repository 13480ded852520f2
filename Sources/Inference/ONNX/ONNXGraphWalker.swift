/// A linear layer as read from ONNX: geometry final, weights still real numbers.
struct FloatLayer {
    /// Pooling and clamps met since the previous layer's activation.
    var prepare: [ActivationStep]
    /// Dense or convolution.
    var kind: LayerSpec.Kind
    /// Rows of `W`.
    var rows: Int
    /// Columns of `W`.
    var inner: Int
    /// `rows × inner`, row-major, real values (alpha and transposes already applied).
    var weights: [Double]
    /// One per row, real values (beta applied).
    var bias: [Double]
    /// Clamp range of the activation, in quantised units.
    var lo: Int64
    var hi: Int64
    /// True until an activation or pooling follows, while an `Add` may still be its bias.
    var acceptsBias: Bool
}

/// Walks an ONNX graph that is a single chain and folds it into linear layers.
///
/// The chain reads one tensor (`current`) at a time; each node must consume it. Linear nodes
/// (Gemm, MatMul, Conv) open a layer; `Add` of a constant right after one becomes its bias;
/// `Relu`/`Clip` right after one narrow its clamp; pooling (and clamps after pooling) become
/// the `prepare` steps of the next layer; `Flatten`, `Reshape` and `Identity` only change the
/// tracked shape, since activations are kept flat in NCHW order.
struct ONNXGraphWalker {
    /// Quantisation parameters, needed to turn Clip bounds into integers.
    let config: QuantizationConfig
    /// Constant tensors by name.
    let initializers: [String: ONNXTensor]
    /// Name of the tensor the next node must read.
    var current: String
    /// Shape of `current`, batch dimension included.
    var shape: [Int]
    /// Layers so far.
    var layers: [FloatLayer] = []
    /// Non-linear steps waiting for the next linear layer.
    var pending: [ActivationStep] = []
    /// Set by a trailing Softmax; no node may follow.
    var finished = false

    init(config: QuantizationConfig, initializers: [String: ONNXTensor], input: String, shape: [Int]) {
        self.config = config
        self.initializers = initializers
        self.current = input
        self.shape = shape
    }

    /// Folds one node into the layers, or refuses it with a typed error naming it.
    mutating func visit(_ node: Onnx_NodeProto, index: Int, isLast: Bool) throws(InferenceError) {
        let name = node.displayName(index: index)
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw .unsupportedOperator(op: "\(node.domain).\(node.opType)", node: name)
        }
        guard !finished else { throw .unsupportedGraph(node: name, detail: "no node may follow the trailing Softmax") }
        guard let output = node.output.first, !output.isEmpty,
              node.output.dropFirst().allSatisfy(\.isEmpty) else {
            throw .unsupportedGraph(node: name, detail: "a node must have exactly one output")
        }
        let reads = node.opType == "Add" ? node.input.contains(current) : node.input.first == current
        guard reads else {
            throw .unsupportedGraph(node: name, detail: "does not read '\(current)', the output of the previous node")
        }
        switch node.opType {
        case "Identity": break
        case "Flatten": try flatten(node, name)
        case "Reshape": try reshape(node, name)
        case "Gemm": try gemm(node, name)
        case "MatMul": try matMul(node, name)
        case "Conv": try conv(node, name)
        case "Add": try add(node, name)
        case "Relu": try clamp(lo: 0, hi: config.activationMax)
        case "Clip": try clip(node, name)
        case "MaxPool", "AveragePool": try pool(node, name)
        case "Softmax":
            let axis = Int(node.int("axis", default: -1))
            guard isLast, axis == -1 || axis == shape.count - 1 else {
                throw .unsupportedGraph(node: name, detail: "Softmax is supported only as the last node, over the last axis")
            }
            finished = true
        default:
            throw .unsupportedOperator(op: node.opType, node: name)
        }
        current = output
    }

    /// Checks the walk ended on a linear layer and returns the layers.
    func finish() throws(InferenceError) -> [FloatLayer] {
        guard !layers.isEmpty else { throw .unsupportedGraph(node: current, detail: "the model has no Gemm, MatMul or Conv") }
        guard pending.isEmpty else {
            throw .unsupportedGraph(node: current, detail: "pooling or clamping after the last linear layer is not supported")
        }
        return layers
    }

    // MARK: - Shared helpers

    /// The constant input at `position`, or a typed error naming the node.
    func initializer(_ node: Onnx_NodeProto, _ position: Int, _ name: String) throws(InferenceError) -> ONNXTensor {
        guard position < node.input.count, let tensor = initializers[node.input[position]] else {
            throw .unsupportedGraph(node: name, detail: "input \(position) must be a constant initializer")
        }
        return tensor
    }

    /// The optional constant input at `position` (absent or empty name gives nil).
    func optionalInitializer(_ node: Onnx_NodeProto, _ position: Int, _ name: String) throws(InferenceError) -> ONNXTensor? {
        guard position < node.input.count, !node.input[position].isEmpty else { return nil }
        return try initializer(node, position, name)
    }

    /// Refuses attributes this importer does not read, so none is silently ignored.
    func requireOnly(_ allowed: Set<String>, _ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        if let extra = node.attributeNames.subtracting(allowed).sorted().first {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "attribute '\(extra)' is not supported")
        }
    }

    /// Narrows the open layer's clamp, or queues a clamp step when pooling came in between.
    mutating func clamp(lo: Int64, hi: Int64) throws(InferenceError) {
        let lo = max(lo, config.activationMin), hi = min(hi, config.activationMax)
        if pending.isEmpty, let last = layers.indices.last {
            layers[last].lo = max(layers[last].lo, lo)
            layers[last].hi = min(layers[last].hi, hi)
            layers[last].acceptsBias = false
        } else {
            pending.append(.clamp(lo: lo, hi: hi))
        }
    }

    /// Opens a new linear layer that takes the queued steps as its `prepare`.
    mutating func startLayer(kind: LayerSpec.Kind, rows: Int, inner: Int, weights: [Double], bias: [Double]) throws(InferenceError) {
        guard layers.count < InferenceLimits.layerCountMax else {
            throw .tooManyLayers(count: layers.count + 1, limit: InferenceLimits.layerCountMax)
        }
        layers.append(FloatLayer(prepare: pending, kind: kind, rows: rows, inner: inner, weights: weights, bias: bias,
                                 lo: config.activationMin, hi: config.activationMax, acceptsBias: true))
        pending = []
    }
}
