import ZKProof

/// A quantised network ready to run: its public `spec`, its integer weights and its digest.
///
/// Built by `ONNXImporter` (or directly from `LayerParameters`); building derives every
/// layer's accumulator bound from the weights and refuses a model whose pre-activations could
/// leave `±2^InferenceLimits.accumulatorBitsMax` — which keeps `Int64` exact in the engine and
/// integers far below the ~2^256 field order in the proof.
public struct QuantizedModel: Sendable, Equatable {
    /// The public description a verifier holds.
    public let spec: ModelSpec
    /// The layers with their weights, in order (`layers[k].spec == spec.layers[k]`).
    public let layers: [QuantizedLayer]
    /// The committed tables of each tree-ensemble step, in node order
    /// (`spec.treeEnsembles[e] == trees[e].spec`).
    public let trees: [TreeEnsemble]
    /// SHA-256 of `canonicalEncoding()`: the model's identity, stable across imports.
    public let digest: [UInt8]

    /// One layer as the importer hands it over, before the bound is derived.
    public struct LayerParameters: Sendable, Equatable {
        /// Non-linear steps before the layer reads its input.
        public var prepare: [ActivationStep]
        /// Dense or convolution.
        public var kind: LayerSpec.Kind
        /// Output features or channels.
        public var rows: Int
        /// Rescale and clamp after the product.
        public var activation: Activation
        /// `rows × inner`, row-major.
        public var weights: [Int64]
        /// One per row.
        public var bias: [Int64]

        /// Collects the parts of one layer.
        public init(prepare: [ActivationStep], kind: LayerSpec.Kind, rows: Int,
                    activation: Activation, weights: [Int64], bias: [Int64]) {
            self.prepare = prepare
            self.kind = kind
            self.rows = rows
            self.activation = activation
            self.weights = weights
            self.bias = bias
        }
    }

    /// Builds a chain of layers (each reads the previous one's output), deriving each
    /// layer's accumulator bound from its weights and the range of its input.
    public init(config: QuantizationConfig, inputShape: [Int], layers parameters: [LayerParameters]) throws(InferenceError) {
        guard !parameters.isEmpty else { throw .shapeMismatch(detail: "a model needs at least one linear layer") }
        let input = try TensorInfo(shape: inputShape, fractionBits: config.activationFractionBits,
                                   lo: config.activationMin, hi: config.activationMax, name: "input")
        var shape = inputShape
        var nodes: [GraphNode] = []
        for (k, p) in parameters.enumerated() {
            var elements = shape.reduce(1) { $0 &* max($1, 0) }
            for step in p.prepare { elements = step.outputElements(from: elements) }
            let out: [Int]
            switch p.kind {
            case .dense: out = [1, p.rows]
            case .convolution(let g): out = [1, p.rows, g.outputHeight, g.outputWidth]
            case .tokens(let count), .oneHot(_, let count, _): out = [1, count, p.rows]
            case .elementwise(let g): out = g.shape
            }
            nodes.append(GraphNode(op: .linear(layer: k, shape: out), inputs: [k], name: "layer \(k)"))
            shape = out
        }
        try self.init(config: config, input: input, nodes: nodes, parameters: parameters,
                      outputs: [parameters.count], batchable: true)
    }

    /// Builds a graph model: `nodes` in topological order (linear nodes refer to
    /// `parameters` by index, in order), deriving each layer's accumulator bound from its
    /// weights and the range of the tensor it reads.
    public init(config: QuantizationConfig, input: TensorInfo, nodes: [GraphNode], parameters: [LayerParameters],
                outputs: [Int], batchable: Bool, integerInput: Bool = false,
                labels: ClassLabels? = nil, inputFeatureFractionBits: [Int]? = nil,
                trees: [TreeEnsemble] = []) throws(InferenceError) {
        guard parameters.count <= InferenceLimits.layerCountMax else {
            throw .tooManyLayers(count: parameters.count, limit: InferenceLimits.layerCountMax)
        }
        // Layer input sizes follow the tensors the linear nodes read, which need the layers
        // before them: build the provisional specs (bound 0) node by node.
        var tensors = [input]
        var provisional: [LayerSpec] = []
        var inputTensor: [Int] = []
        for (i, node) in nodes.enumerated() {
            guard node.inputs.allSatisfy({ $0 >= 0 && $0 < tensors.count }) else {
                throw .unsupportedGraph(node: node.name, detail: "step \(i) reads a tensor that is not computed before it")
            }
            if case .linear(let k, _) = node.op {
                guard k == provisional.count, k < parameters.count, let source = node.inputs.first else {
                    throw .unsupportedGraph(node: node.name, detail: "linear layer \(k) does not fit the graph")
                }
                let p = parameters[k]
                provisional.append(try LayerSpec(inputElements: tensors[source].elements, prepare: p.prepare, kind: p.kind,
                                                 rows: p.rows, activation: p.activation, accumulatorBits: 0))
                inputTensor.append(source)
            }
            tensors.append(try node.op.infer(node.inputs.map { tensors[$0] }, layers: provisional, config: config, node: node.name))
        }
        // The ranges of a spec do not depend on the bounds: derive each bound from them.
        let draft = try ModelSpec(config: config, input: input, layers: provisional, nodes: nodes,
                                  outputs: outputs, batchable: batchable, integerInput: integerInput)
        var built: [QuantizedLayer] = []
        for (k, p) in parameters.enumerated() {
            let shape = provisional[k]
            guard p.weights.count == shape.rows * shape.inner, p.bias.count == shape.rows else {
                throw .shapeMismatch(detail: "layer \(k): weights \(p.weights.count) / bias \(p.bias.count) do not fit \(shape.rows)×\(shape.inner)")
            }
            let range = shape.columnRange(incoming: draft.tensors[inputTensor[k]].range)
            let bits = QuantizedLayer.accumulatorBits(weights: p.weights, bias: p.bias, inner: shape.inner, range: range)
            guard let bits, bits <= InferenceLimits.accumulatorBitsMax else {
                throw .accumulatorBoundTooLarge(layer: k, bits: bits ?? 64, limit: InferenceLimits.accumulatorBitsMax)
            }
            let spec = try LayerSpec(inputElements: shape.inputElements, prepare: p.prepare, kind: p.kind,
                                     rows: p.rows, activation: p.activation, accumulatorBits: bits)
            built.append(try QuantizedLayer(spec: spec, weights: p.weights, bias: p.bias))
        }
        self.spec = try ModelSpec(config: config, input: input, layers: built.map(\.spec), nodes: nodes,
                                  outputs: outputs, batchable: batchable, integerInput: integerInput, labels: labels,
                                  inputFeatureFractionBits: inputFeatureFractionBits)
        guard spec.treeEnsembles == trees.map(\.spec) else {
            throw .invalidQuantization(detail: "\(trees.count) tree tables for \(spec.treeEnsembles.count) tree-ensemble steps, or a description that differs")
        }
        self.layers = built
        self.trees = trees
        self.digest = SHA256Digest.hash(Self.canonicalEncoding(spec: spec, layers: built, trees: trees))
    }

    /// The canonical bytes of the whole model: `spec.encoded()` followed by every layer's
    /// weights then bias, then every tree ensemble's node table then value table (count as
    /// u32, values as big-endian i64). The digest hashes these.
    public func canonicalEncoding() -> [UInt8] {
        Self.canonicalEncoding(spec: spec, layers: layers, trees: trees)
    }

    private static func canonicalEncoding(spec: ModelSpec, layers: [QuantizedLayer], trees: [TreeEnsemble]) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes(spec.encoded())
        for layer in layers {
            writer.int64Array(layer.weights)
            writer.int64Array(layer.bias)
        }
        for tree in trees {
            writer.int64Array(tree.nodeTable)
            writer.int64Array(tree.values)
        }
        return writer.output
    }

    /// Runs the integer network on one quantised item and records the whole trace.
    ///
    /// Throws only for an input of the wrong length or outside `spec.inputRange`.
    public func run(_ input: [Int64]) throws(InferenceError) -> InferenceTrace {
        try spec.validateInput(input)
        guard input.count == spec.inputElements else {
            throw .inputShapeMismatch(expected: spec.inputShape, actual: [input.count])
        }
        let run = try spec.evaluate(input, linear: { k, x in layers[k].preActivation(columns: x) },
                                    product: { j, a, b in spec.product(j, a, b) },
                                    tree: { e, x throws(InferenceError) in try trees[e].evaluate(x) })
        let records = (0..<layers.count).map {
            LayerTrace(columns: run.columns[$0], preActivation: run.preActivations[$0], output: run.layerOutputs[$0])
        }
        return InferenceTrace(input: input, layers: records, products: run.products, output: run.output,
                              saturated: run.saturated, treeInputs: run.treeInputs)
    }

    /// Runs every item of a batch (`spec.batchSize` items, concatenated).
    public func runBatch(_ input: [Int64]) throws(InferenceError) -> [InferenceTrace] {
        guard let items = spec.batchSize(values: input.count) else {
            throw .inputShapeMismatch(expected: spec.inputShape, actual: [input.count])
        }
        let n = spec.inputElements
        var traces: [InferenceTrace] = []
        for b in 0..<items { traces.append(try run(Array(input[(b * n)..<((b + 1) * n)]))) }
        return traces
    }

    /// Quantises a float input with the model's input scale; see `ModelSpec.quantizeInput`.
    public func quantizeInput(floats: [Double], shape: [Int]) throws(InferenceError) -> [Int64] {
        try spec.quantizeInput(floats: floats, shape: shape)
    }

    /// Quantises a float input given in the model's own input shape.
    public func quantizeInput(floats: [Double]) throws(InferenceError) -> [Int64] {
        try spec.quantizeInput(floats: floats, shape: spec.inputShape)
    }

    /// The real values of a quantised output; see `ModelSpec.dequantizeOutput`.
    public func dequantizeOutput(_ y: [Int64]) -> [Double] {
        spec.dequantizeOutput(y)
    }

    /// Hex of `digest`, the model id the CLI prints.
    public var digestHex: String {
        digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    /// Pads with leading zeros to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
