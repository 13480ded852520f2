// libFuzzer entry point for the HTTP request parser. Built by Fuzz/run together with the
// parser's own source files (they need neither Foundation nor sockets).

/// Feeds the input to a parser in pieces whose sizes come from the first byte, follows every
/// head with `startBody`, and checks the only two ways a parse may end: requests, or an error
/// whose status is one the server answers with.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let step = Int(bytes[0] % 17) + 1
    var limits = HTTPParserLimits()
    limits.targetBytesMax = 256
    limits.headerBytesMax = 512
    limits.headerCountMax = 8
    var parser = HTTPRequestParser(limits: limits)
    var offset = 1
    let allowed: Set<Int> = [400, 408, 413, 414, 417, 431, 501, 505]
    while true {
        switch parser.next() {
        case .needMore:
            if offset >= size { return 0 }
            let end = min(size, offset + step)
            parser.buffer.append(UnsafeBufferPointer(rebasing: bytes[offset..<end]))
            offset = end
        case .head:
            if let error = parser.startBody(bytesMax: 1024) {
                precondition(allowed.contains(error.status.code))
                return 0
            }
        case .body(let body):
            precondition(body.count <= 1024)
        case .error(let error):
            precondition(allowed.contains(error.status.code), "unexpected status \(error.status.code)")
            return 0
        }
    }
}
