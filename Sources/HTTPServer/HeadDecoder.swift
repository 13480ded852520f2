/// Decodes a complete request head (request line and field lines, without the final blank
/// line) and makes the framing decisions of RFC 9112 §6. Pure: bytes in, head or error out.
enum HeadDecoder {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, limits: HTTPParserLimits) -> Result<HTTPRequestHead, HTTPParseError> {
        // The head is split into CRLF-terminated lines; findHeadEnd already refused bare CR and LF.
        var lineStart = 0
        var lines: [Range<Int>] = []
        var i = 0
        while i + 1 < bytes.count {
            if bytes[i] == CR && bytes[i + 1] == LF {
                lines.append(lineStart..<i)
                lineStart = i + 2
                i += 2
            } else {
                i += 1
            }
        }
        lines.append(lineStart..<bytes.count)

        let requestLine: (HTTPMethod, String, HTTPVersion)
        switch decodeRequestLine(UnsafeBufferPointer(rebasing: bytes[lines[0]]), limits: limits) {
        case .failure(let e): return .failure(e)
        case .success(let r): requestLine = r
        }

        let fieldLines = lines.dropFirst()
        if fieldLines.count > limits.headerCountMax {
            return .failure(HTTPParseError(.requestHeaderFieldsTooLarge, "more than \(limits.headerCountMax) fields"))
        }
        let sectionBytes = fieldLines.reduce(0) { $0 + $1.count + 2 }
        if sectionBytes > limits.headerBytesMax {
            return .failure(HTTPParseError(.requestHeaderFieldsTooLarge, "header section over \(limits.headerBytesMax) bytes"))
        }
        var headers = HTTPHeaders()
        for range in fieldLines {
            switch decodeField(UnsafeBufferPointer(rebasing: bytes[range])) {
            case .failure(let e): return .failure(e)
            case .success(let field): headers.add(field.0, field.1)
            }
        }
        return frame(method: requestLine.0, target: requestLine.1, version: requestLine.2, headers: headers)
    }

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 §3), single spaces only.
    private static func decodeRequestLine(_ line: UnsafeBufferPointer<UInt8>, limits: HTTPParserLimits)
        -> Result<(HTTPMethod, String, HTTPVersion), HTTPParseError> {
        guard let sp1 = line.firstIndex(of: SP), sp1 > 0 else {
            return .failure(HTTPParseError(.badRequest, "malformed request line"))
        }
        guard let sp2 = line[(sp1 + 1)...].firstIndex(of: SP), sp2 > sp1 + 1 else {
            return .failure(HTTPParseError(.badRequest, "malformed request line"))
        }
        let methodBytes = line[0..<sp1]
        guard methodBytes.allSatisfy(isTokenChar) else { return .failure(HTTPParseError(.badRequest, "invalid method")) }
        let targetBytes = line[(sp1 + 1)..<sp2]
        if targetBytes.count > limits.targetBytesMax {
            return .failure(HTTPParseError(.uriTooLong, "target over \(limits.targetBytesMax) bytes"))
        }
        // RFC 9112 §3.2: the target is visible ASCII; no spaces, controls or raw non-ASCII.
        guard targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            return .failure(HTTPParseError(.badRequest, "invalid character in target"))
        }
        // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), checked in place.
        let v = sp2 + 1
        guard line.count - v == 8, line[v] == UInt8(ascii: "H"), line[v + 1] == UInt8(ascii: "T"),
              line[v + 2] == UInt8(ascii: "T"), line[v + 3] == UInt8(ascii: "P"), line[v + 4] == UInt8(ascii: "/"),
              isDigit(line[v + 5]), line[v + 6] == UInt8(ascii: "."), isDigit(line[v + 7]) else {
            return .failure(HTTPParseError(.badRequest, "malformed HTTP version"))
        }
        let version = HTTPVersion(major: Int(line[v + 5] - 48), minor: Int(line[v + 7] - 48))
        guard version == .http1_1 || version == .http1_0 else {
            return .failure(HTTPParseError(.httpVersionNotSupported, "version \(version) not supported"))
        }
        var target = String(decoding: targetBytes, as: UTF8.self)
        // RFC 9112 §3.2.2: a server MUST accept absolute-form; route on its path and query.
        if !target.hasPrefix("/") {
            if target == "*" {
                // asterisk-form, only for OPTIONS (RFC 9112 §3.2.4).
                guard methodBytes.elementsEqual("OPTIONS".utf8) else {
                    return .failure(HTTPParseError(.badRequest, "asterisk-form outside OPTIONS"))
                }
            } else if let path = absoluteFormPath(Array(targetBytes)) {
                target = path
            } else {
                return .failure(HTTPParseError(.badRequest, "unsupported request-target form"))
            }
        }
        return .success((HTTPMethod(String(decoding: methodBytes, as: UTF8.self)), target, version))
    }

    /// The path and query of an absolute-form target (`http://host/path?q`), or nil when the
    /// target is not of that form.
    private static func absoluteFormPath(_ bytes: [UInt8]) -> String? {
        let schemes = [Array("http://".utf8), Array("https://".utf8)]
        guard let scheme = schemes.first(where: { s in
            bytes.count >= s.count && zip(bytes, s).allSatisfy { ($0 | 0x20) == $1 || $0 == $1 }
        }) else { return nil }
        let rest = bytes[scheme.count...]
        guard let start = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else { return "/" }
        let tail = String(decoding: rest[start...], as: UTF8.self)
        return rest[start] == UInt8(ascii: "?") ? "/" + tail : tail
    }

    /// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5).
    private static func decodeField(_ line: UnsafeBufferPointer<UInt8>) -> Result<(String, String), HTTPParseError> {
        // RFC 9112 §5.2: obs-fold (a line starting with SP or HTAB) is rejected with 400.
        if let first = line.first, first == SP || first == HT {
            return .failure(HTTPParseError(.badRequest, "obsolete line folding"))
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
            return .failure(HTTPParseError(.badRequest, "field line without a name"))
        }
        // RFC 9112 §5.1: no whitespace between the field name and the colon; a server MUST
        // reject such a request with 400 (it is a classic smuggling vector).
        let nameBytes = line[0..<colon]
        guard nameBytes.allSatisfy(isTokenChar) else {
            let last = nameBytes.last
            return .failure(HTTPParseError(.badRequest, last == SP || last == HT ? "whitespace before colon" : "invalid field name"))
        }
        var start = colon + 1, end = line.count
        while start < end, line[start] == SP || line[start] == HT { start += 1 }
        while end > start, line[end - 1] == SP || line[end - 1] == HT { end -= 1 }
        let valueBytes = line[start..<end]
        // RFC 9110 §5.5: field values are VCHAR, obs-text, SP and HTAB; NUL, CR, LF and other
        // controls are invalid.
        guard valueBytes.allSatisfy({ $0 == SP || $0 == HT || ($0 > 0x20 && $0 != 0x7f) }) else {
            return .failure(HTTPParseError(.badRequest, "invalid character in field value"))
        }
        return .success((String(decoding: nameBytes, as: UTF8.self), String(decoding: valueBytes, as: UTF8.self)))
    }

    /// Message framing (RFC 9112 §6.1, §6.3) and the header rules that protect it.
    private static func frame(method: HTTPMethod, target: String, version: HTTPVersion, headers: HTTPHeaders)
        -> Result<HTTPRequestHead, HTTPParseError> {
        // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host is answered 400.
        let hostCount = headers.count(of: "Host")
        if version == .http1_1 && hostCount != 1 || hostCount > 1 {
            return .failure(HTTPParseError(.badRequest, "missing or repeated Host"))
        }
        // Most requests have neither field; only collect the values when there are some.
        let transferEncodings = headers.count(of: "Transfer-Encoding") == 0 ? [] : headers.values("Transfer-Encoding")
        let lengths = headers.count(of: "Content-Length") == 0 ? [] : headers.values("Content-Length")
        var chunked = false
        var contentLength: Int? = nil
        if !transferEncodings.isEmpty {
            // RFC 9112 §6.1: with both TE and CL the message may be an attempt at request
            // smuggling; we reject it rather than guess.
            if !lengths.isEmpty {
                return .failure(HTTPParseError(.badRequest, "both Content-Length and Transfer-Encoding"))
            }
            // RFC 9112 §6.1: TE in an HTTP/1.0 request means faulty framing.
            if version == .http1_0 { return .failure(HTTPParseError(.badRequest, "Transfer-Encoding in HTTP/1.0")) }
            let codings = transferEncodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingASCIIWhitespace().lowercased() }
            // We implement only chunked, and it must be the single, final coding.
            guard codings == ["chunked"] else {
                return .failure(codings.last == "chunked"
                    ? HTTPParseError(.notImplemented, "unsupported transfer coding")
                    : HTTPParseError(.badRequest, "chunked is not the final transfer coding"))
            }
            chunked = true
        } else if !lengths.isEmpty {
            // RFC 9112 §6.3 item 5: a list or repeated field whose values all agree is one value;
            // values that differ, or are not all digits, are unrecoverable framing errors.
            var value: Int? = nil
            for item in lengths.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
                let digits = item.trimmingASCIIWhitespace()
                guard !digits.isEmpty, digits.count <= 18, digits.utf8.allSatisfy(isDigit), let n = Int(digits) else {
                    return .failure(HTTPParseError(.badRequest, "invalid Content-Length"))
                }
                if let v = value, v != n { return .failure(HTTPParseError(.badRequest, "differing Content-Length values")) }
                value = n
            }
            contentLength = value
        } else {
            contentLength = 0
        }
        var expectsContinue = false
        if let expect = headers["Expect"] {
            // RFC 9110 §10.1.1: the only expectation defined is 100-continue; others get 417.
            guard HTTPHeaders.equalsIgnoringCase(expect.trimmingASCIIWhitespace(), "100-continue") else {
                return .failure(HTTPParseError(.expectationFailed, "unsupported expectation"))
            }
            expectsContinue = version == .http1_1
        }
        return .success(HTTPRequestHead(method: method, target: target, version: version, headers: headers,
                                        contentLength: contentLength, chunked: chunked, expectsContinue: expectsContinue))
    }
}

let SP = UInt8(ascii: " ")
let HT = UInt8(ascii: "\t")

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

/// tchar (RFC 9110 §5.6.2): the characters allowed in methods and field names.
@inline(__always) func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
         UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
         UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default: return false
    }
}
