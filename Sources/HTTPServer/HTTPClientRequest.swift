/// A request for `HTTPClient`.
public struct HTTPClientRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The parsed URL.
    public var url: HTTPURL
    /// Header fields; `Host`, `Content-Length` and `Connection` are added by the client.
    public var headers: HTTPHeaders
    /// The body, sent with `Content-Length`.
    public var body: [UInt8]
    /// Overrides the client's request timeout, in seconds.
    public var timeoutSeconds: Double?
    /// An IPv4 address (dotted quad) to connect to instead of resolving the URL's host; `Host`
    /// and the TLS server name still come from the URL. A caller that vetted an address sets
    /// it so the connection goes to exactly that address, with no second lookup in between.
    public var connectAddress: String?

    /// Makes a request; throws on a malformed URL.
    public init(method: HTTPMethod = .get, url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                timeoutSeconds: Double? = nil) throws {
        self.method = method
        self.url = try HTTPURL(url)
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + body.count)
        out.append(contentsOf: "\(method.rawValue) \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n".utf8)
        for (name, value) in headers.fields {
            if HTTPHeaders.equalsIgnoringCase(name, "Host") || HTTPHeaders.equalsIgnoringCase(name, "Content-Length") { continue }
            out.append(contentsOf: "\(name): \(value)\r\n".utf8)
        }
        if !body.isEmpty || method == .post || method == .put || method == .patch {
            out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: body)
        return out
    }
}

/// An `http://` or `https://` URL split into what a request needs.
public struct HTTPURL: Sendable, Equatable {
    /// Whether the scheme is https.
    public var isTLS: Bool
    /// The host name or IPv4 literal.
    public var host: String
    /// The port (80 / 443 by default).
    public var port: Int
    /// The origin-form target: path and query.
    public var target: String

    /// Parses `url`.
    public init(_ url: String) throws {
        let rest: Substring
        if url.hasPrefix("http://") { isTLS = false; rest = url.dropFirst(7) }
        else if url.hasPrefix("https://") { isTLS = true; rest = url.dropFirst(8) }
        else { throw HTTPClientError.invalidURL(url) }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        target = path
        if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]), p > 0, p < 65536 else { throw HTTPClientError.invalidURL(url) }
            port = p
        } else {
            host = String(authority)
            port = isTLS ? 443 : 80
        }
        guard !host.isEmpty else { throw HTTPClientError.invalidURL(url) }
    }

    var hostHeader: String { port == (isTLS ? 443 : 80) ? host : "\(host):\(port)" }
    var poolKey: String { "\(isTLS ? "https" : "http")://\(host):\(port)" }
}
