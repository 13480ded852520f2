import CSocketShim
import Foundation
import Logging
import Synchronization

/// The HTTP/1.1 server: event loops on raw sockets in front of one `Responder`.
///
/// ```swift
/// let router = Router()
/// router.get("/health") { _, _ in try .json(["status": "ok"]) }
/// let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 8080),
///                         responder: MiddlewareChain([RequestIDMiddleware(), AccessLogMiddleware(), ErrorMiddleware()],
///                                                    responder: router))
/// try await server.run()   // returns after shutdown() (or SIGTERM via ShutdownSignals) has drained
/// ```
public final class HTTPServer: Sendable {
    /// The configuration the server was made with.
    public let configuration: HTTPServerConfiguration
    private let responder: any Responder
    private let logger: Logger
    private let state = Mutex<State>(State())

    private struct State {
        var core: HTTPServerCore?
        var loops: [EventLoop] = []
        var listeners: [Listener] = []
        var port = 0
        var stopped = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Makes a server; nothing is bound until `start()` or `run()`.
    public init(configuration: HTTPServerConfiguration, responder: any Responder,
                logger: Logger = Logger(label: "proofmarket.http")) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
    }

    /// The bound port (useful with port 0); 0 before `start()`.
    public var localPort: Int { state.withLock { $0.port } }

    /// The number of open connections.
    public var connectionCount: Int { state.withLock { $0.core?.connectionCount.load(ordering: .relaxed) ?? 0 } }

    /// The connection cap in force after `start()`: `connectionCountMax`, bounded by the
    /// descriptor limit less `descriptorsReservedCount`.
    public var connectionCap: Int { state.withLock { $0.core?.connectionCap ?? 0 } }

    /// Request body bytes the connections hold now (what `bodyBytesInFlightMax` bounds).
    public var bodyBytesInFlight: Int { state.withLock { $0.core?.bodyBytesHeld.load(ordering: .relaxed) ?? 0 } }

    /// Storage the connections' inbound buffers hold now, in bytes (heads, read-ahead).
    public var inboundBufferBytes: Int { state.withLock { $0.core?.inboundBufferBytes.load(ordering: .relaxed) ?? 0 } }

    /// Binds the listeners and starts the loops; returns once the server accepts connections.
    public func start() throws {
        SocketIO.ignoreSIGPIPE()
        var tls: TLSContext? = nil
        if let cert = configuration.tlsCertificatePath, let key = configuration.tlsPrivateKeyPath {
            tls = try TLSContext(certificatePath: cert, privateKeyPath: key)
        }
        let descriptorLimit = SocketIO.raiseDescriptorLimit()
        let cap = HTTPServerCore.connectionCap(configured: configuration.connectionCountMax, descriptorLimit: descriptorLimit,
                                               reserved: configuration.descriptorsReservedCount)
        let core = HTTPServerCore(configuration: configuration, responder: responder, logger: logger, tls: tls, connectionCap: cap)
        let loopCount = max(1, configuration.loopCount)
        let fd = try SocketIO.listen(host: configuration.host, port: configuration.port, backlog: configuration.backlog,
                                     reusePort: false)
        let port = SocketIO.localPort(fd)
        var loops: [EventLoop] = []
        do {
            for _ in 0..<loopCount { loops.append(try EventLoop()) }
        } catch {
            SocketIO.close(fd)
            throw error
        }
        let shared = ListenerShared(holders: loopCount)
        let listeners = loops.map { Listener(fd: fd, loop: $0, loops: loops, core: core, shared: shared) }
        let byLoop = Dictionary(uniqueKeysWithValues: listeners.map { (ObjectIdentifier($0.loop), $0) })
        core.onConnectionClosed = { loop in byLoop[ObjectIdentifier(loop)]?.connectionClosed() }
        for (index, (loop, listener)) in zip(loops, listeners).enumerated() {
            loop.start(name: "http-loop-\(index)")
            loop.execute { loop.register(listener.fd, events: Listener.interest, handler: listener) }
        }
        state.withLock {
            $0.core = core
            $0.loops = loops
            $0.listeners = listeners
            $0.port = port
        }
        logger.info("listening on \(configuration.host):\(port) with \(loopCount) loops, up to \(cap) connections (descriptor limit \(descriptorLimit))\(tls == nil ? "" : " (TLS)")")
    }

    /// Starts (when not started yet) and waits until `shutdown()` has finished.
    public func run() async throws {
        if localPort == 0 { try start() }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.stopped { return true }
                s.stopWaiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    /// Graceful shutdown: stop accepting, close idle connections, let in-flight requests finish
    /// within `drainTimeoutSeconds`, then cut what is left and stop the loops.
    public func shutdown() async {
        let (core, loops, listeners) = state.withLock { ($0.core, $0.loops, $0.listeners) }
        guard let core, !core.draining.exchange(true, ordering: .relaxed) else { return }
        logger.info("shutting down: draining \(core.connectionCount.load(ordering: .relaxed)) connections")
        for (loop, listener) in zip(loops, listeners) {
            loop.execute {
                listener.close()
                for case let connection as HTTPConnection in loop.registeredHandlers { connection.beginDrain() }
            }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(configuration.drainTimeoutSeconds * 1000))
        while core.connectionCount.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let left = core.connectionCount.load(ordering: .relaxed)
        if left > 0 {
            logger.warning("drain timeout: closing \(left) connections")
            for loop in loops {
                loop.execute { for case let connection as HTTPConnection in loop.registeredHandlers { connection.close() } }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        for loop in loops { loop.stop() }
        for loop in loops { await loop.waitForExit() }
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.stopped = true
            defer { s.stopWaiters = [] }
            return s.stopWaiters
        }
        waiters.forEach { $0.resume() }
        logger.info("shutdown complete")
    }
}
