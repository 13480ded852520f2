/// Serialises response heads (RFC 9112 §4, §6): status line, the handler's fields, then the
/// fields the server owns (`Date`, framing, `Connection`). Bytes out, no sockets.
enum ResponseEncoder {
    /// How the body is framed.
    enum Framing {
        /// `Content-Length: n`.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// No length: the body ends when the connection closes (HTTP/1.0 streams).
        case closeDelimited
        /// No body and no framing field (1xx, 204, 304; RFC 9110 §8.6 forbids Content-Length on 1xx and 204).
        case noBody
    }

    /// Appends the head to `out`. `keepAlive` false adds `Connection: close`; true on an
    /// HTTP/1.0 exchange adds `Connection: keep-alive` (RFC 9112 §9.3).
    static func writeHead(into out: inout [UInt8], status: HTTPStatus, headers: HTTPHeaders, version: HTTPVersion,
                          framing: Framing, keepAlive: Bool, date: [UInt8]) {
        out.append(contentsOf: version == .http1_0 ? http10 : http11)
        appendDecimal(status.code, to: &out)
        out.append(SP)
        out.append(contentsOf: status.reasonPhrase.utf8)
        out.append(contentsOf: crlf)
        for (name, value) in headers.fields {
            // A handler cannot set the framing or connection fields; the server owns them.
            if isServerOwned(name) { continue }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: colonSpace)
            // Refuse to emit CR or LF from a value: no response splitting.
            for byte in value.utf8 where byte != CR && byte != LF { out.append(byte) }
            out.append(contentsOf: crlf)
        }
        out.append(contentsOf: dateName)
        out.append(contentsOf: date)
        out.append(contentsOf: crlf)
        switch framing {
        case .length(let n):
            out.append(contentsOf: contentLengthName)
            appendDecimal(n, to: &out)
            out.append(contentsOf: crlf)
        case .chunked:
            out.append(contentsOf: chunkedField)
        case .closeDelimited, .noBody:
            break
        }
        if !keepAlive {
            out.append(contentsOf: connectionClose)
        } else if version == .http1_0 {
            out.append(contentsOf: connectionKeepAlive)
        }
        out.append(contentsOf: crlf)
    }

    /// Appends one chunk: hex size, CRLF, data, CRLF (RFC 9112 §7.1).
    static func writeChunk(into out: inout [UInt8], _ data: [UInt8]) {
        guard !data.isEmpty else { return }
        out.append(contentsOf: Array(String(data.count, radix: 16).utf8))
        out.append(contentsOf: crlf)
        out.append(contentsOf: data)
        out.append(contentsOf: crlf)
    }

    /// The last-chunk and the empty trailer section.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    /// The interim response sent for `Expect: 100-continue`.
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    static func appendDecimal(_ n: Int, to out: inout [UInt8]) {
        if n < 10 { out.append(UInt8(48 + n)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = n
        withUnsafeMutableBytes(of: &digits) { buf in
            while v > 0 { buf[count] = UInt8(48 + v % 10); v /= 10; count += 1 }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buf[i]) }
        }
    }

    private static func isServerOwned(_ name: String) -> Bool {
        HTTPHeaders.equalsIgnoringCase(name, "Content-Length") || HTTPHeaders.equalsIgnoringCase(name, "Transfer-Encoding")
            || HTTPHeaders.equalsIgnoringCase(name, "Connection") || HTTPHeaders.equalsIgnoringCase(name, "Date")
    }

    private static let http11: [UInt8] = Array("HTTP/1.1 ".utf8)
    private static let http10: [UInt8] = Array("HTTP/1.0 ".utf8)
    private static let crlf: [UInt8] = [CR, LF]
    private static let colonSpace: [UInt8] = Array(": ".utf8)
    private static let dateName: [UInt8] = Array("Date: ".utf8)
    private static let contentLengthName: [UInt8] = Array("Content-Length: ".utf8)
    private static let chunkedField: [UInt8] = Array("Transfer-Encoding: chunked\r\n".utf8)
    private static let connectionClose: [UInt8] = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive: [UInt8] = Array("Connection: keep-alive\r\n".utf8)
}
