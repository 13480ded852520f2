import Foundation
import Postgres
import Testing
import TestSupport

/// A database that stops answering costs a pooled caller a bounded wait, never a hang: the
/// server cancels a statement past `statementTimeoutSeconds` (a lock wait included), and the
/// socket wait ends at `replyWaitSeconds` when the server itself is frozen.
@Suite(.timeLimit(.minutes(2))) struct SessionTimeoutTests {
    /// Holds `LOCK … ACCESS EXCLUSIVE` on `table` from a session of its own until `release`
    /// (or, whatever the test does, after `safetySeconds`, so a regression fails instead of hanging).
    private func freeze(_ db: TestDatabase, _ table: String, safetySeconds: Double = 20) async throws -> @Sendable () async -> Void {
        let holder = try await PostgresConnection.connect(db.configuration)
        try await holder.execute("BEGIN; LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE")
        let release: @Sendable () async -> Void = {
            if holder.isInTransaction { _ = try? await holder.execute("COMMIT") }
            holder.close()
        }
        Task {
            try? await Task.sleep(nanoseconds: UInt64(safetySeconds * 1e9))
            await release()
        }
        return release
    }

    @Test func statementBlockedByALock_IsCancelledAtTheStatementTimeout_AndThePoolRecovers() async throws {
        var limits = ConnectionPool.Limits()
        // Bounds wide enough for a loaded machine's own statements (CREATE TABLE below).
        limits.statementTimeoutSeconds = 2
        limits.replyWaitSeconds = 6
        let db = try await TestDatabase.make(limits: limits)
        try await db.pool.query("CREATE TABLE frozen (n int)")
        let release = try await freeze(db, "frozen")
        let started = ContinuousClock.now
        do {
            try await db.pool.query("SELECT count(*) FROM frozen")
            Issue.record("a statement behind the lock returned instead of timing out")
        } catch let error as PostgresError {
            #expect(error.sqlState == "57014", "\(error)")
            #expect(error.isUnavailable)
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(1_900) && waited < .seconds(10), "waited \(waited) for a 2 s statement timeout")
        await release()
        let rows = try await db.pool.query("SELECT count(*) AS n FROM frozen")
        #expect(try rows.first?.decode("n", as: Int64.self) == 0)
    }

    @Test func frozenServer_ReplyWaitGivesTheConnectionUp_AndThePoolReplacesIt() async throws {
        var limits = ConnectionPool.Limits()
        limits.statementTimeoutSeconds = 1
        limits.replyWaitSeconds = 2
        limits.maximumConnections = 1
        let db = try await TestDatabase.make(limits: limits)
        // The pool's one connection; its server process is this test's alone, and idle (it
        // holds no lock another session could wait for) when it is stopped.
        let pid = try await db.pool.withConnection { $0.backendPID }
        #expect(pid > 0)
        #expect(kill(pid, SIGSTOP) == 0)
        let resumed = Task {
            try? await Task.sleep(nanoseconds: 20_000_000_000)
            kill(pid, SIGCONT)
        }
        let started = ContinuousClock.now
        do {
            try await db.pool.query("SELECT 1")
            Issue.record("a query to a stopped server returned")
        } catch let error as PostgresError {
            #expect(error.kind == .timeout, "\(error)")
            #expect(error.isUnavailable)
        }
        let waited = ContinuousClock.now - started
        kill(pid, SIGCONT)
        resumed.cancel()
        #expect(waited < .seconds(10), "waited \(waited) for a 2 s reply bound")
        #expect(waited >= .milliseconds(1_900), "gave up after \(waited), before the 2 s bound")
        // The given-up connection was dropped; the next caller gets a new one.
        let again = try await db.pool.withConnection { c in (c.backendPID, try await c.query("SELECT 1 AS one")) }
        #expect(again.0 != pid)
        #expect(try again.1.first?.decode("one", as: Int.self) == 1)
    }

    @Test func unavailableKinds_AreTheOnesARetryCanFix() {
        #expect(PostgresError(.poolTimeout, "x").isUnavailable)
        #expect(PostgresError(.connection, "x").isUnavailable)
        #expect(PostgresError(.server, "x", sqlState: "57014").isUnavailable)
        #expect(PostgresError(.server, "x", sqlState: "57P01").isUnavailable)
        #expect(!PostgresError(.server, "x", sqlState: "23505").isUnavailable)
        #expect(!PostgresError(.server, "x", sqlState: "42P01").isUnavailable)
        #expect(!PostgresError(.decoding, "x").isUnavailable)
    }
}
