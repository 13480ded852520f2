import Foundation
import Postgres
import Testing
import TestSupport

/// `queryAndCommit`: a transaction's last statement and its COMMIT in one pipeline.
@Suite struct QueryAndCommitTests {
    private func table(_ db: TestDatabase) async throws {
        try await db.pool.query("CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0))")
    }

    private func count(_ db: TestDatabase) async throws -> Int {
        try #require(try await db.pool.query("SELECT count(*) AS n FROM items").first).decode("n", as: Int.self)
    }

    @Test func lastStatementCommitsWithItsAnswer() async throws {
        let db = try await TestDatabase.make()
        try await table(db)
        let returned = try await db.pool.transaction { c -> Int in
            try await c.query("INSERT INTO items VALUES (1, 1)")
            let row = try await c.queryAndCommit("INSERT INTO items VALUES ($1, 2) RETURNING id * 10 AS x", [.int(2)])
            #expect(!c.isInTransaction)
            return try #require(row.first).decode("x", as: Int.self)
        }
        #expect(returned == 20)
        #expect(try await count(db) == 2)
        // The connection left pipeline mode: it serves ordinary statements again.
        #expect(try await db.pool.query("SELECT 7 AS seven").first?.decode("seven", as: Int.self) == 7)
    }

    @Test func failingStatement_SkipsTheCommit_AndTheTransactionRollsBack() async throws {
        let db = try await TestDatabase.make()
        try await table(db)
        do {
            _ = try await db.pool.transaction { c in
                try await c.query("INSERT INTO items VALUES (1, 1)")
                try await c.queryAndCommit("INSERT INTO items VALUES ($1, -1)", [.int(2)])
            }
            Issue.record("a CHECK violation was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23514")
        }
        #expect(try await count(db) == 0)
        #expect(try await db.pool.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
    }

    @Test func statementAfterTheCommit_IsRefused() async throws {
        let db = try await TestDatabase.make()
        try await table(db)
        do {
            _ = try await db.pool.transaction { c in
                try await c.queryAndCommit("INSERT INTO items VALUES (1, 1)")
                try await c.query("INSERT INTO items VALUES (2, 2)")
            }
            Issue.record("a statement after the commit ran outside its transaction")
        } catch let error as PostgresError {
            #expect(error.message.contains("already committed"))
        }
        // The committed statement stays; the refused one never ran.
        #expect(try await db.pool.query("SELECT id FROM items ORDER BY id").rows.map { try $0.decode("id", as: Int.self) } == [1])
        // The connection is usable for the next transaction.
        _ = try await db.pool.transaction { c in try await c.query("INSERT INTO items VALUES (3, 3)") }
        #expect(try await count(db) == 2)
    }

    @Test func severalStatements_RunInOrderAndCommitTogether() async throws {
        let db = try await TestDatabase.make()
        try await table(db)
        let results = try await db.pool.transaction { c in
            try await c.queryAndCommit([
                PostgresStatement("INSERT INTO items VALUES ($1, 1)", [.int(1)]),
                PostgresStatement("UPDATE items SET n = n + 41 WHERE id = $1", [.int(1)]),
                PostgresStatement("SELECT n FROM items WHERE id = $1", [.int(1)]),
            ])
        }
        #expect(results.count == 3)
        #expect(try results[2].first?.decode("n", as: Int.self) == 42)
        #expect(try await count(db) == 1)
    }

    @Test func failureInTheMiddle_IsThrown_AndNothingCommits() async throws {
        let db = try await TestDatabase.make()
        try await table(db)
        do {
            _ = try await db.pool.transaction { c in
                try await c.queryAndCommit([
                    PostgresStatement("INSERT INTO items VALUES (1, 1)"),
                    PostgresStatement("INSERT INTO items VALUES (1, 2)"),   // duplicate key
                    PostgresStatement("INSERT INTO items VALUES (3, 3)"),
                ])
            }
            Issue.record("a duplicate key was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23505")   // the cause, not the "skipped" of what followed
        }
        #expect(try await count(db) == 0)
    }

    @Test func beginTravelsWithTheFirstStatement_WithItsIsolationLevel() async throws {
        let db = try await TestDatabase.make()
        try await table(db)
        let level = try await db.pool.transaction(.repeatableRead) { c in
            try #require(try await c.query("SHOW transaction_isolation").first).decode("transaction_isolation", as: String.self)
        }
        #expect(level == "repeatable read")
        // A body that sends nothing begins nothing, and the connection is fine afterwards.
        let nothing = try await db.pool.transaction { _ in 5 }
        #expect(nothing == 5)
        // A failing first statement rolls back; so does a failure after it.
        for statements in [["INSERT INTO items VALUES (1, -1)"], ["INSERT INTO items VALUES (1, 1)", "INSERT INTO items VALUES (2, -2)"]] {
            do {
                try await db.pool.transaction { c in for sql in statements { try await c.query(sql) } }
                Issue.record("a CHECK violation was accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == "23514")
            }
            #expect(try await count(db) == 0)
        }
        try await db.pool.transaction { c in
            try await c.query("INSERT INTO items VALUES (1, 1)")
            try await c.query("INSERT INTO items VALUES (2, 2)")
        }
        #expect(try await count(db) == 2)
    }

    @Test func pipelinedStatements_AnswerInOrder_InsideTheTransaction() async throws {
        let db = try await TestDatabase.make()
        try await table(db)
        try await db.pool.query("INSERT INTO items VALUES (1, 10), (2, 20)")
        // The opening reads of a transaction in one round trip, BEGIN travelling with them:
        // a row lock taken by the first holds for the rest of the transaction.
        let (ids, pid) = try await db.pool.transaction(.repeatableRead) { c -> ([Int], Int32) in
            let results = try await c.query([
                PostgresStatement("SELECT n FROM items WHERE id = $1 FOR UPDATE", [.int(1)]),
                PostgresStatement("SELECT n FROM items WHERE id = $1", [.int(2)]),
                PostgresStatement("SHOW transaction_isolation", []),
            ])
            #expect(c.isInTransaction)
            #expect(try results[2].first?.decode("transaction_isolation", as: String.self) == "repeatable read")
            let locked = try await db.pool.query("""
                SELECT count(*) AS n FROM pg_locks l JOIN pg_class r ON r.oid = l.relation
                WHERE r.relname = 'items' AND l.mode = 'RowShareLock' AND l.granted
                """).first?.decode("n", as: Int.self)
            #expect(locked == 1, "the FOR UPDATE's lock is held while the transaction is open")
            return (try results.prefix(2).map { try #require($0.first).decode("n", as: Int.self) }, c.backendPID)
        }
        #expect(ids == [10, 20] && pid != 0)
        // A failure in the middle is thrown, the rest is skipped, and the transaction rolls back.
        do {
            try await db.pool.transaction { c in
                try await c.query("INSERT INTO items VALUES (3, 3)")
                _ = try await c.query([PostgresStatement("SELECT 1/0 AS x", []), PostgresStatement("INSERT INTO items VALUES (4, 4)", [])])
            }
            Issue.record("a division by zero was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "22012")
        }
        #expect(try await count(db) == 2)
    }

    @Test func heldRowLock_IsReleasedByTheServerWithoutAnotherRoundTrip() async throws {
        // Many transactions updating one row, each committing with its update: all apply. The
        // 100 queue for 8 connections behind one row lock; on a loaded machine that queue can
        // outlast the pool's default acquisition bound, which is not what this test is about.
        var limits = ConnectionPool.Limits()
        limits.acquireTimeoutSeconds = 120
        let db = try await TestDatabase.make(limits: limits)
        try await table(db)
        try await db.pool.query("INSERT INTO items VALUES (1, 0)")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    try await db.pool.transaction { c in
                        try await c.query("SELECT 1")
                        try await c.queryAndCommit("UPDATE items SET n = n + 1 WHERE id = 1")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await db.pool.query("SELECT n FROM items WHERE id = 1").first?.decode("n", as: Int.self) == 100)
    }
}
