/// A request method token (RFC 9110 §9). Methods are case-sensitive; the common ones are
/// predefined, any other valid token is carried as is.
public struct HTTPMethod: Hashable, Sendable, CustomStringConvertible {
    /// The method token exactly as it appeared on the request line.
    public let rawValue: String

    /// Wraps a method token.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// `GET` (RFC 9110 §9.3.1).
    public static let get = HTTPMethod("GET")
    /// `HEAD` (RFC 9110 §9.3.2): answered like GET, without a body.
    public static let head = HTTPMethod("HEAD")
    /// `POST` (RFC 9110 §9.3.3).
    public static let post = HTTPMethod("POST")
    /// `PUT` (RFC 9110 §9.3.4).
    public static let put = HTTPMethod("PUT")
    /// `DELETE` (RFC 9110 §9.3.5).
    public static let delete = HTTPMethod("DELETE")
    /// `PATCH` (RFC 5789).
    public static let patch = HTTPMethod("PATCH")
    /// `OPTIONS` (RFC 9110 §9.3.7).
    public static let options = HTTPMethod("OPTIONS")

    /// The method token.
    public var description: String { rawValue }
}

/// The protocol version of a message (RFC 9112 §2.3). Only HTTP/1.0 and HTTP/1.1 are served.
public struct HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    /// The major version digit.
    public let major: Int
    /// The minor version digit.
    public let minor: Int

    /// Makes a version from its two digits.
    public init(major: Int, minor: Int) { self.major = major; self.minor = minor }

    /// HTTP/1.0: no keep-alive unless asked for, no chunked encoding.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// HTTP/1.1: keep-alive by default (RFC 9112 §9.3).
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// "HTTP/1.1" and so on.
    public var description: String { "HTTP/\(major).\(minor)" }
}
