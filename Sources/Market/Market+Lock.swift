import Foundation
import Postgres

/// A lock a worker holds: what to prove, and until when.
public struct LockGrant: Sendable, Codable, Equatable {
    /// The job.
    public let jobID: UUID
    /// The worker holding the lock.
    public let workerID: UUID
    /// The lock round (a proof is bound to it through the nonce).
    public let attempt: Int
    /// What a valid proof will be paid (before the fee).
    public let price: Int64
    /// The stake held.
    public let stake: Int64
    /// The lock expires then (never after the deadline).
    public let expiresAt: Date
    /// Binds the proof to this lock: pass it to the prover's binding context.
    public let nonce: String
    /// The model to run.
    public let modelID: String
    /// The input to run it on.
    public let input: Tensor
    /// What the job does with values the model's scales cannot hold (a worker whose run
    /// clamps a `refuse` job releases it rather than prove).
    public let clampPolicy: ClampPolicy
    /// The proof mode to prove in; a private job's material is read with `Market.privateMaterial`.
    public var proofMode: ProvingMode = .public
    /// `input` in its wire form, when the job's row keeps it so (`Job.inputWireJSON`).
    public var inputWireJSON: String? = nil
    /// Whether to prove with the input hidden and submit its opening with the proof
    /// (`Market+HiddenInput.swift`).
    public var hideInput: Bool = false
}

extension Market {
    /// Locks an open Dutch job at its current price, holding the stake from the worker's
    /// available balance. Of any number of concurrent lockers exactly one wins; the others get
    /// `job_not_open`.
    public func lock(_ jobID: UUID, by principal: Principal, worker workerID: UUID) async throws -> LockGrant {
        let now = clock.now()
        try principal.require(.worker)
        return try await transaction(paying: "the lock stake") { c in
            // The worker's row (locked: its locks are counted one transaction at a time), the job
            // and the worker's lock count depend only on the request: one round trip for all three.
            let reads = try await c.query([
                PostgresStatement(WorkerQueries.workerByIDForUpdate.sql, [.uuid(workerID)]),
                PostgresStatement(JobQueries.jobByID.sql, [.uuid(jobID)]),
                PostgresStatement(JobQueries.jobCountLocksByWorker.sql, [.uuid(workerID)]),
            ])
            let worker = try self.ownedActiveWorker(reads[0].first, id: workerID, of: principal, at: now)
            guard let row = reads[1].first else {
                throw MarketError(.unknownJob, "no job \(jobID)")
            }
            let job = try Job(row: row)
            // The holder asking again (a sealed winner claiming its award, or a retry after a
            // lost answer) gets its lock back unchanged: locking is idempotent for the holder.
            if job.status == .locked, job.lockedBy == worker.id, let price = job.lockPrice, let expiresAt = job.lockExpiresAt,
               let nonce = job.nonce {
                guard now < expiresAt else { throw MarketError(.lockExpired, "the lock on job \(jobID) has expired") }
                return LockGrant(jobID: job.id, workerID: worker.id, attempt: job.attempt, price: price, stake: job.lockStake,
                                 expiresAt: expiresAt, nonce: nonce, modelID: job.modelID, input: job.input, clampPolicy: job.clampPolicy,
                                 proofMode: job.proofMode, inputWireJSON: job.inputWireJSON, hideInput: job.hideInput)
            }
            guard job.status == .open else { throw MarketError(.jobNotOpen, "job \(jobID) is \(job.status.rawValue)") }
            guard job.auction == "dutch" else {
                // A sealed job is awarded by the sweeper once its window closes; until then a
                // claim is early, not wrong, and is worth repeating.
                if now >= job.bidWindowEnd {
                    throw MarketError(.awardPending, "job \(jobID)'s bid window has closed and its award is not made yet: ask again shortly")
                }
                throw MarketError(.wrongAuction, "job \(jobID) is a sealed-bid auction: bid instead of locking")
            }
            guard now < job.deadline else { throw MarketError(.deadlinePassed, "job \(jobID)'s deadline has passed") }
            guard let price = job.currentPrice(at: now) else {
                throw MarketError(.biddingNotStarted, "bidding on job \(jobID) starts at \(job.biddingStart)")
            }
            let held = try reads[2].first?.decode("n", as: Int.self) ?? 0
            return try await self.takeLock(job, worker: worker, price: price, at: now, on: c, locksHeld: held, commit: true)
        }
    }

    /// The common part of a Dutch lock and a sealed award: check the worker's limits, move the
    /// job to `locked` with a guarded update, record it, hold the stake (last, see `Ledger.append`;
    /// with `commit`, the bid, the event, the stake and COMMIT go in one round trip).
    /// `locksHeld` is the worker's lock count if the caller read it already (with the worker's
    /// row locked), else it is read here.
    func takeLock(_ job: Job, worker: Worker, price: Int64, at now: Date, on c: PostgresConnection,
                  locksHeld: Int? = nil, commit: Bool = false) async throws -> LockGrant {
        let model = try await self.model(job.modelID)
        try requireProves(job, worker: worker)
        guard worker.capabilities.admits(model, items: job.batchItems, workFactorPercent: workFactorPercent(job.proofMode)) else {
            throw MarketError(.capabilityExceeded, "model \(model.id) is beyond worker \(worker.id)'s declared capabilities")
        }
        let held: Int
        if let locksHeld {
            held = locksHeld
        } else {
            held = try await c.run(JobQueries.jobCountLocksByWorker, [.uuid(worker.id)]).first?.decode("n", as: Int.self) ?? 0
        }
        guard held < configuration.locksPerWorkerMax else {
            throw MarketError(.tooManyLocks, "worker \(worker.id) holds \(held) locks; at most \(configuration.locksPerWorkerMax) are allowed")
        }
        let expiresAt = min(now.addingTimeInterval(Double(job.lockTimeoutSeconds)), job.deadline)
        let nonce = Crypto.hex(Crypto.randomBytes(16))
        // The guarded update, then what it entails, in one pipeline: a lost race fails the
        // update on the server and nothing after it runs.
        let attempt = job.attempt + 1
        let update = PostgresStatement(JobQueries.jobLockIfOpen.sql, [
            .uuid(job.id), .uuid(worker.id), .int(price), .timestamp(expiresAt), .text(nonce), .timestamp(now),
            .int(Int64(job.attempt)),
        ])
        let bid = PostgresStatement(BidQueries.bidInsert.sql, [.uuid(job.id), .uuid(worker.id), .int(Int64(attempt)),
                                                               .text("lock"), .int(price), .timestamp(now)])
        let event = try recording(job.id, "locked", status: .locked, detail: [
            "worker": worker.id.uuidString.lowercased(), "price": "\(price)", "attempt": "\(attempt)",
            "expires_at": "\(expiresAt.timeIntervalSince1970)",
        ], at: now)
        let stake = Transfer(from: worker.accountID, to: worker.accountID, toBucket: .held,
                             amount: job.lockStake, kind: .stakeHold, jobID: job.id, attempt: attempt)
        do {
            try await Ledger.write([update, bid, event], [stake], on: c, commit: commit)
        } catch let error as PostgresError where error.isLostRace {
            throw MarketError(.jobNotOpen, "job \(job.id) was locked by another worker first")
        }
        return LockGrant(jobID: job.id, workerID: worker.id, attempt: attempt, price: price, stake: job.lockStake,
                         expiresAt: expiresAt, nonce: nonce, modelID: job.modelID, input: job.input, clampPolicy: job.clampPolicy,
                         proofMode: job.proofMode, inputWireJSON: job.inputWireJSON, hideInput: job.hideInput)
    }

    /// The lock holder gives the lock up before it expires. A release costs
    /// `releasePenaltyBasisPoints` of the stake (split like a slash), less than an expiry's
    /// whole stake; the rest returns, and the job reopens.
    public func release(_ jobID: UUID, by principal: Principal, worker workerID: UUID) async throws -> Job {
        let now = clock.now()
        return try await transaction { c in
            let worker = try await self.lockWorkerAllowingSuspended(workerID, of: principal, on: c)
            let job = try await self.heldJob(jobID, worker: worker.id, at: now, on: c)
            let penalty = MarketConfiguration.share(job.lockStake, basisPoints: self.configuration.releasePenaltyBasisPoints)
            let toClient = MarketConfiguration.share(penalty, basisPoints: self.configuration.slashToClientBasisPoints)
            guard let row = try await c.run(JobQueries.jobReopenIfLocked,
                                            [.uuid(jobID), .int(Int64(job.attempt)), .timestamp(now)]).first else {
                throw MarketError(.jobNotLocked, "job \(jobID) is no longer locked")
            }
            try await c.run(BidQueries.bidSetLockOutcome, [.uuid(jobID), .int(Int64(job.attempt)), .text("released")])
            try await c.run(WorkerQueries.workerRecordReleased, [.uuid(worker.id)])
            try await self.record(jobID, "released", status: .open,
                                  detail: ["worker": worker.id.uuidString.lowercased(), "penalty": "\(penalty)"], at: now, on: c)
            try await self.slash(job, worker: worker.accountID, amount: penalty, toClient: toClient, release: job.lockStake - penalty, on: c)
            return try Job(row: row)
        }
    }

    /// Moves a stake out of `held`: `amount` slashed (`toClient` of it to the client, the rest to
    /// `platform_slashed`) and `release` back to the worker's available balance.
    func slash(_ job: Job, worker account: UUID, amount: Int64, toClient: Int64, release: Int64,
               on c: PostgresConnection) async throws {
        try await Ledger.append([
            Transfer(from: account, fromBucket: .held, to: account, amount: release, kind: .stakeRelease,
                     jobID: job.id, attempt: job.attempt),
            Transfer(from: account, fromBucket: .held, to: job.clientAccount, amount: toClient, kind: .slashToClient,
                     jobID: job.id, attempt: job.attempt),
            Transfer(from: account, fromBucket: .held, to: platform.slashed, amount: amount - toClient,
                     kind: .slashToPlatform, jobID: job.id, attempt: job.attempt),
        ], on: c)
    }

    /// The job, locked for update, if `worker` holds its lock and the lock has not run out.
    func heldJob(_ jobID: UUID, worker: UUID, at now: Date, on c: PostgresConnection) async throws -> Job {
        guard let row = try await c.run(JobQueries.jobByIDForUpdate, [.uuid(jobID)]).first else {
            throw MarketError(.unknownJob, "no job \(jobID)")
        }
        let job = try Job(row: row)
        guard job.status == .locked else { throw MarketError(.jobNotLocked, "job \(jobID) is \(job.status.rawValue)") }
        guard job.lockedBy == worker else { throw MarketError(.notLockHolder, "worker \(worker) does not hold job \(jobID)'s lock") }
        guard let expiry = job.lockExpiresAt, expiry > now else {
            throw MarketError(.lockExpired, "the lock on job \(jobID) expired at \(job.lockExpiresAt.map { "\($0)" } ?? "?")")
        }
        return job
    }

    /// Like `lockWorker`, but a suspended worker may still release or prove what it holds.
    func lockWorkerAllowingSuspended(_ id: UUID, of principal: Principal, on c: PostgresConnection) async throws -> Worker {
        try principal.require(.worker)
        guard let row = try await c.run(WorkerQueries.workerByIDForUpdate, [.uuid(id)]).first else {
            throw MarketError(.unknownWorker, "no worker \(id)")
        }
        let worker = try Worker(row: row)
        guard worker.accountID == principal.accountID else { throw MarketError(.unknownWorker, "no worker \(id)") }
        return worker
    }
}
