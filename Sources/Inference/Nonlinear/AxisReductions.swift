/// The layout of a reduction: a row-major tensor seen as `outer × length × inner`, reduced
/// (or normalised) along the middle axis.
///
/// Element `(o, k, i)` is at `(o · length + k) · inner + i`. A reduction's output has
/// `outer × inner` elements, `(o, i)` at `o · inner + i`; Softmax, LogSoftmax and the
/// normalisations keep the input's layout.
public struct AxisShape: Sendable, Hashable {
    /// Product of the dimensions before the axis.
    public let outer: Int
    /// Length of the axis.
    public let length: Int
    /// Product of the dimensions after the axis.
    public let inner: Int

    /// Longest axis a reduction accepts (keeps every exact sum inside 128 bits).
    public static let lengthMax = 1 << 20

    /// Validates `outer, length, inner ≥ 1`, `length ≤ lengthMax` and at most
    /// `InferenceLimits.tensorElementsMax` elements.
    public init(outer: Int, length: Int, inner: Int) throws(InferenceError) {
        guard outer >= 1, length >= 1, inner >= 1, length <= Self.lengthMax else {
            throw .shapeMismatch(detail: "reduction shape \(outer) × \(length) × \(inner): each ≥ 1, axis ≤ \(Self.lengthMax)")
        }
        let (ol, o1) = outer.multipliedReportingOverflow(by: length)
        let (n, o2) = ol.multipliedReportingOverflow(by: inner)
        guard !o1, !o2, n <= InferenceLimits.tensorElementsMax else {
            throw .tensorTooLarge(name: "reduction input", elements: o1 || o2 ? Int.max : n, limit: InferenceLimits.tensorElementsMax)
        }
        self.outer = outer
        self.length = length
        self.inner = inner
    }

    /// Number of input elements.
    public var elements: Int { outer * length * inner }
    /// Number of elements of a reduction's output.
    public var reducedElements: Int { outer * inner }
}

/// Reductions and normalisations over one axis, in exact integer arithmetic.
///
/// docs/PROTOCOL-nonlinear.md ("Reductions") defines each one; every function is total on
/// `Int64` inputs and throws only for parameters outside their documented ranges.
public enum AxisReductions {
    /// Fraction bits of a normalisation's epsilon.
    public static let epsilonFractionBits = 40
    /// Largest epsilon integer (epsilon up to 256).
    public static let epsilonMax: Int64 = 1 << 48
    /// Normalisation inputs are first clamped to `±2^32`.
    public static let normalizeInputMagnitudeMax: Int64 = 1 << 32

    /// The epsilon integer of an ONNX float: `⌊ε · 2^40 + 1/2⌋`, or nil when not finite,
    /// negative or above 256 (exact in `Double`, like `ElementFunction.quantizeAttribute`).
    public static func quantizeEpsilon(_ x: Float) -> Int64? {
        let scaled = Double(x) * Double(sign: .plus, exponent: epsilonFractionBits, significand: 1)
        guard scaled.isFinite, scaled >= 0, scaled <= Double(epsilonMax) else { return nil }
        return Int64((scaled + 0.5).rounded(.down))
    }

    /// `ReduceSum`: the exact sum of each row, clamped to `[lo, hi]`.
    public static func sum(_ values: [Int64], _ shape: AxisShape, lo: Int64, hi: Int64) throws(InferenceError) -> [Int64] {
        try check(values, shape, lo: lo, hi: hi)
        return reduce(values, shape) { row in
            row.reduce(Wide.zero) { $0 + Wide($1) }.clamped(lo, hi)
        }
    }

    /// `ReduceMean`: `⌊(sum + ⌊n/2⌋) / n⌋` with the exact sum (the rule of
    /// `IntegerSemantics.divideRoundingHalfUp`, without its overflow), clamped to `[lo, hi]`.
    public static func mean(_ values: [Int64], _ shape: AxisShape, lo: Int64, hi: Int64) throws(InferenceError) -> [Int64] {
        try check(values, shape, lo: lo, hi: hi)
        let n = UInt64(shape.length)
        return reduce(values, shape) { row in
            row.reduce(Wide.zero) { $0 + Wide($1) }.dividedRoundingHalfUp(by: n).clamped(lo, hi)
        }
    }

    /// `ReduceMax`: the largest value of each row.
    public static func max(_ values: [Int64], _ shape: AxisShape) throws(InferenceError) -> [Int64] {
        try check(values, shape, lo: .min, hi: .max)
        return reduce(values, shape) { row in row.max() ?? 0 }
    }

    /// `Softmax` at `fo` output fraction bits: `p_k = ⌊(e_k · 2^fo + Σ/2) / Σ⌋` where
    /// `e_k = e^(x_k − max)` in Q62 (`FixedPoint.expNonPositiveQ62`) and `Σ = Σ_k e_k`.
    ///
    /// Each `p_k` is the round half up of `e_k · 2^fo / Σ`, so `Σ_k p_k` lies within `n/2` of
    /// `2^fo`; each is within `1/2 + 2^(fo−54) + n · 2^(fo−61)` of `2^fo · softmax(x)_k`.
    public static func softmax(_ values: [Int64], _ shape: AxisShape, inputFractionBits fi: Int,
                               outputFractionBits fo: Int) throws(InferenceError) -> [Int64] {
        try check(values, shape, lo: 0, hi: 0, fractionBits: [fi, fo])
        return mapRows(values, shape) { row in
            let (e, total) = exponentials(row, fi)
            let denominator = total.shiftedLeft(1)
            return e.map { ek in
                // ⌊(2·e_k·2^fo + Σ) / (2Σ)⌋ = ⌊(e_k·2^fo + Σ/2) / Σ⌋; the quotient is ≤ 2^fo.
                let numerator = UWide(ek).shiftedLeft(fo + 1) + total
                return Int64(numerator.smallQuotient(dividedBy: denominator))
            }
        }
    }

    /// `SOFTMAX_ZERO` (ai.onnx.ml) at `fo`: per row, `softmax` over the non-zero values only
    /// (their order kept) and 0 for every zero value; a row of zeros gives zeros.
    public static func softmaxZero(_ values: [Int64], _ shape: AxisShape, inputFractionBits fi: Int,
                                   outputFractionBits fo: Int) throws(InferenceError) -> [Int64] {
        try check(values, shape, lo: 0, hi: 0, fractionBits: [fi, fo])
        return mapRows(values, shape) { row in
            let kept = row.filter { $0 != 0 }
            guard !kept.isEmpty else { return row }
            let (e, total) = exponentials(kept, fi)
            let denominator = total.shiftedLeft(1)
            var next = 0
            return row.map { v in
                guard v != 0 else { return 0 }
                let numerator = UWide(e[next]).shiftedLeft(fo + 1) + total
                next += 1
                return Int64(numerator.smallQuotient(dividedBy: denominator))
            }
        }
    }

    /// `LogSoftmax` at `fo`: `y_k = round((x_k − max) · 2^fo − ln(Σ / 2^62) · 2^fo)` with `Σ`
    /// as in `softmax`, the logarithm from `FixedPoint.lnQ56` of `Σ` cut to its top 64 bits,
    /// computed in Q56 and rounded half up; clamped to `[lo, hi]`.
    public static func logSoftmax(_ values: [Int64], _ shape: AxisShape, inputFractionBits fi: Int,
                                  outputFractionBits fo: Int, lo: Int64, hi: Int64) throws(InferenceError) -> [Int64] {
        try check(values, shape, lo: lo, hi: hi, fractionBits: [fi, fo])
        return mapRows(values, shape) { row in
            let (_, total) = exponentials(row, fi)
            let cut = Swift.max(total.bitWidth - 64, 0)
            let logSum = FixedPoint.lnQ56(total.shiftedRight(cut).low, exponent: cut - 62)
            let top = row.max() ?? 0
            return row.map { v in
                let d = Wide(v) - Wide(top)
                return (d.shiftedLeft(56 - fi) - Wide(logSum)).roundShift(56 - fo).clamped(lo, hi)
            }
        }
    }

    /// The normalisation of `LayerNormalization` (`centered`) or RMS normalisation (not
    /// centered), before the scale and bias: `y_k = round(c_k · 2^(fo+t) / √V)`, clamped.
    ///
    /// With inputs clamped to `±2^32` and `n` the axis length: `c_k = n·v_k − Σ_j v_j`
    /// (centered) or `n·v_k`, so `c_k / (n · 2^fi)` is the exact centred value; `Q = Σ_k c_k²`,
    /// `E = epsilon · n²` (epsilon in 2^-40 units). A guard shift
    /// `t = min(20, max(0, min(⌊(124 − bits(Q))/2⌋, ⌊(164 − 2fi − bits(E))/2⌋)))` refines the
    /// variance's grid while both terms fit 128 bits: `V = ⌊(Q·4^t + ⌊n/2⌋) / n⌋ +
    /// round(E · 2^(2fi + 2t − 40))`, which is `(variance + ε) · (n · 2^fi)² · 4^t`. Then
    /// `V = M · 4^e` with `2^60 ≤ M < 2^62` (`M = ⌊V / 4^e⌋`), `R = ⌊2^93/√M⌋` exactly, and
    /// `y_k = round(c_k · R / 2^(93 + e − fo − t))`. `V = 0` (all inputs equal, no epsilon)
    /// gives 0.
    public static func normalize(_ values: [Int64], _ shape: AxisShape, inputFractionBits fi: Int,
                                 outputFractionBits fo: Int, epsilon: Int64, centered: Bool,
                                 lo: Int64, hi: Int64) throws(InferenceError) -> [Int64] {
        try check(values, shape, lo: lo, hi: hi, fractionBits: [fi, fo])
        guard epsilon >= 0 && epsilon <= epsilonMax else {
            throw .invalidQuantization(detail: "normalisation epsilon \(epsilon) (2^-40 units) outside 0…2^48")
        }
        let n = Int64(shape.length)
        let scaledEpsilon = UWide.product(UInt64(epsilon), UInt64(n * n))
        return mapRows(values, shape) { row in
            let x = row.map { IntegerSemantics.clamp($0, -normalizeInputMagnitudeMax, normalizeInputMagnitudeMax) }
            let s = centered ? x.reduce(0, +) : 0
            let c = x.map { n * $0 - s }
            let squares = c.reduce(UWide.zero) { $0 + UWide.product($1.magnitude, $1.magnitude) }
            let guardLimit = Swift.min((124 - squares.bitWidth) >> 1, (164 - 2 * fi - scaledEpsilon.bitWidth) >> 1)
            let t = Swift.min(20, Swift.max(0, guardLimit))
            let variance = (squares.shiftedLeft(2 * t) + UWide(UInt64(n) / 2)).divided(by: UInt64(n)).quotient
            let e40 = Wide(high: Int64(bitPattern: scaledEpsilon.high), low: scaledEpsilon.low)
                .roundShift(epsilonFractionBits - 2 * fi - 2 * t)
            let v = variance + UWide(high: UInt64(bitPattern: e40.high), low: e40.low)
            if v == .zero { return c.map { _ in IntegerSemantics.clamp(0, lo, hi) } }
            // e = ⌊(bits(V) − 61) / 2⌋, so M = V / 4^e has 61 or 62 bits.
            let e = (v.bitWidth - 61) >> 1
            let m = e >= 0 ? v.shiftedRight(2 * e).low : v.shiftedLeft(-2 * e).low
            let r = FixedPoint.inverseSqrt93(m)
            return c.map { Wide.product($0, unsigned: r).roundShift(93 + e - fo - t).clamped(lo, hi) }
        }
    }

    // MARK: - Rows

    /// `e_k = e^(x_k − max)` in Q62 (0 once `x_k − max ≤ −64`) and their exact sum.
    private static func exponentials(_ row: [Int64], _ fi: Int) -> (e: [UInt64], total: UWide) {
        let top = row.max() ?? 0
        let floor = Wide(-(Int64(64) << Int64(fi)))
        var total = UWide.zero
        let e = row.map { v -> UInt64 in
            let d = Wide(v) - Wide(top)
            let ek = d < floor || d == floor ? 0 : FixedPoint.expNonPositiveQ62(Int64(bitPattern: d.low), fractionBits: fi)
            total = total + UWide(ek)
            return ek
        }
        return (e, total)
    }

    private static func check(_ values: [Int64], _ shape: AxisShape, lo: Int64, hi: Int64,
                              fractionBits: [Int] = []) throws(InferenceError) {
        guard values.count == shape.elements else {
            throw .shapeMismatch(detail: "reduction input has \(values.count) elements, its shape \(shape.elements)")
        }
        guard lo <= hi else { throw .invalidQuantization(detail: "output range [\(lo), \(hi)] is empty") }
        for f in fractionBits where !(0...ElementOperator.fractionBitsMax).contains(f) {
            throw .invalidQuantization(detail: "fraction bits \(f) outside 0…\(ElementOperator.fractionBitsMax)")
        }
    }

    /// One output per row (`o · inner + i`).
    private static func reduce(_ values: [Int64], _ shape: AxisShape, _ body: ([Int64]) -> Int64) -> [Int64] {
        var out = [Int64](repeating: 0, count: shape.reducedElements)
        var row = [Int64](repeating: 0, count: shape.length)
        for o in 0..<shape.outer {
            for i in 0..<shape.inner {
                for k in 0..<shape.length { row[k] = values[(o * shape.length + k) * shape.inner + i] }
                out[o * shape.inner + i] = body(row)
            }
        }
        return out
    }

    /// A row-to-row map written back in the input's layout.
    private static func mapRows(_ values: [Int64], _ shape: AxisShape, _ body: ([Int64]) -> [Int64]) -> [Int64] {
        var out = [Int64](repeating: 0, count: shape.elements)
        var row = [Int64](repeating: 0, count: shape.length)
        for o in 0..<shape.outer {
            for i in 0..<shape.inner {
                for k in 0..<shape.length { row[k] = values[(o * shape.length + k) * shape.inner + i] }
                let result = body(row)
                for k in 0..<shape.length { out[(o * shape.length + k) * shape.inner + i] = result[k] }
            }
        }
        return out
    }
}
