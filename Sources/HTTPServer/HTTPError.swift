/// The error handlers throw to answer with a problem: a status, a stable machine-readable
/// `code` (such as `job_not_open`), and a human `detail`. `ErrorMiddleware` (and the server
/// itself, as a last resort) turns it into an RFC 9457 `application/problem+json` response.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// The response status.
    public var status: HTTPStatus
    /// The stable code, snake_case, named after the rule that was broken. Never changes once published.
    public var code: String
    /// A human-readable explanation of this occurrence.
    public var detail: String?
    /// Extra header fields for the response (for example `Allow` on 405, `WWW-Authenticate` on 401).
    public var headers: HTTPHeaders

    /// Makes an error.
    public init(_ status: HTTPStatus, code: String, detail: String? = nil, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    /// "404 not_found: detail".
    public var description: String { "\(status.code) \(code)\(detail.map { ": \($0)" } ?? "")" }

    /// 404 `not_found`.
    public static func notFound(_ detail: String? = nil) -> HTTPError { HTTPError(.notFound, code: "not_found", detail: detail) }
    /// 400 `bad_request`.
    public static func badRequest(_ detail: String? = nil) -> HTTPError { HTTPError(.badRequest, code: "bad_request", detail: detail) }
    /// 401 `unauthorized`, with `WWW-Authenticate: Bearer` (RFC 9110 §11.6.1).
    public static func unauthorized(_ detail: String? = nil) -> HTTPError {
        HTTPError(.unauthorized, code: "unauthorized", detail: detail, headers: ["WWW-Authenticate": "Bearer"])
    }
    /// 403 `forbidden`.
    public static func forbidden(_ detail: String? = nil) -> HTTPError { HTTPError(.forbidden, code: "forbidden", detail: detail) }
    /// 500 `internal_error`; the detail is not sent to the client.
    public static let internalError = HTTPError(.internalServerError, code: "internal_error", detail: "internal server error")

    /// The problem document for this error (RFC 9457 §3).
    public func problem(instance: String? = nil) -> ProblemDetails {
        ProblemDetails(type: ProblemDetails.typePrefix + code, title: status.reasonPhrase, status: status.code,
                       detail: detail, instance: instance, code: code)
    }

    /// The `application/problem+json` response for this error.
    public func response(instance: String? = nil) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: headers, body: problem(instance: instance).jsonBytes())
        response.headers["Content-Type"] = "application/problem+json"
        return response
    }
}

/// An RFC 9457 problem details document. `type` is `urn:proofmarket:problem:<code>`, stable
/// per code, and the code is repeated as an extension member for clients that switch on it.
public struct ProblemDetails: Codable, Sendable, Equatable {
    /// The prefix of every `type` URI.
    public static let typePrefix = "urn:proofmarket:problem:"
    /// A URI identifying the problem type (RFC 9457 §3.1.1).
    public var type: String
    /// A short summary of the problem type.
    public var title: String
    /// The HTTP status code.
    public var status: Int
    /// An explanation of this occurrence.
    public var detail: String?
    /// The request path (or request id) this occurrence is about.
    public var instance: String?
    /// The stable code, the last part of `type`.
    public var code: String

    /// Makes a problem document.
    public init(type: String, title: String, status: Int, detail: String?, instance: String?, code: String) {
        self.type = type; self.title = title; self.status = status
        self.detail = detail; self.instance = instance; self.code = code
    }

    /// The JSON encoding, keys sorted.
    public func jsonBytes() -> [UInt8] {
        (try? JSONCoding.encoder.encode(self)).map(Array.init) ?? Array(#"{"status":500}"#.utf8)
    }
}
