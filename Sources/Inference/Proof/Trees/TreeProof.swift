import ZKProof

/// A tree-ensemble step's section of an inference proof (`InferenceProof.trees`), decoded
/// against the step's description and table layouts and the number of items the statement's
/// input holds.
///
/// Format (big-endian; every count but the path lengths comes from the commitment):
///
///     per item, per tree: u8 L (1 ≤ L ≤ depth_t + 1), then L steps:
///         u32 node id | u8 kind (0 internal, 1 leaf)
///         internal: u32 feature | i64 threshold | u8 mode (0 ≤, 1 =) | u32 true child | u32 false child
///         leaf:     targets × i64 values
///     the sum-check (`SumCheckProof` of the shape [8·nodes, targets·nodes], one claim each)
///     the node table's row combination (2^c_N scalars) | the value table's (2^c_V scalars)
///
/// Decoding refuses a path length outside its tree's bound, an unknown kind or mode,
/// truncation and non-canonical scalars.
struct TreeProof: Equatable, Sendable {
    /// One visited node and the contents the prover claims for it.
    struct Step: Equatable, Sendable {
        /// The node id.
        var id: Int
        /// Its claimed contents (for a leaf, `TreeEnsemble.Node.leaf`).
        var node: TreeEnsemble.Node
        /// A leaf's claimed values (empty for an internal node).
        var values: [Int64]
    }

    /// `paths[item][tree]`: the steps, root first.
    var paths: [[[Step]]]
    /// The sum-check binding every claimed content to the tables.
    var sumCheck: SumCheckProof
    /// `t_N`, the node table's row combination at its sum-check point.
    var nodeCombination: [Scalar]
    /// `t_V`, the value table's.
    var valueCombination: [Scalar]

    /// The integers one step stands for, as absorbed: `id, kind, feature, threshold, mode,
    /// true, false` for an internal node, `id, kind, values…` for a leaf.
    static func integers(_ step: Step) -> [Int64] {
        step.node.isLeaf ? [Int64(step.id), 1] + step.values
            : [Int64(step.id), 0, Int64(step.node.feature), step.node.threshold, step.node.equal ? 1 : 0,
               Int64(step.node.trueChild), Int64(step.node.falseChild)]
    }

    /// The canonical bytes: the section of an inference proof.
    func write(to w: inout ProofWriter) {
        for item in paths {
            for path in item {
                w.u8(UInt8(truncatingIfNeeded: path.count))
                for step in path {
                    w.u32(UInt32(truncatingIfNeeded: step.id))
                    w.u8(step.node.isLeaf ? 1 : 0)
                    if step.node.isLeaf {
                        for v in step.values { w.int64(v) }
                    } else {
                        w.u32(UInt32(truncatingIfNeeded: step.node.feature))
                        w.int64(step.node.threshold)
                        w.u8(step.node.equal ? 1 : 0)
                        w.u32(UInt32(truncatingIfNeeded: step.node.trueChild))
                        w.u32(UInt32(truncatingIfNeeded: step.node.falseChild))
                    }
                }
            }
        }
        sumCheck.write(to: &w)
        w.scalars(nodeCombination)
        w.scalars(valueCombination)
    }

    /// Reads a section (see `write(to:)`) for `items` items of an ensemble `spec` whose tables
    /// are cut as `tables`.
    init(reading r: inout ProofReader, spec: TreeEnsembleSpec, tables: CommitmentLayout.TreeTables,
         items: Int) throws(ProofFormatError) {
        var paths: [[[Step]]] = []
        for _ in 0..<items {
            var item: [[Step]] = []
            for (t, tree) in spec.trees.enumerated() {
                let at = r.offset
                let length = Int(try r.u8())
                guard length >= 1, length <= tree.depth + 1 else {
                    throw .countOverLimit(field: "tree \(t) path length", count: length, limit: tree.depth + 1, offset: at)
                }
                var path: [Step] = []
                for _ in 0..<length {
                    let id = Int(try r.u32())
                    let kindAt = r.offset
                    switch try r.u8() {
                    case 1:
                        let values = try (0..<spec.targetCount).map { _ throws(ProofFormatError) in try r.int64() }
                        path.append(Step(id: id, node: .leaf, values: values))
                    case 0:
                        let feature = Int(try r.u32())
                        let threshold = try r.int64()
                        let modeAt = r.offset
                        let mode = try r.u8()
                        guard mode <= 1 else { throw .invalidValue(field: "comparison mode", offset: modeAt) }
                        let yes = Int(try r.u32()), no = Int(try r.u32())
                        path.append(Step(id: id, node: TreeEnsemble.Node(isLeaf: false, feature: feature, threshold: threshold,
                                                                         equal: mode == 1, trueChild: yes, falseChild: no),
                                         values: []))
                    default:
                        throw .invalidValue(field: "node kind", offset: kindAt)
                    }
                }
                item.append(path)
            }
            paths.append(item)
        }
        let shape: SumCheck.Shape
        do {
            shape = try TreeProtocol.shape(tables)
        } catch { throw .invalidValue(field: "sum-check shape", offset: r.offset) }
        let sumCheck = try SumCheckProof(reading: &r, shape: shape)
        let nodeCombination = try r.scalars(tables.node.width)
        let valueCombination = try r.scalars(tables.value.width)
        self.init(paths: paths, sumCheck: sumCheck, nodeCombination: nodeCombination, valueCombination: valueCombination)
    }

    init(paths: [[[Step]]], sumCheck: SumCheckProof, nodeCombination: [Scalar], valueCombination: [Scalar]) {
        self.paths = paths
        self.sumCheck = sumCheck
        self.nodeCombination = nodeCombination
        self.valueCombination = valueCombination
    }
}
