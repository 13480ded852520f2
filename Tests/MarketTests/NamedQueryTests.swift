import Foundation
@testable import Market
import Postgres
import Testing
import TestSupport

/// Every named query prepares against the migrated schema, so a typo in SQL fails here, not in a request.
@Suite struct NamedQueryTests {
    @Test func everyNamedQuery_PreparesAgainstTheMigratedSchema() async throws {
        let db = try await TestDatabase.make()
        let queries = NamedQuery.all
        #expect(queries.count >= 50)
        #expect(Set(queries.map(\.name)).count == queries.count, "query names are unique")
        try await db.pool.withConnection { c in
            for (index, query) in queries.enumerated() {
                do {
                    try await c.execute("PREPARE q\(index) AS \(query.sql)")
                } catch {
                    Issue.record("\(query.name) does not prepare: \(error)")
                }
            }
        }
    }

    @Test func platformAccounts_ExistOnceAfterMigration() async throws {
        let db = try await TestDatabase.make()
        let rows = try await db.pool.query("SELECT kind, count(*) AS n FROM accounts GROUP BY kind ORDER BY kind").rows
        let counts = try Dictionary(uniqueKeysWithValues: rows.map { (try $0.decode("kind", as: String.self), try $0.decode("n", as: Int.self)) })
        #expect(counts == ["external": 1, "platform_fees": 1, "platform_slashed": 1])
    }
}
