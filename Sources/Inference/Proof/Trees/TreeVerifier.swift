import ZKProof

/// The walk checks of a tree-ensemble step (see `TreeProtocol`), run by the inference
/// verifier on the step's input inside its clear run of the graph.
///
/// Every count comes from the description. Nothing here traps on proof data: failures are
/// `TreeVerificationError`s.
enum TreeVerifier {
    /// One item's walks: checks every path and returns each tree's claimed leaf values.
    static func walk(_ item: [[TreeProof.Step]], spec: TreeEnsembleSpec, x: [Int64],
                     item b: Int) throws(TreeVerificationError) -> [[Int64]] {
        // Decoding reads one path per tree; a shorter list is an incomplete walk.
        guard item.count == spec.trees.count else { throw .pathIncomplete(item: b, tree: min(item.count, spec.trees.count)) }
        var leaves: [[Int64]] = []
        for (t, (tree, path)) in zip(spec.trees, item).enumerated() {
            guard let first = path.first, first.id == tree.start else { throw .pathRoot(item: b, tree: t) }
            let inside = tree.start..<(tree.start + tree.count)
            for (s, step) in path.enumerated() {
                let last = s == path.count - 1
                if step.node.isLeaf {
                    guard last else { throw .pathPastLeaf(item: b, tree: t, step: s + 1) }
                    guard step.values.count == spec.targetCount else { throw .nodeInvalid(item: b, tree: t, step: s) }
                    leaves.append(step.values)
                    break
                }
                guard !last else { throw .pathIncomplete(item: b, tree: t) }
                let node = step.node
                guard node.feature >= 0, node.feature < x.count, inside.contains(node.trueChild), inside.contains(node.falseChild) else {
                    throw .nodeInvalid(item: b, tree: t, step: s)
                }
                let next = node.holds(x[node.feature]) ? node.trueChild : node.falseChild
                guard path[s + 1].id == next else { throw .branchMismatch(item: b, tree: t, step: s + 1) }
            }
        }
        return leaves
    }
}
