/// The class labels' part of a model description's canonical bytes (flag bit 2, after the
/// last node): the scores output u8, the kind u8 (1 integers, 2 strings), the class count
/// u16, then each class: an i64, or a length u8 and that many UTF-8 bytes.
extension ClassLabels {
    /// Appends the canonical bytes.
    func encode(into w: inout ByteWriter) {
        w.uint8(UInt8(truncatingIfNeeded: scoresOutput))
        switch classes {
        case .integers(let v):
            w.uint8(1)
            w.uint16(UInt16(truncatingIfNeeded: v.count))
            for c in v { w.int64(c) }
        case .strings(let v):
            w.uint8(2)
            w.uint16(UInt16(truncatingIfNeeded: v.count))
            for c in v {
                let bytes = Array(c.utf8)
                w.uint8(UInt8(truncatingIfNeeded: bytes.count))
                w.bytes(bytes)
            }
        }
    }

    /// Reads and validates the canonical bytes; never traps on hostile input.
    init(decoding r: inout ByteReader) throws(InferenceError) {
        let scoresOutput = Int(try r.uint8())
        let kind = try r.uint8()
        let count = Int(try r.uint16())
        guard (1...Self.classCountMax).contains(count) else { throw .invalidEncoding(detail: "\(count) classes") }
        switch kind {
        case 1:
            var v: [Int64] = []
            for _ in 0..<count { v.append(try r.int64()) }
            try self.init(classes: .integers(v), scoresOutput: scoresOutput)
        case 2:
            var v: [String] = []
            for _ in 0..<count {
                let n = Int(try r.uint8())
                var bytes: [UInt8] = []
                for _ in 0..<n { bytes.append(try r.uint8()) }
                guard let s = String(validating: bytes, as: UTF8.self) else {
                    throw .invalidEncoding(detail: "class \(v.count) is not UTF-8")
                }
                v.append(s)
            }
            try self.init(classes: .strings(v), scoresOutput: scoresOutput)
        case let k:
            throw .invalidEncoding(detail: "class label kind \(k)")
        }
    }
}
