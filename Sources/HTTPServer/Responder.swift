import Logging

/// The one protocol the web layer composes around (as in Hummingbird): turn a request and its
/// context into a response. Routers, middleware chains and endpoints are all responders.
public protocol Responder: Sendable {
    /// Answers one request. Throwing `HTTPError` gives a problem response; anything else a 500.
    func respond(to request: HTTPRequest, context: RequestContext) async throws -> HTTPResponse

    /// The largest body this responder accepts for a request with this head, in bytes, or nil
    /// for the server's default. Routers answer per route, so uploads can be large and jobs small.
    func bodyBytesMax(for head: HTTPRequestHead) -> Int?

    /// Decides on a request from its head alone, before the server reads a byte of its body
    /// (and before it promises `100 Continue`). Throw an `HTTPError` to answer at once (401,
    /// 403, 404, 405, ...): the body is then dropped unread, and the connection closes when the
    /// body is too large to skip. Return what the handler should find in `request.admission`
    /// (for instance the authenticated caller), or nil. Authentication belongs here, so a
    /// caller without a key never makes the server hold its body.
    func admit(_ head: HTTPRequestHead, context: RequestContext) async throws -> (any Sendable)?

    /// Answers a request whose head `admit` refused with `error` (its body, if any, dropped).
    /// No handler runs. The default is the problem response; a middleware chain runs its
    /// middleware around the refusal, so request ids, access logs and metrics count it too.
    func respond(refusing error: HTTPError, request: HTTPRequest, context: RequestContext) async -> HTTPResponse
}

extension Responder {
    /// No opinion: the server's default body limit applies.
    public func bodyBytesMax(for head: HTTPRequestHead) -> Int? { nil }

    /// Admits every head, attaching nothing.
    public func admit(_ head: HTTPRequestHead, context: RequestContext) async throws -> (any Sendable)? { nil }

    /// The problem response for the refusal.
    public func respond(refusing error: HTTPError, request: HTTPRequest, context: RequestContext) async -> HTTPResponse {
        ErrorMiddleware.response(for: error, request: request, logger: context.logger)
    }
}

/// A responder made from a closure.
public struct ClosureResponder: Responder {
    /// The handler.
    public let handler: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

    /// Wraps `handler`.
    public init(_ handler: @escaping @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) {
        self.handler = handler
    }

    /// Calls the handler.
    public func respond(to request: HTTPRequest, context: RequestContext) async throws -> HTTPResponse {
        try await handler(request, context)
    }
}

/// Per-request values that travel beside the request through middleware to the handler.
public struct RequestContext: Sendable {
    /// The request id (from `X-Request-Id` when the client sent a sane one, else generated).
    public var requestID: String
    /// A logger carrying `request_id` metadata.
    public var logger: Logger
    /// The peer as "a.b.c.d:port".
    public var remoteAddress: String
    /// Who the authentication middleware decided this is; nil when not authenticated.
    public var principal: Principal?
    /// Free-form values set by middleware for handlers further down.
    public var values: [String: String] = [:]

    /// Makes a context; the server makes one per request.
    public init(requestID: String, logger: Logger, remoteAddress: String, principal: Principal? = nil) {
        self.requestID = requestID
        self.logger = logger
        self.remoteAddress = remoteAddress
        self.principal = principal
    }
}

/// An authenticated caller, as decided by an `AuthenticationMiddleware` hook.
public struct Principal: Sendable, Equatable {
    /// The account or key id.
    public var id: String
    /// The role, such as `client`, `worker` or `admin`.
    public var role: String

    /// Makes a principal.
    public init(id: String, role: String) { self.id = id; self.role = role }
}
