/// A response as handlers return it: status, headers and a body that is either a complete
/// byte array or a stream written while the connection sends it.
public struct HTTPResponse: Sendable {
    /// The status line's code and phrase.
    public var status: HTTPStatus
    /// Header fields to send. The server adds `Date`, `Content-Length` or `Transfer-Encoding`,
    /// and `Connection` itself; a handler should not set those.
    public var headers: HTTPHeaders
    /// The content.
    public var body: HTTPResponseBody

    /// Makes a response with a complete body.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    /// Makes a response whose body is produced by `writer` while it is being sent, with
    /// chunked transfer coding (RFC 9112 §7.1), or close-delimited for an HTTP/1.0 client.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(),
                stream writer: @escaping @Sendable (HTTPBodyWriter) async throws -> Void) {
        self.status = status
        self.headers = headers
        self.body = .stream(writer)
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// An `application/json` response encoding `value` with the project's `JSONCoding.encoder`.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) throws -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: try JSONCoding.encodeSplicing(value))
    }

    /// A `text/event-stream` response (server-sent events, WHATWG HTML §9.2): `writer` calls
    /// `HTTPBodyWriter.writeEvent` until it is done; the connection stays open until then.
    public static func eventStream(status: HTTPStatus = .ok,
                                   _ writer: @escaping @Sendable (HTTPBodyWriter) async throws -> Void) -> HTTPResponse {
        HTTPResponse(status: status,
                     headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"],
                     stream: writer)
    }
}

/// The body of an `HTTPResponse`.
public enum HTTPResponseBody: Sendable {
    /// A body known in full; sent with `Content-Length`.
    case bytes([UInt8])
    /// A body produced while it is sent; the closure returns when the body is complete.
    case stream(@Sendable (HTTPBodyWriter) async throws -> Void)
}

/// Writes the parts of a streaming response body. Each write waits while the connection's
/// unsent bytes are over its high-water mark, so a slow reader slows the writer instead of
/// growing a buffer without bound.
public protocol HTTPBodyWriter: Sendable {
    /// Sends `bytes` as one chunk; throws when the connection has gone.
    func write(_ bytes: [UInt8]) async throws
}

extension HTTPBodyWriter {
    /// Sends a UTF-8 string as one chunk.
    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }

    /// Sends one server-sent event: optional `event:` and `id:` lines, then each line of
    /// `data` as a `data:` line, then a blank line (WHATWG HTML §9.2.5).
    public func writeEvent(data: String, event: String? = nil, id: String? = nil) async throws {
        var text = ""
        if let event { text += "event: \(event)\n" }
        if let id { text += "id: \(id)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        text += "\n"
        try await write(text)
    }
}
