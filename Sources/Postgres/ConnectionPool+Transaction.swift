import Foundation

/// Transaction isolation levels.
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension ConnectionPool {
    /// Runs `body` inside one transaction and commits it.
    ///
    /// On a serialisation failure (40001) or a deadlock (40P01) the whole transaction is
    /// rolled back and run again, with a short random back-off, up to
    /// `limits.transactionAttemptsMax` times; any other error rolls back and is thrown at once.
    /// `body` may therefore run more than once and must not have effects outside the database.
    /// `body` may end with `queryAndCommit`, committing with its last statement; then nothing
    /// else is sent.
    public func transaction<T: Sendable>(
        _ isolation: IsolationLevel = .readCommitted,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in
                    // BEGIN travels with the body's first statement (one round trip saved).
                    connection.beginWithNextStatement("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
                    do {
                        let value = try await body(connection)
                        // Nothing to commit if the body sent nothing, or committed already with
                        // its last statement (`queryAndCommit`).
                        if connection.endTransactionBody() { try await connection.query("COMMIT") }
                        return value
                    } catch {
                        if connection.endTransactionBody() { _ = try? await connection.query("ROLLBACK") }
                        throw error
                    }
                }
            } catch let error as PostgresError where error.isRetryableTransactionFailure
                && attempt < limits.transactionAttemptsMax {
                attempt += 1
                let backoff = UInt64.random(in: 1_000_000...(UInt64(attempt) * 5_000_000))
                try await Task.sleep(nanoseconds: backoff)
            }
        }
    }
}
