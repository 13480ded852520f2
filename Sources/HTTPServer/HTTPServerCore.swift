import CSocketShim
import Logging
import Synchronization

/// What connections share: configuration, responder, TLS context, the connection count, the
/// body budget. Immutable apart from atomics, so any loop may use it.
final class HTTPServerCore: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any Responder
    let logger: Logger
    let tls: TLSContext?
    let writeTimeoutNanos: UInt64
    let lingerNanos: UInt64
    let idleShedNanos: UInt64
    let acceptRetryNanos: UInt64
    /// The connection cap in force: the configured one, bounded by the descriptor limit.
    let connectionCap: Int
    let connectionCount = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)
    /// Body bytes held by all connections (reserved lengths and chunked bytes so far).
    let bodyBytesHeld = Atomic<Int>(0)
    /// Storage held by the connections' inbound buffers, in bytes.
    let inboundBufferBytes = Atomic<Int>(0)
    private let requestCounter = Atomic<UInt64>(0)
    private let requestIDPrefix: String

    init(configuration: HTTPServerConfiguration, responder: any Responder, logger: Logger, tls: TLSContext?,
         connectionCap: Int) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.tls = tls
        self.connectionCap = connectionCap
        self.writeTimeoutNanos = UInt64(configuration.writeTimeoutSeconds * 1e9)
        self.lingerNanos = UInt64(configuration.lingerSeconds * 1e9)
        self.idleShedNanos = UInt64(configuration.idleShedSeconds * 1e9)
        self.acceptRetryNanos = UInt64(configuration.acceptRetrySeconds * 1e9)
        self.requestIDPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    /// The connection cap for a descriptor limit: what the limit leaves after the reserve,
    /// never above the configured cap, never below one.
    static func connectionCap(configured: Int, descriptorLimit: Int, reserved: Int) -> Int {
        max(1, min(configured, descriptorLimit - reserved))
    }

    /// Takes `bytes` from the body budget; false (nothing taken) when they do not fit. A body
    /// larger than the whole budget fits only when nothing else is held, so it is not refused forever.
    func reserveBodyBytes(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        var held = bodyBytesHeld.load(ordering: .relaxed)
        while true {
            if held > 0 && held + bytes > configuration.bodyBytesInFlightMax { return false }
            let (exchanged, original) = bodyBytesHeld.compareExchange(expected: held, desired: held + bytes, ordering: .relaxed)
            if exchanged { return true }
            held = original
        }
    }

    /// Gives `bytes` back to the body budget.
    func releaseBodyBytes(_ bytes: Int) {
        if bytes > 0 { bodyBytesHeld.subtract(bytes, ordering: .relaxed) }
    }

    /// The 503 for a body that does not fit the budget.
    static let serverBusy = HTTPError(.serviceUnavailable, code: "server_busy",
                                      detail: "the server holds as many request bodies as it may; retry shortly",
                                      headers: ["Retry-After": "1"])

    /// Asks the responder about a head; a thrown `HTTPError` is the refusal, any other error a 500.
    func admit(_ head: HTTPRequestHead, context: RequestContext) async -> Result<(any Sendable)?, HTTPError> {
        do {
            return .success(try await responder.admit(head, context: context))
        } catch let error as HTTPError {
            return .failure(error)
        } catch {
            context.logger.error("deciding on \(head.method) \(head.path) failed: \(error)")
            return .failure(HTTPError.internalError)
        }
    }

    /// A fresh context with a generated request id (`RequestIDMiddleware` may replace it).
    func makeContext(remoteAddress: String) -> RequestContext {
        let n = requestCounter.add(1, ordering: .relaxed).newValue
        return RequestContext(requestID: requestIDPrefix + "-" + String(n, radix: 16), logger: logger, remoteAddress: remoteAddress)
    }

    /// Runs the responder (or, for a request refused at its head, its refusal path); an error
    /// that escaped every middleware still becomes a problem response.
    func respond(to request: HTTPRequest, refusal: HTTPError?, context: RequestContext) async -> HTTPResponse {
        if let refusal {
            var response = await responder.respond(refusing: refusal, request: request, context: context)
            if response.headers["X-Request-Id"] == nil { response.headers["X-Request-Id"] = context.requestID }
            return response
        }
        do {
            return try await responder.respond(to: request, context: context)
        } catch {
            return ErrorMiddleware.response(for: error, request: request, logger: context.logger)
        }
    }

    /// A connection on `loop` closed; its listener may resume accepting.
    func connectionClosed(on loop: EventLoop) {
        connectionCount.subtract(1, ordering: .relaxed)
        onConnectionClosed?(loop)
    }

    nonisolated(unsafe) var onConnectionClosed: ((EventLoop) -> Void)?
}

