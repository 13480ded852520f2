import Foundation
import Postgres
import Testing
import TestSupport

/// Statements are prepared once per session and reused; the cache is bounded and survives
/// schema changes.
@Suite struct PreparedStatementTests {
    private func preparedCount(_ c: PostgresConnection) async throws -> Int {
        try #require(try await c.query("SELECT count(*) AS n FROM pg_prepared_statements").first).decode("n", as: Int.self)
    }

    @Test func repeatedStatement_IsPreparedOnce() async throws {
        let db = try await TestDatabase.make()
        let c = try await PostgresConnection.connect(db.configuration)
        defer { c.close() }
        for i in 0..<5 {
            let row = try #require(try await c.query("SELECT $1::bigint + 1 AS n", [.int(Int64(i))]).first)
            #expect(try row.decode("n", as: Int64.self) == Int64(i) + 1)
        }
        // This statement and the counting one.
        #expect(try await preparedCount(c) == 2)
        // The same text with other parameter types is a statement of its own.
        _ = try await c.query("SELECT $1::bigint + 1 AS n", [.text("41")])
        #expect(try await preparedCount(c) == 3)
    }

    @Test func cache_IsBounded_AndStatementsPastItStillRun() async throws {
        let db = try await TestDatabase.make()
        let c = try await PostgresConnection.connect(db.configuration)
        defer { c.close() }
        let distinct = PostgresConnection.preparedStatementsMax + 20
        for i in 0..<distinct {
            let row = try #require(try await c.query("SELECT \(i) AS n").first)
            #expect(try row.decode("n", as: Int.self) == i)
        }
        #expect(try await preparedCount(c) == PostgresConnection.preparedStatementsMax)
    }

    @Test func schemaChange_UnderAPreparedStatement_FailsOnceThenWorks() async throws {
        let db = try await TestDatabase.make()
        let c = try await PostgresConnection.connect(db.configuration)
        defer { c.close() }
        try await c.query("CREATE TABLE t (a INTEGER)")
        try await c.query("INSERT INTO t VALUES (1)")
        #expect(try await c.query("SELECT * FROM t").rows.count == 1)
        try await c.query("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 2")
        do {
            _ = try await c.query("SELECT * FROM t")
        } catch let error as PostgresError {
            // PostgreSQL refuses a cached plan whose result type changed; the statement is forgotten.
            #expect(error.sqlState == "0A000")
        }
        let row = try #require(try await c.query("SELECT * FROM t").first)
        #expect(try row.decode("b", as: Int.self) == 2)
    }
}
