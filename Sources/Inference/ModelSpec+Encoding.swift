/// The canonical byte form of a `ModelSpec`, which a model commitment carries.
///
/// Layout (big-endian): magic `PMQS`, version u16, then the config (three u8), the input
/// shape (rank u8, dims u32), the layer count u16 and per layer: prepare steps (count u8; each
/// a tag u8 — 1 max pool, 2 average pool with seven u32 geometry fields, 3 clamp with lo, hi
/// as i64), the kind (tag u8 — 1 dense, 2 convolution with eleven u32 geometry fields), rows
/// u32, activation (shift u8, lo i64, hi i64) and accumulator bits u8. Derived values (layer
/// input sizes, output sizes) are not stored: decoding recomputes them through the same
/// validating initialisers the importer uses, and refuses trailing bytes.
extension ModelSpec {
    /// The four magic bytes `PMQS`.
    public static let encodingMagic: [UInt8] = Array("PMQS".utf8)
    /// The encoding version; bump it whenever `IntegerSemantics` or this layout changes.
    public static let encodingVersion: UInt16 = 1

    /// The canonical bytes.
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.bytes(Self.encodingMagic)
        w.uint16(Self.encodingVersion)
        w.uint8(UInt8(config.activationFractionBits))
        w.uint8(UInt8(config.weightFractionBits))
        w.uint8(UInt8(config.activationBits))
        w.uint8(UInt8(inputShape.count))
        for d in inputShape { w.count(d) }
        w.uint16(UInt16(layers.count))
        for layer in layers {
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
                          g.strideHeight, g.strideWidth, g.padTop, g.padLeft, g.padBottom, g.padRight] { w.count(v) }
            }
            w.count(layer.rows)
            w.uint8(UInt8(layer.activation.shift))
            w.int64(layer.activation.lo)
            w.int64(layer.activation.hi)
            w.uint8(UInt8(layer.accumulatorBits))
        }
        return w.output
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
        let rank = Int(try r.uint8())
        guard rank >= 1, rank <= InferenceLimits.rankMax else { throw .invalidEncoding(detail: "rank \(rank)") }
        var inputShape: [Int] = []
        for _ in 0..<rank { inputShape.append(try r.count(max: InferenceLimits.tensorElementsMax)) }
        let layerCount = Int(try r.uint16())
        guard layerCount <= InferenceLimits.layerCountMax else {
            throw .tooManyLayers(count: layerCount, limit: InferenceLimits.layerCountMax)
        }
        let dimensionMax = LayerGeometryLimits.dimensionMax
        var elements = 1
        for d in inputShape { elements = min(elements * d, InferenceLimits.tensorElementsMax + 1) }
        var layers: [LayerSpec] = []
        for _ in 0..<layerCount {
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
                for _ in 0..<11 { v.append(try r.count(max: dimensionMax)) }
                kind = .convolution(try ConvolutionGeometry(
                    inputChannels: v[0], inputHeight: v[1], inputWidth: v[2], kernelHeight: v[3], kernelWidth: v[4],
                    strideHeight: v[5], strideWidth: v[6], padTop: v[7], padLeft: v[8], padBottom: v[9], padRight: v[10]))
            case let tag:
                throw .invalidEncoding(detail: "unknown layer kind \(tag)")
            }
            let rows = try r.count(max: InferenceLimits.tensorElementsMax)
            let activation = try Activation(shift: Int(try r.uint8()), lo: try r.int64(), hi: try r.int64())
            let bits = Int(try r.uint8())
            let layer = try LayerSpec(inputElements: elements, prepare: steps, kind: kind, rows: rows,
                                      activation: activation, accumulatorBits: bits)
            layers.append(layer)
            elements = layer.outputElements
        }
        guard r.isAtEnd else { throw .invalidEncoding(detail: "trailing bytes after the last layer") }
        try self.init(config: config, inputShape: inputShape, layers: layers)
    }
}
