import Foundation
import Logging
import Synchronization

/// A bounded pool of connections.
///
/// At most `maximumConnections` are open. A caller that finds none free waits, in arrival
/// order, for at most `acquireTimeoutSeconds`, then gets a `.poolTimeout` error. Broken
/// connections are dropped when returned and replaced on demand; a connection idle for longer
/// than `healthCheckAfterSeconds` is checked with a round trip before it is handed out, so a
/// server restart costs no failed request. Every pooled session is bounded in time
/// (`statementTimeoutSeconds` on the server, `replyWaitSeconds` on the socket), so a database
/// that stops answering makes callers fail within those bounds (`PostgresError.isUnavailable`)
/// instead of hanging.
public final class ConnectionPool: Sendable {
    /// Pool limits.
    public struct Limits: Sendable {
        /// The most connections open at once.
        public var maximumConnections: Int = 8
        /// How long a caller waits for a free connection.
        public var acquireTimeoutSeconds: Double = 10
        /// Each pooled session's `statement_timeout`: the server cancels a statement (a lock
        /// wait included) that runs longer (SQLSTATE 57014). 0 leaves the server's default.
        public var statementTimeoutSeconds: Double = 30
        /// The longest a pooled connection waits for the server's reply to one call before it
        /// is given up (`.timeout`): the bound for a server that stopped answering, which no
        /// server-side timeout covers. Above `statementTimeoutSeconds`; 0 for none.
        public var replyWaitSeconds: Double = 35
        /// An idle connection older than this is checked before use.
        public var healthCheckAfterSeconds: Double = 5
        /// How many times a transaction is run again after a serialisation failure or deadlock.
        public var transactionAttemptsMax: Int = 8
        /// Default limits.
        public init() {}
    }

    /// What the pool hands a waiting caller.
    private enum Lease: Sendable {
        case existing(PostgresConnection)
        case create
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Lease, Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var closed = false
    }

    /// Where the pool connects.
    public let configuration: PostgresConfiguration
    /// The pool's limits.
    public let limits: Limits
    private let state = Mutex(State())
    private let logger: Logger

    /// Creates a pool; connections are opened lazily.
    public init(configuration: PostgresConfiguration, limits: Limits = Limits(),
                logger: Logger = Logger(label: "proofmarket.postgres")) {
        self.configuration = configuration
        self.limits = limits
        self.logger = logger
    }

    /// The bounds every pooled session gets.
    public var sessionLimits: PostgresSessionLimits {
        PostgresSessionLimits(statementTimeoutSeconds: limits.statementTimeoutSeconds, replyWaitSeconds: limits.replyWaitSeconds)
    }

    /// Counts for diagnostics: open connections, idle ones, callers waiting.
    public var statistics: (open: Int, idle: Int, waiting: Int) {
        state.withLock { ($0.open, $0.idle.count, $0.waiters.count) }
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresResult {
        try await withConnection { try await $0.query(sql, parameters) }
    }

    /// Closes idle connections and refuses new work; waiting callers get `.poolClosed`.
    public func close() {
        let (idle, waiters) = state.withLock { s -> ([PostgresConnection], [Waiter]) in
            s.closed = true
            let result = (s.idle, s.waiters)
            s.open -= s.idle.count
            s.idle = []
            s.waiters = []
            return result
        }
        idle.forEach { $0.close() }
        waiters.forEach { $0.continuation.resume(throwing: PostgresError(.poolClosed, "the connection pool is closed")) }
    }

    private func acquire() async throws -> PostgresConnection {
        while true {
            let lease = try await nextLease()
            switch lease {
            case .create:
                do {
                    return try await PostgresConnection.connect(configuration, limits: sessionLimits)
                } catch {
                    giveBackSlot()
                    throw error
                }
            case .existing(let connection):
                if Date().timeIntervalSince(connection.lastUsed) > limits.healthCheckAfterSeconds {
                    do {
                        try await connection.execute("SELECT 1")
                    } catch {
                        logger.notice("dropping a broken pooled connection", metadata: ["error": "\(error)"])
                        connection.close()
                        giveBackSlot()
                        continue
                    }
                } else if !connection.isHealthy {
                    connection.close()
                    giveBackSlot()
                    continue
                }
                return connection
            }
        }
    }

    private func nextLease() async throws -> Lease {
        let timeout = limits.acquireTimeoutSeconds
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, Error>) in
            enum Decision { case resume(Lease), fail(PostgresError), wait(Int) }
            let decision = state.withLock { s -> Decision in
                if s.closed { return .fail(PostgresError(.poolClosed, "the connection pool is closed")) }
                if let connection = s.idle.popLast() { return .resume(.existing(connection)) }
                if s.open < limits.maximumConnections {
                    s.open += 1
                    return .resume(.create)
                }
                let id = s.nextWaiterID
                s.nextWaiterID += 1
                s.waiters.append(Waiter(id: id, continuation: continuation))
                return .wait(id)
            }
            switch decision {
            case .resume(let lease): continuation.resume(returning: lease)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait(let id):
                Task { [weak self] in
                    try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                    self?.expireWaiter(id)
                }
            }
        }
    }

    private func expireWaiter(_ id: Int) {
        let waiter = state.withLock { s -> Waiter? in
            guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: PostgresError(
            .poolTimeout,
            "no database connection became free within \(limits.acquireTimeoutSeconds) s "
                + "(all \(limits.maximumConnections) are in use); raise the pool size or lower the load"))
    }

    private func release(_ connection: PostgresConnection) {
        guard connection.isHealthy else {
            connection.close()
            giveBackSlot()
            return
        }
        enum Outcome { case handTo(Waiter), kept, close }
        let outcome = state.withLock { s -> Outcome in
            if s.closed {
                s.open -= 1
                return .close
            }
            if !s.waiters.isEmpty { return .handTo(s.waiters.removeFirst()) }
            s.idle.append(connection)
            return .kept
        }
        switch outcome {
        case .handTo(let waiter): waiter.continuation.resume(returning: .existing(connection))
        case .close: connection.close()
        case .kept: break
        }
    }

    /// A connection slot became free without a connection: hand it to a waiter as permission
    /// to connect, or lower the open count.
    private func giveBackSlot() {
        let waiter = state.withLock { s -> Waiter? in
            if !s.closed, !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .create)
    }
}
