/// Which models the private mode proves: a chain of linear layers — dense (Gemm / MatMul with
/// bias) or 2-D convolutions, no `prepare` steps — each followed by its rescale-and-clamp
/// activation, with reshapes (Reshape, Flatten) anywhere in the chain and at most one max pool
/// between two layers, the last step's output the model's output.
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
        // A chain of ready steps whose output is not the last step's, or with no layer, is still refused.
        if names.isEmpty && (spec.nodes.isEmpty || spec.outputs != [spec.nodes.count] || !spec.treeEnsembles.isEmpty
            || PrivateProtocol.shapes(spec, items: 1) == nil) {
            names.append("graph")
        }
        return names
    }

    /// The exact byte length of a private proof of `items` inputs of the model, with its input
    /// hidden or not (what the verifier requires, `PrivateProofLength`); nil when the model has
    /// no private proof for that batch.
    public static func proofBytes(_ spec: ModelSpec, items: Int, hideInput: Bool) -> Int? {
        guard let shapes = PrivateProtocol.shapes(spec, items: items), let last = shapes.last else { return nil }
        var hidden: PrivateLayerShape? = nil
        if hideInput {
            guard let shape = PrivateLayerShape(input: spec, items: items) else { return nil }
            hidden = shape
        }
        return PrivateProofLength.bytes(shapes, outputCount: last.rows * last.columns, hidden: hidden)
    }

    /// Node `i` reads the tensor before it and is a reshape (free: the elements keep their
    /// order, so the next layer reads the same table entries), a max pool after a layer, or
    /// the next linear layer of the chain, dense or a convolution, with no prepare steps.
    static func stepIsReady(_ spec: ModelSpec, _ i: Int) -> Bool {
        let node = spec.nodes[i]
        guard node.inputs == [i] else { return false }
        switch node.op {
        case .reshape: return true
        case .pool(let p):
            // Between two layers, over the previous one's activation; the chain's check places it.
            return p.isMax && linearSteps(spec, before: i) >= 1
        case .linear(let k, _):
            guard k == linearSteps(spec, before: i), k < spec.layers.count else { return false }
            return PrivateLayerShape(spec.layers[k], items: 1) != nil
        default: return false
        }
    }

    /// How many of the nodes before `i` are linear layers.
    static func linearSteps(_ spec: ModelSpec, before i: Int) -> Int {
        spec.nodes.prefix(i).filter { if case .linear = $0.op { true } else { false } }.count
    }
}
