/// One linear layer with its integer weights: the public `spec` plus `W` and `b`.
public struct QuantizedLayer: Sendable, Equatable, Hashable {
    /// Shapes, prepare steps, activation and bound — everything but the numbers below.
    public let spec: LayerSpec
    /// `W`, `rows × inner`, row-major, at scale `2^weightFractionBits`.
    ///
    /// For a convolution with kernel `[M, C, kh, kw]` this is the kernel flattened per output
    /// channel, matching the row order of `IntegerSemantics.im2col`.
    public let weights: [Int64]
    /// `b`, one per row, at the accumulator's scale `2^(f_in + weightFractionBits)`, `f_in` the
    /// fraction bits of the tensor the layer reads.
    public let bias: [Int64]

    /// Pairs a spec with its weights; the lengths must be `rows · inner` and `rows`.
    public init(spec: LayerSpec, weights: [Int64], bias: [Int64]) throws(InferenceError) {
        guard weights.count == spec.rows * spec.inner, bias.count == spec.rows else {
            throw .shapeMismatch(detail: "weights \(weights.count) / bias \(bias.count) do not fit \(spec.rows)×\(spec.inner)")
        }
        self.spec = spec
        self.weights = weights
        self.bias = bias
    }

    /// `Z = W · X + b·1ᵀ` for columns `X` (`inner × positions`, row-major).
    ///
    /// Callers pass columns built by `spec.columns`, whose values lie in the range the bound
    /// was derived for, so no partial sum leaves `±2^accumulatorBits` and `Int64` cannot overflow.
    /// For an element-wise layer `X` is `rows × positions` and `Z[c, p] = w[c]·X[c, p] + b[c]`.
    public func preActivation(columns x: [Int64]) -> [Int64] {
        let rows = spec.rows, inner = spec.inner, positions = spec.positions
        precondition(x.count == spec.columnElements, "columns length")
        var z = [Int64](repeating: 0, count: rows * positions)
        if case .elementwise = spec.kind {
            for c in 0..<rows {
                for p in 0..<positions { z[c * positions + p] = bias[c] &+ weights[c] &* x[c * positions + p] }
            }
            return z
        }
        weights.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { x in
                z.withUnsafeMutableBufferPointer { z in
                    for o in 0..<rows {
                        let zRow = o * positions
                        for p in 0..<positions { z[zRow + p] = bias[o] }
                        for j in 0..<inner {
                            let wv = w[o * inner + j]
                            if wv == 0 { continue }
                            let xRow = j * positions
                            for p in 0..<positions { z[zRow + p] &+= wv &* x[xRow + p] }
                        }
                    }
                }
            }
        }
        return z
    }

    /// The smallest `B` with `|z| < 2^B` for every pre-activation this layer can produce when
    /// each column value lies in `range`; nil when the bound itself does not fit in `Int64`.
    ///
    /// Per row, `z` lies in `[b + Σ_j min(W_j·lo, W_j·hi), b + Σ_j max(W_j·lo, W_j·hi)]`; since
    /// `lo ≤ 0 ≤ hi`, every partial sum of the engine's loop lies in the same interval.
    public static func accumulatorBits(weights: [Int64], bias: [Int64], inner: Int,
                                       range: ClosedRange<Int64>) -> Int? {
        var widest: UInt64 = 0
        for (o, b) in bias.enumerated() {
            var low = b, high = b
            for j in 0..<inner {
                let w = weights[o * inner + j]
                let (p, pOverflow) = w.multipliedReportingOverflow(by: range.lowerBound)
                let (q, qOverflow) = w.multipliedReportingOverflow(by: range.upperBound)
                guard !pOverflow, !qOverflow else { return nil }
                let (l, lOverflow) = low.addingReportingOverflow(min(p, q))
                let (h, hOverflow) = high.addingReportingOverflow(max(p, q))
                guard !lOverflow, !hOverflow else { return nil }
                low = l
                high = h
            }
            widest = max(widest, low.magnitude, high.magnitude)
        }
        return UInt64.bitWidth - widest.leadingZeroBitCount
    }
}
