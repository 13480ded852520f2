import ZKProof

/// The bytes of a v1 inference proof, decoded against a commitment's layout.
///
/// Format (big-endian; all counts but the checked ones come from the commitment):
///
///     magic "PMIP" | version u16 = 1 | layer count u16 (must equal the model's)
///     for each layer k:  u32 count (must equal m_k·P_k) | Z_k as i64 × m_k·P_k
///     for each layer k:  t_k  (weight row combination) as canonical scalars × w_k
///                        β_k  (bias row combination)   as canonical scalars × w'_k
///
/// Nothing else: the output is recomputed from `Z` by the verifier, and there are no points.
/// Decoding refuses bad magic, other versions, counts other than the model's, truncation,
/// non-canonical scalars and trailing bytes, each with a typed `ProofFormatError`.
struct InferenceProof: Equatable, Sendable {
    /// The four magic bytes.
    static let magic: [UInt8] = Array("PMIP".utf8)
    /// Bytes before the first layer: magic, version, layer count.
    static let headerByteCount = 8

    /// `Z_k`, one per layer (`m_k × P_k`, row-major).
    var preActivations: [[Int64]]
    /// `t_k = eq(r_k,hi)ᵀ · T_k` for each layer's weight table.
    var weightCombinations: [[Scalar]]
    /// `β_k = eq(r_k,hi')ᵀ · B_k` for each layer's bias table.
    var biasCombinations: [[Scalar]]

    /// The canonical bytes.
    func encoded() -> [UInt8] {
        var w = ProofWriter()
        w.raw(Self.magic)
        w.u16(InferenceProtocol.version)
        w.u16(UInt16(truncatingIfNeeded: preActivations.count))
        for z in preActivations { w.int64Array(z) }
        for (t, beta) in zip(weightCombinations, biasCombinations) {
            w.scalars(t)
            w.scalars(beta)
        }
        return w.bytes
    }

    /// Decodes untrusted bytes; every length is the one `layout` fixes.
    init(decoding bytes: [UInt8], layout: CommitmentLayout) throws(ProofFormatError) {
        var r = ProofReader(bytes)
        guard try r.raw(4) == Self.magic else { throw .badMagic(offset: 0) }
        let version = try r.u16()
        guard version == InferenceProtocol.version else { throw .unsupportedVersion(version) }
        let at = r.offset
        let layerCount = Int(try r.u16())
        guard layerCount == layout.layers.count else {
            throw .countMismatch(field: "layers", expected: layout.layers.count, actual: layerCount, offset: at)
        }
        var z: [[Int64]] = []
        for (k, shape) in layout.layers.enumerated() {
            try r.expectCount("layer \(k) pre-activations", shape.rows * shape.positions)
            z.append(try r.int64s(shape.rows * shape.positions))
        }
        var t: [[Scalar]] = []
        var beta: [[Scalar]] = []
        for shape in layout.layers {
            t.append(try r.scalars(shape.weights.width))
            beta.append(try r.scalars(shape.bias.width))
        }
        try r.finish()
        self.init(preActivations: z, weightCombinations: t, biasCombinations: beta)
    }

    init(preActivations: [[Int64]], weightCombinations: [[Scalar]], biasCombinations: [[Scalar]]) {
        self.preActivations = preActivations
        self.weightCombinations = weightCombinations
        self.biasCombinations = biasCombinations
    }
}
