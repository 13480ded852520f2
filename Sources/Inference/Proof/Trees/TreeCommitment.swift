import ZKProof

/// The commitment of a tree ensemble: its description in the clear and its two tables as
/// Hyrax row commitments (docs/PROTOCOL.md, "Tree ensembles").
///
/// - the **node table** `N` (`Node.fieldCount = 8` entries per node:
///   `[isLeaf, feature, threshold, mode, trueChild, falseChild, 0, 0]`),
/// - the **value table** `V` (`targets` entries per node: a leaf's values, 0 elsewhere),
///
/// each cut into rows of `2^c` entries with `c = min(12, ⌈n/2⌉)` for its `n = ⌈log₂ N⌉`
/// variables (about `√N` rows of `√N` entries). Encoding (big-endian):
///
///     magic "PMTC" | version u16 = 1 | digest 32 bytes | u32 length + description
///     u32 node-table row count | 33-byte points | u32 value-table row count | points
///
/// Decoding derives both layouts from the description, checks both counts, validates every
/// point and refuses trailing bytes.
public struct TreeCommitment: Sendable {
    /// The four magic bytes.
    static let magic: [UInt8] = Array("PMTC".utf8)
    /// The encoding version.
    static let version: UInt16 = 1

    /// The public description.
    public let spec: TreeEnsembleSpec
    /// `SHA-256("PMTD" ‖ description ‖ u32 |N| ‖ N as i64 ‖ u32 |V| ‖ V as i64)`.
    public let modelDigest: [UInt8]
    /// Row commitments of the node table.
    public let nodeRows: [CurvePoint]
    /// Row commitments of the value table.
    public let valueRows: [CurvePoint]
    /// The canonical bytes.
    public let encoded: [UInt8]

    /// How the node table is cut into rows.
    public let nodeLayout: TableOpening.Layout
    /// How the value table is cut into rows.
    public let valueLayout: TableOpening.Layout

    /// Both layouts, from the description alone (the description's limits keep both tables
    /// under `SumCheck.paddedEntriesMax`, so this fails only for a description no import makes).
    static func layouts(_ spec: TreeEnsembleSpec) throws(SumCheckError) -> (node: TableOpening.Layout, value: TableOpening.Layout) {
        func layout(_ entries: Int) throws(SumCheckError) -> TableOpening.Layout {
            let n = Multilinear.variableCount(entries)
            return try TableOpening.Layout(entries: entries, columnVariables: min(12, (n + 1) / 2))
        }
        return (try layout(spec.nodeCount * TreeEnsemble.Node.fieldCount), try layout(spec.nodeCount * spec.targetCount))
    }

    /// The digest of a model (description and both tables).
    static func digest(_ model: TreeEnsemble) -> [UInt8] {
        var w = ProofWriter()
        w.raw(Array("PMTD".utf8))
        w.raw(model.spec.encoded())
        w.int64Array(model.nodeTable)
        w.int64Array(model.values)
        return SHA256Digest.hash(w.bytes)
    }

    /// Commits a model (registration).
    public static func commit(_ model: TreeEnsemble) throws(SumCheckError) -> TreeCommitment {
        let (node, value) = try layouts(model.spec)
        let nodeRows = Hyrax.commit(model.nodeTable, columnCount: node.width)
        let valueRows = Hyrax.commit(model.values, columnCount: value.width)
        return TreeCommitment(spec: model.spec, layouts: (node, value), digest: digest(model), nodeRows: nodeRows, valueRows: valueRows)
    }

    init(spec: TreeEnsembleSpec, layouts: (node: TableOpening.Layout, value: TableOpening.Layout), digest: [UInt8],
         nodeRows: [CurvePoint], valueRows: [CurvePoint]) {
        self.spec = spec
        self.nodeLayout = layouts.node
        self.valueLayout = layouts.value
        self.modelDigest = digest
        self.nodeRows = nodeRows
        self.valueRows = valueRows
        var w = ProofWriter()
        w.raw(Self.magic)
        w.u16(Self.version)
        w.raw(digest)
        w.byteString(spec.encoded())
        w.u32(UInt32(truncatingIfNeeded: nodeRows.count))
        for p in nodeRows { w.point(p) }
        w.u32(UInt32(truncatingIfNeeded: valueRows.count))
        for p in valueRows { w.point(p) }
        encoded = w.bytes
    }

    /// Decodes stored bytes, validating every count and point.
    public init(decoding bytes: [UInt8]) throws(ProofFormatError) {
        var r = ProofReader(bytes)
        guard try r.raw(4) == Self.magic else { throw .badMagic(offset: 0) }
        let version = try r.u16()
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let digest = try r.raw(SHA256Digest.byteCount)
        let at = r.offset
        let description = try r.byteString("description", max: ProofLimits.modelSpecBytesMax)
        guard let spec = try? TreeEnsembleSpec(decoding: description) else { throw .invalidValue(field: "description", offset: at) }
        guard let (node, value) = try? Self.layouts(spec) else { throw .invalidValue(field: "description", offset: at) }
        try r.expectCount("node-table rows", node.rowCount)
        let nodeRows = try r.points(node.rowCount)
        try r.expectCount("value-table rows", value.rowCount)
        let valueRows = try r.points(value.rowCount)
        try r.finish()
        self.init(spec: spec, layouts: (node, value), digest: digest, nodeRows: nodeRows, valueRows: valueRows)
    }
}
