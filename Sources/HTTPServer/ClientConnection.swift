import CSocketShim
import Glibc

/// A client socket registered with an event loop, with async connect, read and write that
/// suspend (holding no thread) until epoll reports readiness or the deadline passes.
/// Used only from tasks whose executor preference is its loop, so it is loop-confined.
final class ClientConnection: EventHandler, @unchecked Sendable {
    let loop: EventLoop
    let key: String
    private(set) var transport: Transport
    private var waiter: CheckedContinuation<Void, any Error>?
    private var waiterDeadline: UInt64 = .max
    private var pendingEvents: UInt32 = 0
    private(set) var isClosed = false
    /// Bytes received and not yet consumed by the response parser.
    var inbound = InboundBuffer(capacity: 16 * 1024)

    private init(loop: EventLoop, key: String, transport: Transport) {
        self.loop = loop
        self.key = key
        self.transport = transport
    }

    /// Connects to `host:port` (TLS when `tls` is given), waiting at most until `deadline`.
    static func connect(host: String, port: Int, tls: TLSContext?, serverName: String, loop: EventLoop,
                        key: String, deadline: UInt64) async throws -> ClientConnection {
        let address = try SocketIO.resolveIPv4(host)
        let fd = try SocketIO.connect(host: address, port: port)
        let connection = ClientConnection(loop: loop, key: key, transport: .plain(fd))
        loop.register(fd, events: PM_EPOLLIN | PM_EPOLLOUT | PM_EPOLLRDHUP | PM_EPOLLET, handler: connection)
        // A non-blocking connect completes when the socket turns writable (connect(2)).
        try await connection.waitForEvent(deadline: deadline)
        let error = SocketIO.pendingError(fd)
        if error != 0 {
            connection.close()
            throw SocketError.system("connect to \(host):\(port)", error)
        }
        if let tls {
            connection.transport = .tls(fd, try tls.session(fd: fd, server: false, hostName: serverName))
        }
        return connection
    }

    /// Sends all of `bytes`.
    func write(_ bytes: [UInt8], deadline: UInt64) async throws {
        var offset = 0
        while offset < bytes.count {
            guard !isClosed else { throw HTTPClientError.connectionClosed }
            let result = bytes.withUnsafeBytes { transport.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch result {
            case .bytes(let n): offset += n
            case .wouldBlock: try await waitForEvent(deadline: deadline)
            case .eof, .failed: close(); throw HTTPClientError.connectionClosed
            }
        }
    }

    /// Reads more bytes into `inbound`; returns false at end of stream.
    func readMore(deadline: UInt64) async throws -> Bool {
        while true {
            guard !isClosed else { throw HTTPClientError.connectionClosed }
            var outcome = SocketIO.Result.wouldBlock
            _ = inbound.write(minimum: 16 * 1024) { raw in
                outcome = transport.read(into: raw)
                if case .bytes(let n) = outcome { return n }
                return 0
            }
            switch outcome {
            case .bytes: return true
            case .eof: return false
            case .wouldBlock: try await waitForEvent(deadline: deadline)
            case .failed: close(); throw HTTPClientError.connectionClosed
            }
        }
    }

    /// Suspends until any readiness event (or returns at once if one came while nobody waited).
    private func waitForEvent(deadline: UInt64) async throws {
        if pendingEvents != 0 { pendingEvents = 0; return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            waiter = c
            waiterDeadline = deadline
        }
    }

    func handleEvents(_ events: UInt32) {
        if let w = waiter {
            waiter = nil
            w.resume()
        } else {
            pendingEvents |= events
        }
    }

    func tick(now: UInt64) {
        if let w = waiter, now >= waiterDeadline {
            waiter = nil
            w.resume(throwing: HTTPClientError.timedOut)
        }
    }

    /// Whether an idle pooled connection is still usable: no stray bytes and no EOF seen.
    var isReusable: Bool { !isClosed && inbound.readableCount == 0 && pendingEvents & (PM_EPOLLRDHUP | PM_EPOLLHUP | PM_EPOLLERR) == 0 }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(transport.fd)
        transport.close()
        if let w = waiter { waiter = nil; w.resume(throwing: HTTPClientError.connectionClosed) }
    }
}

extension SocketIO {
    /// The first IPv4 address of `host` (a literal passes through; names go through getaddrinfo).
    static func resolveIPv4(_ host: String) throws -> String {
        var probe = in_addr()
        if inet_pton(AF_INET, host, &probe) == 1 { return host }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result, let address = first.pointee.ai_addr else {
            throw HTTPClientError.unresolvableHost(host)
        }
        defer { freeaddrinfo(result) }
        var sin = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &sin.sin_addr, &text, socklen_t(INET_ADDRSTRLEN))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
