/// A signed 128-bit integer in two's complement, with only the operations the non-linear
/// operators need.
///
/// The standard library's `Int128` needs macOS 15 and the package still builds for macOS 14,
/// so the few 128-bit steps are written out here. Every operation is wrapping arithmetic on
/// the two words: the callers keep their values far inside ±2^126 (each call site states its
/// bound), so nothing wraps in practice and nothing can trap on untrusted input.
struct Wide: Sendable, Equatable, Comparable {
    /// Bits 64…127 (carries the sign).
    var high: Int64
    /// Bits 0…63.
    var low: UInt64

    @inline(__always)
    init(high: Int64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The sign extension of `v`.
    @inline(__always)
    init(_ v: Int64) {
        high = v >> 63
        low = UInt64(bitPattern: v)
    }

    /// The non-negative value `v`.
    @inline(__always)
    init(unsigned v: UInt64) {
        high = 0
        low = v
    }

    static let zero = Wide(0)

    /// `a · b`, exact.
    @inline(__always)
    static func product(_ a: Int64, _ b: Int64) -> Wide {
        let p = a.multipliedFullWidth(by: b)
        return Wide(high: p.high, low: p.low)
    }

    /// `a · b` for an unsigned `b` (up to 2^64 − 1), exact while `|a| · b < 2^127`.
    @inline(__always)
    static func product(_ a: Int64, unsigned b: UInt64) -> Wide {
        let p = a.magnitude.multipliedFullWidth(by: b)
        let m = Wide(high: Int64(bitPattern: p.high), low: p.low)
        return a < 0 ? m.negated : m
    }

    var isNegative: Bool { high < 0 }

    @inline(__always)
    var negated: Wide {
        let lo = ~low &+ 1
        return Wide(high: ~high &+ (lo == 0 ? 1 : 0), low: lo)
    }

    @inline(__always)
    static func + (a: Wide, b: Wide) -> Wide {
        let (lo, carry) = a.low.addingReportingOverflow(b.low)
        return Wide(high: a.high &+ b.high &+ (carry ? 1 : 0), low: lo)
    }

    @inline(__always)
    static func - (a: Wide, b: Wide) -> Wide { a + b.negated }

    @inline(__always)
    static func < (a: Wide, b: Wide) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// `⌊self / 2^s⌋` (arithmetic shift), for `0 ≤ s ≤ 127`.
    @inline(__always)
    func shiftedRight(_ s: Int) -> Wide {
        if s <= 0 { return self }
        if s >= 64 {
            return Wide(high: high >> 63, low: UInt64(bitPattern: high >> Int64(min(s - 64, 63))))
        }
        let lo = (low >> UInt64(s)) | (UInt64(bitPattern: high) << UInt64(64 - s))
        return Wide(high: high >> Int64(s), low: lo)
    }

    /// `self · 2^s` for `0 ≤ s ≤ 127`; the caller keeps the result below 2^127 in magnitude.
    @inline(__always)
    func shiftedLeft(_ s: Int) -> Wide {
        if s <= 0 { return self }
        if s >= 64 { return Wide(high: Int64(bitPattern: low << UInt64(min(s - 64, 63))), low: 0) }
        let hi = (UInt64(bitPattern: high) << UInt64(s)) | (low >> UInt64(64 - s))
        return Wide(high: Int64(bitPattern: hi), low: low << UInt64(s))
    }

    /// Bit `i` (0…127) of the two's complement representation.
    @inline(__always)
    func bit(_ i: Int) -> Bool {
        i < 64 ? (low >> UInt64(i)) & 1 == 1 : (UInt64(bitPattern: high) >> UInt64(min(i - 64, 63))) & 1 == 1
    }

    /// Round half up by `2^s`: `⌊(self + 2^(s−1)) / 2^s⌋` for `s ≥ 1`, computed as
    /// `(self >> s) + bit(s−1)` so the addend cannot overflow (the rule of
    /// `IntegerSemantics.roundShift`). For `s ≤ 0` it is the product `self · 2^(−s)`, which
    /// saturates at `±2^126` instead of wrapping.
    @inline(__always)
    func roundShift(_ s: Int) -> Wide {
        if s <= 0 {
            let k = min(-s, 126)
            let limit = Wide(1).shiftedLeft(126 - k)
            if !(self < limit) { return Wide(1).shiftedLeft(126) }
            if !(limit.negated < self) { return Wide(1).shiftedLeft(126).negated }
            return shiftedLeft(k)
        }
        return shiftedRight(s) + (bit(s - 1) ? Wide(1) : .zero)
    }

    /// The value as `Int64`, saturated to `[−2^62, 2^62]`.
    ///
    /// Every output range of the non-linear operators lies inside `±2^40`, so saturating
    /// intermediate results at `±2^62` never changes a clamped result.
    @inline(__always)
    var saturated: Int64 {
        let bound = Int64(1) << 62
        if high > 0 || (high == 0 && low > UInt64(bound)) { return bound }
        if high < -1 || (high == -1 && low < UInt64(bitPattern: -bound)) { return -bound }
        return Int64(bitPattern: low)
    }

    /// Round half up of `self / d` for `d ≥ 1`: `⌊(self + ⌊d/2⌋) / d⌋` (floor division, the
    /// rule of `IntegerSemantics.divideRoundingHalfUp`), exact.
    func dividedRoundingHalfUp(by d: UInt64) -> Wide {
        let d = max(d, 1)
        let m = self + Wide(unsigned: d / 2)
        if !m.isNegative {
            let q = UWide(high: UInt64(bitPattern: m.high), low: m.low).divided(by: d).quotient
            return Wide(high: Int64(bitPattern: q.high), low: q.low)
        }
        // ⌊−a/d⌋ = −⌈a/d⌉.
        let a = m.negated
        let (q, r) = UWide(high: UInt64(bitPattern: a.high), low: a.low).divided(by: d)
        let c = r == 0 ? q : q + UWide(1)
        return Wide(high: Int64(bitPattern: c.high), low: c.low).negated
    }

    /// `min(max(self, lo), hi)` as `Int64`.
    @inline(__always)
    func clamped(_ lo: Int64, _ hi: Int64) -> Int64 {
        if self < Wide(lo) { return lo }
        if Wide(hi) < self { return hi }
        return Int64(bitPattern: low)
    }
}

/// An unsigned 128-bit integer: sums of squares, sums of exponentials, square-root arguments.
struct UWide: Sendable, Equatable, Comparable {
    var high: UInt64
    var low: UInt64

    @inline(__always)
    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    @inline(__always)
    init(_ v: UInt64) {
        high = 0
        low = v
    }

    static let zero = UWide(0)

    /// `a · b`, exact.
    @inline(__always)
    static func product(_ a: UInt64, _ b: UInt64) -> UWide {
        let p = a.multipliedFullWidth(by: b)
        return UWide(high: p.high, low: p.low)
    }

    /// Wrapping sum (callers stay below 2^127).
    @inline(__always)
    static func + (a: UWide, b: UWide) -> UWide {
        let (lo, carry) = a.low.addingReportingOverflow(b.low)
        return UWide(high: a.high &+ b.high &+ (carry ? 1 : 0), low: lo)
    }

    /// Wrapping difference; callers subtract only a smaller value.
    @inline(__always)
    static func - (a: UWide, b: UWide) -> UWide {
        let (lo, borrow) = a.low.subtractingReportingOverflow(b.low)
        return UWide(high: a.high &- b.high &- (borrow ? 1 : 0), low: lo)
    }

    @inline(__always)
    static func < (a: UWide, b: UWide) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// Number of significant bits (0 for zero).
    @inline(__always)
    var bitWidth: Int {
        high != 0 ? 128 - high.leadingZeroBitCount : 64 - low.leadingZeroBitCount
    }

    /// `⌊self / 2^s⌋` for `s ≥ 0`.
    @inline(__always)
    func shiftedRight(_ s: Int) -> UWide {
        if s <= 0 { return self }
        if s >= 128 { return .zero }
        if s >= 64 { return UWide(high: 0, low: high >> UInt64(s - 64)) }
        return UWide(high: high >> UInt64(s), low: (low >> UInt64(s)) | (high << UInt64(64 - s)))
    }

    /// `self · 2^s` (bits past 127 are lost; callers stay below).
    @inline(__always)
    func shiftedLeft(_ s: Int) -> UWide {
        if s <= 0 { return self }
        if s >= 128 { return .zero }
        if s >= 64 { return UWide(high: low << UInt64(s - 64), low: 0) }
        return UWide(high: (high << UInt64(s)) | (low >> UInt64(64 - s)), low: low << UInt64(s))
    }

    /// `⌊self / d⌋` and the remainder, for `d ≥ 1` (schoolbook in two 64-bit steps).
    func divided(by d: UInt64) -> (quotient: UWide, remainder: UInt64) {
        let d = max(d, 1)
        let qh = high / d
        let rh = high % d
        let (ql, r) = d.dividingFullWidth((high: rh, low: low))
        return (UWide(high: qh, low: ql), r)
    }

    /// `⌊self / d⌋` for a divisor `d ≥ 1` when the quotient is known to be below 2^40
    /// (shift and subtract over 41 quotient bits).
    func smallQuotient(dividedBy d: UWide) -> UInt64 {
        var rest = self
        var q: UInt64 = 0
        for b in stride(from: 40, through: 0, by: -1) {
            let shifted = d.shiftedLeft(b)
            // Skip a shift that lost bits (the divisor times 2^b would pass 2^128).
            guard shifted.shiftedRight(b) == d else { continue }
            if !(rest < shifted) {
                rest = rest - shifted
                q |= UInt64(1) << UInt64(b)
            }
        }
        return q
    }

    /// `⌊√self⌋` for `self < 2^126`, by Newton's iteration from above (which decreases
    /// strictly until it reaches the floor of the root).
    var squareRoot: UInt64 {
        if self == .zero { return 0 }
        // 2^⌈w/2⌉ ≥ √self, and below 2^64 because w ≤ 126.
        var x = UInt64(1) << UInt64(min((bitWidth + 1) / 2, 63))
        while true {
            // self / x < 2^64 because x ≥ √self ≥ self / 2^64 … and high < x holds.
            guard high < x else { return x }
            let q = x.dividingFullWidth((high: high, low: low)).quotient
            // ⌊(x + q) / 2⌋ without overflow.
            let next = (x >> 1) + (q >> 1) + (x & q & 1)
            if next >= x { return x }
            x = next
        }
    }
}
