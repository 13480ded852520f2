@testable import HTTPServer

/// What the parser made of some bytes: the complete requests, and the error if one stopped it.
struct ParseOutcome {
    var requests: [(head: HTTPRequestHead, body: [UInt8])] = []
    var error: HTTPParseError?
    var needsMore = false
}

/// Feeds `bytes` to a fresh parser, `chunkSize` bytes at a time, allowing `bodyBytesMax` per body.
func parse(_ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits(), bodyBytesMax: Int = 1 << 20,
           chunkSize: Int = Int.max) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    var head: HTTPRequestHead?
    var offset = 0
    while true {
        switch parser.next() {
        case .needMore:
            if offset >= bytes.count { outcome.needsMore = !parser.isIdle; return outcome }
            let end = min(bytes.count, offset + min(chunkSize, bytes.count - offset))
            parser.buffer.append(bytes[offset..<end])
            offset = end
        case .head(let h):
            head = h
            if let error = parser.startBody(bytesMax: bodyBytesMax) { outcome.error = error; return outcome }
        case .body(let body):
            outcome.requests.append((head!, body))
        case .error(let error):
            outcome.error = error
            return outcome
        }
    }
}

func parse(_ text: String, limits: HTTPParserLimits = HTTPParserLimits(), bodyBytesMax: Int = 1 << 20,
           chunkSize: Int = Int.max) -> ParseOutcome {
    parse(Array(text.utf8), limits: limits, bodyBytesMax: bodyBytesMax, chunkSize: chunkSize)
}
