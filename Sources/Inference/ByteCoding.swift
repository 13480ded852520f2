/// Big-endian writer for canonical encodings.
struct ByteWriter {
    /// The bytes written so far.
    private(set) var output: [UInt8] = []

    mutating func uint8(_ v: UInt8) { output.append(v) }

    mutating func uint16(_ v: UInt16) { for s in stride(from: 8, through: 0, by: -8) { output.append(UInt8(truncatingIfNeeded: v >> UInt16(s))) } }

    mutating func uint32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { output.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }

    mutating func int64(_ v: Int64) {
        let u = UInt64(bitPattern: v)
        for s in stride(from: 56, through: 0, by: -8) { output.append(UInt8(truncatingIfNeeded: u >> UInt64(s))) }
    }

    /// A small non-negative count or dimension; the encoders only pass validated values.
    mutating func count(_ v: Int) { uint32(UInt32(truncatingIfNeeded: v)) }

    /// A length-prefixed (u32) array of i64.
    mutating func int64Array(_ values: [Int64]) {
        count(values.count)
        for v in values { int64(v) }
    }

    mutating func bytes(_ b: [UInt8]) { output.append(contentsOf: b) }
}

/// Length-checked big-endian reader: every read past the end throws instead of trapping.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// True when every byte has been consumed.
    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ n: Int) throws(InferenceError) -> ArraySlice<UInt8> {
        guard n <= bytes.count - offset else {
            throw .invalidEncoding(detail: "truncated at byte \(offset), needs \(n) more")
        }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    mutating func uint8() throws(InferenceError) -> UInt8 { try take(1).first ?? 0 }

    mutating func uint16() throws(InferenceError) -> UInt16 {
        try take(2).reduce(0) { $0 << 8 | UInt16($1) }
    }

    mutating func uint32() throws(InferenceError) -> UInt32 {
        try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func int64() throws(InferenceError) -> Int64 {
        Int64(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// A u32 count or dimension, refused above `max` so callers never allocate on a lie.
    mutating func count(max: Int) throws(InferenceError) -> Int {
        let v = Int(try uint32())
        guard v <= max else { throw .invalidEncoding(detail: "value \(v) exceeds \(max)") }
        return v
    }
}
