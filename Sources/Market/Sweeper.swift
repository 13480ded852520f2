import Foundation
import Logging
import Postgres

/// What one sweep did.
public struct SweepReport: Sendable, Equatable, Codable {
    /// Locks found expired and slashed.
    public var locksExpired = 0
    /// Jobs reopened after a slashed lock.
    public var jobsReopened = 0
    /// Jobs expired past their deadline (escrow refunded).
    public var jobsExpired = 0
    /// Sealed rounds closed with a winner.
    public var auctionsAwarded = 0
    /// Sealed rounds closed without one, for jobs without a re-auction policy (a new window started).
    public var auctionsRestarted = 0
    /// Rounds that ended without a lock and started the next round of the job's re-auction policy.
    public var roundsStarted = 0
    /// Jobs expired because the last round of their re-auction policy ended without a lock.
    public var roundsExhausted = 0
    /// Model imports found cut off (still `processing` past `modelImportStaleSeconds`) and failed.
    public var modelImportsFailed = 0

    /// An empty report.
    public init() {}

    /// Whether the sweep changed nothing.
    public var isEmpty: Bool { self == SweepReport() }
}

/// The background service that keeps jobs moving when nobody acts: expired locks are
/// slashed and their jobs reopened (or expired past the deadline), overdue open jobs expire
/// with their escrow refunded, sealed bid windows that closed are awarded, rounds that ended
/// without a lock are re-auctioned by their job's policy (or expire it), and model imports
/// cut off by a stopped coordinator are marked failed (a new upload retries them). Between sweeps
/// it seals the ledger entries of finished transactions into the hash chain.
///
/// Every replica runs one. Each job is claimed in its own transaction with
/// `FOR UPDATE SKIP LOCKED`, so two sweepers never handle the same job and never wait for
/// each other. Tests call `runOnce()` directly instead of sleeping.
public final class Sweeper: Sendable {
    /// The market swept.
    public let market: Market
    /// The pause between sweeps in `run()`.
    public let intervalSeconds: Double

    /// Creates a sweeper.
    public init(market: Market, intervalSeconds: Double = 1) {
        self.market = market
        self.intervalSeconds = intervalSeconds
    }

    /// Sweeps until the task is cancelled; errors are logged and the next sweep tries again.
    public func run() async {
        while !Task.isCancelled {
            do {
                _ = try await runOnce()
            } catch {
                market.logger.error("sweep failed", metadata: ["error": "\(error)"])
            }
            do {
                try await market.sealLedger()
            } catch {
                market.logger.error("sealing the ledger failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(nanoseconds: UInt64(intervalSeconds * 1_000_000_000))
        }
    }

    /// One pass over each kind of work, at most `sweepBatchMax` jobs per kind.
    public func runOnce() async throws -> SweepReport {
        var report = SweepReport()
        let batch = market.configuration.sweepBatchMax
        for _ in 0..<batch {
            guard let reopened = try await expireOneLock() else { break }
            report.locksExpired += 1
            if reopened { report.jobsReopened += 1 } else { report.jobsExpired += 1 }
        }
        for _ in 0..<batch {
            guard try await expireOneOverdue() else { break }
            report.jobsExpired += 1
        }
        for _ in 0..<batch {
            guard let outcome = try await closeOneBidWindow() else { break }
            switch outcome {
            case .awarded: report.auctionsAwarded += 1
            case .restarted: report.auctionsRestarted += 1
            case .reauctioned: report.roundsStarted += 1
            case .expired: report.roundsExhausted += 1
            }
        }
        for _ in 0..<batch {
            guard let started = try await endOneDutchRound() else { break }
            if started { report.roundsStarted += 1 } else { report.roundsExhausted += 1 }
        }
        report.modelImportsFailed = try await failStaleImports(batch)
        return report
    }

    /// The reason a cut-off import's model carries.
    public static let staleImportFailure = "import_interrupted: the import did not finish (its coordinator stopped); "
        + "upload the file again to import it"

    /// Fails up to `batch` models whose import was cut off; returns how many.
    private func failStaleImports(_ batch: Int) async throws -> Int {
        let m = market
        let now = m.clock.now()
        let since = now.addingTimeInterval(-Double(m.configuration.modelImportStaleSeconds))
        return try await m.pool.query(ModelQueries.modelFailStaleImports.sql, [
            .timestamp(since), .timestamp(now), .text(Self.staleImportFailure), .int(Int64(batch)),
        ]).rows.count
    }

    /// Slashes one expired lock. Returns nil if none was found, else whether the job reopened.
    private func expireOneLock() async throws -> Bool? {
        let m = market
        let now = m.clock.now()
        // A lock whose proof arrived in time waits for its verification, up to the grace period.
        let graceStart = now.addingTimeInterval(-Double(m.configuration.proofVerifyGraceSeconds))
        return try await m.transaction { c -> Bool? in
            guard let row = try await c.run(JobQueries.jobClaimExpiredLock, [.timestamp(now), .timestamp(graceStart)]).first else {
                return nil
            }
            let job = try Job(row: row)
            let workerID = try job.lockedBy.orThrow("a locked job without a worker")
            let worker = try Worker(row: try await c.run(WorkerQueries.workerByID, [.uuid(workerID)]).first.orThrow("worker missing"))
            let suspendUntil = now.addingTimeInterval(Double(m.configuration.breakerSuspensionSeconds))
            let suspended = try await c.run(WorkerQueries.workerRecordSlashed, [
                .uuid(workerID), .int(Int64(m.configuration.breakerSlashesInARowMax)), .timestamp(suspendUntil),
            ]).first?.decode("suspended_until", as: Date?.self)
            try await c.run(BidQueries.bidSetLockOutcome, [.uuid(job.id), .int(Int64(job.attempt)), .text("expired")])
            let toClient = MarketConfiguration.share(job.lockStake, basisPoints: m.configuration.slashToClientBasisPoints)
            var detail = ["worker": workerID.uuidString.lowercased(), "slashed": "\(job.lockStake)"]
            if let suspended, suspended == suspendUntil { detail["suspended_until"] = "\(suspended.timeIntervalSince1970)" }
            let reopen = now < job.deadline
            if reopen {
                try await c.run(JobQueries.jobReopenIfLocked, [.uuid(job.id), .int(Int64(job.attempt)), .timestamp(now)])
                try await m.record(job.id, "lock_expired", status: .open, detail: detail, at: now, on: c)
            } else {
                try await c.run(JobQueries.jobExpire, [.uuid(job.id), .text("locked"), .timestamp(now)])
                try await m.record(job.id, "lock_expired", status: .locked, detail: detail, at: now, on: c)
                try await m.record(job.id, "expired", status: .expired, detail: ["refund": "\(job.escrow)", "reason": "deadline"], at: now, on: c)
            }
            try await m.slash(job, worker: worker.accountID, amount: job.lockStake, toClient: toClient, release: 0, on: c)
            if !reopen {
                try await Ledger.append([Transfer(from: job.clientAccount, fromBucket: .held, to: job.clientAccount,
                                                  amount: job.escrow, kind: .escrowRefund, jobID: job.id, attempt: job.attempt)], on: c)
            }
            return reopen
        }
    }

    /// Expires one open job past its deadline and refunds its escrow. Returns whether one was found.
    private func expireOneOverdue() async throws -> Bool {
        let m = market
        let now = m.clock.now()
        return try await m.transaction { c in
            guard let row = try await c.run(JobQueries.jobClaimOverdueOpen, [.timestamp(now)]).first else { return false }
            let job = try Job(row: row)
            try await c.run(JobQueries.jobExpire, [.uuid(job.id), .text("open"), .timestamp(now)])
            try await c.run(BidQueries.bidsSettleRound, [.uuid(job.id), .int(Int64(job.attempt)), .null])
            try await m.record(job.id, "expired", status: .expired, detail: ["refund": "\(job.escrow)", "reason": "deadline"], at: now, on: c)
            try await Ledger.append([Transfer(from: job.clientAccount, fromBucket: .held, to: job.clientAccount,
                                              amount: job.escrow, kind: .escrowRefund, jobID: job.id, attempt: job.attempt)], on: c)
            return true
        }
    }

    /// Ends one Dutch round whose ramp has ended without a lock, for a job with a re-auction
    /// policy. Returns nil if none was found, else whether the next round started (or the job expired).
    private func endOneDutchRound() async throws -> Bool? {
        let m = market
        let now = m.clock.now()
        return try await m.transaction { c -> Bool? in
            guard let row = try await c.run(JobQueries.jobClaimEndedDutchRound, [.timestamp(now)]).first else { return nil }
            let job = try Job(row: row)
            let policy = try job.reauction.orThrow("a claimed round without a policy")
            return try await m.endRound(job, policy: policy, at: now, on: c)
        }
    }

    /// Closes one sealed window that has ended. Returns nil if none was found, else how it ended.
    private func closeOneBidWindow() async throws -> Market.BidWindowOutcome? {
        let m = market
        let now = m.clock.now()
        return try await m.transaction { c -> Market.BidWindowOutcome? in
            guard let row = try await c.run(JobQueries.jobClaimClosedBidWindow, [.timestamp(now)]).first else { return nil }
            return try await m.closeBidWindow(try Job(row: row), at: now, on: c)
        }
    }
}
