/// Per-feature input scales: classical models read features in their own units (a balance
/// in the millions next to a ratio below one), which one input scale cannot hold at once.
/// When every step that reads the input is a linear layer over its features (a dense layer,
/// a per-feature element-wise layer such as a Scaler, possibly through a constant column
/// selection), each feature `j` can be quantised at its own `2^-e[j]` and the factor
/// `2^(f_in − e[j])` folded into the weights of column `j`: the layers' accumulators are then
/// at the scale they would have with every feature at `2^-f_in`, and nothing else changes.
extension ModelSpec {
    /// The per-feature scales a model description accepts.
    public static let featureFractionBitsRange: ClosedRange<Int> = -30...30
}

extension ONNXImporter {
    /// For each linear layer that reads the input's features, the feature of each of its
    /// columns; nil when some step reads the input otherwise (then per-feature scales do not
    /// apply). The input must be `[1, F]`.
    static func featureColumns(nodes: [GraphNode], shapes: [[Int]], kinds: [LayerSpec.Kind]) -> [Int: [Int]]? {
        guard let inputShape = shapes.first, inputShape.count == 2, inputShape[0] == 1 else { return nil }
        let width = inputShape[1]
        var columns: [Int: [Int]] = [:]
        // A linear step reading a tensor whose columns are the features `features`.
        func take(_ node: GraphNode, features: [Int]) -> Bool {
            guard case .linear(let k, _) = node.op, k < kinds.count, node.inputs.count == 1 else { return false }
            switch kinds[k] {
            case .dense: break
            case .elementwise(let g): guard g.parameterShape == [1, features.count] else { return false }
            default: return false
            }
            columns[k] = features
            return true
        }
        var readers = 0
        for (i, node) in nodes.enumerated() where node.inputs.contains(0) {
            readers += 1
            if take(node, features: Array(0..<width)) { continue }
            guard case .gather(let axis, let indices, let indexShape) = node.op, axis == 1, indexShape.count == 1,
                  node.inputs == [0] else { return nil }
            let selected = nodes.enumerated().filter { $0.element.inputs.contains(i + 1) }
            guard !selected.isEmpty, selected.allSatisfy({ take($0.element, features: indices) }) else { return nil }
        }
        return readers > 0 && !columns.isEmpty ? columns : nil
    }

    /// The input's per-feature scales from calibration peaks: for feature `j`, the largest
    /// `e ≤ min(30, A − 2)` (and ≥ −30) with `P_j · 2^(e + h) < 2^(A−1)`; and the input's
    /// nominal scale `f_in`, the largest of them, so folding never shrinks a weight.
    static func featureFractionBits(peaks: [Double], activationBits a: Int, headroomBits h: Int) -> (input: Int, features: [Int]) {
        let limit = Double(sign: .plus, exponent: a - 1, significand: 1)
        let features = peaks.map { peak -> Int in
            var e = min(30, a - 2)
            while e > ModelSpec.featureFractionBitsRange.lowerBound && peak * Double(sign: .plus, exponent: e + h, significand: 1) >= limit { e -= 1 }
            return e
        }
        return (features.max() ?? 0, features)
    }
}
