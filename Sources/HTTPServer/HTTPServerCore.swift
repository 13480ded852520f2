import CSocketShim
import Logging
import Synchronization

/// What connections share: configuration, responder, TLS context, the connection count.
/// Immutable apart from atomics, so any loop may use it.
final class HTTPServerCore: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any Responder
    let logger: Logger
    let tls: TLSContext?
    let writeTimeoutNanos: UInt64
    let connectionCount = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)
    private let requestCounter = Atomic<UInt64>(0)
    private let requestIDPrefix: String

    init(configuration: HTTPServerConfiguration, responder: any Responder, logger: Logger, tls: TLSContext?) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.tls = tls
        self.writeTimeoutNanos = UInt64(configuration.writeTimeoutSeconds * 1e9)
        self.requestIDPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    /// A fresh context with a generated request id (`RequestIDMiddleware` may replace it).
    func makeContext(remoteAddress: String) -> RequestContext {
        let n = requestCounter.add(1, ordering: .relaxed).newValue
        return RequestContext(requestID: requestIDPrefix + "-" + String(n, radix: 16), logger: logger, remoteAddress: remoteAddress)
    }

    /// Runs the responder; an error that escaped every middleware still becomes a problem response.
    func respond(to request: HTTPRequest, context: RequestContext) async -> HTTPResponse {
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

/// Accepts connections for one loop. All loops share one listening socket, registered in each
/// loop's epoll with EPOLLEXCLUSIVE so a new connection wakes one idle loop, not all of them.
/// (SO_REUSEPORT would need no sharing, but with port 0 Linux may hand two servers the same
/// port.) At the connection cap the listener leaves epoll (accepting pauses) and comes back
/// once below it.
final class Listener: EventHandler, @unchecked Sendable {
    let fd: Int32
    let loop: EventLoop
    let core: HTTPServerCore
    /// What the loops' listeners share: the socket's holder count and the round-robin cursor.
    let shared: ListenerShared
    /// Every loop of the server; accepted connections are dealt to them in turn.
    let loops: [EventLoop]
    private var paused = false
    private var closed = false
    /// Accepts per wakeup, so one busy listener cannot starve the loop's connections.
    private let acceptBatchMax = 64
    /// The epoll interest for the shared listening socket.
    static let interest = PM_EPOLLIN | PM_EPOLLEXCLUSIVE

    init(fd: Int32, loop: EventLoop, loops: [EventLoop], core: HTTPServerCore, shared: ListenerShared) {
        self.fd = fd
        self.loop = loop
        self.loops = loops
        self.core = core
        self.shared = shared
    }

    func handleEvents(_ events: UInt32) {
        for _ in 0..<acceptBatchMax {
            if core.connectionCount.load(ordering: .relaxed) >= core.configuration.connectionCountMax {
                pause()
                return
            }
            switch SocketIO.accept(fd) {
            case .bytes(let n):
                let connectionFD = Int32(n)
                core.connectionCount.add(1, ordering: .relaxed)
                var session: TLSSession? = nil
                if let tls = core.tls {
                    guard let s = try? tls.session(fd: connectionFD, server: true) else {
                        SocketIO.close(connectionFD)
                        core.connectionCount.subtract(1, ordering: .relaxed)
                        continue
                    }
                    session = s
                }
                // Whichever loop accepts, connections are dealt round-robin, so the load is spread
                // evenly even when one loop wins every wakeup.
                let turn = shared.next.add(1, ordering: .relaxed).oldValue
                let target = loops[turn % loops.count]
                let connection = HTTPConnection(fd: connectionFD, loop: target, server: core, tls: session)
                if target === loop {
                    Self.adopt(connection, fd: connectionFD, on: loop, core: core)
                } else {
                    target.execute { Self.adopt(connection, fd: connectionFD, on: target, core: self.core) }
                }
            case .wouldBlock:
                return
            case .eof, .failed(_):
                // EMFILE and friends: stop for this round; the level-triggered listener retries.
                return
            }
        }
    }

    func tick(now: UInt64) { resumeIfBelowCap() }

    /// Registers a new connection with its loop (on that loop's thread) and starts it.
    private static func adopt(_ connection: HTTPConnection, fd: Int32, on loop: EventLoop, core: HTTPServerCore) {
        loop.register(fd, events: PM_EPOLLIN | PM_EPOLLOUT | PM_EPOLLRDHUP | PM_EPOLLET, handler: connection)
        // A connection dealt to this loop while shutdown was sweeping it must drain too.
        if core.draining.load(ordering: .relaxed) { connection.beginDrain() }
        if !connection.isClosed { connection.drive() }
    }

    /// Re-registers a paused listener when there is room again.
    func resumeIfBelowCap() {
        guard paused, !closed, core.connectionCount.load(ordering: .relaxed) < core.configuration.connectionCountMax else { return }
        paused = false
        loop.register(fd, events: Listener.interest, handler: self)
    }

    private func pause() {
        guard !paused else { return }
        paused = true
        loop.deregister(fd)
        // Keep ticking while paused: re-add ourselves to the handler table without epoll interest.
        loop.keepForTicks(fd, handler: self)
    }

    /// Stops accepting for good (shutdown).
    func close() {
        guard !closed else { return }
        closed = true
        if !paused { loop.deregister(fd) }
        loop.forget(fd)
        if shared.holders.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { SocketIO.close(fd) }
    }
}

/// State the listeners of one server share.
final class ListenerShared: Sendable {
    /// Loops still holding the listening socket; the last to let go closes it.
    let holders: Atomic<Int>
    /// The round-robin cursor for dealing connections to loops.
    let next = Atomic<Int>(0)
    init(holders: Int) { self.holders = Atomic(holders) }
}
