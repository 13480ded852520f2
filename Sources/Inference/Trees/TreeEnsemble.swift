/// A quantised tree ensemble (ONNX `ai.onnx.ml` `TreeEnsembleClassifier`,
/// `TreeEnsembleRegressor`, `TreeEnsemble`): the public description (`TreeEnsembleSpec`) and the
/// committed node tables.
///
/// Integer semantics (docs/PROTOCOL.md, "Tree ensembles"): the input `X` is an integer vector
/// at `2^-f_in`. Every internal node holds a feature index `j`, an integer threshold `T` and
/// a mode: `leq` goes to the true child iff `X[j] ≤ T`, `equal` iff `X[j] = T`. The six ONNX
/// modes become these two exactly at import (`TreeEnsembleSpec.quantise`). Each tree is walked
/// from its root (its first node) to a leaf; the leaf's values (one per target, at
/// `2^-f_leaf`) are aggregated over the trees (`sum`, or `min`/`max` per target), the base
/// values added, the total rescaled to `2^-f_out` (`roundShift`), clamped to the activation
/// range, then post-transformed (`TreeEnsembleSpec.finish`).
public struct TreeEnsemble: Sendable, Equatable {
    /// One node of the committed table (ids are global: tree `t` owns ids
    /// `start_t ..< start_t + count_t`).
    public struct Node: Sendable, Equatable, Hashable {
        /// Whether this node is a leaf (then only `values` matter).
        public var isLeaf: Bool
        /// The feature an internal node compares.
        public var feature: Int
        /// The integer threshold, at the input's scale.
        public var threshold: Int64
        /// Whether the true branch is `X[feature] = threshold` rather than `≤`.
        public var equal: Bool
        /// The child taken when the comparison holds.
        public var trueChild: Int
        /// The child taken otherwise.
        public var falseChild: Int

        /// Collects the parts.
        public init(isLeaf: Bool, feature: Int, threshold: Int64, equal: Bool, trueChild: Int, falseChild: Int) {
            self.isLeaf = isLeaf
            self.feature = feature
            self.threshold = threshold
            self.equal = equal
            self.trueChild = trueChild
            self.falseChild = falseChild
        }

        /// A leaf.
        public static let leaf = Node(isLeaf: true, feature: 0, threshold: 0, equal: false, trueChild: 0, falseChild: 0)

        /// Fields of one node in the committed node table, in this order.
        public static let fieldCount = 8

        /// The node's row of the node table: `[isLeaf, feature, threshold, mode, true, false, 0, 0]`
        /// (`mode` 1 for `equal`); a leaf's row is `[1, 0, 0, 0, 0, 0, 0, 0]`.
        public var fields: [Int64] {
            isLeaf ? [1, 0, 0, 0, 0, 0, 0, 0]
                : [0, Int64(feature), threshold, equal ? 1 : 0, Int64(trueChild), Int64(falseChild), 0, 0]
        }

        /// Whether `x` takes the true branch.
        @inline(__always)
        public func holds(_ x: Int64) -> Bool { equal ? x == threshold : x <= threshold }
    }

    /// The public description.
    public let spec: TreeEnsembleSpec
    /// Every node, trees one after another.
    public let nodes: [Node]
    /// `values[node · targets + k]`: a leaf's value for target `k` at `2^-f_leaf` (0 for
    /// internal nodes).
    public let values: [Int64]

    /// Validates the tables against the description: node counts, children inside their own
    /// tree and deeper than their parent (so every walk ends at a leaf within the tree's
    /// depth), features inside the input.
    public init(spec: TreeEnsembleSpec, nodes: [Node], values: [Int64]) throws(InferenceError) {
        guard nodes.count == spec.nodeCount, values.count == spec.nodeCount * spec.targetCount else {
            throw .invalidQuantization(detail: "tree ensemble: \(nodes.count) nodes and \(values.count) values for \(spec.nodeCount) nodes")
        }
        for (t, tree) in spec.trees.enumerated() {
            // Depth of each node from the root, by a walk in id order (children come after parents).
            var depth = [Int](repeating: -1, count: tree.count)
            depth[0] = 0
            for local in 0..<tree.count {
                let node = nodes[tree.start + local]
                guard depth[local] >= 0 else {
                    throw .invalidQuantization(detail: "tree \(t): node \(local) is not reached from the root")
                }
                guard depth[local] <= tree.depth else {
                    throw .invalidQuantization(detail: "tree \(t): node \(local) is deeper than the tree's depth \(tree.depth)")
                }
                if node.isLeaf { continue }
                guard node.feature >= 0, node.feature < spec.featureCount else {
                    throw .invalidQuantization(detail: "tree \(t): node \(local) reads feature \(node.feature) of \(spec.featureCount)")
                }
                for child in [node.trueChild, node.falseChild] {
                    let c = child - tree.start
                    guard c > local, c < tree.count else {
                        throw .invalidQuantization(detail: "tree \(t): node \(local) has child \(c) outside the tree or not after it")
                    }
                    depth[c] = max(depth[c], depth[local] + 1)
                }
            }
        }
        self.spec = spec
        self.nodes = nodes
        self.values = values
    }

    /// The committed node table: `Node.fieldCount` entries per node.
    public var nodeTable: [Int64] { nodes.flatMap(\.fields) }

    /// The node ids one item visits in each tree, root first, leaf last.
    public func paths(_ x: [Int64]) -> [[Int]] {
        spec.trees.map { tree in
            var id = tree.start
            var path = [id]
            while !nodes[id].isLeaf, path.count <= tree.depth {
                let node = nodes[id]
                id = node.holds(x[node.feature]) ? node.trueChild : node.falseChild
                path.append(id)
            }
            return path
        }
    }

    /// The integer model output of one item (`X` of `featureCount` values in the input range).
    public func evaluate(_ x: [Int64]) throws(InferenceError) -> [Int64] {
        try spec.validateInput(x)
        let leaves = paths(x).map { path in
            let leaf = path[path.count - 1]
            return Array(values[(leaf * spec.targetCount)..<((leaf + 1) * spec.targetCount)])
        }
        return try spec.finish(leafValues: leaves)
    }
}
