import Foundation
import HTTPServer
import Market

extension MarketAPI {
    /// The admin's read-only views, which the dashboard (`/admin`) draws: accounts with their
    /// balances, job summaries and a job's timeline, each worker's share of the last day, and
    /// the market's lock price over time. Each only reads, and each is bounded (a page, a window).
    func addAdminViewRoutes(_ router: Router) {
        router.get("/v1/admin/accounts") { request, _ in
            let p = try await principal(request)
            var kind: AccountKind?
            if let text = request.query("kind") {
                guard let value = AccountKind(rawValue: text) else {
                    throw MarketError(.invalidRequest, "kind must be one of \(AccountKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                kind = value
            }
            var cursor: ListCursor?
            if let token = request.query("cursor") {
                guard let c = ListCursor(token: token) else { throw MarketError(.invalidRequest, "cursor is malformed") }
                try Self.requireIssuable(c.createdAt)
                cursor = c
            }
            let page = try await market.accounts(by: p, kind: kind, after: cursor, limit: try limit(request, default: 100))
            struct Line: Encodable {
                let id: UUID; let kind: String; let owner: String; let createdAt: Date; let available: Int64; let held: Int64; let keys: Int64
            }
            struct Page: Encodable { let accounts: [Line]; let nextCursor: String? }
            return try .json(Page(accounts: page.accounts.map {
                Line(id: $0.id, kind: $0.kind.rawValue, owner: $0.owner, createdAt: $0.createdAt, available: $0.available,
                     held: $0.held, keys: $0.keys)
            }, nextCursor: page.nextCursor?.token))
        }
        router.get("/v1/admin/jobs") { request, _ in
            let p = try await principal(request)
            var filter = JobFilter()
            filter.status = try statusQuery(request)
            filter.client = try queryUUID(request, "client")
            filter.worker = try queryUUID(request, "worker")
            if let model = request.query("model") {
                // A model id is a hex digest; the filter takes only letters and digits, so no
                // stray byte reaches a query.
                guard (1...128).contains(model.utf8.count), model.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }) else {
                    throw MarketError(.invalidRequest, "model must be 1 to 128 letters and digits")
                }
                filter.model = model
            }
            if let auction = request.query("auction") {
                guard ["dutch", "sealed"].contains(auction) else { throw MarketError(.invalidRequest, "auction must be dutch or sealed") }
                filter.auction = auction
            }
            var cursor: JobCursor?
            if let token = request.query("cursor") {
                guard let c = JobCursor(token: token) else { throw MarketError(.invalidRequest, "cursor is malformed") }
                try Self.requireIssuable(c.createdAt)
                cursor = c
            }
            let page = try await market.jobSummaries(by: p, filter: filter, after: cursor, limit: try limit(request, default: 50))
            struct Page: Encodable { let jobs: [JobSummaryView]; let nextCursor: String? }
            return try .json(Page(jobs: page.jobs.map(JobSummaryView.init), nextCursor: page.nextCursor?.token))
        }
        router.get("/v1/admin/jobs/{id}") { request, _ in
            let p = try await principal(request)
            let timeline = try await market.timeline(of: try uuid(request, "id", unknown: .unknownJob), by: p)
            struct BidView: Encodable {
                let id: Int64; let workerId: UUID; let attempt: Int; let kind: String; let price: Int64; let createdAt: Date; let outcome: String?
            }
            struct View: Encodable { let job: JobSummaryView; let events: [EventView]; let bids: [BidView] }
            return try .json(View(job: JobSummaryView(timeline.job), events: timeline.events.map(EventView.init), bids: timeline.bids.map {
                BidView(id: $0.id, workerId: $0.workerID, attempt: $0.attempt, kind: $0.kind, price: $0.price, createdAt: $0.createdAt,
                        outcome: $0.outcome)
            }))
        }
        router.get("/v1/admin/workers") { request, _ in
            let p = try await principal(request)
            let report = try await market.workerShares(by: p, limit: try limit(request, default: 100))
            struct Line: Encodable {
                let id: UUID; let accountId: UUID; let name: String; let lastHeartbeat: Date; let suspendedUntil: Date?
                let slashesInARow: Int; let jobsFulfilled: Int64; let jobsRejected: Int64; let jobsReleased: Int64
                let jobsSlashed: Int64; let fulfilledLastDay: Int64; let shareLastDayBps: Int; let aboveShareWarning: Bool
            }
            struct View: Encodable {
                let workers: [Line]; let workersTotal: Int64; let fulfilledLastDay: Int64; let shareWarningBps: Int; let since: Date
            }
            return try .json(View(workers: report.workers.map {
                Line(id: $0.id, accountId: $0.accountID, name: $0.name, lastHeartbeat: $0.lastHeartbeat, suspendedUntil: $0.suspendedUntil,
                     slashesInARow: $0.slashesInARow, jobsFulfilled: $0.jobsFulfilled, jobsRejected: $0.jobsRejected,
                     jobsReleased: $0.jobsReleased, jobsSlashed: $0.jobsSlashed, fulfilledLastDay: $0.fulfilledLastDay,
                     shareLastDayBps: $0.shareLastDayBasisPoints, aboveShareWarning: $0.aboveShareWarning)
            }, workersTotal: report.workersTotal, fulfilledLastDay: report.fulfilledLastDay,
               shareWarningBps: report.shareWarningBasisPoints, since: report.since))
        }
        router.get("/v1/admin/market/history") { request, _ in
            let p = try await principal(request)
            func bounded(_ name: String, default value: Int, max: Int) throws -> Int {
                guard let text = request.query(name) else { return value }
                guard let number = Int(text), (1...max).contains(number) else {
                    throw MarketError(.invalidRequest, "\(name) must be 1 to \(max)")
                }
                return number
            }
            let history = try await market.history(by: p, hours: try bounded("hours", default: 24, max: Market.historyHoursMax),
                                                   buckets: try bounded("buckets", default: 24, max: Market.historyBucketsMax))
            struct Bucket: Encodable { let start: Date; let locks: Int64; let p50: Double?; let p90: Double?; let created: Int64; let fulfilled: Int64 }
            struct View: Encodable {
                let since: Date; let until: Date; let bucketSeconds: Double; let locks: Int64; let p50: Double?; let p90: Double?
                let buckets: [Bucket]
            }
            return try .json(View(since: history.since, until: history.until, bucketSeconds: history.bucketSeconds,
                                  locks: history.locks, p50: history.p50, p90: history.p90, buckets: history.buckets.map {
                Bucket(start: $0.start, locks: $0.locks, p50: $0.p50, p90: $0.p90, created: $0.created, fulfilled: $0.fulfilled)
            }))
        }
    }

    /// A `?name=` that must be a UUID if given (422 `invalid_request` otherwise).
    func queryUUID(_ request: HTTPRequest, _ name: String) throws -> UUID? {
        guard let text = request.query(name) else { return nil }
        guard let id = UUID(uuidString: text) else { throw MarketError(.invalidRequest, "\(name) must be a UUID") }
        return id
    }

    /// A cursor's time must be one the coordinator could have issued (PostgreSQL cannot even hold the extremes).
    static func requireIssuable(_ time: Date) throws {
        guard FieldRules.cursorTimes.contains(time) else {
            throw FieldRules.invalid("query parameter `cursor`", "its time is outside the years 1970 to 9999; pass a next_cursor as given")
        }
    }
}

/// A job summary on the wire (no tensors).
struct JobSummaryView: Encodable, Sendable {
    var id: UUID; var status: String; var modelId: String; var clientAccount: UUID; var auction: String
    var minPrice: Int64; var maxPrice: Int64; var lockPrice: Int64?; var lockPricePerMegaMac: Double?; var lockedBy: UUID?
    var attempt: Int; var proveMs: Int?; var verifyMs: Int?; var lockStake: Int64; var escrow: Int64; var workMacs: Int64?
    var createdAt: Date; var finishedAt: Date?; var deadline: Date
    init(_ j: JobSummary) {
        id = j.id; status = j.status.rawValue; modelId = j.modelID; clientAccount = j.clientAccount; auction = j.auction
        minPrice = j.minPrice; maxPrice = j.maxPrice; lockPrice = j.lockPrice; lockPricePerMegaMac = j.lockPricePerMegaMac
        lockedBy = j.lockedBy; attempt = j.attempt; proveMs = j.proveMilliseconds; verifyMs = j.verifyMilliseconds
        lockStake = j.lockStake; escrow = j.escrow; workMacs = j.workMacs; createdAt = j.createdAt; finishedAt = j.finishedAt
        deadline = j.deadline
    }
}
