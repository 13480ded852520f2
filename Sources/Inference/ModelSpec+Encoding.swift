/// The canonical byte form of a `ModelSpec`, which a model commitment carries.
///
/// Layout (big-endian): magic `PMQS`, version u16 = 2, the config (three u8), the input
/// tensor (rank u8, dims u32, fraction bits u8, lo i64, hi i64), flags u8 (bit 0 batchable,
/// bit 1 integer token-id input), the node count
/// u16, the output count u8 and output tensor ids u32; then per node: the input count u8 and
/// ids u32, the operator tag u8 and its fields (see `encodeOperator`). A linear node carries
/// its layer inline (prepare steps, kind, rows, activation, accumulator bits) and its output
/// shape. A tree-ensemble node (tag 16) carries its description as u32 length + bytes
/// (`TreeEnsembleSpec.encoded`). With flag bit 2, the class labels follow the last node (`ClassLabels.encode`);
/// with flag bit 3, then the per-feature input scales (count u16, each an i8).
/// Derived values (tensor shapes and ranges, layer input sizes) are not stored:
/// decoding recomputes them through the same validating initialisers the importer uses, and
/// refuses trailing bytes.
extension ModelSpec {
    /// The four magic bytes `PMQS`.
    public static let encodingMagic: [UInt8] = Array("PMQS".utf8)
    /// The encoding version; bump it whenever `IntegerSemantics` or this layout changes.
    public static let encodingVersion: UInt16 = 2

    /// The canonical bytes.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.bytes(Self.encodingMagic)
        w.uint16(Self.encodingVersion)
        w.uint8(UInt8(config.activationFractionBits))
        w.uint8(UInt8(config.weightFractionBits))
        w.uint8(UInt8(config.activationBits))
        w.shape(input.shape)
        w.uint8(UInt8(input.fractionBits))
        w.int64(input.lo)
        w.int64(input.hi)
        // Flags: bit 0 batchable, bit 1 the input is integer token ids.
        w.uint8((batchable ? 1 : 0) | (integerInput ? 2 : 0) | (labels != nil ? 4 : 0)
                | (inputFeatureFractionBits != nil ? 8 : 0))
        w.uint16(UInt16(nodes.count))
        w.uint8(UInt8(outputs.count))
        for o in outputs { w.count(o) }
        for node in nodes {
            w.uint8(UInt8(node.inputs.count))
            for i in node.inputs { w.count(i) }
            encodeOperator(node.op, &w)
        }
        labels?.encode(into: &w)
        if let e = inputFeatureFractionBits {
            w.uint16(UInt16(truncatingIfNeeded: e.count))
            for v in e { w.uint8(UInt8(bitPattern: Int8(truncatingIfNeeded: v))) }
        }
        return w.output
    }

    private func encodeOperator(_ op: GraphOperator, _ w: inout ByteWriter) {
        switch op {
        case .linear(let k, let shape):
            w.uint8(1)
            let layer = layers[k]
            w.uint8(UInt8(layer.prepare.count))
            for step in layer.prepare {
                switch step {
                case .maxPool(let g), .averagePool(let g):
                    if case .maxPool = step { w.uint8(1) } else { w.uint8(2) }
                    for v in [g.channels, g.inputHeight, g.inputWidth, g.kernelHeight, g.kernelWidth,
                              g.strideHeight, g.strideWidth] { w.count(v) }
                case .clamp(let lo, let hi):
                    w.uint8(3)
                    w.int64(lo)
                    w.int64(hi)
                }
            }
            switch layer.kind {
            case .dense:
                w.uint8(1)
            case .convolution(let g):
                w.uint8(2)
                for v in [g.inputChannels, g.inputHeight, g.inputWidth, g.kernelHeight, g.kernelWidth,
                          g.strideHeight, g.strideWidth, g.padTop, g.padLeft, g.padBottom, g.padRight,
                          g.dilationHeight, g.dilationWidth] { w.count(v) }
            case .tokens(let count):
                w.uint8(3)
                w.count(count)
            case .elementwise(let g):
                w.uint8(4)
                w.shape(g.shape)
                for d in g.parameterShape { w.count(d) }
            case .oneHot(let vocabulary, let count, let f):
                w.uint8(5)
                w.count(vocabulary)
                w.count(count)
                w.uint8(UInt8(f))
            }
            w.count(layer.rows)
            w.activation(layer.activation)
            w.uint8(UInt8(layer.accumulatorBits))
            w.shape(shape)
        case .matMul(let act):
            w.uint8(2)
            w.activation(act)
        case .rescale(let shift, let lo, let hi):
            w.uint8(3)
            w.int64(Int64(shift))
            w.int64(lo)
            w.int64(hi)
        case .binary(let b):
            w.uint8(4)
            w.uint8(b.kind.rawValue)
            if let c = b.constant {
                w.uint8(c.first ? 2 : 1)
                w.int64(c.value)
                w.uint8(UInt8(c.fractionBits))
            } else {
                w.uint8(0)
            }
            w.uint8(UInt8(b.outputFractionBits))
            w.int64(b.lo)
            w.int64(b.hi)
        case .pool(let p):
            w.uint8(5)
            w.uint8((p.isMax ? 1 : 0) | (p.ceilMode ? 2 : 0) | (p.countIncludePad ? 4 : 0))
            for v in p.kernel + p.strides + p.pads + p.dilations { w.count(v) }
        case .reduce(let r):
            w.uint8(6)
            w.uint8(r.kind.rawValue)
            w.uint8(r.keepDimensions ? 1 : 0)
            w.shape(r.axes)
            w.int64(r.lo)
            w.int64(r.hi)
        case .transpose(let perm):
            w.uint8(7)
            w.shape(perm)
        case .reshape(let shape):
            w.uint8(8)
            w.shape(shape)
        case .concat(let axis):
            w.uint8(9)
            w.count(axis)
        case .slice(let starts, let counts, let steps):
            w.uint8(10)
            w.shape(starts)
            w.shape(counts)
            w.shape(steps)
        case .pad(let begins, let ends, let value):
            w.uint8(11)
            w.shape(begins)
            w.shape(ends)
            w.int64(value)
        case .gather(let axis, let indices, let indexShape):
            w.uint8(12)
            w.count(axis)
            w.shape(indexShape)
            for i in indices { w.count(i) }
        case .element(let e):
            w.uint8(13)
            let (tag, attributes) = Self.functionCode(e.function)
            w.uint8(tag)
            for a in attributes { w.int64(a) }
            w.uint8(UInt8(e.inputFractionBits))
            w.uint8(UInt8(e.outputFractionBits))
            w.int64(e.lo)
            w.int64(e.hi)
        case .softmax(let axis, let log, let fo, let lo, let hi):
            w.uint8(14)
            w.count(axis)
            w.uint8(log ? 1 : 0)
            w.uint8(UInt8(fo))
            w.int64(lo)
            w.int64(hi)
        case .softmaxZero(let axis, let fo, let lo, let hi):
            w.uint8(14)
            w.count(axis)
            w.uint8(2)
            w.uint8(UInt8(fo))
            w.int64(lo)
            w.int64(hi)
        case .normalize(let axis, let epsilon, let centered, let fo, let lo, let hi):
            w.uint8(15)
            w.count(axis)
            w.int64(epsilon)
            w.uint8(centered ? 1 : 0)
            w.uint8(UInt8(fo))
            w.int64(lo)
            w.int64(hi)
        case .treeEnsemble(let e):
            w.uint8(16)
            let bytes = e.encoded()
            w.count(bytes.count)
            w.bytes(bytes)
        }
    }

    /// The tag and attributes of an element function in the encoding.
    static func functionCode(_ f: ElementFunction) -> (UInt8, [Int64]) {
        switch f {
        case .sigmoid: (1, [])
        case .tanh: (2, [])
        case .erf: (3, [])
        case .gelu: (4, [])
        case .geluTanh: (5, [])
        case .exp: (6, [])
        case .log: (7, [])
        case .softplus: (8, [])
        case .elu(let a): (9, [a])
        case .selu(let a, let g): (10, [a, g])
        case .leakyRelu(let a): (11, [a])
        case .hardSigmoid(let a, let b): (12, [a, b])
        case .hardSwish: (13, [])
        case .sqrt: (14, [])
        case .reciprocal: (15, [])
        case .square: (16, [])
        }
    }

    /// The element function of an encoding tag, reading its attributes.
    static func decodeFunction(_ r: inout ByteReader) throws(InferenceError) -> ElementFunction {
        switch try r.uint8() {
        case 1: return .sigmoid
        case 2: return .tanh
        case 3: return .erf
        case 4: return .gelu
        case 5: return .geluTanh
        case 6: return .exp
        case 7: return .log
        case 8: return .softplus
        case 9: return .elu(alpha: try r.int64())
        case 10: return .selu(alpha: try r.int64(), gamma: try r.int64())
        case 11: return .leakyRelu(alpha: try r.int64())
        case 12: return .hardSigmoid(alpha: try r.int64(), beta: try r.int64())
        case 13: return .hardSwish
        case 14: return .sqrt
        case 15: return .reciprocal
        case 16: return .square
        case let tag: throw .invalidEncoding(detail: "unknown element function \(tag)")
        }
    }

    /// Decodes and validates canonical bytes; never traps on hostile input.
    public init(decoding bytes: [UInt8]) throws(InferenceError) {
        var r = ByteReader(bytes)
        for m in Self.encodingMagic where try r.uint8() != m {
            throw .invalidEncoding(detail: "bad magic")
        }
        let version = try r.uint16()
        guard version == Self.encodingVersion else { throw .invalidEncoding(detail: "unsupported version \(version)") }
        let config = try QuantizationConfig(activationFractionBits: Int(try r.uint8()),
                                            weightFractionBits: Int(try r.uint8()),
                                            activationBits: Int(try r.uint8()))
        let inputShape = try r.shape()
        let input = try TensorInfo(shape: inputShape, fractionBits: Int(try r.uint8()), lo: try r.int64(), hi: try r.int64(), name: "input")
        let flags = try r.uint8()
        guard flags <= 15 else { throw .invalidEncoding(detail: "input flags \(flags)") }
        let nodeCount = Int(try r.uint16())
        guard nodeCount >= 1, nodeCount <= InferenceLimits.graphNodeCountMax else {
            throw .invalidEncoding(detail: "\(nodeCount) nodes")
        }
        let outputCount = Int(try r.uint8())
        var outputs: [Int] = []
        for _ in 0..<outputCount { outputs.append(try r.count(max: nodeCount)) }
        var nodes: [GraphNode] = []
        var layers: [LayerSpec] = []
        // Elements of every tensor so far, for the layers' input sizes (validated again by
        // `ModelSpec.init` through shape inference).
        var tensors: [TensorInfo] = [input]
        for i in 0..<nodeCount {
            let inputCount = Int(try r.uint8())
            var inputs: [Int] = []
            for _ in 0..<inputCount { inputs.append(try r.count(max: i)) }
            let op = try Self.decodeOperator(&r, inputs: inputs, tensors: tensors, layers: &layers)
            let node = GraphNode(op: op, inputs: inputs, name: "#\(i)")
            tensors.append(try op.infer(inputs.map { tensors[$0] }, layers: layers, config: config, node: "#\(i)"))
            nodes.append(node)
        }
        let labels = flags & 4 != 0 ? try ClassLabels(decoding: &r) : nil
        var features: [Int]?
        if flags & 8 != 0 {
            let n = try r.count16(max: InferenceLimits.tensorElementsMax)
            var e: [Int] = []
            for _ in 0..<n { e.append(Int(Int8(bitPattern: try r.uint8()))) }
            features = e
        }
        guard r.isAtEnd else { throw .invalidEncoding(detail: "trailing bytes after the last node") }
        try self.init(config: config, input: input, layers: layers, nodes: nodes, outputs: outputs,
                      batchable: flags & 1 != 0, integerInput: flags & 2 != 0, labels: labels,
                      inputFeatureFractionBits: features)
    }

    private static func decodeOperator(_ r: inout ByteReader, inputs: [Int], tensors: [TensorInfo],
                                       layers: inout [LayerSpec]) throws(InferenceError) -> GraphOperator {
        let dimensionMax = LayerGeometryLimits.dimensionMax
        switch try r.uint8() {
        case 1:
            guard let source = inputs.first, inputs.count == 1 else { throw .invalidEncoding(detail: "a linear node reads one tensor") }
            let stepCount = Int(try r.uint8())
            var steps: [ActivationStep] = []
            for _ in 0..<stepCount {
                let tag = try r.uint8()
                switch tag {
                case 1, 2:
                    var v: [Int] = []
                    for _ in 0..<7 { v.append(try r.count(max: dimensionMax)) }
                    let g = try PoolGeometry(channels: v[0], inputHeight: v[1], inputWidth: v[2],
                                             kernelHeight: v[3], kernelWidth: v[4], strideHeight: v[5], strideWidth: v[6])
                    steps.append(tag == 1 ? .maxPool(g) : .averagePool(g))
                case 3:
                    let lo = try r.int64(), hi = try r.int64()
                    guard lo <= hi else { throw .invalidEncoding(detail: "clamp range [\(lo), \(hi)]") }
                    steps.append(.clamp(lo: lo, hi: hi))
                default:
                    throw .invalidEncoding(detail: "unknown prepare step \(tag)")
                }
            }
            let kind: LayerSpec.Kind
            switch try r.uint8() {
            case 1:
                kind = .dense
            case 2:
                var v: [Int] = []
                for _ in 0..<13 { v.append(try r.count(max: dimensionMax)) }
                kind = .convolution(try ConvolutionGeometry(
                    inputChannels: v[0], inputHeight: v[1], inputWidth: v[2], kernelHeight: v[3], kernelWidth: v[4],
                    strideHeight: v[5], strideWidth: v[6], padTop: v[7], padLeft: v[8], padBottom: v[9], padRight: v[10],
                    dilationHeight: v[11], dilationWidth: v[12]))
            case 3:
                kind = .tokens(count: try r.count(max: InferenceLimits.tensorElementsMax))
            case 4:
                let shape = try r.shape()
                var parameterShape: [Int] = []
                for _ in shape { parameterShape.append(try r.count(max: InferenceLimits.tensorElementsMax)) }
                kind = .elementwise(try ElementwiseGeometry(shape: shape, parameterShape: parameterShape))
            case 5:
                let vocabulary = try r.count(max: InferenceLimits.tensorElementsMax)
                let count = try r.count(max: InferenceLimits.tensorElementsMax)
                let f = Int(try r.uint8())
                guard f <= 30 else { throw .invalidEncoding(detail: "embedding scale \(f)") }
                kind = .oneHot(vocabulary: vocabulary, count: count, fractionBits: f)
            case let tag:
                throw .invalidEncoding(detail: "unknown layer kind \(tag)")
            }
            let rows = try r.count(max: InferenceLimits.tensorElementsMax)
            let activation = try r.activation()
            let bits = Int(try r.uint8())
            guard layers.count < InferenceLimits.layerCountMax else {
                throw .tooManyLayers(count: layers.count + 1, limit: InferenceLimits.layerCountMax)
            }
            layers.append(try LayerSpec(inputElements: tensors[source].elements, prepare: steps, kind: kind, rows: rows,
                                        activation: activation, accumulatorBits: bits))
            return .linear(layer: layers.count - 1, shape: try r.shape())
        case 2:
            return .matMul(activation: try r.activation())
        case 3:
            let shift = try r.int64()
            guard (-30...30).contains(shift) else { throw .invalidEncoding(detail: "rescale shift \(shift)") }
            return .rescale(shift: Int(shift), lo: try r.int64(), hi: try r.int64())
        case 4:
            guard let kind = BinaryOperation.Kind(rawValue: try r.uint8()) else { throw .invalidEncoding(detail: "unknown binary operation") }
            var constant: BinaryOperation.Constant?
            switch try r.uint8() {
            case 0: break
            case let tag where tag <= 2:
                let value = try r.int64()
                let f = Int(try r.uint8())
                guard f <= 30 else { throw .invalidEncoding(detail: "constant scale \(f)") }
                constant = .init(value: value, fractionBits: f, first: tag == 2)
            default: throw .invalidEncoding(detail: "unknown constant position")
            }
            let fo = Int(try r.uint8())
            return .binary(BinaryOperation(kind: kind, constant: constant, outputFractionBits: fo, lo: try r.int64(), hi: try r.int64()))
        case 5:
            let flags = try r.uint8()
            guard flags < 8 else { throw .invalidEncoding(detail: "pool flags \(flags)") }
            var v: [Int] = []
            for _ in 0..<10 { v.append(try r.count(max: dimensionMax)) }
            return .pool(PoolSpec(isMax: flags & 1 != 0, kernel: Array(v[0..<2]), strides: Array(v[2..<4]), pads: Array(v[4..<8]),
                                  dilations: Array(v[8..<10]), ceilMode: flags & 2 != 0, countIncludePad: flags & 4 != 0))
        case 6:
            guard let kind = ReduceSpec.Kind(rawValue: try r.uint8()) else { throw .invalidEncoding(detail: "unknown reduction") }
            let keep = try r.uint8()
            guard keep <= 1 else { throw .invalidEncoding(detail: "keepdims flag \(keep)") }
            return .reduce(ReduceSpec(kind: kind, axes: try r.shape(allowZero: true), keepDimensions: keep == 1,
                                      lo: try r.int64(), hi: try r.int64()))
        case 7: return .transpose(permutation: try r.shape(allowZero: true))
        case 8: return .reshape(shape: try r.shape())
        case 9: return .concat(axis: try r.count(max: InferenceLimits.rankMax))
        case 10: return .slice(starts: try r.shape(allowZero: true), counts: try r.shape(), steps: try r.shape())
        case 11: return .pad(begins: try r.shape(allowZero: true), ends: try r.shape(allowZero: true), value: try r.int64())
        case 12:
            let axis = try r.count(max: InferenceLimits.rankMax)
            let indexShape = try r.shape()
            var count = 1
            for d in indexShape { count = min(count * d, InferenceLimits.tensorElementsMax + 1) }
            guard count <= InferenceLimits.tensorElementsMax else { throw .invalidEncoding(detail: "gather of \(count) indices") }
            var indices: [Int] = []
            for _ in 0..<count { indices.append(try r.count(max: InferenceLimits.tensorElementsMax)) }
            return .gather(axis: axis, indices: indices, indexShape: indexShape)
        case 13:
            let function = try decodeFunction(&r)
            let fi = Int(try r.uint8()), fo = Int(try r.uint8())
            return .element(try ElementOperator(function, inputFractionBits: fi, outputFractionBits: fo, lo: try r.int64(), hi: try r.int64()))
        case 14:
            let axis = try r.count(max: InferenceLimits.rankMax)
            let variant = try r.uint8()
            guard variant <= 2 else { throw .invalidEncoding(detail: "softmax flag \(variant)") }
            let fo = Int(try r.uint8())
            guard fo <= 30 else { throw .invalidEncoding(detail: "softmax scale \(fo)") }
            if variant == 2 { return .softmaxZero(axis: axis, outputFractionBits: fo, lo: try r.int64(), hi: try r.int64()) }
            return .softmax(axis: axis, log: variant == 1, outputFractionBits: fo, lo: try r.int64(), hi: try r.int64())
        case 15:
            let axis = try r.count(max: InferenceLimits.rankMax)
            let epsilon = try r.int64()
            guard epsilon >= 0, epsilon <= AxisReductions.epsilonMax else { throw .invalidEncoding(detail: "epsilon \(epsilon)") }
            let centered = try r.uint8()
            guard centered <= 1 else { throw .invalidEncoding(detail: "normalisation flag \(centered)") }
            let fo = Int(try r.uint8())
            guard fo <= 30 else { throw .invalidEncoding(detail: "normalisation scale \(fo)") }
            return .normalize(axis: axis, epsilon: epsilon, centered: centered == 1, outputFractionBits: fo, lo: try r.int64(), hi: try r.int64())
        case 16:
            let n = try r.count(max: ProofLimits.modelSpecBytesMax)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(n)
            for _ in 0..<n { bytes.append(try r.uint8()) }
            return .treeEnsemble(try TreeEnsembleSpec(decoding: bytes))
        case let tag:
            throw .invalidEncoding(detail: "unknown operator \(tag)")
        }
    }
}

extension ByteWriter {
    /// A rank (u8) and that many u32 values.
    mutating func shape(_ dims: [Int]) {
        uint8(UInt8(truncatingIfNeeded: dims.count))
        for d in dims { count(d) }
    }

    /// Shift u8, lo i64, hi i64.
    mutating func activation(_ a: Activation) {
        uint8(UInt8(a.shift))
        int64(a.lo)
        int64(a.hi)
    }
}

extension ByteReader {
    /// A u16 count, refused above `max`.
    mutating func count16(max: Int) throws(InferenceError) -> Int {
        let v = Int(try uint16())
        guard v <= max else { throw .invalidEncoding(detail: "count \(v) exceeds \(max)") }
        return v
    }

    /// A rank (at most `rankMax`) and that many values (each at most `tensorElementsMax`;
    /// zero refused unless `allowZero`).
    mutating func shape(allowZero: Bool = false) throws(InferenceError) -> [Int] {
        let rank = Int(try uint8())
        guard rank <= InferenceLimits.rankMax else { throw .invalidEncoding(detail: "rank \(rank)") }
        var dims: [Int] = []
        for _ in 0..<rank {
            let d = try count(max: InferenceLimits.tensorElementsMax)
            guard allowZero || d >= 1 else { throw .invalidEncoding(detail: "zero dimension") }
            dims.append(d)
        }
        return dims
    }

    /// An `Activation`, validated.
    mutating func activation() throws(InferenceError) -> Activation {
        try Activation(shift: Int(try uint8()), lo: try int64(), hi: try int64())
    }
}
