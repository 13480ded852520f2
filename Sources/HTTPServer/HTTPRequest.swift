/// A complete request as handlers see it: the head, the whole body, and the path parameters
/// the router matched. Sockets and parsing are behind it; it is a plain value.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The request target exactly as sent, origin-form (`/v1/jobs?status=open`, RFC 9112 §3.2.1).
    public var target: String
    /// The protocol version from the request line.
    public var version: HTTPVersion
    /// The header fields, case-insensitive on lookup.
    public var headers: HTTPHeaders
    /// The body, already de-chunked; empty when there was none.
    public var body: [UInt8]
    /// Parameters matched by the router, such as `id` for `/v1/jobs/{id}`, percent-decoded.
    public var pathParameters: [String: String] = [:]
    /// What the responder's `admit(_:context:)` returned for this request's head (for instance
    /// the caller it authenticated), nil when it returned nothing. Set by the server only.
    public var admission: (any Sendable)?

    /// Makes a request; the server builds these, tests and clients may too.
    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1,
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
    }

    /// The path part of the target, still percent-encoded (routing splits it on `/` first,
    /// then decodes each segment, so an encoded `%2F` cannot create a segment).
    public var path: Substring {
        if let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) { return target[..<q] }
        return Substring(target)
    }

    /// The raw query string after `?`, or nil when there is none.
    public var rawQuery: Substring? {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return target[target.index(after: q)...]
    }

    /// Query items in order, names and values percent-decoded and `+` read as a space
    /// (the `application/x-www-form-urlencoded` convention used by HTML forms and most clients).
    public var queryItems: [(name: String, value: String)] {
        guard let raw = rawQuery, !raw.isEmpty else { return [] }
        return raw.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (PercentDecoding.decode(pair[..<eq], plusAsSpace: true) ?? String(pair[..<eq]),
                        PercentDecoding.decode(pair[pair.index(after: eq)...], plusAsSpace: true)
                            ?? String(pair[pair.index(after: eq)...]))
            }
            return (PercentDecoding.decode(pair, plusAsSpace: true) ?? String(pair), "")
        }
    }

    /// The first decoded value of query parameter `name`, or nil.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Whether the client wants the connection kept open after this exchange (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if version == .http1_0 { return headers.hasToken("keep-alive", in: "Connection") }
        return !headers.hasToken("close", in: "Connection")
    }
}

/// Percent-decoding of URI components (RFC 3986 §2.1).
public enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as a space when asked); nil when an escape is malformed
    /// or the result is not valid UTF-8.
    public static func decode<S: StringProtocol>(_ text: S, plusAsSpace: Bool = false) -> String? {
        let utf8 = text.utf8
        if !utf8.contains(UInt8(ascii: "%")) && !(plusAsSpace && utf8.contains(UInt8(ascii: "+"))) {
            return String(text)
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var it = utf8.makeIterator()
        while let byte = it.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let hi = it.next().flatMap(hexValue), let lo = it.next().flatMap(hexValue) else { return nil }
                out.append(hi << 4 | lo)
            case UInt8(ascii: "+") where plusAsSpace:
                out.append(UInt8(ascii: " "))
            default:
                out.append(byte)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
