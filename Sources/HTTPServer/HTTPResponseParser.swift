/// Reads one response from a client connection's buffer (RFC 9112 §4, §6.3): status line,
/// fields, then a body framed by chunked coding, Content-Length, or the end of the connection.
enum HTTPResponseParser {
    /// A parsed status line and header section.
    struct Head {
        var version: HTTPVersion
        var status: HTTPStatus
        var headers: HTTPHeaders
        var byteCount: Int
    }

    /// Parses a head at the start of `bytes`, nil when incomplete.
    static func head(_ bytes: UnsafeBufferPointer<UInt8>, headerBytesMax: Int) throws -> Head? {
        var end: Int? = nil
        var i = 3
        while i < bytes.count {
            if bytes[i] == LF && bytes[i - 1] == CR && bytes[i - 2] == LF && bytes[i - 3] == CR { end = i - 3; break }
            i += 1
        }
        guard let end else {
            if bytes.count > headerBytesMax { throw HTTPClientError.invalidResponse("response head too large") }
            return nil
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        let statusLine = lines.popFirst() ?? ""
        // status-line = HTTP-version SP status-code SP [ reason-phrase ]
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]) else {
            throw HTTPClientError.invalidResponse("bad status line")
        }
        let version: HTTPVersion = parts[0] == "HTTP/1.0" ? .http1_0 : .http1_1
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPClientError.invalidResponse("bad field line") }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...].trimmingASCIIWhitespace()))
        }
        let phrase = parts.count > 2 ? String(parts[2]) : ""
        return Head(version: version, status: HTTPStatus(code: code, reasonPhrase: phrase), headers: headers, byteCount: end + 4)
    }

    /// How the body of a response is delimited.
    enum BodyFraming: Equatable {
        case none
        case length(Int)
        case chunked
        case untilClose
    }

    /// The framing of a response to a request with `method` (RFC 9112 §6.3).
    static func framing(of head: Head, method: HTTPMethod) throws -> BodyFraming {
        if method == .head || head.status.code < 200 || head.status.code == 204 || head.status.code == 304 { return .none }
        if let te = head.headers["Transfer-Encoding"] {
            guard te.lowercased().hasSuffix("chunked") else { return .untilClose }
            return .chunked
        }
        if let cl = head.headers["Content-Length"] {
            guard let n = Int(cl.trimmingASCIIWhitespace()), n >= 0 else { throw HTTPClientError.invalidResponse("bad Content-Length") }
            return .length(n)
        }
        return .untilClose
    }
}
