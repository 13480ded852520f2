/// Which models the private mode proves: a chain of dense layers (Gemm / MatMul with bias,
/// no `prepare` steps), each followed by its rescale-and-clamp activation, the last one's
/// output the model's output.
public enum PrivateReadiness {
    /// Each operator (step) of the model with whether it has a private proof, in graph order.
    public static func operators(_ spec: ModelSpec) -> [(name: String, privateReady: Bool)] {
        spec.nodes.enumerated().map { i, node in
            (ModelSpec.kindName(node.op, layers: spec.layers), stepIsReady(spec, i))
        }
    }

    /// The names of operators with no private proof yet (empty: the model proves privately).
    public static func unsupportedOperators(_ spec: ModelSpec) -> [String] {
        var names: [String] = []
        for (name, ready) in operators(spec) where !ready && !names.contains(name) { names.append(name) }
        // A chain of ready steps whose output is not the last step's is still refused.
        if names.isEmpty && (spec.nodes.isEmpty || spec.outputs != [spec.nodes.count] || !spec.treeEnsembles.isEmpty) {
            names.append("graph")
        }
        return names
    }

    /// Node `i` is linear layer `i`, dense with no prepare steps, reading the tensor before it.
    static func stepIsReady(_ spec: ModelSpec, _ i: Int) -> Bool {
        let node = spec.nodes[i]
        guard case .linear(let k, _) = node.op, k == i, node.inputs == [i], k < spec.layers.count else { return false }
        return PrivateLayerShape(spec.layers[k], items: 1) != nil
    }
}
