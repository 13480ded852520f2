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
        case .sigmoid: return Self.fromQ62(Self.sigmoidQ62(v, fi), fo)
        case .tanh: return Self.fromQ62(Self.tanhQ62(v, fi), fo)
        case .erf:
            let e = FixedPoint.erfQ62(v.magnitude, fractionBits: fi)
            return Self.fromQ62(v < 0 ? -e : e, fo)
        case .gelu: return Self.gelu(v, fi, fo, tanhForm: false)
        case .geluTanh: return Self.gelu(v, fi, fo, tanhForm: true)
        case .exp:
            if v >= Int64(44) << Int64(fi) { return Self.sat }       // e^44 > 2^63
            if v <= -(Int64(64) << Int64(fi)) { return 0 }         // e^−64 · 2^30 < 2^-62
            return FixedPoint.expRounded(v, fractionBits: fi, outputFractionBits: fo)
        case .log:
            if v <= 0 { return -Self.sat }
            return IntegerSemantics.roundShift(FixedPoint.lnQ56(UInt64(v), exponent: -fi), 56 - fo)
        case .softplus: return Self.softplus(v, fi, fo)
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

    /// `σ(x)` in Q62: `P = ⌊2^124 / (2^62 + U)⌋` with `U = e^−|x|` in Q62, and `2^62 − P`
    /// for `x < 0`.
    private static func sigmoidQ62(_ v: Int64, _ fi: Int) -> Int64 {
        let u = v.magnitude >= UInt64(64) << UInt64(fi)
            ? 0 : FixedPoint.expNonPositiveQ62(-Int64(v.magnitude), fractionBits: fi)
        let p = Int64((FixedPoint.one62 + u).dividingFullWidth((high: 1 << 60, low: 0)).quotient)
        return v >= 0 ? p : Int64(FixedPoint.one62) - p
    }

    /// `tanh(x)` in Q62: `T = ⌊(2^62 − U) · 2^62 / (2^62 + U)⌋` with `U = e^(−2|x|)` in Q62;
    /// `T = 2^62` when `|x| ≥ 32`; negated for `x < 0`.
    private static func tanhQ62(_ v: Int64, _ fi: Int) -> Int64 {
        let t = tanhMagnitudeQ62(v.magnitude, fi)
        return v < 0 ? -t : t
    }

    /// `tanh(a)` in Q62 for `a = A · 2^-f ≥ 0` (`f ≤ 56`).
    private static func tanhMagnitudeQ62(_ a: UInt64, _ f: Int) -> Int64 {
        if a >= UInt64(32) << UInt64(f) { return Int64(FixedPoint.one62) }
        let u = FixedPoint.expNonPositiveQ62(-2 * Int64(a), fractionBits: f)
        let num = FixedPoint.one62 - u
        let t = (FixedPoint.one62 + u).dividingFullWidth((high: num >> 2, low: num << 62)).quotient
        return Int64(t)
    }

    /// Gelu in both forms: `x · Φ` with `Φ·2^63 = 2^62 ± E`, where `E` is `erf(|x|/√2)` or
    /// `tanh(|w|)` in Q62; the identity (rounded) for `x ≥ 10` and `0` for `x ≤ −10`.
    private static func gelu(_ v: Int64, _ fi: Int, _ fo: Int, tanhForm: Bool) -> Int64 {
        let ten = Int64(10) << Int64(fi)
        if v >= ten { return rescale(v, fi, fo) }
        if v <= -ten { return 0 }
        let e: Int64
        if tanhForm {
            // x in Q56 (|x| < 10), x², 1 + 0.044715·x², x·(…), then w = √(2/π)·x·(…), all Q56.
            let x = v << Int64(56 - fi)
            let x2 = UInt64(Wide.product(x, x).shiftedRight(56).low)
            let m = (UInt64(1) << 56) + FixedPoint.mul64(x2, NonlinearConstants.geluTanhCubicQ64)
            let inner = Wide.product(x, Int64(m)).shiftedRight(56).low
            let w = Wide.product(Int64(bitPattern: inner), unsigned: NonlinearConstants.sqrt2OverPiQ64).shiftedRight(64).low
            e = tanhMagnitudeQ62(Int64(bitPattern: w).magnitude, 56)
        } else {
            // z = |x|/√2 in Q58.
            let z = FixedPoint.mul64(v.magnitude << UInt64(58 - fi), NonlinearConstants.inverseSqrt2Q64)
            e = FixedPoint.erfQ62(z, fractionBits: 58)
        }
        let phi63 = v >= 0 ? FixedPoint.one62 + UInt64(e) : FixedPoint.one62 - UInt64(e)
        return Wide.product(v, unsigned: phi63).roundShift(63 + fi - fo).saturated
    }

    /// `ln(1 + e^x)`: `max(x, 0) + ln(1 + e^−|x|)`, with `ln(1 + U)` from `lnQ56(2^62 + U, −62)`.
    private static func softplus(_ v: Int64, _ fi: Int, _ fo: Int) -> Int64 {
        let bound = Int64(64) << Int64(fi)
        if v >= bound { return rescale(v, fi, fo) }
        if v <= -bound { return 0 }
        let u = FixedPoint.expNonPositiveQ62(-Int64(v.magnitude), fractionBits: fi)
        let l = FixedPoint.lnQ56(FixedPoint.one62 + u, exponent: -62)
        let linear = v > 0 ? v << Int64(56 - fi) : 0
        return IntegerSemantics.roundShift(linear + l, 56 - fo)
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
