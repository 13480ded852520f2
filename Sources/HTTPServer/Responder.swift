import Logging

/// The one protocol the web layer composes around (as in Hummingbird): turn a request and its
/// context into a response. Routers, middleware chains and endpoints are all responders.
public protocol Responder: Sendable {
    /// Answers one request. Throwing `HTTPError` gives a problem response; anything else a 500.
    func respond(to request: HTTPRequest, context: RequestContext) async throws -> HTTPResponse

    /// The largest body this responder accepts for a request with this head, in bytes, or nil
    /// for the server's default. Routers answer per route, so uploads can be large and jobs small.
    func bodyBytesMax(for head: HTTPRequestHead) -> Int?
}

extension Responder {
    /// No opinion: the server's default body limit applies.
    public func bodyBytesMax(for head: HTTPRequestHead) -> Int? { nil }
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
