/// The fixed-point kernels every non-linear operator is built from: `e^x`, `ln x`, `erf x`
/// and `1/√x`, in integer arithmetic only.
///
/// A value written `Qk` is an integer `V` standing for `V · 2^-k`. Products of two 64-bit
/// words are taken in full (128 bits) and then shifted, always rounding down (floor), so each
/// step is defined to the bit. docs/PROTOCOL-nonlinear.md states each kernel with its
/// constants (`NonlinearConstants`) and its error bound; the tests check the bounds.
enum FixedPoint {
    /// `1` in Q62.
    static let one62: UInt64 = 1 << 62

    /// `⌊a · b / 2^62⌋` for unsigned Q62 operands (the result must fit 64 bits).
    @inline(__always)
    static func mul62(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let p = a.multipliedFullWidth(by: b)
        return (p.high << 2) | (p.low >> 62)
    }

    /// `⌊a · b / 2^62⌋` for signed Q62 operands with `|a · b| < 2^125`.
    @inline(__always)
    static func mul62(_ a: Int64, _ b: Int64) -> Int64 {
        let p = a.multipliedFullWidth(by: b)
        return Int64(bitPattern: (UInt64(bitPattern: p.high) << 2) | (p.low >> 62))
    }

    /// `⌊a · b / 2^64⌋`: the high word of the product.
    @inline(__always)
    static func mul64(_ a: UInt64, _ b: UInt64) -> UInt64 {
        a.multipliedFullWidth(by: b).high
    }

    // MARK: - Exponential

    /// `e^x` for `x = X · 2^-F` as a mantissa and a power of two: `e^x ≈ S · 2^(n − 62)` with
    /// `2^62 ≤ S < 2^63`.
    ///
    /// Requires `|X| < 64 · 2^F` and `0 ≤ F ≤ 56` (callers decide larger `|x|` themselves).
    /// 1. `T = ⌊X · log2eQ62 / 2^(F+6)⌋`: `t = x·log2(e)` in Q56.
    /// 2. `n = ⌊T / 2^56⌋`, `R = T − n·2^56` (the fraction of `t`, Q56), `i = ⌊R / 2^50⌋`
    ///    (its top 6 bits), `ρ = R − i·2^50`.
    /// 3. `z = ⌊ρ · 2^6 · ln2Q64 / 2^64⌋`: `ρ · ln 2` in Q62, below `ln2/64`.
    /// 4. `q = Σ_{k≤7} z^k/k!` by Horner: `q = c7`, then `q = c_k + ⌊z·q/2^62⌋` for k = 6…0.
    /// 5. `S = ⌊exp2TableQ62[i] · q / 2^62⌋`.
    ///
    /// Bound: `|S · 2^(n−62) − e^x| ≤ 2^-55 · e^x` (docs/PROTOCOL-nonlinear.md, "exp").
    static func expParts(_ x: Int64, fractionBits f: Int) -> (mantissa: UInt64, exponent: Int) {
        let t = Wide.product(x, Int64(NonlinearConstants.log2eQ62)).shiftedRight(f + 6).low
        let tq = Int64(bitPattern: t)
        let n = Int(tq >> 56)
        let r = UInt64(bitPattern: tq) & ((1 << 56) - 1)
        let i = Int(r >> 50)
        let rho = r & ((1 << 50) - 1)
        let z = mul64(rho << 6, NonlinearConstants.ln2Q64)
        let c = NonlinearConstants.expTaylorQ62
        var q = c[7]
        q = c[6] &+ mul62(z, q)
        q = c[5] &+ mul62(z, q)
        q = c[4] &+ mul62(z, q)
        q = c[3] &+ mul62(z, q)
        q = c[2] &+ mul62(z, q)
        q = c[1] &+ mul62(z, q)
        q = c[0] &+ mul62(z, q)
        return (mul62(NonlinearConstants.exp2TableQ62[i], q), n)
    }

    /// `e^x` in Q62 for `x = X · 2^-F ≤ 0`: `⌊S / 2^(−n)⌋` from `expParts`, and `0` when
    /// `x ≤ −64` (where `e^x < 2^-92`).
    static func expNonPositiveQ62(_ x: Int64, fractionBits f: Int) -> UInt64 {
        // x ≤ −64 ⇔ X ≤ −64 · 2^F; F ≤ 56 keeps the bound inside Int64.
        if x <= -(Int64(64) << Int64(f)) { return 0 }
        let (s, n) = expParts(x, fractionBits: f)
        // x ≤ 0 gives n ≤ 0 (n = 0 only at x = 0, where S = 2^62).
        let shift = -n
        return shift >= 64 ? 0 : s >> UInt64(max(shift, 0))
    }

    /// `e^x · 2^fo` rounded half up, saturated to `[0, 2^62]`, for `x = X · 2^-F` with
    /// `|X| < 64 · 2^F`.
    static func expRounded(_ x: Int64, fractionBits f: Int, outputFractionBits fo: Int) -> Int64 {
        let (s, n) = expParts(x, fractionBits: f)
        let shift = 62 - n - fo
        if shift <= 0 { return Int64(1) << 62 }   // ≥ 2^62: above every output range.
        if shift >= 64 { return 0 }               // S / 2^64 < 1/2.
        if shift == 63 { return 1 }               // S / 2^63 ∈ [1/2, 1).
        return IntegerSemantics.roundShift(Int64(s), shift)
    }

    // MARK: - Logarithm

    /// `ln(m · 2^e)` in Q56, for `m ≥ 1` and `|ln(m · 2^e)| < 62` (callers: `|ln| < 45`).
    ///
    /// 1. `p` = index of the top bit of `m`; `k = p + 1` if bit `p − 1` is set (the mantissa
    ///    is at least 1.5), else `k = p`. `μ = ⌊m · 2^(62−k)⌋` (Q62, in `[0.75, 1.5)`).
    /// 2. `d = |μ − 2^62|`, `z = ⌊d · 2^62 / (μ + 2^62)⌋` (Q62 of `|μ−1|/(μ+1)` ≤ 0.2),
    ///    `w = ⌊z²/2^62⌋`.
    /// 3. `s = a12`, then `s = a_j + ⌊w·s/2^62⌋` for j = 11…0 (`a_j = atanhSeriesQ62[j]`),
    ///    `L = 2·⌊z·s/2^62⌋`, negated when `μ < 2^62`: `ln μ` in Q62.
    /// 4. result `= ⌊(k + e) · ln2Q64 / 2^8⌋ + ⌊L / 2^6⌋`.
    ///
    /// Bound: `|result − ln(m·2^e)·2^56| ≤ 3` (docs/PROTOCOL-nonlinear.md, "ln").
    static func lnQ56(_ m: UInt64, exponent e: Int) -> Int64 {
        let m = max(m, 1)
        let p = 63 - m.leadingZeroBitCount
        let k = (p >= 1 && (m >> UInt64(p - 1)) & 1 == 1) ? p + 1 : p
        let mu = k <= 62 ? m << UInt64(62 - k) : m >> UInt64(k - 62)
        let below = mu < one62
        let d = below ? one62 - mu : mu - one62
        let z = (mu + one62).dividingFullWidth((high: d >> 2, low: d << 62)).quotient
        let w = mul62(z, z)
        let a = NonlinearConstants.atanhSeriesQ62
        var s = a[12]
        var j = 11
        while j >= 0 {
            s = a[j] &+ mul62(w, s)
            j -= 1
        }
        let lnMu = Int64(2 * mul62(z, s))
        let lnMuSigned = below ? -lnMu : lnMu
        let integerPart = Wide.product(Int64(k + e), unsigned: NonlinearConstants.ln2Q64).shiftedRight(8).saturated
        return integerPart &+ (lnMuSigned >> 6)
    }

    // MARK: - Error function

    /// `erf(a)` in Q62 for `a = A · 2^-F ≥ 0`, `0 ≤ F ≤ 58`; `2^62` when `a ≥ 6.5`.
    ///
    /// For `a < 6.5`: `j = ⌊2a⌋` (0…12), `u = 4a − (2j + 1)` ∈ `[−1, 1)` exactly in Q62,
    /// `y = Σ_k erfTaylorQ62[j][k] · u^k` by Horner (floor after each product), clamped to
    /// `[0, 2^62]`. Bound: `|y − erf(a)·2^62| ≤ 2^5` (docs/PROTOCOL-nonlinear.md, "erf").
    static func erfQ62(_ a: UInt64, fractionBits f: Int) -> Int64 {
        // 2a ≥ 6.5·2 ⇔ 2A ≥ 13·2^F ⇔ A > ⌊(13·2^F − 1) / 2⌋.
        if a > ((UInt64(13) << UInt64(f)) - 1) >> 1 { return Int64(1) << 62 }
        let j = Int((2 * a) >> UInt64(f))
        let u = (Int64(4 * a) - Int64(2 * j + 1) << Int64(f)) << Int64(62 - f)
        let row = NonlinearConstants.erfTaylorQ62[j]
        var y = row[18]
        var k = 17
        while k >= 0 {
            y = row[k] &+ mul62(u, y)
            k -= 1
        }
        return IntegerSemantics.clamp(y, 0, Int64(1) << 62)
    }

    // MARK: - Inverse square root

    /// `⌊2^93 / √M⌋` for `2^60 ≤ M < 2^62` (a value in `(2^62, 2^63]`), exact: the largest
    /// `R` with `R² · M ≤ 2^186`.
    static func inverseSqrt93(_ m: UInt64) -> UInt64 {
        let m = IntegerSemantics.clamp(Int64(bitPattern: m), 1 << 60, (1 << 62) - 1)
        let mu = UInt64(m)
        // s = ⌊√(M·2^64)⌋ ∈ [2^62, 2^63); 2^125 / s is within a few units of the answer.
        let s = UWide(high: mu, low: 0).squareRoot
        var r = s.dividingFullWidth((high: 1 << 61, low: 0)).quotient
        while r > 0 && squareTimesExceeds(r, mu) { r -= 1 }
        while !squareTimesExceeds(r + 1, mu) { r += 1 }
        return r
    }

    /// Whether `r² · m > 2^186`, in 192-bit arithmetic (`r ≤ 2^63 + 1`, `m < 2^62`).
    private static func squareTimesExceeds(_ r: UInt64, _ m: UInt64) -> Bool {
        let sq = r.multipliedFullWidth(by: r)           // < 2^127
        let lowPart = sq.low.multipliedFullWidth(by: m)  // bits 0…127
        let highPart = sq.high.multipliedFullWidth(by: m) // bits 64…191
        let (mid, carry) = highPart.low.addingReportingOverflow(lowPart.high)
        let top = highPart.high &+ (carry ? 1 : 0)      // bits 128…191
        // 2^186 has top word 2^58 and zero below.
        if top != 1 << 58 { return top > 1 << 58 }
        return mid != 0 || lowPart.low != 0
    }
}
