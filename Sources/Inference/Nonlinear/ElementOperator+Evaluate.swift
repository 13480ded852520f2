/// The integer definition of every element function, before the final clamp.
///
/// Each branch follows docs/PROTOCOL-nonlinear.md step for step. Results are saturated to
/// `±2^62` (outside every output range, so the clamp then gives `lo` or `hi`); "saturates to
/// hi" below means a result at or above `2^62`.
extension ElementOperator {
    private static let sat = Int64(1) << 62

    /// `F(v)` before the clamp to `[lo, hi]`, within `[−2^62, 2^62]`.
    func unclamped(_ v: Int64) -> Int64 {
        let fi = inputFractionBits
        let fo = outputFractionBits
        switch function {
        case .sigmoid, .tanh, .erf, .gelu, .geluTanh, .softplus:
            return finish(v, kernel: magnitudeKernel(v.magnitude))
        case .exp:
            if v >= Int64(44) << Int64(fi) { return Self.sat }       // e^44 > 2^63
            if v <= -(Int64(64) << Int64(fi)) { return 0 }         // e^−64 · 2^30 < 2^-62
            return FixedPoint.expRounded(v, fractionBits: fi, outputFractionBits: fo)
        case .log:
            if v <= 0 { return -Self.sat }
            return IntegerSemantics.roundShift(FixedPoint.lnQ56(UInt64(v), exponent: -fi), 56 - fo)
        case .elu(let alpha):
            if v >= 0 { return Self.rescale(v, fi, fo) }
            return Wide.product(alpha, Self.expMinusOneQ62(v, fi)).roundShift(24 + 62 - fo).saturated
        case .selu(let alpha, let gamma):
            if v > 0 { return Wide.product(gamma, v).roundShift(24 + fi - fo).saturated }
            // |γ|, |α| < 2^31, so γα is exact in Int64 (2^-48 units).
            return Wide.product(gamma &* alpha, Self.expMinusOneQ62(v, fi)).roundShift(48 + 62 - fo).saturated
        case .leakyRelu(let alpha):
            if v >= 0 { return Self.rescale(v, fi, fo) }
            return Wide.product(alpha, v).roundShift(24 + fi - fo).saturated
        case .hardSigmoid(let alpha, let beta):
            // αx + β in 2^-(24+fi) units, clamped to [0, 1], then rounded to fo.
            let p = Wide.product(alpha, v) + Wide(beta).shiftedLeft(fi)
            let one = Wide(1).shiftedLeft(24 + fi)
            let c = p < .zero ? .zero : (one < p ? one : p)
            return c.roundShift(24 + fi - fo).saturated
        case .hardSwish: return Self.hardSwish(v, fi, fo)
        case .sqrt:
            if v <= 0 { return 0 }
            // ⌊√X + 1/2⌋ = ⌊(⌊√⌊4X⌋⌋ + 1) / 2⌋ with X = x · 2^(2fo), 4X = v · 2^(2fo − fi + 2).
            let e = 2 * fo - fi + 2
            let n = e >= 0 ? UWide(UInt64(v)).shiftedLeft(e) : UWide(UInt64(v) >> UInt64(-e))
            return Int64((n.squareRoot + 1) >> 1)
        case .reciprocal:
            if v == 0 { return Self.sat }
            // 2^(fi+fo) / v, rounded half up: the numerator carries the sign, the divisor is |v|.
            let numerator = Wide(1).shiftedLeft(fi + fo)
            return (v < 0 ? numerator.negated : numerator).dividedRoundingHalfUp(by: v.magnitude).saturated
        case .square:
            return Wide.product(v, v).roundShift(2 * fi - fo).saturated
        }
    }

    // MARK: - Shared steps

    /// A Q62 value rounded half up to `fo` fraction bits.
    private static func fromQ62(_ q: Int64, _ fo: Int) -> Int64 {
        IntegerSemantics.roundShift(q, 62 - fo)
    }

    /// `v` moved from `fi` to `fo` fraction bits: exact when `fo ≥ fi` (saturated), else
    /// round half up.
    static func rescale(_ v: Int64, _ fi: Int, _ fo: Int) -> Int64 {
        fo >= fi ? Wide(v).shiftedLeft(fo - fi).saturated : IntegerSemantics.roundShift(v, fi - fo)
    }

    /// `e^x − 1` in Q62 for `x = v · 2^-fi ≤ 0` (`−2^62` when `x ≤ −64`).
    private static func expMinusOneQ62(_ v: Int64, _ fi: Int) -> Int64 {
        Int64(FixedPoint.expNonPositiveQ62(v, fractionBits: fi)) - Int64(FixedPoint.one62)
    }

    // MARK: - Functions symmetric in |x|

    /// Whether `F(v)` is `finish(v, kernel: magnitudeKernel(|v|))`: the expensive part
    /// depends on `|v|` only, so a table computes it once for `v` and `−v`.
    var hasMagnitudeKernel: Bool {
        switch function {
        case .sigmoid, .tanh, .erf, .gelu, .geluTanh, .softplus: true
        default: false
        }
    }

    /// The part that depends on `a = |v|` only (Q62 unless stated):
    /// - Sigmoid: `P = ⌊2^124 / (2^62 + U)⌋`, `U = e^−a` in Q62 (0 once `a ≥ 64`): `σ(a)`;
    /// - Tanh: `T = tanh(a)`; Erf: `E = erf(a)`;
    /// - Gelu: `E = erf(a/√2)` with `a/√2` in Q58; Gelu (tanh): `T = tanh(w)` with
    ///   `w = √(2/π)·a·(1 + 0.044715·a²)` in Q56; both 0 once `a ≥ 10`;
    /// - Softplus: `ln(1 + e^−a)` in Q56 (0 once `a ≥ 64`).
    func magnitudeKernel(_ a: UInt64) -> Int64 {
        let fi = inputFractionBits
        switch function {
        case .sigmoid:
            let u = a >= UInt64(64) << UInt64(fi) ? 0 : FixedPoint.expNonPositiveQ62(-Int64(a), fractionBits: fi)
            return Int64((FixedPoint.one62 + u).dividingFullWidth((high: 1 << 60, low: 0)).quotient)
        case .tanh:
            return Self.tanhMagnitudeQ62(a, fi)
        case .erf:
            return FixedPoint.erfQ62(a, fractionBits: fi)
        case .gelu:
            if a >= UInt64(10) << UInt64(fi) { return 0 }
            let z = FixedPoint.mul64(a << UInt64(58 - fi), NonlinearConstants.inverseSqrt2Q64)
            return FixedPoint.erfQ62(z, fractionBits: 58)
        case .geluTanh:
            if a >= UInt64(10) << UInt64(fi) { return 0 }
            // a in Q56 (< 10), a², 1 + 0.044715·a², a·(…), w = √(2/π)·a·(…), all Q56, all ≥ 0.
            let x = a << UInt64(56 - fi)
            let x2 = UWide.product(x, x).shiftedRight(56).low
            let m = (UInt64(1) << 56) + FixedPoint.mul64(x2, NonlinearConstants.geluTanhCubicQ64)
            let inner = UWide.product(x, m).shiftedRight(56).low
            let w = FixedPoint.mul64(inner, NonlinearConstants.sqrt2OverPiQ64)
            return Self.tanhMagnitudeQ62(w, 56)
        case .softplus:
            if a >= UInt64(64) << UInt64(fi) { return 0 }
            let u = FixedPoint.expNonPositiveQ62(-Int64(a), fractionBits: fi)
            return FixedPoint.lnQ56(FixedPoint.one62 + u, exponent: -62)
        default:
            return 0
        }
    }

    /// `F(v)` from the kernel of `|v|`, for the functions of `hasMagnitudeKernel`.
    func finish(_ v: Int64, kernel k: Int64) -> Int64 {
        let fi = inputFractionBits
        let fo = outputFractionBits
        switch function {
        case .sigmoid: return Self.fromQ62(v >= 0 ? k : Int64(FixedPoint.one62) - k, fo)
        case .tanh, .erf: return Self.fromQ62(v < 0 ? -k : k, fo)
        case .gelu, .geluTanh:
            // x · Φ with Φ · 2^63 = 2^62 ± k; the identity (rounded) for x ≥ 10, 0 for x ≤ −10.
            let ten = Int64(10) << Int64(fi)
            if v >= ten { return Self.rescale(v, fi, fo) }
            if v <= -ten { return 0 }
            let phi63 = v >= 0 ? FixedPoint.one62 + UInt64(k) : FixedPoint.one62 - UInt64(k)
            return Wide.product(v, unsigned: phi63).roundShift(63 + fi - fo).saturated
        case .softplus:
            // max(x, 0) + ln(1 + e^−|x|); x alone (rounded) for x ≥ 64, 0 for x ≤ −64.
            let bound = Int64(64) << Int64(fi)
            if v >= bound { return Self.rescale(v, fi, fo) }
            if v <= -bound { return 0 }
            let linear = v > 0 ? v << Int64(56 - fi) : 0
            return IntegerSemantics.roundShift(linear + k, 56 - fo)
        default:
            return unclamped(v)
        }
    }

    /// `tanh(a)` in Q62 for `a = A · 2^-f ≥ 0` (`f ≤ 56`): `2^62` once `a ≥ 32`, else
    /// `⌊(2^62 − U) · 2^62 / (2^62 + U)⌋` with `U = e^(−2a)` in Q62.
    private static func tanhMagnitudeQ62(_ a: UInt64, _ f: Int) -> Int64 {
        if a >= UInt64(32) << UInt64(f) { return Int64(FixedPoint.one62) }
        let u = FixedPoint.expNonPositiveQ62(-2 * Int64(a), fractionBits: f)
        let num = FixedPoint.one62 - u
        let t = (FixedPoint.one62 + u).dividingFullWidth((high: num >> 2, low: num << 62)).quotient
        return Int64(t)
    }

    /// `x · (x + 3) / 6` rounded half up between `−3` and `3`; `0` below, `x` above.
    private static func hardSwish(_ v: Int64, _ fi: Int, _ fo: Int) -> Int64 {
        let three = Int64(3) << Int64(fi)
        if v <= -three { return 0 }
        if v >= three { return rescale(v, fi, fo) }
        // y · 2^fo = v(v + 3·2^fi) / (3 · 2^(2fi + 1 − fo)).
        let n = Wide.product(v, v + three)
        let k = 2 * fi + 1 - fo
        return n.shiftedLeft(max(-k, 0)).dividedRoundingHalfUp(by: UInt64(3) << UInt64(max(k, 0))).saturated
    }
}
