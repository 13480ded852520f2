/// Turns an ONNX tree ensemble's attributes into the integer ensemble (docs/PROTOCOL.md,
/// "Tree ensembles"): nodes renumbered root-first per tree, comparisons made exact on the
/// quantised input, leaf values put at a fixed-point scale.
enum TreeQuantiser {
    /// Extra fraction bits of leaf values over the scores' (like the weights' 8).
    static let leafExtraBits = 8
    /// Most fraction bits of probabilities.
    static let probabilityFractionBitsMax = 16

    /// The integer comparison for a real threshold `t` at input scale `2^-f`, exact for every
    /// integer `X` in `[lo, hi]`: `(threshold, equal, swap)` with the true branch
    /// `X ≤ threshold` (or `X = threshold` when `equal`), children swapped when `swap`.
    /// With `y = t·2^f` (exact: a product by a power of two):
    /// LEQ `X ≤ ⌊y⌋`; LT `X ≤ ⌈y⌉ − 1`; GTE `¬(X ≤ ⌈y⌉ − 1)`; GT `¬(X ≤ ⌊y⌋)`;
    /// EQ `X = y` when `y` is an integer in `[lo, hi]`, else never (`X ≤ lo − 1`); NEQ its negation.
    /// A threshold below `lo − 1` or above `hi` is moved to that end (no admissible `X` lies between).
    static func comparison(_ mode: TreeAttributes.Mode, threshold t: Double, fractionBits f: Int,
                           lo: Int64, hi: Int64) -> (threshold: Int64, equal: Bool, swap: Bool) {
        let y = t * Double(sign: .plus, exponent: f, significand: 1)
        func clamped(_ v: Double) -> Int64 {
            v < Double(lo - 1) ? lo - 1 : (v > Double(hi) ? hi : Int64(v))
        }
        let never = (lo - 1, false)
        switch mode {
        case .leq, .leaf: return (clamped(y.rounded(.down)), false, false)
        case .lt: return (clamped(y.rounded(.up) - 1), false, false)
        case .gte: return (clamped(y.rounded(.up) - 1), false, true)
        case .gt: return (clamped(y.rounded(.down)), false, true)
        case .eq, .neq:
            let swap = mode == .neq
            guard y.rounded(.down) == y, y >= Double(lo), y <= Double(hi) else { return (never.0, never.1, swap) }
            return (Int64(y), true, swap)
        }
    }

    /// The float comparison ONNX makes (`x` and `t` as written, float32 values held exactly).
    static func holds(_ mode: TreeAttributes.Mode, _ x: Double, _ t: Double) -> Bool {
        switch mode {
        case .leq, .leaf: x <= t
        case .lt: x < t
        case .gte: x >= t
        case .gt: x > t
        case .eq: x == t
        case .neq: x != t
        }
    }

    /// Quantises `raw` for an input at `2^-fin` and `q`-bit activations. The report of moved
    /// thresholds is empty: it needs the calibration items' values at the ensemble's input
    /// (`TreeModelImport.movedThresholds(real:integer:)`).
    static func quantise(_ raw: TreeAttributes, activationBits q: Int, inputFractionBits fin: Int) throws(InferenceError) -> TreeModelImport {
        func refuse(_ detail: String) -> InferenceError { .unsupportedAttribute(op: "tree ensemble", node: raw.name, detail: detail) }
        // Trees in ascending id; nodes of each by id.
        var byTree: [Int: [Int: TreeAttributes.Node]] = [:]
        for node in raw.nodes {
            guard byTree[node.tree, default: [:]].updateValue(node, forKey: node.id) == nil else {
                throw refuse("node \(node.id) of tree \(node.tree) is defined twice")
            }
        }
        let treeIDs = byTree.keys.sorted()
        guard treeIDs.count <= TreeEnsembleSpec.treeCountMax else { throw refuse("\(treeIDs.count) trees") }
        // Renumber root-first (pre-order), so every child follows its parent.
        var order: [[TreeAttributes.Node]] = []
        var depths: [Int] = []
        var newID: [Int: [Int: Int]] = [:]
        var start = 0
        for tree in treeIDs {
            let nodes = byTree[tree] ?? [:]
            var children = Set<Int>()
            for node in nodes.values where node.mode != .leaf { children.insert(node.trueID); children.insert(node.falseID) }
            let roots = nodes.keys.filter { !children.contains($0) }
            guard roots.count == 1, let root = roots.first else { throw refuse("tree \(tree) has \(roots.count) roots") }
            var visited: [TreeAttributes.Node] = []
            var ids: [Int: Int] = [:]
            var depth = 0
            var stack = [(root, 0)]
            while let (id, d) = stack.popLast() {
                guard let node = nodes[id], ids[id] == nil else { throw refuse("tree \(tree): node \(id) is missing or reached twice") }
                guard d <= TreeEnsembleSpec.depthMax else { throw refuse("tree \(tree) is deeper than \(TreeEnsembleSpec.depthMax)") }
                ids[id] = start + visited.count
                visited.append(node)
                depth = max(depth, d)
                if node.mode != .leaf { stack.append((node.falseID, d + 1)); stack.append((node.trueID, d + 1)) }
            }
            guard visited.count == nodes.count else { throw refuse("tree \(tree) has nodes not reached from its root") }
            order.append(visited)
            depths.append(depth)
            newID[tree] = ids
            start += visited.count
        }
        let nodeCount = start
        // Leaf weights, summed per (leaf, score) as reals, AVERAGE divided by the tree count.
        let binary = raw.isClassifier && raw.targets == 2 && Set(raw.weights.map(\.target)).count == 1
        let targets = binary ? 1 : raw.targets
        var real = [Double](repeating: 0, count: nodeCount * targets)
        let isLeaf = order.flatMap { $0.map { $0.mode == .leaf } }
        let divisor = raw.aggregate == "AVERAGE" ? Double(treeIDs.count) : 1
        for w in raw.weights {
            guard let id = newID[w.tree]?[w.node], isLeaf[id] else { throw refuse("a weight names node \(w.node) of tree \(w.tree), not a leaf") }
            real[id * targets + (binary ? 0 : w.target)] += w.weight / divisor
        }
        var base = [Double](repeating: 0, count: targets)
        for (k, b) in raw.base.enumerated() where k < targets { base[k] = b }
        // The scores' scale from their bound.
        var bound = 0.0
        for k in 0..<targets {
            var perTree = [Double](repeating: 0, count: order.count)
            var s = 0.0
            for (t, nodes) in order.enumerated() {
                let first = newID[treeIDs[t]]?[nodes[0].id] ?? 0
                perTree[t] = (first..<(first + nodes.count)).reduce(0.0) { max($0, real[$1 * targets + k].magnitude) }
            }
            s = raw.aggregate == "MIN" || raw.aggregate == "MAX" ? (perTree.max() ?? 0) : perTree.reduce(0, +)
            bound = max(bound, s + base[k].magnitude)
        }
        var fout = min(30, q - 2)
        while fout > 0 && bound * Double(sign: .plus, exponent: fout + 1, significand: 1) >= Double(sign: .plus, exponent: q - 1, significand: 1) {
            fout -= 1
        }
        let fleaf = min(30, fout + leafExtraBits)
        let fp = min(probabilityFractionBitsMax, q - 2)
        func fixed(_ v: Double) throws(InferenceError) -> Int64 {
            guard let x = IntegerSemantics.quantize(v, fractionBits: fleaf) else { throw .weightOutOfRange(layer: 0, value: v) }
            return x
        }
        let values = try real.map { v throws(InferenceError) in try fixed(v) }
        let baseFixed = try base.map { v throws(InferenceError) in try fixed(v) }
        let largest = (values + baseFixed).reduce(UInt64(0)) { max($0, $1.magnitude) }
        let leafBits = UInt64.bitWidth - largest.leadingZeroBitCount
        let lo = -(Int64(1) << Int64(q - 1)), hi = (Int64(1) << Int64(q - 1)) - 1
        var nodes: [TreeEnsemble.Node] = []
        var origins: [TreeModelImport.Origin] = []
        nodes.reserveCapacity(nodeCount)
        origins.reserveCapacity(nodeCount)
        for (t, tree) in order.enumerated() {
            let ids = newID[treeIDs[t]] ?? [:]
            for node in tree {
                if node.mode == .leaf {
                    nodes.append(.leaf)
                    origins.append(.init(node: node, swapped: false))
                    continue
                }
                let c = comparison(node.mode, threshold: node.threshold, fractionBits: fin, lo: lo, hi: hi)
                let yes = ids[node.trueID] ?? 0, no = ids[node.falseID] ?? 0
                nodes.append(TreeEnsemble.Node(isLeaf: false, feature: node.feature, threshold: c.threshold, equal: c.equal,
                                               trueChild: c.swap ? no : yes, falseChild: c.swap ? yes : no))
                origins.append(.init(node: node, swapped: c.swap))
            }
        }
        let aggregate: TreeEnsembleSpec.Aggregate = raw.aggregate == "MIN" ? .min : (raw.aggregate == "MAX" ? .max : .sum)
        let post: TreeEnsembleSpec.PostTransform = switch raw.postTransform {
        case "LOGISTIC": .logistic
        case "SOFTMAX": .softmax
        case "SOFTMAX_ZERO": .softmaxZero
        default: .none
        }
        let spec = try TreeEnsembleSpec(activationBits: q, inputFractionBits: fin, leafFractionBits: fleaf, outputFractionBits: fout,
                                        probabilityFractionBits: fp, aggregate: aggregate, postTransform: post, binary: binary,
                                        leafBits: leafBits, featureCount: raw.features, targetCount: targets,
                                        treeSizes: zip(order, depths).map { ($0.count, $1) }, base: baseFixed)
        let ensemble = try TreeEnsemble(spec: spec, nodes: nodes, values: values)
        return TreeModelImport(ensemble: ensemble, classLabels: raw.classLabels, classNames: raw.classNames,
                               isClassifier: raw.isClassifier, movedThresholds: [], movedThresholdCount: 0, origins: origins)
    }
}
