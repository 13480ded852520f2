import ZKProof

/// The canonical bytes of a tree-ensemble description (big-endian):
///
///     magic "PMTE" | version u16 = 1 | q u8 | f_in u8 | f_leaf u8 | f_out u8 | f_p u8
///     aggregate u8 | post-transform u8 | binary u8 | leafBits u8
///     features u32 | targets u32 | trees u32 | per tree: nodes u32, depth u8
///     base values: targets × i64
///
/// Tree starts are derived (trees are laid one after another). Decoding re-validates through
/// `init` and refuses trailing bytes.
extension TreeEnsembleSpec {
    /// The four magic bytes.
    static let magic: [UInt8] = Array("PMTE".utf8)
    /// The encoding version.
    static let encodingVersion: UInt16 = 1

    /// The canonical description.
    public func encoded() -> [UInt8] {
        var w = ProofWriter()
        w.raw(Self.magic)
        w.u16(Self.encodingVersion)
        for b in [activationBits, inputFractionBits, leafFractionBits, outputFractionBits, probabilityFractionBits] {
            w.u8(UInt8(truncatingIfNeeded: b))
        }
        w.u8(aggregate.rawValue)
        w.u8(postTransform.rawValue)
        w.u8(binary ? 1 : 0)
        w.u8(UInt8(truncatingIfNeeded: leafBits))
        w.u32(UInt32(truncatingIfNeeded: featureCount))
        w.u32(UInt32(truncatingIfNeeded: targetCount))
        w.u32(UInt32(truncatingIfNeeded: trees.count))
        for tree in trees {
            w.u32(UInt32(truncatingIfNeeded: tree.count))
            w.u8(UInt8(truncatingIfNeeded: tree.depth))
        }
        for b in base { w.int64(b) }
        return w.bytes
    }

    /// Decodes untrusted bytes (every count bounded before it is used).
    public init(decoding bytes: [UInt8]) throws(InferenceError) {
        var r = ProofReader(bytes)
        do {
            guard try r.raw(4) == Self.magic, try r.u16() == Self.encodingVersion else {
                throw InferenceError.invalidEncoding(detail: "not a version 1 tree-ensemble description")
            }
            let scales = try (0..<5).map { _ throws(ProofFormatError) in Int(try r.u8()) }
            guard let aggregate = Aggregate(rawValue: try r.u8()), let post = PostTransform(rawValue: try r.u8()) else {
                throw InferenceError.invalidEncoding(detail: "unknown aggregate or post-transform")
            }
            let binary = try r.u8()
            guard binary <= 1 else { throw InferenceError.invalidEncoding(detail: "binary flag \(binary)") }
            let leafBits = Int(try r.u8())
            let features = Int(try r.u32()), targets = Int(try r.u32())
            let treeCount = try r.count("trees", max: Self.treeCountMax)
            var sizes: [(count: Int, depth: Int)] = []
            for _ in 0..<treeCount { sizes.append((Int(try r.u32()), Int(try r.u8()))) }
            guard targets <= Self.widthMax else { throw InferenceError.invalidEncoding(detail: "\(targets) targets") }
            let base = try (0..<targets).map { _ throws(ProofFormatError) in try r.int64() }
            try r.finish()
            try self.init(activationBits: scales[0], inputFractionBits: scales[1], leafFractionBits: scales[2],
                          outputFractionBits: scales[3], probabilityFractionBits: scales[4], aggregate: aggregate,
                          postTransform: post, binary: binary == 1, leafBits: leafBits, featureCount: features,
                          targetCount: targets, treeSizes: sizes, base: base)
        } catch let error as InferenceError {
            throw error
        } catch {
            throw .invalidEncoding(detail: "tree-ensemble description: \(error)")
        }
    }
}
