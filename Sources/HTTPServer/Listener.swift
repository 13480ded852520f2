import CSocketShim
import Synchronization

/// Accepts connections for one loop. All loops share one listening socket, registered in each
/// loop's epoll with EPOLLEXCLUSIVE so a new connection wakes one idle loop, not all of them.
/// (SO_REUSEPORT would need no sharing, but with port 0 Linux may hand two servers the same
/// port.)
///
/// Running short never makes the listener spin on its ready socket: at the connection cap it
/// leaves epoll until a connection closes; when `accept` fails for want of descriptors or
/// memory (EMFILE, ENFILE, ...) it leaves epoll for `acceptRetrySeconds`, or until a connection
/// closes and frees one. While it is out and clients are waiting, the loop closes its
/// connections idle for `idleShedSeconds`, so a flood of idle connections cannot lock others out.
final class Listener: EventHandler, @unchecked Sendable {
    let fd: Int32
    let loop: EventLoop
    let core: HTTPServerCore
    /// What the loops' listeners share: the socket's holder count and the round-robin cursor.
    let shared: ListenerShared
    /// Every loop of the server; accepted connections are dealt to them in turn.
    let loops: [EventLoop]
    private enum Pause: Equatable {
        case none
        /// At the connection cap: back when a connection closes.
        case atCap
        /// Accept failed for want of resources: back at this instant, or when a connection closes.
        case resting(until: UInt64)
    }
    private var pause = Pause.none
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
            if core.connectionCount.load(ordering: .relaxed) >= core.connectionCap {
                // Woken with a client waiting and no room: make some, then wait for it.
                leaveEpoll(.atCap)
                shedIdleConnections(now: EventLoop.now())
                return
            }
            switch SocketIO.accept(fd) {
            case .bytes(let n):
                adoptAccepted(Int32(n))
            case .wouldBlock, .eof:
                return
            case .failed(let code):
                // The connection stays queued and the socket stays ready: trying again at once is
                // the busy loop. Rest, and free descriptors held by idle connections meanwhile.
                let now = EventLoop.now()
                if SocketIO.isResourceExhaustion(code) {
                    core.logger.warning("accept failed (errno \(code)): out of descriptors or memory; retrying in \(core.configuration.acceptRetrySeconds) s")
                } else {
                    core.logger.debug("accept failed (errno \(code))")
                }
                leaveEpoll(.resting(until: now &+ core.acceptRetryNanos))
                shedIdleConnections(now: now)
                return
            }
        }
    }

    private func adoptAccepted(_ connectionFD: Int32) {
        core.connectionCount.add(1, ordering: .relaxed)
        var session: TLSSession? = nil
        if let tls = core.tls {
            guard let s = try? tls.session(fd: connectionFD, server: true) else {
                SocketIO.close(connectionFD)
                core.connectionCount.subtract(1, ordering: .relaxed)
                return
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
    }

    func tick(now: UInt64) {
        switch pause {
        case .none:
            return
        case .atCap:
            if core.connectionCount.load(ordering: .relaxed) < core.connectionCap { rejoinEpoll(); return }
        case .resting(let until):
            if now >= until { rejoinEpoll(); return }
        }
        if SocketIO.hasPendingConnection(fd) { shedIdleConnections(now: now) }
    }

    /// Registers a new connection with its loop (on that loop's thread) and starts it.
    private static func adopt(_ connection: HTTPConnection, fd: Int32, on loop: EventLoop, core: HTTPServerCore) {
        loop.register(fd, events: PM_EPOLLIN | PM_EPOLLOUT | PM_EPOLLRDHUP | PM_EPOLLET, handler: connection)
        // A connection dealt to this loop while shutdown was sweeping it must drain too.
        if core.draining.load(ordering: .relaxed) { connection.beginDrain() }
        if !connection.isClosed { connection.drive() }
    }

    /// A connection on this loop closed: a descriptor is free, so a paused listener tries again.
    func connectionClosed() {
        switch pause {
        case .none: return
        case .atCap: if core.connectionCount.load(ordering: .relaxed) < core.connectionCap { rejoinEpoll() }
        case .resting: rejoinEpoll()
        }
    }

    private func leaveEpoll(_ reason: Pause) {
        if pause == .none {
            loop.deregister(fd)
            // Keep ticking while out: stay in the handler table without epoll interest.
            loop.keepForTicks(fd, handler: self)
        }
        pause = reason
    }

    private func rejoinEpoll() {
        guard pause != .none, !closed else { return }
        pause = .none
        loop.register(fd, events: Listener.interest, handler: self)
    }

    /// Closes this loop's connections idle for at least `idleShedSeconds`, to make room.
    private func shedIdleConnections(now: UInt64) {
        var shed = 0
        for case let connection as HTTPConnection in loop.registeredHandlers
        where connection.isSheddable(now: now, idleNanos: core.idleShedNanos) {
            connection.close()
            shed += 1
        }
        if shed > 0 { core.logger.notice("closed \(shed) idle connections to make room for waiting clients") }
    }

    /// Stops accepting for good (shutdown).
    func close() {
        guard !closed else { return }
        closed = true
        if pause == .none { loop.deregister(fd) }
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
