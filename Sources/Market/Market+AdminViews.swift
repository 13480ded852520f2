import Foundation
import Postgres

/// An account with its money, as the admin's account list shows it.
public struct AccountLine: Sendable, Codable, Equatable {
    /// The account.
    public let id: UUID
    /// Its kind.
    public let kind: AccountKind
    /// Who it belongs to.
    public let owner: String
    /// When it was made.
    public let createdAt: Date
    /// Free money, in micro-credits (negative only for `external`).
    public let available: Int64
    /// Escrow or stake, in micro-credits.
    public let held: Int64
    /// Keys not revoked.
    public let keys: Int64
}

/// A page of accounts, oldest first.
public struct AccountPage: Sendable {
    /// The accounts.
    public let accounts: [AccountLine]
    /// Where the next page starts; nil at the end.
    public let nextCursor: ListCursor?
}

/// A position in a list ordered by creation time and id (keyset pagination), for lists other
/// than jobs' (which have `JobCursor`); the same text form, `<microseconds>_<uuid>`.
public struct ListCursor: Sendable, Equatable {
    /// Creation time of the last item seen.
    public let createdAt: Date
    /// Id of the last item seen.
    public let id: UUID

    /// Opaque text form, for URLs.
    public var token: String { JobCursor(createdAt: createdAt, id: id).token }

    /// Parses `token`; nil if malformed.
    public init?(token: String) {
        guard let cursor = JobCursor(token: token) else { return nil }
        self.init(createdAt: cursor.createdAt, id: cursor.id)
    }

    init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }
}

/// A job without its input and output tensors: what a list of jobs shows.
public struct JobSummary: Sendable, Codable, Equatable {
    /// The id.
    public let id: UUID
    /// Its state.
    public let status: JobStatus
    /// The model.
    public let modelID: String
    /// The client's account.
    public let clientAccount: UUID
    /// `dutch` or `sealed`.
    public let auction: String
    /// Lowest price, in micro-credits.
    public let minPrice: Int64
    /// Highest price, in micro-credits.
    public let maxPrice: Int64
    /// The price of the current or last lock.
    public let lockPrice: Int64?
    /// The lock price per million multiply-accumulates of the model's work, in micro-credits.
    public let lockPricePerMegaMac: Double?
    /// The worker holding, or last holding, the lock.
    public let lockedBy: UUID?
    /// Lock rounds so far.
    public let attempt: Int
    /// Proving time the worker reported, in milliseconds.
    public let proveMilliseconds: Int?
    /// Verification time, in milliseconds.
    public let verifyMilliseconds: Int?
    /// Stake per lock, in micro-credits.
    public let lockStake: Int64
    /// Held from the client, in micro-credits.
    public let escrow: Int64
    /// The job's work, in multiply-accumulates: the model's times the job's batch.
    public let workMacs: Int64?
    /// When it was made.
    public let createdAt: Date
    /// When it reached a final state.
    public let finishedAt: Date?
    /// After this it expires.
    public let deadline: Date

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        status = try JobStatus(rawValue: row.decode("status")).orThrow("unknown job status")
        modelID = try row.decode("model_id")
        clientAccount = try row.decode("client_account")
        auction = try row.decode("auction")
        minPrice = try row.decode("min_price")
        maxPrice = try row.decode("max_price")
        lockPrice = try row.decode("lock_price")
        lockedBy = try row.decode("locked_by")
        attempt = try row.decode("attempt")
        proveMilliseconds = try row.decode("proof_ms")
        verifyMilliseconds = try row.decode("verify_ms")
        lockStake = try row.decode("lock_stake")
        escrow = try row.decode("escrow")
        workMacs = try row.decode("work_macs")
        createdAt = try row.decode("created_at")
        finishedAt = try row.decode("finished_at")
        deadline = try row.decode("deadline")
        if let price = lockPrice, let work = workMacs, work > 0 {
            lockPricePerMegaMac = Double(price) * 1_000_000 / Double(work)
        } else {
            lockPricePerMegaMac = nil
        }
    }
}

/// What the admin's job list can be narrowed to.
public struct JobFilter: Sendable, Equatable {
    /// Only jobs in this state.
    public var status: JobStatus?
    /// The client's account.
    public var client: UUID?
    /// The worker holding or last holding the lock.
    public var worker: UUID?
    /// Only jobs of this model.
    public var model: String?
    /// `dutch` or `sealed`.
    public var auction: String?
    /// No filter.
    public init(status: JobStatus? = nil, client: UUID? = nil, worker: UUID? = nil, model: String? = nil, auction: String? = nil) {
        self.status = status
        self.client = client
        self.worker = worker
        self.model = model
        self.auction = auction
    }
}

/// A page of job summaries, newest first.
public struct JobSummaryPage: Sendable {
    /// The jobs.
    public let jobs: [JobSummary]
    /// Where the next page starts; nil at the end.
    public let nextCursor: JobCursor?
}

/// One bid or lock on a job.
public struct BidRecord: Sendable, Codable, Equatable {
    /// Its order among all bids.
    public let id: Int64
    /// The worker.
    public let workerID: UUID
    /// The lock round it belongs to.
    public let attempt: Int
    /// `bid` (a sealed bid) or `lock`.
    public let kind: String
    /// Micro-credits.
    public let price: Int64
    /// When it was made.
    public let createdAt: Date
    /// `won`, `lost`, `fulfilled`, `released` or `expired`, once decided.
    public let outcome: String?
}

/// A job's whole life: its summary, every transition and every bid and lock.
public struct JobTimeline: Sendable {
    /// The job.
    public let job: JobSummary
    /// The transitions, oldest first.
    public let events: [JobEvent]
    /// The bids and locks, oldest first.
    public let bids: [BidRecord]
}

/// One worker's record and its share of the jobs fulfilled in the last day.
public struct WorkerShare: Sendable, Codable, Equatable {
    /// The id.
    public let id: UUID
    /// The worker account paid for its work.
    public let accountID: UUID
    /// Its display name.
    public let name: String
    /// Its last sign of life.
    public let lastHeartbeat: Date
    /// Suspended until then, if its circuit breaker tripped.
    public let suspendedUntil: Date?
    /// Slashes since its last fulfilled job.
    public let slashesInARow: Int
    /// Jobs fulfilled, ever.
    public let jobsFulfilled: Int64
    /// Proofs rejected, ever.
    public let jobsRejected: Int64
    /// Locks released, ever.
    public let jobsReleased: Int64
    /// Locks slashed, ever.
    public let jobsSlashed: Int64
    /// Jobs it fulfilled in the last day.
    public let fulfilledLastDay: Int64
    /// Its share of the last day's fulfilled jobs in basis points, rounded down (0 when none were).
    public let shareLastDayBasisPoints: Int
    /// Whether its share is above the warning threshold (compared exactly, not rounded).
    public let aboveShareWarning: Bool
}

/// Who proves the market's jobs: each worker's share of the last day, and the threshold above
/// which one worker holds too much of the capacity.
public struct WorkerShareReport: Sendable {
    /// The busiest workers of the last day first.
    public let workers: [WorkerShare]
    /// Every registered worker, listed or not.
    public let workersTotal: Int64
    /// Jobs fulfilled in the last day.
    public let fulfilledLastDay: Int64
    /// The warning threshold, in basis points.
    public let shareWarningBasisPoints: Int
    /// The start of the day the shares cover.
    public let since: Date
}

/// The lock price per million multiply-accumulates and the flow of jobs over a window of time.
public struct MarketHistory: Sendable {
    /// One slice of the window.
    public struct Bucket: Sendable, Equatable {
        /// When the slice starts.
        public let start: Date
        /// Locks taken in it.
        public let locks: Int64
        /// Median lock price per million multiply-accumulates, in micro-credits; nil without locks.
        public let p50: Double?
        /// 90th percentile, likewise.
        public let p90: Double?
        /// Jobs created in it.
        public let created: Int64
        /// Jobs fulfilled in it.
        public let fulfilled: Int64
    }
    /// The window's start.
    public let since: Date
    /// The window's end.
    public let until: Date
    /// Each slice's length, in seconds.
    public let bucketSeconds: Double
    /// The slices, oldest first.
    public let buckets: [Bucket]
    /// Locks in the whole window.
    public let locks: Int64
    /// The window's median, nil without locks.
    public let p50: Double?
    /// The window's 90th percentile, nil without locks.
    public let p90: Double?
}

extension Market {
    /// The most bids and locks one timeline lists.
    public static let timelineBidsMax = 1_000
    /// The longest market history window, in hours (30 days).
    public static let historyHoursMax = 720
    /// The most buckets a market history has.
    public static let historyBucketsMax = 240

    /// Accounts with their balances, in creation order, optionally of one kind.
    public func accounts(by principal: Principal, kind: AccountKind? = nil, after cursor: ListCursor? = nil,
                         limit: Int = 100) async throws -> AccountPage {
        try principal.require(.admin)
        let limit = max(1, min(limit, configuration.pageItemsMax))
        let rows = try await pool.query(AdminQueries.accountList.sql, [
            kind.map { .text($0.rawValue) } ?? .null,
            cursor.map { .timestamp($0.createdAt) } ?? .null, cursor.map { .uuid($0.id) } ?? .null,
            .int(Int64(limit) + 1),
        ]).rows
        let accounts = try rows.prefix(limit).map { row in
            AccountLine(id: try row.decode("id"), kind: try AccountKind(rawValue: row.decode("kind")).orThrow("unknown account kind"),
                        owner: try row.decode("owner"), createdAt: try row.decode("created_at"),
                        available: try row.decode("available"), held: try row.decode("held"), keys: try row.decode("keys"))
        }
        let next = rows.count > limit ? accounts.last.map { ListCursor(createdAt: $0.createdAt, id: $0.id) } : nil
        return AccountPage(accounts: accounts, nextCursor: next)
    }

    /// Job summaries, newest first, narrowed by `filter`.
    public func jobSummaries(by principal: Principal, filter: JobFilter = JobFilter(), after cursor: JobCursor? = nil,
                             limit: Int = 50) async throws -> JobSummaryPage {
        try principal.require(.admin)
        let limit = max(1, min(limit, configuration.pageItemsMax))
        let rows = try await pool.query(AdminQueries.jobList.sql, [
            filter.status.map { .text($0.rawValue) } ?? .null, filter.client.map { .uuid($0) } ?? .null,
            filter.worker.map { .uuid($0) } ?? .null, filter.model.map { .text($0) } ?? .null,
            filter.auction.map { .text($0) } ?? .null,
            cursor.map { .timestamp($0.createdAt) } ?? .null, cursor.map { .uuid($0.id) } ?? .null,
            .int(Int64(limit) + 1),
        ]).rows
        let jobs = try rows.prefix(limit).map(JobSummary.init(row:))
        let next = rows.count > limit ? jobs.last.map { JobCursor(createdAt: $0.createdAt, id: $0.id) } : nil
        return JobSummaryPage(jobs: jobs, nextCursor: next)
    }

    /// A job's summary, its transitions and its bids and locks, read in one snapshot.
    public func timeline(of id: UUID, by principal: Principal) async throws -> JobTimeline {
        try principal.require(.admin)
        return try await pool.transaction(.repeatableRead) { c in
            guard let row = try await c.run(AdminQueries.jobSummary, [.uuid(id)]).first else {
                throw MarketError(.unknownJob, "no job \(id)")
            }
            let events = try await c.run(JobEventQueries.jobEventsByJob, [.uuid(id)]).rows.map(JobEvent.init(row:))
            let bids = try await c.run(AdminQueries.jobBids, [.uuid(id), .int(Int64(Self.timelineBidsMax))]).rows.map { row in
                BidRecord(id: try row.decode("id"), workerID: try row.decode("worker_id"), attempt: try row.decode("attempt"),
                          kind: try row.decode("kind"), price: try row.decode("price"), createdAt: try row.decode("created_at"),
                          outcome: try row.decode("outcome"))
            }
            return JobTimeline(job: try JobSummary(row: row), events: events, bids: bids)
        }
    }

    /// Each worker's record and share of the jobs fulfilled in the last day, the busiest first,
    /// flagged above `configuration.workerShareWarningBasisPoints`.
    public func workerShares(by principal: Principal, limit: Int = 100) async throws -> WorkerShareReport {
        try principal.require(.admin)
        let limit = max(1, min(limit, configuration.pageItemsMax))
        let since = clock.now().addingTimeInterval(-86_400)
        let threshold = configuration.workerShareWarningBasisPoints
        return try await pool.transaction(.repeatableRead) { c in
            let total: Int64 = try await c.run(StatsQueries.largestShare, [.timestamp(since)]).first?.decode("total") ?? 0
            let rows = try await c.run(AdminQueries.workerShares, [.timestamp(since), .int(Int64(limit))]).rows
            let workers = try rows.map { row -> WorkerShare in
                let recent: Int64 = try row.decode("fulfilled_recent")
                // n / total > bps / 10 000, in integers: n · 10 000 > bps · total (no overflow below 9 · 10^14 jobs a day).
                let share = total > 0 ? Int(recent * 10_000 / total) : 0
                return WorkerShare(id: try row.decode("id"), accountID: try row.decode("account_id"), name: try row.decode("name"),
                                   lastHeartbeat: try row.decode("last_heartbeat"), suspendedUntil: try row.decode("suspended_until"),
                                   slashesInARow: try row.decode("slashes_in_a_row"), jobsFulfilled: try row.decode("jobs_fulfilled"),
                                   jobsRejected: try row.decode("jobs_rejected"), jobsReleased: try row.decode("jobs_released"),
                                   jobsSlashed: try row.decode("jobs_slashed"), fulfilledLastDay: recent,
                                   shareLastDayBasisPoints: share,
                                   aboveShareWarning: total > 0 && recent * 10_000 > Int64(threshold) * total)
            }
            let count: Int64 = try rows.first?.decode("workers_total") ?? 0
            return WorkerShareReport(workers: workers, workersTotal: count, fulfilledLastDay: total,
                                     shareWarningBasisPoints: threshold, since: since)
        }
    }

    /// The last `hours` hours in `buckets` equal slices: locks and their price per million
    /// multiply-accumulates (median and 90th percentile), jobs created and fulfilled.
    public func history(by principal: Principal, hours: Int = 24, buckets: Int = 24) async throws -> MarketHistory {
        try principal.require(.admin)
        guard (1...Self.historyHoursMax).contains(hours), (1...Self.historyBucketsMax).contains(buckets) else {
            throw MarketError(.invalidRequest, "hours must be 1 to \(Self.historyHoursMax) and buckets 1 to \(Self.historyBucketsMax)")
        }
        let until = clock.now()
        let since = until.addingTimeInterval(-Double(hours) * 3_600)
        let width = Double(hours) * 3_600 / Double(buckets)
        let window: [PostgresValue] = [.timestamp(since), .timestamp(until), .int(Int64(buckets))]
        return try await pool.transaction(.repeatableRead) { c in
            var prices: [Int: (locks: Int64, p50: Double?, p90: Double?)] = [:]
            for row in try await c.run(AdminQueries.lockPriceHistory, window).rows {
                prices[try row.decode("bucket")] = (try row.decode("locks"), try row.decode("p50"), try row.decode("p90"))
            }
            var flow: [Int: (created: Int64, fulfilled: Int64)] = [:]
            for row in try await c.run(AdminQueries.jobFlowHistory, window).rows {
                flow[try row.decode("bucket")] = (try row.decode("created"), try row.decode("fulfilled"))
            }
            let overall = try await c.run(AdminQueries.lockPriceWindow, Array(window.prefix(2))).first
            let slices = (1...buckets).map { index in
                MarketHistory.Bucket(start: since.addingTimeInterval(Double(index - 1) * width),
                                     locks: prices[index]?.locks ?? 0, p50: prices[index]?.p50, p90: prices[index]?.p90,
                                     created: flow[index]?.created ?? 0, fulfilled: flow[index]?.fulfilled ?? 0)
            }
            return MarketHistory(since: since, until: until, bucketSeconds: width, buckets: slices,
                                 locks: try overall?.decode("locks") ?? 0, p50: try overall?.decode("p50"), p90: try overall?.decode("p90"))
        }
    }
}
