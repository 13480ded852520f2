import Foundation
import Postgres

/// What a client chose, when posting, to happen to a round that ends without a lock: a Dutch
/// ramp that reached its ceiling, or a sealed window that closed without an eligible bid.
///
/// Each of up to `maxRounds` further rounds raises the ceiling by `priceStepBasisPoints`
/// (rounded down, at least one micro-credit when the step is not zero), never above the
/// job's escrowed maximum. A Dutch round ramps from the last round's ceiling up to the new one
/// over the job's `ramp_up_s` (the price never falls); a sealed round opens a new window with
/// the same reserve and the new ceiling. When the last round ends without a lock, the job
/// expires and its escrow goes back. The escrow posted with the job covers the ceiling of the
/// last round, so no round moves money.
public struct ReauctionPolicy: Sendable, Codable, Equatable {
    /// Rounds after the first (0: the job expires when its first round ends without a lock).
    public var maxRounds: Int
    /// How much each round raises the ceiling, in basis points of the last one.
    public var priceStepBasisPoints: Int

    /// The largest step: a round may double the ceiling.
    public static let stepBasisPointsMax = 10_000

    /// Bundles a policy (checked when the job is created).
    public init(maxRounds: Int, priceStepBasisPoints: Int) {
        self.maxRounds = maxRounds
        self.priceStepBasisPoints = priceStepBasisPoints
    }

    /// `price` raised by one step; nil above `limit`.
    public func raised(_ price: Int64, limit: Int64) -> Int64? {
        guard priceStepBasisPoints > 0 else { return price <= limit ? price : nil }
        let step = Swift.max(1, MarketConfiguration.share(price, basisPoints: priceStepBasisPoints))
        let (next, overflow) = price.addingReportingOverflow(step)
        return overflow || next > limit ? nil : next
    }

    /// The ceiling after `rounds` steps from `price`; nil if it would pass `limit`.
    public func ceiling(after rounds: Int, from price: Int64, limit: Int64) -> Int64? {
        var ceiling = price
        for _ in 0..<Swift.max(0, rounds) {
            guard let next = raised(ceiling, limit: limit) else { return nil }
            ceiling = next
        }
        return ceiling <= limit ? ceiling : nil
    }
}

extension Market {
    /// Ends the current round of `job` (claimed by the sweeper, open, its round over without a
    /// lock, before its deadline): starts the next round if its policy has one left, else expires
    /// it and refunds the escrow. Returns whether a round started.
    func endRound(_ job: Job, policy: ReauctionPolicy, at now: Date, on c: PostgresConnection) async throws -> Bool {
        guard job.reauctionRound < policy.maxRounds else {
            // The sweeper holds the row: the guarded update cannot miss but by a bug.
            _ = try await c.run(JobQueries.jobExpireRoundsExhausted, [.uuid(job.id), .timestamp(now)]).first
                .orThrow("a claimed job whose rounds are exhausted did not expire")
            try await record(job.id, "expired", status: .expired, detail: [
                "refund": "\(job.escrow)", "reason": "rounds_exhausted", "rounds": "\(job.reauctionRound)",
            ], at: now, on: c)
            try await Ledger.append([Transfer(from: job.clientAccount, fromBucket: .held, to: job.clientAccount,
                                              amount: job.escrow, kind: .escrowRefund, jobID: job.id, attempt: job.attempt)], on: c)
            return false
        }
        // The escrowed maximum bounds every round, a raised one included.
        let ceiling = policy.raised(job.maxPrice, limit: job.escrowedMaxPrice) ?? job.escrowedMaxPrice
        let floor = job.auction == "dutch" ? job.maxPrice : job.minPrice
        let row = try await c.run(JobQueries.jobStartNextRound, [
            .uuid(job.id), .int(Int64(job.reauctionRound)), .int(floor), .int(ceiling), .timestamp(now),
        ]).first.orThrow("a claimed job's next round did not start")
        let next = try Job(row: row)
        var detail = ["round": "\(next.reauctionRound)", "max_rounds": "\(policy.maxRounds)",
                      "min_price": "\(next.minPrice)", "max_price": "\(next.maxPrice)",
                      "previous_max_price": "\(job.maxPrice)"]
        if next.auction == "dutch" { detail["ramp_up_s"] = "\(next.rampUpSeconds)" } else { detail["bid_window_s"] = "\(next.bidWindowSeconds)" }
        try await record(job.id, "reauctioned", status: .open, detail: detail, at: now, on: c)
        return true
    }

    /// The client raises the maximum of its open job to `maxPrice` (lowering is refused; the
    /// same maximum again changes nothing). The escrowed maximum becomes the larger of the old
    /// one and `maxPrice` raised by the policy's remaining rounds, and the escrow grows to cover
    /// it plus the fee, from the client's available balance, in the same transaction (a ledger
    /// entry `escrow_hold` referenced `raise/<job>/<escrowed maximum>`). The current round goes
    /// on at the new ceiling: a Dutch price jumps to its place on the raised ramp.
    public func raiseMaxPrice(_ id: UUID, to maxPrice: Int64, by principal: Principal,
                              idempotencyKey: String? = nil) async throws -> Job {
        try principal.require(.client)
        guard maxPrice > 0, maxPrice <= configuration.amountMicrosMax else {
            throw MarketError(.invalidTerms, "max_price must be 1 to \(configuration.amountMicrosMax) micro-credits")
        }
        struct Request: Encodable { let op = "raise_max_price"; let job: UUID; let maxPrice: Int64 }
        let now = clock.now()
        return try await idempotent(account: principal.accountID, key: idempotencyKey,
                                    request: Request(job: id, maxPrice: maxPrice),
                                    paying: "the escrow of the raised max_price") { c in
            guard let row = try await c.run(JobQueries.jobByIDForUpdate, [.uuid(id)]).first else {
                throw MarketError(.unknownJob, "no job \(id)")
            }
            let job = try Job(row: row)
            guard job.clientAccount == principal.accountID else { throw MarketError(.unknownJob, "no job \(id)") }
            guard job.status == .open else {
                throw MarketError(.jobNotOpen, "job \(id) is \(job.status.rawValue); only an open job's maximum can be raised")
            }
            if maxPrice == job.maxPrice { return job }
            guard maxPrice > job.maxPrice else {
                throw MarketError(.invalidTerms, "max_price can only be raised: job \(id)'s is \(job.maxPrice), not above \(maxPrice)")
            }
            let remaining = (job.reauction?.maxRounds ?? 0) - job.reauctionRound
            guard let reach = job.reauction.map({ $0.ceiling(after: remaining, from: maxPrice, limit: self.configuration.amountMicrosMax) })
                    ?? maxPrice else {
                throw MarketError(.invalidTerms, "the job's remaining \(remaining) reauction rounds would raise max_price \(maxPrice) "
                                  + "past \(self.configuration.amountMicrosMax) micro-credits")
            }
            let escrowedMax = Swift.max(job.escrowedMaxPrice, reach)
            let escrow = escrowedMax + MarketConfiguration.share(escrowedMax, basisPoints: job.feeBasisPoints)
            guard let raisedRow = try await c.run(JobQueries.jobRaiseMaxPrice, [
                .uuid(id), .int(job.escrow), .int(maxPrice), .int(escrowedMax), .int(escrow), .timestamp(now),
            ]).first else {
                throw MarketError(.jobNotOpen, "job \(id) changed while its maximum was being raised")
            }
            try await self.record(id, "max_price_raised", status: .open, detail: [
                "max_price": "\(maxPrice)", "previous_max_price": "\(job.maxPrice)",
                "escrowed_max_price": "\(escrowedMax)", "escrow": "\(escrow)", "escrow_added": "\(escrow - job.escrow)",
            ], at: now, on: c)
            try await Ledger.append([Transfer(from: job.clientAccount, to: job.clientAccount, toBucket: .held,
                                              amount: escrow - job.escrow, kind: .escrowHold, jobID: id, attempt: job.attempt,
                                              reference: "raise/\(id.uuidString.lowercased())/\(escrowedMax)")], on: c)
            return try Job(row: raisedRow)
        }
    }
}
