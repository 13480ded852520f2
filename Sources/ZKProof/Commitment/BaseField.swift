/// The base field of P-256, just enough of it to decompress points: integers modulo
/// `p = 2^256 − 2^224 + 2^192 + 2^96 − 1`.
///
/// Math: elements are four 64-bit limbs in Montgomery form `x·R mod p`, `R = 2^256`, fully
/// reduced, multiplied by CIOS Montgomery multiplication (`−p⁻¹ mod 2^64 = 1` since
/// `p ≡ −1 mod 2^64`). Decompression of `x` solves `y² = x³ − 3x + b`: as `p ≡ 3 (mod 4)`, a
/// square `s` has the roots `±s^((p+1)/4)`, and `(p+1)/4 = 2^254 − 2^222 + 2^190 + 2^94` has
/// only 34 one bits, so a root costs 253 squarings and 33 multiplications. OpenSSL's own
/// decompression (`BN_mod_sqrt`, generic big-number exponentiation) costs several times
/// more, and a verifier decodes every point of a proof.
///
/// Every operation is on fixed-width limbs with wrapping arithmetic whose bounds are shown in
/// the comments: nothing traps on any input bytes.
struct BaseField: Equatable {
    var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64

    static let p: (UInt64, UInt64, UInt64, UInt64) = (0xFFFF_FFFF_FFFF_FFFF, 0x0000_0000_FFFF_FFFF, 0, 0xFFFF_FFFF_0000_0001)
    /// `R² mod p`.
    static let r2 = BaseField(l0: 0x3, l1: 0xFFFF_FFFB_FFFF_FFFF, l2: 0xFFFF_FFFF_FFFF_FFFE, l3: 0x0000_0004_FFFF_FFFD)
    /// The curve's `b` in Montgomery form.
    static let b = BaseField(l0: 0xD89C_DF62_29C4_BDDF, l1: 0xACF0_05CD_7884_3090, l2: 0xE5A2_20AB_F721_2ED6, l3: 0xDC30_061D_0487_4834)
    /// `(p + 1)/4`, limbs least significant first.
    static let rootExponent: [UInt64] = [0, 0x0000_0000_4000_0000, 0x4000_0000_0000_0000, 0x3FFF_FFFF_C000_0000]

    /// The element for 32 big-endian bytes; nil unless they are below `p`.
    init?(bigEndian bytes: ArraySlice<UInt8>) {
        guard bytes.count == 32 else { return nil }
        func limb(_ k: Int) -> UInt64 {
            let start = bytes.startIndex + 8 * (3 - k)
            return bytes[start..<(start + 8)].reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        }
        let plain = BaseField(l0: limb(0), l1: limb(1), l2: limb(2), l3: limb(3))
        guard plain.isBelowP else { return nil }
        self = plain * BaseField.r2
    }

    init(l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3
    }

    /// Zero, and one in Montgomery form (`R mod p`).
    static let zero = BaseField(l0: 0, l1: 0, l2: 0, l3: 0)
    static let one = BaseField.r2 * BaseField(l0: 1, l1: 0, l2: 0, l3: 0)
    /// `p − 2`, limbs least significant first (Fermat: `a^(p−2) = a⁻¹` for `a ≠ 0`).
    static let inverseExponent: [UInt64] = [0xFFFF_FFFF_FFFF_FFFD, 0x0000_0000_FFFF_FFFF, 0, 0xFFFF_FFFF_0000_0001]

    /// `self⁻¹` (zero for zero). The exponent is public, so its run does not depend on `self`.
    var inverse: BaseField { power(BaseField.inverseExponent) }

    /// The canonical value as 32 big-endian bytes (out of Montgomery form).
    var bigEndianBytes: [UInt8] {
        let plain = self * BaseField(l0: 1, l1: 0, l2: 0, l3: 0)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for limb in [plain.l3, plain.l2, plain.l1, plain.l0] {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift))) }
        }
        return out
    }

    /// True when the canonical value is odd.
    var isOdd: Bool { (self * BaseField(l0: 1, l1: 0, l2: 0, l3: 0)).l0 & 1 == 1 }

    var isZero: Bool { (l0 | l1 | l2 | l3) == 0 }

    var isBelowP: Bool {
        let (_, borrow) = BaseField.subtract((l0, l1, l2, l3), BaseField.p)
        return borrow
    }

    /// `a − b` on four limbs and whether it borrowed (`a < b`).
    @inline(__always)
    static func subtract(_ a: (UInt64, UInt64, UInt64, UInt64),
                         _ b: (UInt64, UInt64, UInt64, UInt64)) -> ((UInt64, UInt64, UInt64, UInt64), Bool) {
        let (d0, o0) = a.0.subtractingReportingOverflow(b.0)
        let (e1, o1) = a.1.subtractingReportingOverflow(b.1)
        let (d1, p1) = e1.subtractingReportingOverflow(o0 ? 1 : 0)
        let (e2, o2) = a.2.subtractingReportingOverflow(b.2)
        let (d2, p2) = e2.subtractingReportingOverflow(o1 || p1 ? 1 : 0)
        let (e3, o3) = a.3.subtractingReportingOverflow(b.3)
        let (d3, p3) = e3.subtractingReportingOverflow(o2 || p2 ? 1 : 0)
        return ((d0, d1, d2, d3), o3 || p3)
    }

    /// `a + b mod p` (both `< p`, so the sum is `< 2p < 2^257`: one conditional subtraction).
    static func + (a: BaseField, b: BaseField) -> BaseField {
        let (s0, c0) = a.l0.addingReportingOverflow(b.l0)
        let (t1, c1) = a.l1.addingReportingOverflow(b.l1)
        let (s1, d1) = t1.addingReportingOverflow(c0 ? 1 : 0)
        let (t2, c2) = a.l2.addingReportingOverflow(b.l2)
        let (s2, d2) = t2.addingReportingOverflow(c1 || d1 ? 1 : 0)
        let (t3, c3) = a.l3.addingReportingOverflow(b.l3)
        let (s3, d3) = t3.addingReportingOverflow(c2 || d2 ? 1 : 0)
        return reduced((s0, s1, s2, s3), carry: c3 || d3)
    }

    /// `a − b mod p`.
    static func - (a: BaseField, b: BaseField) -> BaseField { a + b.negated }

    /// `−a mod p`: `p − a`, or zero.
    var negated: BaseField {
        guard !isZero else { return self }
        let (d, _) = BaseField.subtract(BaseField.p, (l0, l1, l2, l3))
        return BaseField(l0: d.0, l1: d.1, l2: d.2, l3: d.3)
    }

    /// `s − p` when `s ≥ p` (or a carry out says `s ≥ 2^256 > p`), else `s`; `s < 2p`.
    @inline(__always)
    static func reduced(_ s: (UInt64, UInt64, UInt64, UInt64), carry: Bool) -> BaseField {
        let (d, borrow) = subtract(s, p)
        // With a carry the true value is s + 2^256 ≥ p, and the wrapped difference is right.
        // A mask selects without a branch (the choice is data-dependent and unpredictable).
        let mask = 0 &- UInt64(carry || !borrow ? 1 : 0)
        return BaseField(l0: (d.0 & mask) | (s.0 & ~mask), l1: (d.1 & mask) | (s.1 & ~mask),
                         l2: (d.2 & mask) | (s.2 & ~mask), l3: (d.3 & mask) | (s.3 & ~mask))
    }

    /// `lo, hi` of `a·b + c + d` (at most `(2^64 − 1)² + 2·(2^64 − 1) = 2^128 − 1`: no overflow).
    @inline(__always)
    static func mac(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> (UInt64, UInt64) {
        let r = UInt128(a) &* UInt128(b) &+ UInt128(c) &+ UInt128(d)
        return (UInt64(truncatingIfNeeded: r), UInt64(truncatingIfNeeded: r >> 64))
    }

    /// `a·b·R⁻¹ mod p` (CIOS Montgomery multiplication, one limb of `b` per step).
    @inline(__always)
    static func * (a: BaseField, b: BaseField) -> BaseField {
        var t = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        @inline(__always) func step(_ bi: UInt64) {
            var c: UInt64 = 0
            (t.0, c) = mac(a.l0, bi, t.0, 0)
            (t.1, c) = mac(a.l1, bi, t.1, c)
            (t.2, c) = mac(a.l2, bi, t.2, c)
            (t.3, c) = mac(a.l3, bi, t.3, c)
            let (t4, top) = t.4.addingReportingOverflow(c)
            // −p⁻¹ mod 2^64 = 1: the multiplier that clears the low limb is t.0 itself.
            let q = t.0
            (_, c) = mac(q, p.0, t.0, 0)
            (t.0, c) = mac(q, p.1, t.1, c)
            (t.1, c) = mac(q, p.2, t.2, c)
            (t.2, c) = mac(q, p.3, t.3, c)
            let (t3, carry) = t4.addingReportingOverflow(c)
            t.3 = t3
            // t < 2p < 2^257 throughout, so the top limb is 0 or 1.
            t.4 = (top ? 1 : 0) &+ (carry ? 1 : 0)
        }
        step(b.l0)
        step(b.l1)
        step(b.l2)
        step(b.l3)
        return reduced((t.0, t.1, t.2, t.3), carry: t.4 != 0)
    }

    /// `self^e` for the limbs of `e` (least significant first), square-and-multiply over a
    /// public exponent.
    func power(_ e: [UInt64]) -> BaseField {
        var result = BaseField.one
        var started = false
        for limb in e.reversed() {
            for bit in stride(from: 63, through: 0, by: -1) {
                if started { result = result * result }
                if (limb >> UInt64(bit)) & 1 == 1 {
                    result = started ? result * self : self
                    started = true
                }
            }
        }
        return result
    }

    /// The `y` with `y² = x³ − 3x + b` and the parity `odd` for the 32 big-endian bytes of `x`,
    /// as 32 big-endian bytes; nil if `x ≥ p` or no such `y` exists.
    static func decompress(x bytes: ArraySlice<UInt8>, odd: Bool) -> [UInt8]? {
        guard let x = BaseField(bigEndian: bytes) else { return nil }
        let rhs = x * x * x - (x + x + x) + b
        let root = rhs.power(rootExponent)
        // y = 0 would be a point of order 2, which a group of odd prime order has none of.
        guard root * root == rhs, !root.isZero else { return nil }
        return (root.isOdd == odd ? root : root.negated).bigEndianBytes
    }
}
