/// A registered model's public description: its graph, shapes, scales and bounds, without weights.
///
/// This is what a verifier holds (next to the weight commitment): every count a proof is
/// checked against — the nodes, the linear layers and their dimensions, their bounds — comes
/// from here and never from the proof. Its canonical byte form is `encoded()` (see
/// `ModelSpec+Encoding`).
///
/// The model is a graph: one input tensor (id 0), then one tensor per node (node `i` writes
/// tensor `i + 1`), in topological order; `outputs` names the tensors that form the output,
/// concatenated in that order. Every tensor's shape has the batch dimension first, always 1
/// here: a batch of `B` inputs is `B` runs of this graph, proven together.
public struct ModelSpec: Sendable, Equatable, Hashable {
    /// Fixed-point parameters.
    public let config: QuantizationConfig
    /// The model input: shape (batch 1 first), scale, admissible range.
    public let input: TensorInfo
    /// The linear layers (committed weights), in the order of the nodes that use them.
    public let layers: [LayerSpec]
    /// The steps, in topological order.
    public let nodes: [GraphNode]
    /// The tensors whose values, concatenated, are the model output.
    public let outputs: [Int]
    /// Whether the input's first dimension is a batch dimension (the ONNX input declares it
    /// symbolic): then an input may hold several items (`B · inputElements` values).
    public let batchable: Bool
    /// Whether the input is integer token ids (an ONNX int64/int32 input read by embedding
    /// lookups): the input then has scale 1 and its range is the ids the tables accept, and
    /// `quantizeInput` takes whole numbers only, refusing any outside that range.
    public let integerInput: Bool
    /// A classifier's label output, `classes[argmax(scores)]` over one of `outputs` (see
    /// `ClassLabels`); nil for a model without one.
    public let labels: ClassLabels?
    /// Per-feature input scales (one per element of the input's last axis), when the
    /// features were calibrated one by one: feature `j` is quantised at `2^-e[j]` and the
    /// first linear layers' weights carry the factor `2^(f_in − e[j])` (docs/PROTOCOL.md,
    /// "Choosing scales"); nil when every input value is at `2^-f_in`.
    public let inputFeatureFractionBits: [Int]?
    /// Every tensor: the input, then each node's output (derived, validated).
    public let tensors: [TensorInfo]
    /// Indices into `nodes` of the `matMul` steps, in order (derived).
    let productNodes: [Int]
    /// For each product step, `B` with `|z| < 2^B` for every admissible run (derived from the
    /// operand ranges and the inner dimension).
    let productBits: [Int]

    /// Validates the graph: every node reads earlier tensors, its shapes and scales fit
    /// (`GraphOperator.infer`), each linear layer is used by exactly one node and in order,
    /// the outputs exist, and every product's bound fits `accumulatorBitsMax`.
    public init(config: QuantizationConfig, input: TensorInfo, layers: [LayerSpec], nodes: [GraphNode],
                outputs: [Int], batchable: Bool, integerInput: Bool = false,
                labels: ClassLabels? = nil, inputFeatureFractionBits: [Int]? = nil) throws(InferenceError) {
        guard !nodes.isEmpty, nodes.count <= InferenceLimits.graphNodeCountMax else {
            throw .unsupportedGraph(node: "graph", detail: "\(nodes.count) steps; a model has 1…\(InferenceLimits.graphNodeCountMax)")
        }
        guard layers.count <= InferenceLimits.layerCountMax else {
            throw .tooManyLayers(count: layers.count, limit: InferenceLimits.layerCountMax)
        }
        var tensors = [input]
        var nextLayer = 0
        var productNodes: [Int] = [], productBits: [Int] = []
        for (i, node) in nodes.enumerated() {
            let name = node.name.isEmpty ? "#\(i)" : node.name
            guard node.inputs.allSatisfy({ $0 >= 0 && $0 < tensors.count }), node.inputs.count <= 64 else {
                throw .unsupportedGraph(node: name, detail: "reads a tensor that is not computed before it")
            }
            if case .linear(let k, _) = node.op {
                guard k == nextLayer else { throw .unsupportedGraph(node: name, detail: "linear layer \(k) out of order") }
                nextLayer += 1
            }
            let reads = node.inputs.map { tensors[$0] }
            let out = try node.op.infer(reads, layers: layers, config: config, node: name)
            if case .matMul = node.op {
                let k = reads[0].shape.last ?? 1
                let bound = reads[0].magnitude.multipliedFullWidth(by: reads[1].magnitude)
                guard bound.high == 0 else { throw .accumulatorBoundTooLarge(layer: i, bits: 128, limit: InferenceLimits.accumulatorBitsMax) }
                let (total, overflow) = bound.low.multipliedReportingOverflow(by: UInt64(k))
                let bits = overflow ? 64 : UInt64.bitWidth - total.leadingZeroBitCount
                guard bits <= InferenceLimits.accumulatorBitsMax else {
                    throw .accumulatorBoundTooLarge(layer: i, bits: bits, limit: InferenceLimits.accumulatorBitsMax)
                }
                productNodes.append(i)
                productBits.append(bits)
            }
            tensors.append(out)
        }
        guard nextLayer == layers.count else {
            throw .unsupportedGraph(node: "graph", detail: "\(layers.count) linear layers, \(nextLayer) used")
        }
        guard !outputs.isEmpty, outputs.count <= 64, outputs.allSatisfy({ $0 >= 0 && $0 < tensors.count }) else {
            throw .unsupportedGraph(node: "graph", detail: "the outputs \(outputs) are not tensors of the graph")
        }
        guard outputs.reduce(0, { $0 + tensors[$1].elements }) <= InferenceLimits.tensorElementsMax else {
            throw .tensorTooLarge(name: "output", elements: outputs.reduce(0) { $0 + tensors[$1].elements },
                                  limit: InferenceLimits.tensorElementsMax)
        }
        if let labels {
            guard labels.scoresOutput < outputs.count, tensors[outputs[labels.scoresOutput]].elements == labels.classes.count else {
                throw .invalidLabels(detail: "\(labels.classes.count) classes do not fit the scores output \(labels.scoresOutput) of \(outputs.map { tensors[$0].shape })")
            }
        }
        self.config = config
        self.input = input
        if let e = inputFeatureFractionBits {
            guard !integerInput, e.count == input.shape.last, e.allSatisfy({ Self.featureFractionBitsRange.contains($0) }) else {
                throw .invalidQuantization(detail: "per-feature input scales \(e) do not fit the input \(input.shape) (one per feature, each in \(Self.featureFractionBitsRange))")
            }
        }
        self.labels = labels
        self.inputFeatureFractionBits = inputFeatureFractionBits
        self.layers = layers
        self.nodes = nodes
        self.outputs = outputs
        self.batchable = batchable
        self.integerInput = integerInput
        self.tensors = tensors
        self.productNodes = productNodes
        self.productBits = productBits
    }

    /// The tree-ensemble steps' descriptions, in node order (their committed tables are the
    /// model's `trees`).
    public var treeEnsembles: [TreeEnsembleSpec] {
        nodes.compactMap { if case .treeEnsemble(let e) = $0.op { e } else { nil } }
    }

    /// A chain of linear layers (each reads the previous one's output) on an input of
    /// `inputShape` at the activation scale: the form of the first models.
    public init(config: QuantizationConfig, inputShape: [Int], layers: [LayerSpec]) throws(InferenceError) {
        let input = try TensorInfo(shape: inputShape, fractionBits: config.activationFractionBits,
                                   lo: config.activationMin, hi: config.activationMax, name: "input")
        guard !layers.isEmpty else { throw .shapeMismatch(detail: "a model needs at least one linear layer") }
        let nodes = layers.enumerated().map { k, layer in
            GraphNode(op: .linear(layer: k, shape: [1] + layer.outputShape), inputs: [k], name: "layer \(k)")
        }
        // A chain of layers over one item keeps items apart: B runs are B inferences.
        try self.init(config: config, input: input, layers: layers, nodes: nodes, outputs: [layers.count], batchable: true)
    }

    /// Shape of the model input, batch dimension first.
    public var inputShape: [Int] { input.shape }
    /// Elements of one model input.
    public var inputElements: Int { input.elements }
    /// Elements of one model output (all output tensors).
    public var outputElements: Int { outputs.reduce(0) { $0 + tensors[$1].elements } }
    /// Fraction bits of the quantised input.
    public var inputFractionBits: Int { input.fractionBits }
    /// Fraction bits of the (first) output tensor.
    public var outputFractionBits: Int { tensors[outputs[0]].fractionBits }
    /// Range every quantised input value must lie in.
    public var inputRange: ClosedRange<Int64> { input.range }
    /// The largest accumulator width over all layers and products: every admissible `|z| < 2^bound`.
    public var accumulatorBoundBits: Int { (layers.map(\.accumulatorBits) + productBits).max() ?? 0 }
    /// Shapes of the output tensors.
    public var outputShapes: [[Int]] { outputs.map { tensors[$0].shape } }
    /// Multiply-accumulates of one run: every linear layer's `rows · inner · positions` and
    /// every product's `batch · m · k · n`.
    public var multiplyAccumulates: Int64 {
        var total = layers.reduce(Int64(0)) { $0 + Int64($1.rows) * Int64($1.inner) * Int64($1.positions) }
        for i in productNodes {
            let a = tensors[nodes[i].inputs[0]].shape, out = tensors[i + 1].shape
            total += Int64(out.reduce(1, *)) * Int64(a.last ?? 1)
        }
        return total
    }

    /// How many items an input of `count` values holds, or nil when it is not a whole number
    /// of inputs (or several for a model without a batch dimension, or over `batchItemsMax`).
    public func batchSize(values count: Int) -> Int? {
        guard count > 0, count % inputElements == 0 else { return nil }
        let items = count / inputElements
        guard items == 1 || (batchable && items <= InferenceLimits.batchItemsMax) else { return nil }
        return items
    }

    /// Quantises a float input: `clamp(⌊x · 2^f + 1/2⌋, inputRange)`, with `f` the feature's
    /// own scale when the model has per-feature input scales.
    ///
    /// `shape` must equal `inputShape`, or for a batchable model `[B] + inputShape[1...]`;
    /// non-finite values are refused rather than clamped, since they mean the caller's data is broken.
    public func quantizeInput(floats: [Double], shape: [Int]) throws(InferenceError) -> [Int64] {
        try quantizeInputCountingClamps(floats: floats, shape: shape).values
    }

    /// `quantizeInput`, also counting the values that fell outside the input range and were clamped.
    public func quantizeInputCountingClamps(floats: [Double], shape: [Int]) throws(InferenceError) -> (values: [Int64], clamped: Int) {
        let sameItem = shape.count == inputShape.count && Array(shape.dropFirst()) == Array(inputShape.dropFirst())
        let items = shape.first ?? 0
        guard sameItem, shape == inputShape || (batchable && items >= 1 && items <= InferenceLimits.batchItemsMax),
              floats.count == inputElements * items else {
            throw .inputShapeMismatch(expected: inputShape, actual: shape.reduce(1, *) == floats.count ? shape : [floats.count])
        }
        var out = [Int64]()
        out.reserveCapacity(floats.count)
        var clamped = 0
        let bound = Double(inputRange.upperBound) + 1
        if integerInput {
            // Token ids: whole numbers inside the tables' rows, nothing rounded or clamped.
            for (i, x) in floats.enumerated() {
                guard x.isFinite, x.rounded(.towardZero) == x, x >= Double(inputRange.lowerBound),
                      x <= Double(inputRange.upperBound) else {
                    throw .inputIDOutOfRange(index: i, value: "\(x)", count: inputRange.upperBound + 1)
                }
                out.append(Int64(x))
            }
            return (out, 0)
        }
        for (i, x) in floats.enumerated() {
            guard x.isFinite else { throw .inputOutOfRange(index: i, value: "\(x)") }
            // Clamp in floating point first so huge values quantise instead of failing.
            let f = inputFeatureFractionBits.map { $0[i % $0.count] } ?? inputFractionBits
            let scaled = x * Double(sign: .plus, exponent: f, significand: 1)
            let limited = min(max(scaled, -bound - 1), bound)
            let q = Int64((limited + 0.5).rounded(.down))
            let c = IntegerSemantics.clamp(q, inputRange.lowerBound, inputRange.upperBound)
            if c != q { clamped += 1 }
            out.append(c)
        }
        return (out, clamped)
    }

    /// Checks that a quantised input holds a whole number of items and lies in `inputRange`.
    public func validateInput(_ x: [Int64]) throws(InferenceError) {
        guard batchSize(values: x.count) != nil else {
            throw .inputShapeMismatch(expected: inputShape, actual: [x.count])
        }
        for (i, v) in x.enumerated() where !inputRange.contains(v) {
            if integerInput { throw .inputIDOutOfRange(index: i, value: "\(v)", count: inputRange.upperBound + 1) }
            throw .inputOutOfRange(index: i, value: "\(v)")
        }
    }

    /// The real values of a quantised output (one item or several): `y · 2^-f`, each output
    /// tensor at its own scale.
    public func dequantizeOutput(_ y: [Int64]) -> [Double] {
        var scales: [Int] = []
        for t in outputs { scales += [Int](repeating: tensors[t].fractionBits, count: tensors[t].elements) }
        return y.enumerated().map { i, v in
            IntegerSemantics.dequantize(v, fractionBits: scales.isEmpty ? 0 : scales[i % scales.count])
        }
    }

    /// Checks every step of a one-item trace that does not involve the weights: the trace's
    /// lengths match this description, every linear layer's columns are what the graph gives,
    /// every pre-activation satisfies `|z| < 2^accumulatorBits`, and every output follows.
    ///
    /// Soundness: this does not check `preActivation = W · columns + b`; the caller must
    /// discharge that against the weight commitment (the per-layer linear checks).
    public func checkTrace(_ trace: InferenceTrace) throws(InferenceError) {
        guard trace.layers.count == layers.count, trace.products.count == productNodes.count else {
            throw .traceMismatch(layer: min(trace.layers.count, layers.count), step: "layer count", index: 0)
        }
        try checkBounds(preActivations: trace.layers.map(\.preActivation), products: trace.products)
        let run = try evaluate(trace.input, linear: { k, _ in trace.layers[k].preActivation },
                               product: { j, _, _ in trace.products[j] })
        func firstDifference(_ a: [Int64], _ b: [Int64]) -> Int? {
            a.count != b.count ? 0 : a.indices.first { a[$0] != b[$0] }
        }
        for (k, record) in trace.layers.enumerated() {
            if let i = firstDifference(record.columns, run.columns[k]) { throw .traceMismatch(layer: k, step: "columns", index: i) }
            if let i = firstDifference(record.output, run.layerOutputs[k]) { throw .traceMismatch(layer: k, step: "activation", index: i) }
        }
        if let i = firstDifference(trace.output, run.output) { throw .traceMismatch(layer: layers.count, step: "output", index: i) }
    }

    /// Checks the lengths and bounds of claimed pre-activations and products of one item:
    /// `|z| < 2^B` for each (so field equalities are integer equalities). Never traps.
    func checkBounds(preActivations: [[Int64]], products: [[Int64]]) throws(InferenceError) {
        for (k, layer) in layers.enumerated() {
            let z = preActivations[k]
            guard z.count == layer.outputElements else { throw .traceMismatch(layer: k, step: "pre-activation length", index: 0) }
            // |z| < 2^bits without computing |Int64.min|, which would trap.
            let limit = Int64(1) << Int64(layer.accumulatorBits)
            if let i = z.firstIndex(where: { $0 <= -limit || $0 >= limit }) {
                throw .traceMismatch(layer: k, step: "pre-activation bound", index: i)
            }
        }
        for (j, node) in productNodes.enumerated() {
            let z = products[j]
            guard z.count == tensors[node + 1].elements else {
                throw .traceMismatch(layer: layers.count + j, step: "product length", index: 0)
            }
            let limit = Int64(1) << Int64(productBits[j])
            if let i = z.firstIndex(where: { $0 <= -limit || $0 >= limit }) {
                throw .traceMismatch(layer: layers.count + j, step: "product bound", index: i)
            }
        }
    }
}
