/// The size limits the request parser enforces. Each has a test at the limit and one past it.
public struct HTTPParserLimits: Sendable {
    /// Longest request target, in bytes; past it the answer is 414 (RFC 9112 §3: a server
    /// that receives a target longer than it wishes to parse responds 414).
    public var targetBytesMax: Int = 8 * 1024
    /// Largest header section, in bytes: the field lines with their CRLFs, not counting the
    /// request line or the blank line; past it the answer is 431 (RFC 6585 §5).
    public var headerBytesMax: Int = 16 * 1024
    /// Most header fields in one request; past it the answer is 431.
    public var headerCountMax: Int = 100
    /// Longest chunk-size line including extensions, in bytes (RFC 9112 §7.1.1); past it 400.
    public var chunkLineBytesMax: Int = 1024

    /// The defaults above.
    public init() {}
}

/// Why a request could not be parsed: the status to answer with, and a short reason for logs.
/// The connection is always closed after answering one of these, since framing may be lost.
public struct HTTPParseError: Error, Equatable, Sendable {
    /// The status of the error response.
    public let status: HTTPStatus
    /// What rule was broken, for the log and the problem detail.
    public let reason: String

    /// Makes a parse error.
    public init(_ status: HTTPStatus, _ reason: String) { self.status = status; self.reason = reason }
}

/// A parsed request line and header section, with the framing decisions already made.
public struct HTTPRequestHead: Sendable {
    /// The method token.
    public var method: HTTPMethod
    /// The target as sent (absolute-form is reduced to its path and query).
    public var target: String
    /// HTTP/1.0 or HTTP/1.1.
    public var version: HTTPVersion
    /// The header fields.
    public var headers: HTTPHeaders
    /// The body length from `Content-Length`, or nil when the body is chunked.
    public var contentLength: Int?
    /// Whether the body uses chunked transfer coding.
    public var chunked: Bool
    /// Whether the client sent `Expect: 100-continue` (RFC 9110 §10.1.1).
    public var expectsContinue: Bool

    /// The path part of the target, before any `?`.
    public var path: Substring {
        if let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) { return target[..<q] }
        return Substring(target)
    }
}
