/// One SQL statement with a name, as River keeps them: the SQL stays visible, in one place
/// per table, and a test prepares every one against the migrated schema.
public struct NamedQuery: Sendable, CustomStringConvertible {
    /// The name (`JobLockIfOpen`), used in logs and by the preparation test.
    public let name: String
    /// The statement, with `$1`, `$2`, … parameters.
    public let sql: String

    /// Creates a named statement.
    init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }

    /// The name.
    public var description: String { name }

    /// Every named query of the market, for the test that prepares them all.
    public static var all: [NamedQuery] {
        AccountQueries.all + APIKeyQueries.all + BalanceQueries.all + LedgerQueries.all
            + ModelQueries.all + WorkerQueries.all + JobQueries.all + BidQueries.all
            + JobEventQueries.all + IdempotencyQueries.all + StatsQueries.all + CoordinatorKeyQueries.all + WebhookQueries.all
            + QuoteQueries.all + AdminQueries.all
    }
}

import Postgres

extension PostgresConnection {
    /// Runs a named query.
    @discardableResult
    func run(_ query: NamedQuery, _ parameters: [PostgresValue] = []) async throws -> PostgresResult {
        try await self.query(query.sql, parameters)
    }
}
