/// Byte encodings of field elements.
///
/// The canonical encoding is the 32-byte big-endian integer in `[0, n)`. Decoding refuses
/// any other 32-byte string (`≥ n`), so every element has exactly one encoding and a proof
/// cannot be mutated into another valid proof by adding `n` to an element.
extension Scalar {
    /// Bytes in one canonical encoding.
    public static let encodedByteCount = 32

    /// Why 32 bytes are not a field element.
    public enum DecodingError: Error, Equatable, Sendable {
        /// Not exactly 32 bytes.
        case wrongLength(Int)
        /// The integer is `≥ n`; the canonical form is its residue.
        case nonCanonical
    }

    /// Decodes a canonical big-endian encoding; refuses values `≥ n`.
    public init<Bytes: RandomAccessCollection>(canonicalBigEndian bytes: Bytes) throws(DecodingError)
    where Bytes.Element == UInt8 {
        guard bytes.count == 32 else { throw .wrongLength(bytes.count) }
        let limbs = Scalar.readLimbs(bytes)
        guard Scalar.isBelowOrder(limbs) else { throw .nonCanonical }
        self = Scalar.montgomeryMultiply(limbs.0, limbs.1, limbs.2, limbs.3,
                                         Scalar.r2.0, Scalar.r2.1, Scalar.r2.2, Scalar.r2.3)
    }

    /// Reduces a 64-byte big-endian integer modulo `n` (how challenges are made from hashes).
    ///
    /// With `x = hi·2^256 + lo`: `mont(x) = mont(lo·R²·R⁻¹) + mont(hi·R³·R⁻¹)`, i.e. one
    /// Montgomery product with `R²` and one with `R³`. Any 256-bit input is accepted by the
    /// Montgomery product, so neither half needs reducing first.
    public init<Bytes: RandomAccessCollection>(wideBigEndian bytes: Bytes) where Bytes.Element == UInt8, Bytes.Index == Int {
        precondition(bytes.count == 64, "wide reduction takes exactly 64 bytes") // programmer error, never proof data
        let start = bytes.startIndex
        let hi = Scalar.readLimbs(bytes[start..<(start + 32)])
        let lo = Scalar.readLimbs(bytes[(start + 32)..<(start + 64)])
        let a = Scalar.montgomeryMultiply(lo.0, lo.1, lo.2, lo.3, Scalar.r2.0, Scalar.r2.1, Scalar.r2.2, Scalar.r2.3)
        let b = Scalar.montgomeryMultiply(hi.0, hi.1, hi.2, hi.3, Scalar.r3.0, Scalar.r3.1, Scalar.r3.2, Scalar.r3.3)
        self = a + b
    }

    /// The canonical 32-byte big-endian encoding.
    public var bigEndianBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        appendBigEndian(to: &out)
        return out
    }

    /// Appends the canonical 32-byte big-endian encoding.
    public func appendBigEndian(to out: inout [UInt8]) {
        let c = canonicalLimbs
        for limb in [c.3, c.2, c.1, c.0] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: limb >> UInt64(shift)))
            }
        }
    }

    /// The signed integer this element embeds, if it is `x` or `n − |x|` for some
    /// `|x| < 2^63`; nil otherwise.
    public var signedInt64: Int64? {
        let c = canonicalLimbs
        if c.1 == 0, c.2 == 0, c.3 == 0, c.0 < (1 << 63) { return Int64(c.0) }
        let negated = (-self).canonicalLimbs
        if negated.1 == 0, negated.2 == 0, negated.3 == 0, negated.0 <= (1 << 63) {
            return negated.0 == (1 << 63) ? Int64.min : -Int64(negated.0)
        }
        return nil
    }

    static func readLimbs<Bytes: Collection>(_ bytes: Bytes) -> (UInt64, UInt64, UInt64, UInt64)
    where Bytes.Element == UInt8 {
        var limbs: [UInt64] = [0, 0, 0, 0] // most significant first while reading
        var i = 0
        for byte in bytes {
            limbs[i / 8] = (limbs[i / 8] << 8) | UInt64(byte)
            i += 1
        }
        return (limbs[3], limbs[2], limbs[1], limbs[0])
    }

    static func isBelowOrder(_ l: (UInt64, UInt64, UInt64, UInt64)) -> Bool {
        if l.3 != n3 { return l.3 < n3 }
        if l.2 != n2 { return l.2 < n2 }
        if l.1 != n1 { return l.1 < n1 }
        return l.0 < n0
    }
}
