/// Reads chunk-size lines of the chunked transfer coding (RFC 9112 §7.1).
enum ChunkDecoder {
    /// Most hex digits in a chunk size: 15 digits stay below 2^60, so sums cannot overflow.
    static let sizeDigitsMax = 15

    /// Parses `chunk-size [ chunk-ext ] CRLF` at the start of `bytes`. Returns the size and the
    /// line's length in bytes, nil when the line is not complete yet, or a 400 error.
    static func sizeLine(_ bytes: UnsafeBufferPointer<UInt8>, lineBytesMax: Int) -> Result<(size: Int, lineBytes: Int)?, HTTPParseError> {
        var size = 0
        var i = 0
        while i < bytes.count, let digit = hexValue(bytes[i]) {
            if i >= sizeDigitsMax { return .failure(HTTPParseError(.badRequest, "chunk size too large")) }
            size = size << 4 | Int(digit)
            i += 1
        }
        if i == bytes.count {
            return bytes.count > lineBytesMax ? .failure(HTTPParseError(.badRequest, "chunk line too long")) : .success(nil)
        }
        if i == 0 { return .failure(HTTPParseError(.badRequest, "bad chunk size")) }
        // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] ): accepted and ignored,
        // but it must start with ";" (after optional whitespace) and hold no controls.
        var j = i
        while j < bytes.count, bytes[j] == SP || bytes[j] == HT { j += 1 }
        if j < bytes.count, bytes[j] != CR {
            guard bytes[j] == UInt8(ascii: ";") else { return .failure(HTTPParseError(.badRequest, "bad chunk size")) }
            while j < bytes.count, bytes[j] != CR {
                let c = bytes[j]
                guard c == HT || (c >= 0x20 && c != 0x7f) else { return .failure(HTTPParseError(.badRequest, "bad chunk extension")) }
                j += 1
            }
        }
        if j > lineBytesMax { return .failure(HTTPParseError(.badRequest, "chunk line too long")) }
        guard j + 1 < bytes.count else { return .success(nil) }
        guard bytes[j + 1] == LF else { return .failure(HTTPParseError(.badRequest, "bad chunk line ending")) }
        return .success((size, j + 2))
    }

    @inline(__always) static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
