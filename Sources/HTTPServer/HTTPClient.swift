import Foundation
import Glibc
import Synchronization

/// A small HTTP/1.1 client on the same sockets and event loops as the server, so the worker
/// and the CLI need no SwiftNIO: keep-alive pooling, chunked and close-delimited bodies,
/// per-request timeouts, and https through OpenSSL.
///
/// ```swift
/// let client = HTTPClient()
/// let response = try await client.execute(HTTPClientRequest(method: .post, url: "http://127.0.0.1:8080/v1/jobs",
///                                                         headers: ["Content-Type": "application/json"], body: bytes))
/// let job = try response.decode(Job.self)
/// ```
public final class HTTPClient: Sendable {
    /// Client settings; every limit named with its unit last.
    public struct Configuration: Sendable {
        /// Seconds allowed to open a connection.
        public var connectTimeoutSeconds: Double = 10
        /// Seconds allowed for a whole exchange (a long-poll needs more than its wait).
        public var requestTimeoutSeconds: Double = 60
        /// Idle keep-alive connections kept per host.
        public var idleConnectionsPerHostMax: Int = 8
        /// Largest response body accepted, in bytes.
        public var responseBodyBytesMax: Int = 256 << 20
        /// Largest response head accepted, in bytes.
        public var responseHeadBytesMax: Int = 64 * 1024
        /// TLS settings for https URLs; nil means verify against the system trust store.
        public var tls: TLSContext?

        /// The defaults above.
        public init() {}
    }

    /// The configuration.
    public let configuration: Configuration
    let loop: EventLoop
    private let idle = Mutex<[String: [ClientConnection]]>([:])
    private let defaultTLS = Mutex<TLSContext?>(nil)

    /// Makes a client with its own event loop thread.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        // Failing to make an epoll instance means the process is out of descriptors; nothing works then.
        loop = try! EventLoop()
        loop.start(name: "http-client")
        SocketIO.ignoreSIGPIPE()
    }

    deinit { loop.stop() }

    /// Closes pooled connections and stops the client's loop.
    public func shutdown() async {
        let all = idle.withLock { pool -> [ClientConnection] in defer { pool = [:] }; return pool.values.flatMap { $0 } }
        await withTaskExecutorPreference(loop) { for c in all { c.close() } }
        loop.stop()
        await loop.waitForExit()
    }

    /// Sends `request` and reads the whole response.
    public func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let timeout = request.timeoutSeconds ?? configuration.requestTimeoutSeconds
        let deadline = EventLoop.now() &+ UInt64(timeout * 1e9)
        return try await withTaskExecutorPreference(loop) {
            let (connection, reused) = try await connection(for: request.url, address: request.connectAddress, deadline: deadline)
            do {
                return try await exchange(request, on: connection, deadline: deadline)
            } catch HTTPClientError.connectionClosed where reused {
                // The server closed the idle connection before our request reached it; one retry.
                let (fresh, _) = try await self.connection(for: request.url, address: request.connectAddress, deadline: deadline,
                                                           reuse: false)
                return try await exchange(request, on: fresh, deadline: deadline)
            }
        }
    }

    /// GET `url`.
    public func get(_ url: String, headers: HTTPHeaders = HTTPHeaders()) async throws -> HTTPClientResponse {
        try await execute(HTTPClientRequest(method: .get, url: url, headers: headers))
    }

    /// POST `body` to `url`.
    public func post(_ url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8]) async throws -> HTTPClientResponse {
        try await execute(HTTPClientRequest(method: .post, url: url, headers: headers, body: body))
    }

    private func connection(for url: HTTPURL, address: String?, deadline: UInt64, reuse: Bool = true) async throws -> (ClientConnection, Bool) {
        // A connection made to a given address is pooled apart, so it is reused only for that address.
        let key = address.map { url.poolKey + "@" + $0 } ?? url.poolKey
        if reuse {
            while let pooled = idle.withLock({ $0[key]?.popLast() }) {
                if pooled.isReusable { return (pooled, true) }
                pooled.close()
            }
        }
        var tls: TLSContext? = nil
        if url.isTLS {
            tls = try configuration.tls ?? defaultTLS.withLock { current in
                if let current { return current }
                let made = try TLSContext(clientVerifyingPeer: true)
                current = made
                return made
            }
        }
        let connectDeadline = min(deadline, EventLoop.now() &+ UInt64(configuration.connectTimeoutSeconds * 1e9))
        if let address {
            var probe = in_addr()
            guard inet_pton(AF_INET, address, &probe) == 1 else { throw HTTPClientError.invalidURL("connect address \(address)") }
        }
        let connection = try await ClientConnection.connect(host: address ?? url.host, port: url.port, tls: tls, serverName: url.host,
                                                            loop: loop, key: key, deadline: connectDeadline)
        return (connection, false)
    }

    private func exchange(_ request: HTTPClientRequest, on connection: ClientConnection, deadline: UInt64) async throws -> HTTPClientResponse {
        do {
            try await connection.write(request.encoded(), deadline: deadline)
            let (response, keepAlive) = try await HTTPClientResponse.read(from: connection, method: request.method,
                                                                        configuration: configuration, deadline: deadline)
            if keepAlive && connection.isReusable {
                let kept = idle.withLock { pool -> Bool in
                    guard pool[connection.key, default: []].count < configuration.idleConnectionsPerHostMax else { return false }
                    pool[connection.key, default: []].append(connection)
                    return true
                }
                if !kept { connection.close() }
            } else {
                connection.close()
            }
            return response
        } catch {
            connection.close()
            throw error
        }
    }
}

/// Client failures.
public enum HTTPClientError: Error, Equatable, CustomStringConvertible {
    /// The URL is not `http://host[:port]/...` or `https://...`.
    case invalidURL(String)
    /// The host name did not resolve to an IPv4 address.
    case unresolvableHost(String)
    /// The deadline passed.
    case timedOut
    /// The connection closed before a complete response.
    case connectionClosed
    /// The response broke HTTP/1.1 framing.
    case invalidResponse(String)
    /// The response body was over `responseBodyBytesMax`.
    case responseTooLarge

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .invalidURL(let url): return "invalid URL \(url)"
        case .unresolvableHost(let host): return "cannot resolve \(host)"
        case .timedOut: return "request timed out"
        case .connectionClosed: return "connection closed before the response was complete"
        case .invalidResponse(let why): return "invalid response: \(why)"
        case .responseTooLarge: return "response body too large"
        }
    }
}
