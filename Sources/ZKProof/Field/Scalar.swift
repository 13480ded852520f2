/// The scalar field of P-256: integers modulo the group order
/// `n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551`.
///
/// Math: an element `x` is stored in Montgomery form `x·R mod n` with `R = 2^256`, as four
/// 64-bit limbs, least significant first. Multiplication is CIOS Montgomery multiplication
/// (`mont(a, b) = a·b·R⁻¹ mod n`), so the product of two Montgomery forms is again a
/// Montgomery form. Every stored value is fully reduced (`< n`), so equality of limbs is
/// equality of field elements. Pedersen commitments live in the P-256 group of order `n`, so
/// this field is exactly the exponent field of the commitment scheme.
///
/// Place in the stack: field → multilinear polynomials → transcript → commitment → inference.
public struct Scalar: Sendable, Hashable {
    @usableFromInline var l0: UInt64
    @usableFromInline var l1: UInt64
    @usableFromInline var l2: UInt64
    @usableFromInline var l3: UInt64

    /// Wraps Montgomery-form limbs that the caller guarantees are `< n`.
    @inlinable @inline(__always)
    init(montgomery l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3
    }

    // MARK: Constants

    /// The field order `n`, limbs least significant first.
    @inlinable static var n0: UInt64 { 0xF3B9_CAC2_FC63_2551 }
    @inlinable static var n1: UInt64 { 0xBCE6_FAAD_A717_9E84 }
    @inlinable static var n2: UInt64 { 0xFFFF_FFFF_FFFF_FFFF }
    @inlinable static var n3: UInt64 { 0xFFFF_FFFF_0000_0000 }
    /// `-n⁻¹ mod 2^64`, the Montgomery reduction constant.
    @inlinable static var nPrime: UInt64 { 0xCCD1_C8AA_EE00_BC4F }
    /// `R² mod n`: Montgomery multiplication by it converts a plain value into Montgomery form.
    @inlinable static var r2: (UInt64, UInt64, UInt64, UInt64) { (UInt64(0x8324_4C95_BE79_EEA2), UInt64(0x4699_799C_49BD_6FA6),
                                       UInt64(0x2845_B239_2B6B_EC59), UInt64(0x66E1_2D94_F3D9_5620)) }
    /// `R³ mod n`: used to fold the high half of a 512-bit value (see `init(wideBigEndian:)`).
    @inlinable static var r3: (UInt64, UInt64, UInt64, UInt64) { (UInt64(0xAC8E_BEC9_0B65_A624), UInt64(0x111F_28AE_0C05_55C9),
                                       UInt64(0x2543_B924_6BA5_E93F), UInt64(0x503A_54E7_6407_BE65)) }

    /// The additive identity.
    @inlinable public static var zero: Scalar { Scalar(montgomery: 0, 0, 0, 0) }
    /// The multiplicative identity (`R mod n` in Montgomery form).
    @inlinable public static var one: Scalar { Scalar(montgomery: 0x0C46_353D_039C_DAAF, 0x4319_0552_58E8_617B, 0, 0x0000_0000_FFFF_FFFF) }

    /// The field order as 32 big-endian bytes.
    public static let orderBigEndian: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ]

    // MARK: Construction

    /// The element `x mod n` for an unsigned 64-bit integer.
    @inlinable
    public init(_ x: UInt64) {
        self = Scalar.montgomeryMultiply(x, 0, 0, 0, Scalar.r2.0, Scalar.r2.1, Scalar.r2.2, Scalar.r2.3)
    }

    /// The signed embedding: `x` for `x ≥ 0`, `n − |x|` for `x < 0` (defined for `Int64.min` too).
    @inlinable
    public init(_ x: Int64) {
        let magnitude = Scalar(x.magnitude)
        self = x < 0 ? -magnitude : magnitude
    }

    /// Plain (non-Montgomery) limbs of the canonical representative, least significant first.
    @inlinable
    public var canonicalLimbs: (UInt64, UInt64, UInt64, UInt64) {
        let r = Scalar.montgomeryMultiply(l0, l1, l2, l3, 1, 0, 0, 0)
        return (r.l0, r.l1, r.l2, r.l3)
    }

    /// True for the additive identity.
    @inlinable
    public var isZero: Bool { (l0 | l1 | l2 | l3) == 0 }

    // MARK: Arithmetic

    /// `a + b mod n`.
    @inlinable @inline(__always)
    public static func + (a: Scalar, b: Scalar) -> Scalar {
        let (s0, c0) = adc(a.l0, b.l0, 0)
        let (s1, c1) = adc(a.l1, b.l1, c0)
        let (s2, c2) = adc(a.l2, b.l2, c1)
        let (s3, c3) = adc(a.l3, b.l3, c2)
        return reduceOnce(s0, s1, s2, s3, carry: c3 != 0)
    }

    /// `a − b mod n`.
    @inlinable @inline(__always)
    public static func - (a: Scalar, b: Scalar) -> Scalar {
        let (d0, b0) = sbb(a.l0, b.l0, 0)
        let (d1, b1) = sbb(a.l1, b.l1, b0)
        let (d2, b2) = sbb(a.l2, b.l2, b1)
        let (d3, b3) = sbb(a.l3, b.l3, b2)
        // The difference went negative exactly when b3 = 1: then add n back (the carry out
        // cancels the borrow). A mask selects n or 0 without a branch.
        let mask = 0 &- b3
        let (e0, c0) = adc(d0, n0 & mask, 0)
        let (e1, c1) = adc(d1, n1 & mask, c0)
        let (e2, c2) = adc(d2, n2 & mask, c1)
        let (e3, _) = adc(d3, n3 & mask, c2)
        return Scalar(montgomery: e0, e1, e2, e3)
    }

    /// `−a mod n`.
    @inlinable @inline(__always)
    public static prefix func - (a: Scalar) -> Scalar { Scalar.zero - a }

    /// `a · b mod n`.
    @inlinable @inline(__always)
    public static func * (a: Scalar, b: Scalar) -> Scalar {
        montgomeryMultiply(a.l0, a.l1, a.l2, a.l3, b.l0, b.l1, b.l2, b.l3)
    }

    /// `a += b`.
    @inlinable @inline(__always)
    public static func += (a: inout Scalar, b: Scalar) { a = a + b }
    /// `a −= b`.
    @inlinable @inline(__always)
    public static func -= (a: inout Scalar, b: Scalar) { a = a - b }
    /// `a *= b`.
    @inlinable @inline(__always)
    public static func *= (a: inout Scalar, b: Scalar) { a = a * b }

    /// `a²`.
    @inlinable
    public func squared() -> Scalar { self * self }

    /// `a^e` for a big-endian exponent, by square-and-multiply (not constant time: exponents
    /// used here are public).
    public func power(bigEndianExponent e: [UInt8]) -> Scalar {
        var result = Scalar.one
        for byte in e {
            for bit in stride(from: 7, through: 0, by: -1) {
                result = result.squared()
                if (byte >> UInt8(bit)) & 1 == 1 { result = result * self }
            }
        }
        return result
    }

    /// `a⁻¹` by Fermat (`a^(n−2)`), or nil for zero.
    public func inverse() -> Scalar? {
        if isZero { return nil }
        return power(bigEndianExponent: Scalar.orderMinusTwo)
    }

    static let orderMinusTwo: [UInt8] = {
        var e = orderBigEndian
        e[31] = e[31] &- 2 // 0x51 − 2 = 0x4F, no borrow.
        return e
    }()

    // MARK: Limb primitives

    /// `(hi, lo) = a + b·c + carry`; cannot overflow 128 bits. `UInt128` lets LLVM emit one
    /// `mul` and an `add`/`adc` chain without branches.
    @inlinable @inline(__always)
    static func mac(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ carry: UInt64) -> (hi: UInt64, lo: UInt64) {
        let wide = UInt128(b) &* UInt128(c) &+ UInt128(a) &+ UInt128(carry)
        return (UInt64(truncatingIfNeeded: wide >> 64), UInt64(truncatingIfNeeded: wide))
    }

    /// Subtracts `n` once from a value `< 2n` given as 256 bits plus a carry bit.
    @inlinable @inline(__always)
    static func reduceOnce(_ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64, carry: Bool) -> Scalar {
        let (d0, b0) = sbb(s0, n0, 0)
        let (d1, b1) = sbb(s1, n1, b0)
        let (d2, b2) = sbb(s2, n2, b1)
        let (d3, b3) = sbb(s3, n3, b2)
        // Keep the difference when the 257-bit value was ≥ n: a carry in, or no borrow out.
        // Select with a mask rather than a branch.
        let keep = (carry ? 1 : 0) | (1 &- b3) // 1 when the difference is the result
        let mask = 0 &- keep
        return Scalar(montgomery: (d0 & mask) | (s0 & ~mask), (d1 & mask) | (s1 & ~mask),
                      (d2 & mask) | (s2 & ~mask), (d3 & mask) | (s3 & ~mask))
    }

    /// `a − b − borrow` with the borrow out as 0 or 1.
    @inlinable @inline(__always)
    static func sbb(_ a: UInt64, _ b: UInt64, _ borrow: UInt64) -> (UInt64, UInt64) {
        let wide = UInt128(a) &- UInt128(b) &- UInt128(borrow)
        return (UInt64(truncatingIfNeeded: wide), UInt64(truncatingIfNeeded: wide >> 64) & 1)
    }

    /// `a + b + carry` with the carry out as 0 or 1.
    @inlinable @inline(__always)
    static func adc(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
        let wide = UInt128(a) &+ UInt128(b) &+ UInt128(carry)
        return (UInt64(truncatingIfNeeded: wide), UInt64(truncatingIfNeeded: wide >> 64))
    }

    /// CIOS Montgomery multiplication: `a·b·2^-256 mod n` for `a < 2^256`, `b < n`.
    @inlinable @inline(__always)
    static func montgomeryMultiply(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64,
                                   _ b0: UInt64, _ b1: UInt64, _ b2: UInt64, _ b3: UInt64) -> Scalar {
        var t = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        t = montgomeryRound(t, a0, a1, a2, a3, b0)
        t = montgomeryRound(t, a0, a1, a2, a3, b1)
        t = montgomeryRound(t, a0, a1, a2, a3, b2)
        t = montgomeryRound(t, a0, a1, a2, a3, b3)
        return reduceOnce(t.0, t.1, t.2, t.3, carry: t.4 != 0)
    }

    /// One CIOS round: `t ← (t + a·bi + m·n) / 2^64` with `m` chosen to clear the low limb.
    @inlinable @inline(__always)
    static func montgomeryRound(_ t: (UInt64, UInt64, UInt64, UInt64, UInt64),
                                _ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64,
                                _ bi: UInt64) -> (UInt64, UInt64, UInt64, UInt64, UInt64) {
        let (c0, u0) = mac(t.0, a0, bi, 0)
        let (c1, u1) = mac(t.1, a1, bi, c0)
        let (c2, u2) = mac(t.2, a2, bi, c1)
        let (c3, u3) = mac(t.3, a3, bi, c2)
        let (u4, o4) = adc(t.4, c3, 0)
        let m = u0 &* nPrime
        let (d0, _) = mac(u0, m, n0, 0)
        let (d1, v0) = mac(u1, m, n1, d0)
        let (d2, v1) = mac(u2, m, n2, d1)
        let (d3, v2) = mac(u3, m, n3, d2)
        let (v3, o5) = adc(u4, d3, 0)
        return (v0, v1, v2, v3, o4 &+ o5)
    }
}

extension Scalar: CustomStringConvertible {
    /// The canonical value in hexadecimal, for messages and debugging.
    public var description: String {
        "0x" + bigEndianBytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

extension Scalar {
    /// The field element `R = 2^256 mod n` (its Montgomery form is `R² mod n`).
    @inlinable static var montgomeryRadix: Scalar { Scalar(montgomery: r2.0, r2.1, r2.2, r2.3) }

    /// `self · R`, the operand `multipliedByPlain` expects.
    @inlinable
    public func scaledForPlainMultiply() -> Scalar { self * Scalar.montgomeryRadix }

    /// For `self = a·R` (from `scaledForPlainMultiply`), returns `a · x` with one Montgomery
    /// product instead of two (no conversion of `x` into Montgomery form).
    @inlinable @inline(__always)
    public func multipliedByPlain(_ x: UInt64) -> Scalar {
        Scalar.montgomeryMultiply(x, 0, 0, 0, l0, l1, l2, l3)
    }
}
