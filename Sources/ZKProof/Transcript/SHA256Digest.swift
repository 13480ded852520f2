import COpenSSL

/// SHA-256 through OpenSSL's one-shot `SHA256`, the only hash the proof system uses.
public enum SHA256Digest {
    /// Bytes in a digest.
    public static let byteCount = 32

    /// `SHA-256(message)`.
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                _ = COpenSSL.SHA256(m.baseAddress, m.count, o.baseAddress)
            }
        }
        return out
    }
}
