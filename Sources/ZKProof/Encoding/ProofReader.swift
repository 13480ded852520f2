/// Reads the formats `ProofWriter` writes, from untrusted bytes.
///
/// Every read checks the remaining length first; nothing here can trap on any input. Counts
/// are checked against a caller-supplied maximum *before* anything is allocated for them.
public struct ProofReader: Sendable {
    private let bytes: [UInt8]
    /// Offset of the next byte to read.
    public private(set) var offset: Int = 0

    /// A reader at the start of `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    /// One byte.
    public mutating func u8() throws(ProofFormatError) -> UInt8 { UInt8(try bigEndian(width: 1)) }
    /// Two bytes, big-endian.
    public mutating func u16() throws(ProofFormatError) -> UInt16 { UInt16(try bigEndian(width: 2)) }
    /// Four bytes, big-endian.
    public mutating func u32() throws(ProofFormatError) -> UInt32 { UInt32(try bigEndian(width: 4)) }
    /// Eight bytes, big-endian.
    public mutating func u64() throws(ProofFormatError) -> UInt64 { try bigEndian(width: 8) }
    /// Eight bytes, two's complement.
    public mutating func int64() throws(ProofFormatError) -> Int64 { Int64(bitPattern: try bigEndian(width: 8)) }

    /// A u32 count, refused above `max` (named `field` in the error).
    public mutating func count(_ field: String, max: Int) throws(ProofFormatError) -> Int {
        let at = offset
        let n = Int(try u32())
        guard n <= max else { throw .countOverLimit(field: field, count: n, limit: max, offset: at) }
        return n
    }

    /// A count that must equal `expected` (which comes from the statement, never the bytes).
    public mutating func expectCount(_ field: String, _ expected: Int) throws(ProofFormatError) {
        let at = offset
        let n = Int(try u32())
        guard n == expected else { throw .countMismatch(field: field, expected: expected, actual: n, offset: at) }
    }

    /// `count` signed integers, where `count` is known from the statement.
    public mutating func int64s(_ count: Int) throws(ProofFormatError) -> [Int64] {
        try need(count, width: 8)
        var out = [Int64]()
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try int64()) }
        return out
    }

    /// What `ProofWriter.packedInt64Array` wrote, after its count (read with `expectCount`):
    /// `count` known from the statement. Refuses a width over 64, a width larger than the
    /// values need and padding bits that are not zero, so each list has one encoding.
    public mutating func packedInt64s(_ count: Int) throws(ProofFormatError) -> [Int64] {
        let widthAt = offset
        let width = Int(try u8())
        guard width <= 64 else { throw .invalidValue(field: "packed width", offset: widthAt) }
        guard count >= 0 else { throw .truncated(offset: offset, needed: Int.max, remaining: remaining) }
        let (bits, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow else { throw .truncated(offset: offset, needed: Int.max, remaining: remaining) }
        let byteCount = bits / 8 + (bits % 8 == 0 ? 0 : 1)
        try need(byteCount, width: 1)
        var out = [Int64]()
        out.reserveCapacity(count)
        var widest: UInt64 = 0
        var at = offset, bitInByte = 0
        for _ in 0..<count {
            var z: UInt64 = 0, left = width
            while left > 0 {
                // At most 8 bits at a time, so the masks below never shift by the full width.
                let available = 8 - bitInByte
                let take = min(left, available)
                let byte = UInt64(bytes[at])
                let chunk = (byte >> UInt64(available - take)) & ((1 << UInt64(take)) - 1)
                z = (z << UInt64(take)) | chunk
                bitInByte += take
                left -= take
                if bitInByte == 8 { at += 1; bitInByte = 0 }
            }
            widest |= z
            // Inverse zigzag: even values are x ≥ 0, odd ones −(z+1)/2.
            out.append(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
        }
        if bitInByte > 0 {
            let padding = UInt64(bytes[at]) & ((1 << UInt64(8 - bitInByte)) - 1)
            guard padding == 0 else { throw .invalidValue(field: "packed padding", offset: at) }
            at += 1
        }
        guard UInt64.bitWidth - widest.leadingZeroBitCount == width else {
            throw .invalidValue(field: "packed width", offset: widthAt)
        }
        offset = at
        return out
    }

    /// Exactly `count` raw bytes.
    public mutating func raw(_ count: Int) throws(ProofFormatError) -> [UInt8] {
        try need(count, width: 1)
        let out = Array(bytes[offset..<(offset + count)])
        offset += count
        return out
    }

    /// A byte string with its u32 length, at most `max` bytes.
    public mutating func byteString(_ field: String, max: Int) throws(ProofFormatError) -> [UInt8] {
        let n = try count(field, max: max)
        return try raw(n)
    }

    /// One field element in canonical form.
    public mutating func scalar() throws(ProofFormatError) -> Scalar {
        let at = offset
        try need(1, width: Scalar.encodedByteCount)
        do {
            let s = try Scalar(canonicalBigEndian: bytes[at..<(at + Scalar.encodedByteCount)])
            offset += Scalar.encodedByteCount
            return s
        } catch {
            throw .nonCanonicalScalar(offset: at)
        }
    }

    /// `count` field elements, `count` known from the statement.
    public mutating func scalars(_ count: Int) throws(ProofFormatError) -> [Scalar] {
        try need(count, width: Scalar.encodedByteCount)
        var out = [Scalar]()
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try scalar()) }
        return out
    }

    /// One validated curve point (on the curve, not infinity).
    public mutating func point() throws(ProofFormatError) -> CurvePoint {
        let at = offset
        try need(1, width: CurvePoint.compressedByteCount)
        do {
            let p = try CurvePoint(compressed: bytes[at..<(at + CurvePoint.compressedByteCount)])
            offset += CurvePoint.compressedByteCount
            return p
        } catch {
            throw .invalidPoint(offset: at, reason: error)
        }
    }

    /// `count` validated points, `count` known from the statement; the length is checked
    /// before anything is allocated.
    public mutating func points(_ count: Int) throws(ProofFormatError) -> [CurvePoint] {
        try need(count, width: CurvePoint.compressedByteCount)
        var out = [CurvePoint]()
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try point()) }
        return out
    }

    /// Refuses anything left after the last field.
    public func finish() throws(ProofFormatError) {
        guard remaining == 0 else { throw .trailingBytes(count: remaining, offset: offset) }
    }

    private mutating func need(_ count: Int, width: Int) throws(ProofFormatError) {
        let (total, overflow) = count.multipliedReportingOverflow(by: width)
        guard count >= 0, !overflow, total <= remaining else {
            throw .truncated(offset: offset, needed: overflow ? Int.max : total, remaining: remaining)
        }
    }

    private mutating func bigEndian(width: Int) throws(ProofFormatError) -> UInt64 {
        try need(1, width: width)
        var x: UInt64 = 0
        for i in 0..<width { x = (x << 8) | UInt64(bytes[offset + i]) }
        offset += width
        return x
    }
}

/// Why bytes are not a well-formed encoding. Each case says where decoding stopped.
public enum ProofFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes end before a field does.
    case truncated(offset: Int, needed: Int, remaining: Int)
    /// Bytes remain after the last field.
    case trailingBytes(count: Int, offset: Int)
    /// A field element encoding is `≥ n`.
    case nonCanonicalScalar(offset: Int)
    /// A point is malformed, off the curve or the point at infinity.
    case invalidPoint(offset: Int, reason: CurvePoint.DecodingError)
    /// A count exceeds its named limit.
    case countOverLimit(field: String, count: Int, limit: Int, offset: Int)
    /// A count differs from the one the statement fixes.
    case countMismatch(field: String, expected: Int, actual: Int, offset: Int)
    /// The leading magic bytes are not those of the expected format.
    case badMagic(offset: Int)
    /// The format version is not one this build reads.
    case unsupportedVersion(UInt16)
    /// A value is outside the set the format allows (an enum tag, a flag).
    case invalidValue(field: String, offset: Int)
}

extension ProofFormatError {
    /// A sentence naming what was wrong and where.
    public var description: String {
        switch self {
        case .truncated(let offset, let needed, let remaining):
            "truncated at byte \(offset): \(needed) bytes needed, \(remaining) left"
        case .trailingBytes(let count, let offset): "\(count) trailing bytes after byte \(offset)"
        case .nonCanonicalScalar(let offset): "non-canonical field element at byte \(offset)"
        case .invalidPoint(let offset, let reason): "invalid curve point at byte \(offset) (\(reason))"
        case .countOverLimit(let field, let count, let limit, let offset):
            "\(field): count \(count) over the limit \(limit) at byte \(offset)"
        case .countMismatch(let field, let expected, let actual, let offset):
            "\(field): count \(actual) where the model needs \(expected) at byte \(offset)"
        case .badMagic(let offset): "bad magic bytes at byte \(offset)"
        case .unsupportedVersion(let v): "unsupported format version \(v)"
        case .invalidValue(let field, let offset): "invalid \(field) at byte \(offset)"
        }
    }
}
