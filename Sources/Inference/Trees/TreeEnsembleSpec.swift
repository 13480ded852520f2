/// The public description of a quantised tree ensemble: everything a verifier holds besides
/// the node tables' commitments. Every count a tree proof is read and checked against comes
/// from here (`encoded()` is its canonical form, part of the model digest).
public struct TreeEnsembleSpec: Sendable, Equatable, Hashable {
    /// How the trees' leaf values combine, per target. ONNX `AVERAGE` is `sum` over leaf values
    /// divided by the tree count at quantisation.
    public enum Aggregate: UInt8, Sendable, Hashable {
        /// `Σ_t leaf_t`.
        case sum = 1
        /// `min_t leaf_t`.
        case min = 3
        /// `max_t leaf_t`.
        case max = 4
    }

    /// What follows the aggregate (ONNX `post_transform`).
    public enum PostTransform: UInt8, Sendable, Hashable {
        /// The scores themselves.
        case none = 0
        /// `σ(s)` per score (`ElementFunction.sigmoid`).
        case logistic = 1
        /// Softmax over the scores (`AxisReductions.softmax`).
        case softmax = 2
        /// Softmax over the non-zero scores; a zero score gives 0.
        case softmaxZero = 3
    }

    /// One tree: its node ids `start ..< start + count` (root `start`) and its depth (edges
    /// on its longest root-to-leaf walk), so a walk visits at most `depth + 1` nodes.
    public struct Tree: Sendable, Equatable, Hashable {
        /// Id of the root.
        public let start: Int
        /// Nodes in the tree.
        public let count: Int
        /// Edges on the longest walk.
        public let depth: Int
    }

    /// Signed width of the input and of the scores (`q`).
    public let activationBits: Int
    /// Fraction bits of the input (`f_in`); thresholds are at this scale.
    public let inputFractionBits: Int
    /// Fraction bits of the leaf values and base values (`f_leaf ≥ f_out`).
    public let leafFractionBits: Int
    /// Fraction bits of the aggregated scores (`f_out`).
    public let outputFractionBits: Int
    /// Fraction bits of post-transformed probabilities (`f_p`).
    public let probabilityFractionBits: Int
    /// The aggregate.
    public let aggregate: Aggregate
    /// The post-transform.
    public let postTransform: PostTransform
    /// A two-class classifier whose trees score one class: the output is `[2^f − p, p]`.
    public let binary: Bool
    /// Every committed leaf value satisfies `|v| < 2^leafBits`.
    public let leafBits: Int
    /// Features of one input item.
    public let featureCount: Int
    /// Scores the trees write (targets or classes).
    public let targetCount: Int
    /// The trees, in id order.
    public let trees: [Tree]
    /// Base values, one per target, at `2^-f_leaf`.
    public let base: [Int64]

    /// Most trees in one ensemble.
    public static let treeCountMax = 4096
    /// Most nodes in one ensemble.
    public static let nodeCountMax = 1 << 20
    /// Deepest tree (a walk of `depth + 1` nodes).
    public static let depthMax = 64
    /// Most features and most targets.
    public static let widthMax = 1 << 16

    /// Validates the description: limits, scales (`0 ≤ f ≤ 30`, `f_leaf ≥ f_out`), and that
    /// `(trees + 1) · 2^leafBits` stays below `2^62`, so no aggregate can overflow.
    public init(activationBits: Int, inputFractionBits: Int, leafFractionBits: Int, outputFractionBits: Int,
                probabilityFractionBits: Int, aggregate: Aggregate, postTransform: PostTransform, binary: Bool,
                leafBits: Int, featureCount: Int, targetCount: Int, treeSizes: [(count: Int, depth: Int)],
                base: [Int64]) throws(InferenceError) {
        func refuse(_ detail: String) -> InferenceError { .invalidQuantization(detail: "tree ensemble: \(detail)") }
        guard (2...32).contains(activationBits) else { throw refuse("activation bits \(activationBits) outside 2…32") }
        for f in [inputFractionBits, leafFractionBits, outputFractionBits, probabilityFractionBits] where !(0...30).contains(f) {
            throw refuse("fraction bits \(f) outside 0…30")
        }
        guard leafFractionBits >= outputFractionBits else { throw refuse("leaf scale finer than the output's is required") }
        guard probabilityFractionBits <= activationBits - 2 else { throw refuse("probabilities need f_p ≤ q − 2") }
        guard !treeSizes.isEmpty, treeSizes.count <= Self.treeCountMax else { throw refuse("\(treeSizes.count) trees; 1…\(Self.treeCountMax)") }
        guard (1...Self.widthMax).contains(featureCount), (1...Self.widthMax).contains(targetCount),
              base.count == targetCount else { throw refuse("\(featureCount) features, \(targetCount) targets, \(base.count) base values") }
        guard !binary || targetCount == 1 else { throw refuse("a binary classifier scores one class") }
        var total = 0
        var trees: [Tree] = []
        for (count, depth) in treeSizes {
            guard count >= 1, (0...Self.depthMax).contains(depth), count <= Self.nodeCountMax - total else {
                throw refuse("a tree of \(count) nodes and depth \(depth); at most \(Self.nodeCountMax) nodes, depth \(Self.depthMax)")
            }
            trees.append(Tree(start: total, count: count, depth: depth))
            total += count
        }
        guard total * targetCount <= Self.nodeCountMax * 16 else { throw refuse("\(total) nodes × \(targetCount) targets") }
        // (trees + 1) · 2^leafBits < 2^62 (base values obey the same bound).
        let room = 62 - (Int.bitWidth - (treeSizes.count + 1).leadingZeroBitCount)
        guard leafBits >= 0, leafBits <= room else { throw refuse("leaf values of \(leafBits) bits over \(treeSizes.count) trees") }
        let limit = Int64(1) << Int64(leafBits)
        guard base.allSatisfy({ $0 > -limit && $0 < limit }) else { throw refuse("a base value outside ±2^\(leafBits)") }
        self.activationBits = activationBits
        self.inputFractionBits = inputFractionBits
        self.leafFractionBits = leafFractionBits
        self.outputFractionBits = outputFractionBits
        self.probabilityFractionBits = probabilityFractionBits
        self.aggregate = aggregate
        self.postTransform = postTransform
        self.binary = binary
        self.leafBits = leafBits
        self.featureCount = featureCount
        self.targetCount = targetCount
        self.trees = trees
        self.base = base
    }

    /// Nodes over all trees.
    public var nodeCount: Int { (trees.last.map { $0.start + $0.count }) ?? 0 }
    /// Smallest input (and score) value, `−2^(q−1)`.
    public var activationMin: Int64 { -(Int64(1) << Int64(activationBits - 1)) }
    /// Largest input (and score) value, `2^(q−1) − 1`.
    public var activationMax: Int64 { (Int64(1) << Int64(activationBits - 1)) - 1 }
    /// Values of one output item.
    public var outputElements: Int { binary ? 2 : targetCount }
    /// Fraction bits of the output (the probabilities' after a post-transform, or of a binary
    /// classifier's `[1 − p, p]`).
    public var outputValueFractionBits: Int { postTransform == .none ? outputFractionBits : probabilityFractionBits }

    /// Checks one item: `featureCount` values in the activation range.
    public func validateInput(_ x: [Int64]) throws(InferenceError) {
        guard x.count == featureCount else { throw .inputShapeMismatch(expected: [1, featureCount], actual: [x.count]) }
        for (i, v) in x.enumerated() where v < activationMin || v > activationMax {
            throw .inputOutOfRange(index: i, value: "\(v)")
        }
    }

    /// The output from each tree's leaf values (`leafValues[t]` has `targetCount` values, each
    /// `|v| < 2^leafBits`, else `traceMismatch`). Total on every such input: no overflow.
    public func finish(leafValues: [[Int64]]) throws(InferenceError) -> [Int64] {
        guard leafValues.count == trees.count else { throw .traceMismatch(layer: 0, step: "tree count", index: leafValues.count) }
        let limit = Int64(1) << Int64(leafBits)
        var scores = base
        var seen = false
        for (t, leaf) in leafValues.enumerated() {
            guard leaf.count == targetCount else { throw .traceMismatch(layer: t, step: "leaf value count", index: leaf.count) }
            if let k = leaf.firstIndex(where: { $0 <= -limit || $0 >= limit }) {
                throw .traceMismatch(layer: t, step: "leaf value bound", index: k)
            }
            for k in 0..<targetCount {
                switch aggregate {
                case .sum: scores[k] += leaf[k]
                case .min: scores[k] = seen ? Swift.min(scores[k], leaf[k]) : leaf[k]
                case .max: scores[k] = seen ? Swift.max(scores[k], leaf[k]) : leaf[k]
                }
            }
            seen = true
        }
        if aggregate != .sum { for k in 0..<targetCount { scores[k] += base[k] } }
        let shift = leafFractionBits - outputFractionBits
        let s = scores.map { IntegerSemantics.clamp(IntegerSemantics.roundShift($0, shift), activationMin, activationMax) }
        return try transform(s)
    }

    /// The post-transform of aggregated scores (at `2^-f_out`).
    func transform(_ s: [Int64]) throws(InferenceError) -> [Int64] {
        let fp = probabilityFractionBits, one = Int64(1) << Int64(fp)
        var p: [Int64]
        switch postTransform {
        case .none:
            p = s
        case .logistic:
            let sigmoid = try ElementOperator(.sigmoid, inputFractionBits: outputFractionBits, outputFractionBits: fp, lo: 0, hi: one)
            p = sigmoid.apply(s)
        case .softmax:
            p = try AxisReductions.softmax(s, AxisShape(outer: 1, length: s.count, inner: 1),
                                           inputFractionBits: outputFractionBits, outputFractionBits: fp)
        case .softmaxZero:
            p = try AxisReductions.softmaxZero(s, AxisShape(outer: 1, length: s.count, inner: 1),
                                               inputFractionBits: outputFractionBits, outputFractionBits: fp)
        }
        guard binary, let v = p.first else { return p }
        // One class scored: the other's is its complement (`1 − p`; for raw scores `1 − s`).
        let unit = postTransform == .none ? Int64(1) << Int64(outputFractionBits) : one
        return [unit - v, v]
    }
}
