import Foundation
import Postgres

/// A sealed bid.
public struct Bid: Sendable, Codable, Equatable {
    /// The bid's id (earlier bids have smaller ids; ties go to the earlier).
    public let id: Int64
    /// The job.
    public let jobID: UUID
    /// The bidder.
    public let workerID: UUID
    /// The auction round.
    public let attempt: Int
    /// The price asked.
    public let price: Int64
    /// `won`, `lost`, … once decided.
    public let outcome: String?

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        jobID = try row.decode("job_id")
        workerID = try row.decode("worker_id")
        attempt = try row.decode("attempt")
        price = try row.decode("price")
        outcome = try row.decode("outcome")
    }
}

/// Who wins a sealed round and at what price: the lowest eligible bid (the earliest among
/// equals) wins and is paid the next bid's price in that order (Vickrey), capped by the
/// maximum; a bid with no bid after it is paid its own price.
public enum VickreyAuction {
    /// The winner's index in `bids` (sorted by price, then id) and the price; nil if none is eligible.
    public static func award(_ bids: [(price: Int64, eligible: Bool)], maxPrice: Int64) -> (winner: Int, price: Int64)? {
        guard let winner = bids.firstIndex(where: \.eligible) else { return nil }
        let price = winner + 1 < bids.count ? bids[winner + 1].price : bids[winner].price
        return (winner, min(price, maxPrice))
    }
}

extension Market {
    /// Places a sealed bid during the job's window. One bid per worker per round; the stake is
    /// held only if the bid wins, when the window closes.
    public func bid(_ jobID: UUID, price: Int64, by principal: Principal, worker workerID: UUID) async throws -> Bid {
        let now = clock.now()
        return try await transaction { c in
            let worker = try await self.lockWorker(workerID, of: principal, at: now, on: c)
            guard let row = try await c.run(JobQueries.jobByID, [.uuid(jobID)]).first else {
                throw MarketError(.unknownJob, "no job \(jobID)")
            }
            let job = try Job(row: row)
            guard job.status == .open else { throw MarketError(.jobNotOpen, "job \(jobID) is \(job.status.rawValue)") }
            guard job.auction == "sealed" else {
                throw MarketError(.wrongAuction, "job \(jobID) is a Dutch auction: lock it instead of bidding")
            }
            guard now >= job.biddingStart, now < job.bidWindowEnd, now < job.deadline else {
                throw MarketError(.bidWindowClosed, "job \(jobID)'s bid window is \(job.biddingStart) to \(job.bidWindowEnd)")
            }
            guard price >= job.minPrice, price <= job.maxPrice else {
                throw MarketError(.bidOutOfRange, "a bid on job \(jobID) is \(job.minPrice) to \(job.maxPrice) micro-credits")
            }
            let model = try await self.model(job.modelID)
            try self.requireProves(job, worker: worker)
            guard worker.capabilities.admits(model, items: job.batchItems, workFactorPercent: self.workFactorPercent(job.proofMode)) else {
                throw MarketError(.capabilityExceeded, "model \(model.id) is beyond worker \(worker.id)'s declared capabilities")
            }
            let available = try await c.run(BalanceQueries.balanceByAccount, [.uuid(worker.accountID)]).first?.decode("available", as: Int64.self) ?? 0
            guard available >= job.lockStake else {
                throw MarketError(.insufficientBalance, "the available balance does not cover the lock stake of \(job.lockStake)")
            }
            let inserted: PostgresResult
            do {
                inserted = try await c.run(BidQueries.bidInsert, [.uuid(jobID), .uuid(worker.id), .int(Int64(job.attempt)),
                                                                 .text("bid"), .int(price), .timestamp(now)])
            } catch let error as PostgresError where error.sqlState == "23505" {
                throw MarketError(.bidAlreadyPlaced, "worker \(worker.id) already bid in this round of job \(jobID)")
            }
            try await self.record(jobID, "bid_placed", status: .open, detail: ["worker": worker.id.uuidString.lowercased()], at: now, on: c)
            return try Bid(row: inserted.first.orThrow("bid insert returned no row"))
        }
    }

    /// Closes a sealed round whose window has ended (the sweeper calls this on a job it claimed):
    /// the winner is locked at the Vickrey price; with no eligible bid the job's re-auction
    /// policy decides (`endRound`), and without one a new window starts at the same prices.
    func closeBidWindow(_ job: Job, at now: Date, on c: PostgresConnection) async throws -> BidWindowOutcome {
        let bids = try await c.run(BidQueries.bidsForRound, [.uuid(job.id), .int(Int64(job.attempt))]).rows.map(Bid.init(row:))
        var eligible: [(price: Int64, eligible: Bool)] = bids.map { ($0.price, true) }
        // Try winners in order; a bidder that cannot take the lock now (suspended, at its lock
        // limit, short of the stake) is passed over, inside a savepoint so nothing of its try remains.
        while let (index, price) = VickreyAuction.award(eligible, maxPrice: job.maxPrice) {
            let bid = bids[index]
            try await c.query("SAVEPOINT award")
            do {
                let worker = try Worker(row: try await c.run(WorkerQueries.workerByIDForUpdate, [.uuid(bid.workerID)]).first
                    .orThrow("bidder missing"))
                try worker.requireActive(at: now)
                _ = try await takeLock(job, worker: worker, price: price, at: now, on: c)
                try await c.run(BidQueries.bidsSettleRound, [.uuid(job.id), .int(Int64(job.attempt)), .int(bid.id)])
                try await c.query("RELEASE SAVEPOINT award")
                return .awarded
            } catch let error where error is MarketError || (error as? PostgresError)?.isOverdraft == true {
                try await c.query("ROLLBACK TO SAVEPOINT award")
                eligible[index].eligible = false
            }
        }
        try await c.run(BidQueries.bidsSettleRound, [.uuid(job.id), .int(Int64(job.attempt)), .null])
        if let policy = job.reauction {
            return try await endRound(job, policy: policy, at: now, on: c) ? .reauctioned : .expired
        }
        try await c.run(JobQueries.jobRestartBidWindow, [.uuid(job.id), .timestamp(now)])
        try await record(job.id, "bid_window_restarted", status: .open, detail: ["bids": "\(bids.count)"], at: now, on: c)
        return .restarted
    }

    /// How a closed sealed window ended.
    enum BidWindowOutcome {
        /// A winner holds the lock.
        case awarded
        /// No winner and no policy: a new window at the same prices.
        case restarted
        /// No winner: the policy's next round started.
        case reauctioned
        /// No winner in the policy's last round: the job expired.
        case expired
    }
}
