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

    /// Builds the model, deriving each layer's accumulator bound from its weights and the
    /// range of its input (the input range for the first layer, the previous clamp after that).
    public init(config: QuantizationConfig, inputShape: [Int], layers parameters: [LayerParameters]) throws(InferenceError) {
        guard parameters.count <= InferenceLimits.layerCountMax else {
            throw .tooManyLayers(count: parameters.count, limit: InferenceLimits.layerCountMax)
        }
        var incomingElements = inputShape.reduce(1) { $0 &* max($1, 0) }
        var incomingRange = config.activationMin...config.activationMax
        var built: [QuantizedLayer] = []
        for (k, p) in parameters.enumerated() {
            // A provisional spec (bound 0) validates shapes before the weights are read.
            let shape = try LayerSpec(inputElements: incomingElements, prepare: p.prepare, kind: p.kind,
                                      rows: p.rows, activation: p.activation, accumulatorBits: 0)
            guard p.weights.count == shape.rows * shape.inner, p.bias.count == shape.rows else {
                throw .shapeMismatch(detail: "layer \(k): weights \(p.weights.count) / bias \(p.bias.count) do not fit \(shape.rows)×\(shape.inner)")
            }
            let range = shape.columnRange(incoming: incomingRange)
            let bits = QuantizedLayer.accumulatorBits(weights: p.weights, bias: p.bias, inner: shape.inner, range: range)
            guard let bits, bits <= InferenceLimits.accumulatorBitsMax else {
                throw .accumulatorBoundTooLarge(layer: k, bits: bits ?? 64, limit: InferenceLimits.accumulatorBitsMax)
            }
            let spec = try LayerSpec(inputElements: incomingElements, prepare: p.prepare, kind: p.kind,
                                     rows: p.rows, activation: p.activation, accumulatorBits: bits)
            built.append(try QuantizedLayer(spec: spec, weights: p.weights, bias: p.bias))
            incomingElements = spec.outputElements
            incomingRange = p.activation.lo...p.activation.hi
        }
        self.spec = try ModelSpec(config: config, inputShape: inputShape, layers: built.map(\.spec))
        self.layers = built
        self.digest = SHA256Digest.hash(Self.canonicalEncoding(spec: spec, layers: built))
    }

    /// The canonical bytes of the whole model: `spec.encoded()` followed by every layer's
    /// weights then bias (count as u32, values as big-endian i64). The digest hashes these.
    public func canonicalEncoding() -> [UInt8] {
        Self.canonicalEncoding(spec: spec, layers: layers)
    }

    private static func canonicalEncoding(spec: ModelSpec, layers: [QuantizedLayer]) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes(spec.encoded())
        for layer in layers {
            writer.int64Array(layer.weights)
            writer.int64Array(layer.bias)
        }
        return writer.output
    }

    /// Runs the integer network on a quantised input and records the whole trace.
    ///
    /// Throws only for an input of the wrong length or outside `spec.inputRange`.
    public func run(_ input: [Int64]) throws(InferenceError) -> InferenceTrace {
        try spec.validateInput(input)
        var incoming = input
        var records: [LayerTrace] = []
        records.reserveCapacity(layers.count)
        for layer in layers {
            let columns = try layer.spec.columns(incoming)
            let z = layer.preActivation(columns: columns)
            let a = layer.spec.activate(z)
            records.append(LayerTrace(columns: columns, preActivation: z, output: a))
            incoming = a
        }
        return InferenceTrace(input: input, layers: records)
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
