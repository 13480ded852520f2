import ZKProof

/// The bytes of an inference proof (protocol version 2), decoded against a commitment's
/// layout and the batch size the statement's input implies.
///
/// Format (big-endian; all counts but the checked ones come from the commitment):
///
///     magic "PMIP" | version u16 = 2 | layer count u16 | product count u16 (both must equal the model's)
///     for each layer k:    u32 count (must equal m_k·B·P_k) | Z_k packed
///     for each product j:  u32 count (must equal B·T_j·m_j·n_j) | Z_j packed
///     for each layer k:    t_k  (weight row combination) as canonical scalars × w_k
///                          β_k  (bias row combination)   as canonical scalars × w'_k
///     if the model has element-wise layers: the sum-check (`SumCheckProof`, 3n + K scalars)
///     for each tree-ensemble step e: its section (`TreeProof.write(to:)`: per item, per tree,
///                          the path and the claimed node contents; the tables' sum-check;
///                          both row combinations)
///
/// where "packed" is `ProofWriter.packedInt64Array`: a width byte, then each value's zigzag form
/// in that many bits (the width is the least that holds every value; padding bits are zero).
/// Nothing else: the output is recomputed from `Z` by the verifier, and there are no points.
/// Decoding refuses bad magic, other versions, counts other than the model's, truncation,
/// non-canonical scalars and trailing bytes, each with a typed `ProofFormatError`.
struct InferenceProof: Equatable, Sendable {
    /// The four magic bytes.
    static let magic: [UInt8] = Array("PMIP".utf8)
    /// Bytes before the first layer: magic, version, layer count, product count.
    static let headerByteCount = 10

    /// `Z_k`, one per layer (`m_k × B·P_k`, row-major, items side by side).
    var preActivations: [[Int64]]
    /// `Z_j = A·B`, one per product step (the items one after another).
    var products: [[Int64]]
    /// `t_k = eq(r_k,hi)ᵀ · T_k` for each layer's weight table.
    var weightCombinations: [[Scalar]]
    /// `β_k = eq(r_k,hi')ᵀ · B_k` for each layer's bias table.
    var biasCombinations: [[Scalar]]
    /// The sum-check over the element-wise layers' weight vectors (nil when there are none).
    var sumCheck: SumCheckProof?
    /// Each tree-ensemble step's paths and table proof, in node order.
    var trees: [TreeProof] = []

    /// The canonical bytes.
    func encoded() -> [UInt8] {
        var w = ProofWriter()
        w.raw(Self.magic)
        w.u16(InferenceProtocol.version)
        w.u16(UInt16(truncatingIfNeeded: preActivations.count))
        w.u16(UInt16(truncatingIfNeeded: products.count))
        for z in preActivations { w.packedInt64Array(z) }
        for z in products { w.packedInt64Array(z) }
        for (t, beta) in zip(weightCombinations, biasCombinations) {
            w.scalars(t)
            w.scalars(beta)
        }
        sumCheck?.write(to: &w)
        for tree in trees { tree.write(to: &w) }
        return w.bytes
    }

    /// Decodes untrusted bytes; every length is the one `layout`, `spec` and `items` fix.
    init(decoding bytes: [UInt8], layout: CommitmentLayout, spec: ModelSpec, items: Int) throws(ProofFormatError) {
        var r = ProofReader(bytes)
        guard try r.raw(4) == Self.magic else { throw .badMagic(offset: 0) }
        let version = try r.u16()
        guard version == InferenceProtocol.version else { throw .unsupportedVersion(version) }
        var at = r.offset
        let layerCount = Int(try r.u16())
        guard layerCount == layout.layers.count else {
            throw .countMismatch(field: "layers", expected: layout.layers.count, actual: layerCount, offset: at)
        }
        at = r.offset
        let productCount = Int(try r.u16())
        guard productCount == spec.productNodes.count else {
            throw .countMismatch(field: "products", expected: spec.productNodes.count, actual: productCount, offset: at)
        }
        var z: [[Int64]] = []
        for (k, shape) in layout.layers.enumerated() {
            try r.expectCount("layer \(k) pre-activations", shape.rows * shape.positions * items)
            z.append(try r.packedInt64s(shape.rows * shape.positions * items))
        }
        var products: [[Int64]] = []
        for j in 0..<productCount {
            let n = spec.tensors[spec.productNodes[j] + 1].elements * items
            try r.expectCount("product \(j)", n)
            products.append(try r.packedInt64s(n))
        }
        var t: [[Scalar]] = []
        var beta: [[Scalar]] = []
        for shape in layout.layers {
            t.append(try r.scalars(shape.weights.width))
            beta.append(try r.scalars(shape.bias.width))
        }
        var sumCheck: SumCheckProof?
        if let shape = layout.sumCheckShape { sumCheck = try SumCheckProof(reading: &r, shape: shape) }
        var trees: [TreeProof] = []
        for (e, tree) in zip(layout.trees, spec.treeEnsembles) {
            trees.append(try TreeProof(reading: &r, spec: tree, tables: e, items: items))
        }
        try r.finish()
        self.init(preActivations: z, products: products, weightCombinations: t, biasCombinations: beta, sumCheck: sumCheck,
                  trees: trees)
    }

    init(preActivations: [[Int64]], products: [[Int64]], weightCombinations: [[Scalar]], biasCombinations: [[Scalar]],
         sumCheck: SumCheckProof? = nil, trees: [TreeProof] = []) {
        self.trees = trees
        self.preActivations = preActivations
        self.products = products
        self.weightCombinations = weightCombinations
        self.biasCombinations = biasCombinations
        self.sumCheck = sumCheck
    }
}
