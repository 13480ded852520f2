/// Appends the fixed-width big-endian fields of the versioned binary formats.
///
/// The format is deliberately dull: unsigned integers big-endian, signed integers as 8-byte
/// two's complement, field elements as canonical 32 bytes, points as 33-byte compressed SEC 1,
/// and every variable-length list preceded by its u32 count. `ProofReader` is its inverse.
public struct ProofWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    /// One byte.
    public mutating func u8(_ x: UInt8) { bytes.append(x) }
    /// Two bytes, big-endian.
    public mutating func u16(_ x: UInt16) { bigEndian(UInt64(x), width: 2) }
    /// Four bytes, big-endian.
    public mutating func u32(_ x: UInt32) { bigEndian(UInt64(x), width: 4) }
    /// Eight bytes, big-endian.
    public mutating func u64(_ x: UInt64) { bigEndian(x, width: 8) }
    /// Eight bytes, two's complement big-endian.
    public mutating func int64(_ x: Int64) { bigEndian(UInt64(bitPattern: x), width: 8) }
    /// A list of signed integers: u32 count then each value.
    public mutating func int64Array(_ xs: [Int64]) {
        u32(UInt32(truncatingIfNeeded: xs.count))
        bytes.reserveCapacity(bytes.count + 8 * xs.count)
        for x in xs { int64(x) }
    }
    /// A list of signed integers packed to the width its largest value needs: u32 count, one
    /// byte `w`, then each value's zigzag form (`2x` for `x ≥ 0`, `−2x − 1` below) in `w` bits,
    /// most significant bit first, back to back, the last byte padded with zero bits. `w` is the
    /// bit length of the largest zigzag value (0 when every value is 0), so the bytes are unique.
    public mutating func packedInt64Array(_ xs: [Int64]) {
        u32(UInt32(truncatingIfNeeded: xs.count))
        var widest: UInt64 = 0
        for x in xs { widest |= Self.zigzag(x) }
        let width = UInt64.bitWidth - widest.leadingZeroBitCount
        u8(UInt8(width))
        guard width > 0 else { return }
        bytes.reserveCapacity(bytes.count + (xs.count * width + 7) / 8)
        var buffer: UInt64 = 0, held = 0
        for x in xs {
            let z = Self.zigzag(x)
            // Emit the value's bits from the top, a byte at a time, through `buffer`.
            var left = width
            while left > 0 {
                let take = min(left, 8 - held)
                let chunk = (z >> UInt64(left - take)) & ((1 << UInt64(take)) - 1)
                buffer = (buffer << UInt64(take)) | chunk
                held += take
                left -= take
                if held == 8 { bytes.append(UInt8(truncatingIfNeeded: buffer)); buffer = 0; held = 0 }
            }
        }
        if held > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer << UInt64(8 - held))) }
    }

    /// `x`'s zigzag form: small magnitudes of either sign become small unsigned values.
    static func zigzag(_ x: Int64) -> UInt64 { (UInt64(bitPattern: x) << 1) ^ UInt64(bitPattern: x >> 63) }

    /// Raw bytes, no length.
    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// A byte string: u32 length then the bytes.
    public mutating func byteString(_ b: [UInt8]) {
        u32(UInt32(truncatingIfNeeded: b.count))
        bytes.append(contentsOf: b)
    }
    /// A field element, canonical 32 bytes.
    public mutating func scalar(_ s: Scalar) { s.appendBigEndian(to: &bytes) }
    /// Field elements without a count (the reader knows how many from the statement).
    public mutating func scalars(_ ss: [Scalar]) {
        bytes.reserveCapacity(bytes.count + 32 * ss.count)
        for s in ss { s.appendBigEndian(to: &bytes) }
    }
    /// A curve point, 33 bytes compressed.
    public mutating func point(_ p: CurvePoint) { bytes.append(contentsOf: p.compressed) }

    private mutating func bigEndian(_ x: UInt64, width: Int) {
        for i in stride(from: width - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: x >> UInt64(8 * i))) }
    }
}
