import Foundation

/// The operator-set-5 `TreeEnsemble` read into the same form as the older operators: its
/// nodes and leaves are separate lists (a child is a node index, or a leaf index when its
/// `*_leafs` flag is 1), modes and splits are tensors, aggregate and post-transform integers.
/// Each tree (from `tree_roots`) is walked to give every node and leaf a tree and an id
/// (nodes keep their index, leaf `l` becomes id `nodeCount + l`).
extension TreeAttributes {
    /// ONNX's mode numbers (0 `≤`, 1 `<`, 2 `≥`, 3 `>`, 4 `=`, 5 `≠`; 6, membership, is refused).
    static let opset5Modes: [Mode] = [.leq, .lt, .gte, .gt, .eq, .neq]

    init(opset5 node: Onnx_NodeProto, name: String, features: Int) throws(InferenceError) {
        func refuse(_ detail: String) -> InferenceError { .unsupportedAttribute(op: "TreeEnsemble", node: name, detail: detail) }
        func tensor(_ key: String) throws(InferenceError) -> [Double] {
            guard let a = node.attribute(key) else { throw refuse("\(key) is required") }
            return try ONNXTensor(a.t).values
        }
        let roots = node.ints("tree_roots") ?? [], featureIDs = node.ints("nodes_featureids") ?? []
        let splits = try tensor("nodes_splits"), modes = try tensor("nodes_modes")
        let trueIDs = node.ints("nodes_truenodeids") ?? [], trueLeafs = node.ints("nodes_trueleafs") ?? []
        let falseIDs = node.ints("nodes_falsenodeids") ?? [], falseLeafs = node.ints("nodes_falseleafs") ?? []
        let leafTargets = node.ints("leaf_targetids") ?? [], leafWeights = try tensor("leaf_weights")
        let n = featureIDs.count, leaves = leafTargets.count
        guard n >= 1, n + leaves <= TreeEnsembleSpec.nodeCountMax, !roots.isEmpty,
              [splits.count, modes.count, trueIDs.count, trueLeafs.count, falseIDs.count, falseLeafs.count].allSatisfy({ $0 == n }),
              leafWeights.count == leaves else {
            throw refuse("the nodes_* lists must have one entry per node and leaf_weights one per leaf")
        }
        guard node.attribute("membership_values") == nil else { throw refuse("membership_values (BRANCH_MEMBER) is not supported") }
        let targets = Int(node.int("n_targets", default: 1))
        guard targets >= 1, targets <= TreeEnsembleSpec.widthMax, leafTargets.allSatisfy({ $0 >= 0 && $0 < targets }) else {
            throw refuse("leaf_targetids outside 0…\(targets - 1)")
        }
        var nodes: [Node] = []
        var weights: [Weight] = []
        var owner = [Int](repeating: -1, count: n + leaves)
        for (t, root) in roots.enumerated() {
            guard root >= 0, root < n else { throw refuse("tree_roots names node \(root) of \(n)") }
            var stack = [root]
            while let i = stack.popLast() {
                guard owner[i] == -1 else { throw refuse("node or leaf \(i) is reached twice") }
                owner[i] = t
                if i >= n {
                    nodes.append(Node(tree: t, id: i, feature: 0, mode: .leaf, threshold: 0, trueID: 0, falseID: 0))
                    weights.append(Weight(tree: t, node: i, target: leafTargets[i - n], weight: leafWeights[i - n]))
                    continue
                }
                let m = Int(modes[i])
                guard modes[i] == Double(m), m >= 0, m < Self.opset5Modes.count else {
                    throw refuse("nodes_modes \(modes[i]); supported: 0…5 (BRANCH_MEMBER is not)")
                }
                guard featureIDs[i] >= 0, featureIDs[i] < features, splits[i].isFinite else {
                    throw refuse("node \(i) reads feature \(featureIDs[i]) of \(features) or has split \(splits[i])")
                }
                let yes = trueLeafs[i] == 1 ? n + trueIDs[i] : trueIDs[i], no = falseLeafs[i] == 1 ? n + falseIDs[i] : falseIDs[i]
                guard (0..<(n + leaves)).contains(yes), (0..<(n + leaves)).contains(no) else { throw refuse("node \(i) has a child outside the lists") }
                nodes.append(Node(tree: t, id: i, feature: featureIDs[i], mode: Self.opset5Modes[m], threshold: splits[i],
                                  trueID: yes, falseID: no))
                stack.append(no)
                stack.append(yes)
            }
        }
        let aggregates = ["AVERAGE", "SUM", "MIN", "MAX"], posts = ["NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO"]
        let aggregate = Int(node.int("aggregate_function", default: 1)), post = Int(node.int("post_transform", default: 0))
        guard aggregates.indices.contains(aggregate) else { throw refuse("aggregate_function \(aggregate); supported: 0…3") }
        guard posts.indices.contains(post) else { throw refuse("post_transform \(post); supported: 0…3 (PROBIT is not)") }
        self.init(name: name, isClassifier: false, features: features, nodes: nodes, weights: weights, targets: targets,
                  base: [], aggregate: aggregates[aggregate], postTransform: posts[post], classLabels: [], classNames: [])
    }
}
