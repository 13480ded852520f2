import Foundation
import Postgres

/// The market at a glance, for `GET /v1/admin/stats`.
public struct MarketStats: Sendable, Codable {
    /// Per-worker counters.
    public struct WorkerLine: Sendable, Codable {
        /// The worker.
        public let id: UUID
        /// Its name.
        public let name: String
        /// Jobs fulfilled.
        public let fulfilled: Int64
        /// Proofs rejected.
        public let rejected: Int64
        /// Locks released.
        public let released: Int64
        /// Locks slashed.
        public let slashed: Int64
        /// Suspended until, if the breaker holds.
        public let suspendedUntil: Date?
    }
    /// Jobs per status.
    public let jobsByStatus: [String: Int64]
    /// Proving time percentiles of fulfilled jobs, in milliseconds (p50, p99).
    public let proveMilliseconds: [String: Double]
    /// Verification time percentiles, in milliseconds (p50, p99).
    public let verifyMilliseconds: [String: Double]
    /// Lock prices per million multiply-accumulates (p50, p90, p99), in micro-credits.
    public let lockPricePerMegaMac: [String: Double]
    /// The most productive workers first (at most 100).
    public let workers: [WorkerLine]
    /// The largest single worker's share of the jobs fulfilled in the last day (0…1).
    public let largestWorkerShareLastDay: Double
    /// Jobs fulfilled in the last day.
    public let fulfilledLastDay: Int64
}

extension Market {
    /// Aggregates for admins.
    public func stats(by principal: Principal) async throws -> MarketStats {
        try principal.require(.admin)
        let since = clock.now().addingTimeInterval(-86_400)
        return try await pool.transaction(.repeatableRead) { c in
            var byStatus: [String: Int64] = [:]
            for row in try await c.run(StatsQueries.jobsByStatus).rows { byStatus[try row.decode("status")] = try row.decode("n") }
            func percentiles(_ row: PostgresRow?, _ names: [String: String]) throws -> [String: Double] {
                var out: [String: Double] = [:]
                for (key, column) in names { if let v = try row?.decode(column, as: Double?.self) { out[key] = v } }
                return out
            }
            let timings = try await c.run(StatsQueries.timings).first
            let prices = try await c.run(StatsQueries.lockPricePerWork).first
            let workers = try await c.run(StatsQueries.perWorker, [.int(100)]).rows.map { row in
                MarketStats.WorkerLine(id: try row.decode("id"), name: try row.decode("name"),
                                       fulfilled: try row.decode("jobs_fulfilled"), rejected: try row.decode("jobs_rejected"),
                                       released: try row.decode("jobs_released"), slashed: try row.decode("jobs_slashed"),
                                       suspendedUntil: try row.decode("suspended_until"))
            }
            let share = try await c.run(StatsQueries.largestShare, [.timestamp(since)]).first
            return MarketStats(jobsByStatus: byStatus,
                               proveMilliseconds: try percentiles(timings, ["p50": "prove_p50", "p99": "prove_p99"]),
                               verifyMilliseconds: try percentiles(timings, ["p50": "verify_p50", "p99": "verify_p99"]),
                               lockPricePerMegaMac: try percentiles(prices, ["p50": "p50", "p90": "p90", "p99": "p99"]),
                               workers: workers, largestWorkerShareLastDay: try share?.decode("share") ?? 0,
                               fulfilledLastDay: try share?.decode("total") ?? 0)
        }
    }
}

extension Market {
    /// Throws unless the database answers a read of the market's tables now (for `/health`),
    /// on `connection`: a session of the probe's own, so that a pool busy with requests (a
    /// loaded coordinator, not a sick database) never makes the probe wait its turn.
    public func probeDatabase(on connection: PostgresConnection) async throws {
        _ = try await connection.query(StatsQueries.healthProbe.sql)
    }
}
