import Foundation
import Logging

/// One link of a middleware chain: it may change the request or context, call `next`, and
/// change the response or map errors. Middleware never sees sockets.
public protocol Middleware: Sendable {
    /// Handles a request, usually by calling `next`.
    func handle(_ request: HTTPRequest, context: RequestContext,
                next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse
}

/// A responder that runs `middlewares` in order around `responder`; the first runs outermost.
public struct MiddlewareChain: Responder {
    /// The middleware, outermost first.
    public let middlewares: [any Middleware]
    /// The innermost responder, usually a `Router`.
    public let responder: any Responder

    /// Makes a chain.
    public init(_ middlewares: [any Middleware], responder: any Responder) {
        self.middlewares = middlewares
        self.responder = responder
    }

    /// Runs the chain.
    public func respond(to request: HTTPRequest, context: RequestContext) async throws -> HTTPResponse {
        try await run(index: 0, request, context) { request, context in try await responder.respond(to: request, context: context) }
    }

    /// Runs the middleware around a refusal: the innermost step throws `error` instead of
    /// calling the responder, as a handler that refused would.
    public func respond(refusing error: HTTPError, request: HTTPRequest, context: RequestContext) async -> HTTPResponse {
        do {
            return try await run(index: 0, request, context) { _, _ in throw error }
        } catch {
            return ErrorMiddleware.response(for: error, request: request, logger: context.logger)
        }
    }

    /// Forwards to the inner responder, so per-route limits survive wrapping.
    public func bodyBytesMax(for head: HTTPRequestHead) -> Int? { responder.bodyBytesMax(for: head) }

    /// Forwards to the inner responder, so a router's or an authoriser's head decision survives wrapping.
    public func admit(_ head: HTTPRequestHead, context: RequestContext) async throws -> (any Sendable)? {
        try await responder.admit(head, context: context)
    }

    private func run(index: Int, _ request: HTTPRequest, _ context: RequestContext,
                     innermost: @escaping @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        if index == middlewares.count { return try await innermost(request, context) }
        return try await middlewares[index].handle(request, context: context) { request, context in
            try await run(index: index + 1, request, context, innermost: innermost)
        }
    }
}

/// Takes the client's `X-Request-Id` when it is short and printable, otherwise makes one; puts
/// it in the context and the logger metadata, and echoes it on the response.
public struct RequestIDMiddleware: Middleware {
    /// The longest client-supplied id accepted, in bytes.
    public let requestIDBytesMax = Self.suppliedIDBytesMax
    static let suppliedIDBytesMax = 128

    /// The client's `X-Request-Id` when it is short and printable (answers refused at the head use it too).
    static func acceptedID(_ headers: HTTPHeaders) -> String? {
        guard let supplied = headers["X-Request-Id"], !supplied.isEmpty, supplied.utf8.count <= suppliedIDBytesMax,
              supplied.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        return supplied
    }

    /// Makes the middleware.
    public init() {}

    /// Sets the id and echoes it.
    public func handle(_ request: HTTPRequest, context: RequestContext,
                       next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        var context = context
        if let supplied = Self.acceptedID(request.headers) { context.requestID = supplied }
        context.logger[metadataKey: "request_id"] = "\(context.requestID)"
        var response = try await next(request, context)
        response.headers["X-Request-Id"] = context.requestID
        return response
    }
}

/// Writes one log line per request at `info`: method, target, status, body bytes, duration.
public struct AccessLogMiddleware: Middleware {
    /// Makes the middleware.
    public init() {}

    /// Times the request and logs it, errors included.
    public func handle(_ request: HTTPRequest, context: RequestContext,
                       next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, bytes: response.bodyByteCount, since: start)
            return response
        } catch let error as HTTPError {
            log(request, context, status: error.status.code, bytes: nil, since: start)
            throw error
        } catch {
            log(request, context, status: 500, bytes: nil, since: start)
            throw error
        }
    }

    private func log(_ request: HTTPRequest, _ context: RequestContext, status: Int, bytes: Int?, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        context.logger.info("\(request.method) \(request.target) \(status) \(bytes.map(String.init) ?? "-")B \(micros)us",
                            metadata: ["remote": "\(context.remoteAddress)"])
    }
}

/// The authentication hook: `authenticate` looks at the request (say, `Authorization: Bearer`
/// or `x-api-key`) and returns who it is, nil for anonymous, or throws (usually 401).
/// When `required` is set, anonymous requests get 401 `unauthorized`.
public struct AuthenticationMiddleware: Middleware {
    /// The hook.
    public let authenticate: @Sendable (HTTPRequest) async throws -> Principal?
    /// Whether an anonymous request is refused.
    public let required: Bool

    /// Makes the middleware.
    public init(required: Bool = false, _ authenticate: @escaping @Sendable (HTTPRequest) async throws -> Principal?) {
        self.authenticate = authenticate
        self.required = required
    }

    /// Sets `context.principal`.
    public func handle(_ request: HTTPRequest, context: RequestContext,
                       next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        var context = context
        context.principal = try await authenticate(request)
        if required && context.principal == nil { throw HTTPError.unauthorized("authentication required") }
        return try await next(request, context)
    }
}

/// Maps errors to RFC 9457 problem responses: `HTTPError` as it says, any other error to a
/// 500 `internal_error` whose detail is logged but not sent.
public struct ErrorMiddleware: Middleware {
    /// Makes the middleware.
    public init() {}

    /// Catches and maps.
    public func handle(_ request: HTTPRequest, context: RequestContext,
                       next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        do {
            return try await next(request, context)
        } catch {
            return ErrorMiddleware.response(for: error, request: request, logger: context.logger)
        }
    }

    /// The problem response for any error.
    public static func response(for error: any Error, request: HTTPRequest, logger: Logger) -> HTTPResponse {
        if let error = error as? HTTPError { return error.response(instance: String(request.path)) }
        logger.error("unhandled error: \(error)")
        return HTTPError.internalError.response(instance: String(request.path))
    }
}

extension HTTPResponse {
    /// The body size when known in advance, nil for streams.
    var bodyByteCount: Int? {
        if case .bytes(let bytes) = body { return bytes.count }
        return nil
    }
}
