import CLibPQ
import Foundation

/// Time bounds of one database session.
///
/// The server-side bound cancels a statement that runs too long (a lock it waits for, a plan
/// gone wrong) with SQLSTATE 57014; the client-side bound covers what the server cannot: a
/// server that stopped answering altogether (frozen, paused, cut off by the network). It is
/// set above the statement timeout so that the server's own cancel normally comes first.
public struct PostgresSessionLimits: Sendable {
    /// The session's `statement_timeout`; 0 leaves the server's default (usually none).
    public var statementTimeoutSeconds: Double = 0
    /// The longest this process waits on the socket for the server's reply to one call before
    /// it gives the connection up (`.timeout`); 0 waits as long as it takes.
    public var replyWaitSeconds: Double = 0

    /// No bounds (the defaults).
    public init() {}

    /// These bounds.
    public init(statementTimeoutSeconds: Double, replyWaitSeconds: Double) {
        self.statementTimeoutSeconds = statementTimeoutSeconds
        self.replyWaitSeconds = replyWaitSeconds
    }
}

// The socket, driven in non-blocking mode: every libpq call that could block is replaced by a
// send, a flush and result reads, each wait a `poll(2)` that ends at the call's deadline.
// These run on the connection's queue.
extension PostgresConnection {
    /// When the call that starts now stops waiting for the server; nil for no bound.
    func replyDeadline() -> ContinuousClock.Instant? {
        guard limits.replyWaitSeconds > 0 else { return nil }
        return .now + .milliseconds(Int64((limits.replyWaitSeconds * 1000).rounded(.up)))
    }

    /// Sends one command with `send` (a `PQsend…` call), waits for its results and returns the
    /// first failure among them, or else the last result (as `PQexec` does for several
    /// statements in one string).
    func exchange(_ handle: OpaquePointer, _ send: () -> Int32) throws -> PostgresResult {
        guard send() == 1 else {
            throw PostgresError(.connection, "the connection failed: " + Self.socketMessage(handle))
        }
        let deadline = replyDeadline()
        try flush(handle, until: deadline)
        var kept: OpaquePointer?
        var failed = false
        defer { if let kept { PQclear(kept) } }
        while let result = try nextResult(handle, until: deadline) {
            if failed { PQclear(result); continue }   // the first failure is the cause
            let status = PQresultStatus(result)
            if let old = kept { PQclear(old) }
            kept = result
            failed = status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY
        }
        guard let result = kept else {
            throw PostgresError(.connection, "the connection failed: " + Self.socketMessage(handle))
        }
        kept = nil
        return try Self.consume(result, handle: handle)
    }

    /// Sends what libpq holds in its output buffer.
    func flush(_ handle: OpaquePointer, until deadline: ContinuousClock.Instant?) throws {
        while true {
            let state = PQflush(handle)
            if state == 0 { return }
            guard state > 0 else {
                throw PostgresError(.connection, "the connection failed: " + Self.socketMessage(handle))
            }
            try waitForSocket(handle, events: Int16(POLLOUT | POLLIN), until: deadline)
            // Read what the server sends meanwhile, so neither side blocks on a full buffer.
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError(.connection, "the connection failed: " + Self.socketMessage(handle))
            }
        }
    }

    /// The next result of the command in progress, or nil when its results are done; waits for
    /// the server at most until `deadline`.
    func nextResult(_ handle: OpaquePointer, until deadline: ContinuousClock.Instant?) throws -> OpaquePointer? {
        while PQisBusy(handle) == 1 {
            try waitForSocket(handle, events: Int16(POLLIN), until: deadline)
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError(.connection, "the connection failed: " + Self.socketMessage(handle))
            }
        }
        return PQgetResult(handle)
    }

    /// Waits until the socket is ready for `events`; past `deadline` the connection is given up.
    private func waitForSocket(_ handle: OpaquePointer, events: Int16, until deadline: ContinuousClock.Instant?) throws {
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw PostgresError(.connection, "the connection has no socket") }
        while true {
            var milliseconds: Int32 = -1
            if let deadline {
                let left = deadline - .now
                guard left > .zero else {
                    abandon()
                    throw PostgresError(.timeout, "the database server did not answer within \(limits.replyWaitSeconds) s; "
                        + "the connection was given up")
                }
                let (seconds, attoseconds) = left.components
                milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0, errno != EINTR {
                throw PostgresError(.connection, "waiting for the database server failed: errno \(errno)")
            }
        }
    }

    static func socketMessage(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
