import CSocketShim
import Glibc

/// The only place that makes socket system calls. Everything above works on the results
/// (`bytes`, `wouldBlock`, `eof`, `failed`) and never sees errno.
enum SocketIO {
    /// The outcome of a read or write on a non-blocking socket.
    enum Result: Equatable {
        /// This many bytes moved.
        case bytes(Int)
        /// The kernel has no data (read) or no buffer space (write): wait for readiness.
        case wouldBlock
        /// The peer closed its side (read only).
        case eof
        /// A hard error (reset, broken pipe); the connection is over.
        case failed(Int32)
    }

    /// Reads into `buffer`, retrying on EINTR.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .eof }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    /// Sends `buffer` with MSG_NOSIGNAL (a vanished peer is an error, not SIGPIPE), retrying on EINTR.
    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Result {
        while true {
            let n = pm_send(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return .bytes(n) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    /// Sends two buffers with one `sendmsg` (writev semantics, MSG_NOSIGNAL).
    static func writev(_ fd: Int32, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Result {
        var iov = (iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress), iov_len: a.count),
                   iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count))
        while true {
            let n = withUnsafePointer(to: &iov) { p in
                p.withMemoryRebound(to: iovec.self, capacity: 2) { pm_writev(fd, $0, 2) }
            }
            if n >= 0 { return .bytes(n) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    /// Closes a descriptor (EINTR on close must not be retried on Linux).
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Ignores SIGPIPE process-wide; sends use MSG_NOSIGNAL too, but OpenSSL writes do not.
    static func ignoreSIGPIPE() { _ = signal(SIGPIPE, SIG_IGN) }

    /// A listening socket on `host:port`; `reusePort` lets several loops each own one.
    static func listen(host: String, port: Int, backlog: Int32, reusePort: Bool) throws -> Int32 {
        let fd = pm_listen_tcp(host, Int32(port), backlog, reusePort ? 1 : 0)
        if fd < 0 { throw SocketError.system("listen on \(host):\(port)", -fd) }
        return fd
    }

    /// A non-blocking TCP connect in progress to `host:port` (IPv4 literal).
    static func connect(host: String, port: Int) throws -> Int32 {
        let fd = pm_connect_tcp(host, Int32(port))
        if fd < 0 { throw SocketError.system("connect to \(host):\(port)", -fd) }
        _ = pm_set_nodelay(fd)
        return fd
    }

    /// Accepts one connection, non-blocking and close-on-exec, with TCP_NODELAY set.
    static func accept(_ listener: Int32) -> Result {
        while true {
            let fd = pm_accept(listener)
            if fd >= 0 { _ = pm_set_nodelay(fd); return .bytes(Int(fd)) }
            let e = errno
            if e == EINTR || e == ECONNABORTED { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    /// Whether a failed accept means the process or system ran out of descriptors or memory:
    /// the pending connection stays queued, so retrying at once would spin.
    static func isResourceExhaustion(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }

    /// Whether a listening socket has a connection waiting to be accepted (without accepting it).
    static func hasPendingConnection(_ listener: Int32) -> Bool {
        var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0 && entry.revents & Int16(POLLIN) != 0
    }

    /// Ends our sending side (a FIN after what is queued); reading goes on.
    static func shutdownOutput(_ fd: Int32) { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Raises the soft descriptor limit (`RLIMIT_NOFILE`) to the hard one and returns the soft
    /// limit now in force, so the connection cap can be sized from it.
    static func raiseDescriptorLimit() -> Int {
        let resource = Int32(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, rlim_t(Int32.max)))
    }

    /// The bound port of a socket.
    static func localPort(_ fd: Int32) -> Int { Int(pm_local_port(fd)) }

    /// The peer as "a.b.c.d:port".
    static func peerName(_ fd: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        guard pm_peer_name(fd, &buffer, 64) == 0 else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The pending error of a socket (after a non-blocking connect).
    static func pendingError(_ fd: Int32) -> Int32 { pm_socket_error(fd) }
}

/// Socket failures that reach callers.
public enum SocketError: Error, CustomStringConvertible {
    /// A system call failed with this errno.
    case system(String, Int32)

    /// "listen on 127.0.0.1:80: Permission denied".
    public var description: String {
        switch self {
        case .system(let what, let code): return "\(what): \(String(cString: strerror(code)))"
        }
    }
}
