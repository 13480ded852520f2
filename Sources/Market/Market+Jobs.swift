import Foundation
import Postgres

/// What a client posts.
public struct JobRequest: Sendable, Codable, Equatable {
    /// The model to run.
    public var modelID: String
    /// The input tensor, of the model's input shape; or a batch, of shape `[B] + inputShape[1...]`
    /// (see `Market+Batch.swift`). Not read when `inputs` is given.
    public var input: Tensor
    /// A batch given item by item (each of the model's input shape), or nil.
    public var inputs: [Tensor]? = nil
    /// The auction and lock terms.
    public var terms: JobTerms
    /// Where to POST each transition (signed with HMAC-SHA-256), if anywhere.
    public var webhookURL: String?
    /// What to do with values the model's scales cannot hold (nil: `allow`).
    public var clampPolicy: ClampPolicy?
    /// The proof mode (nil: `public`); see `Market+PrivateMode.swift`.
    public var proofMode: ProvingMode? = nil
    /// Whether the proof hides the input behind a commitment (nil: no); private jobs only,
    /// see `Market+HiddenInput.swift`.
    public var hideInput: Bool? = nil

    /// Bundles a request.
    public init(modelID: String, input: Tensor, terms: JobTerms, webhookURL: String? = nil, clampPolicy: ClampPolicy? = nil) {
        self.modelID = modelID
        self.input = input
        self.terms = terms
        self.webhookURL = webhookURL
        self.clampPolicy = clampPolicy
    }
}

/// A page of jobs.
public struct JobPage: Sendable, Codable {
    /// The jobs, newest first.
    public let jobs: [Job]
    /// Pass to the next call for the next page; nil at the end.
    public let nextCursor: JobCursor?
}

/// A position in a job list (keyset pagination on creation time and id).
public struct JobCursor: Sendable, Codable, Equatable {
    /// Creation time of the last job seen.
    public let createdAt: Date
    /// Id of the last job seen.
    public let id: UUID

    /// Opaque text form, for URLs: `<microseconds>_<uuid>`.
    public var token: String { "\(Int64((createdAt.timeIntervalSince1970 * 1_000_000).rounded()))_\(id.uuidString.lowercased())" }

    /// Parses `token`; nil if malformed.
    public init?(token: String) {
        let parts = token.split(separator: "_")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        self.createdAt = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
        self.id = id
    }

    init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }
}

/// An open job as a worker sees it in the market.
public struct MarketJob: Sendable, Codable {
    /// The job (its input is only given to the lock holder; here it is withheld).
    public let id: UUID
    /// The model.
    public let modelID: String
    /// `dutch` or `sealed`.
    public let auction: String
    /// What locking now would pay (Dutch) or the maximum (sealed); nil before bidding starts.
    public let currentPrice: Int64?
    /// The maximum price.
    public let maxPrice: Int64
    /// The stake a lock holds.
    public let lockStake: Int64
    /// Lock length.
    public let lockTimeoutSeconds: Int
    /// The deadline.
    public let deadline: Date
    /// Sealed only: when the bid window closes.
    public let bidWindowEnd: Date?
    /// Dutch only: the price's ramp, from `minPrice` at `biddingStart` up to `maxPrice`
    /// `rampUpSeconds` later, so a worker can tell when the price will reach its floor.
    public let minPrice: Int64?
    /// Dutch only: when the price starts at `minPrice`.
    public let biddingStart: Date?
    /// Dutch only: how long the price takes to rise to `maxPrice`.
    public let rampUpSeconds: Int?
    /// Inputs in the job (1, or a batch's size): its work is the model's times this.
    public let batchItems: Int
    /// The proof mode the job asks for: a worker that does not prove it cannot lock it.
    public var proofMode: ProvingMode = .public
}

extension MarketJob {
    /// A row of `JobListOpen` (an open job: its current price is the Dutch curve's value or the
    /// sealed maximum once bidding has started).
    init(row: PostgresRow, now: Date) throws {
        id = try row.decode("id")
        modelID = try row.decode("model_id")
        auction = try row.decode("auction")
        maxPrice = try row.decode("max_price")
        lockStake = try row.decode("lock_stake")
        lockTimeoutSeconds = try row.decode("lock_timeout_s")
        deadline = try row.decode("deadline")
        batchItems = try row.decode("batch_items")
        proofMode = try ProvingMode(rawValue: row.decode("proof_mode")).orThrow("unknown proof mode")
        let start: Date = try row.decode("bidding_start")
        let low: Int64 = try row.decode("min_price")
        let ramp: Int = try row.decode("ramp_up_s")
        if auction == "dutch" {
            currentPrice = DutchPrice.at(now, minPrice: low, maxPrice: maxPrice, biddingStart: start, rampUpSeconds: ramp)
            bidWindowEnd = nil
            (minPrice, biddingStart, rampUpSeconds) = (low, start, ramp)
        } else {
            currentPrice = now >= start ? maxPrice : nil
            bidWindowEnd = start.addingTimeInterval(Double(try row.decode("bid_window_s", as: Int.self)))
            (minPrice, biddingStart, rampUpSeconds) = (nil, nil, nil)
        }
    }
}

extension Market {
    /// Creates a job and moves its escrowed maximum (`maxPrice`, raised by every round of its
    /// re-auction policy if it has one) plus the fee on it from the client's available balance to escrow,
    /// in one transaction. With `idempotencyKey`, a repeat returns the first job and holds nothing twice.
    public func createJob(by principal: Principal, _ request: JobRequest, idempotencyKey: String? = nil) async throws -> Job {
        try principal.require(.client)
        let now = clock.now()
        let terms = try request.terms.resolve(now: now, configuration: configuration)
        let model = try await model(request.modelID)
        guard model.status == .ready, let inputShape = model.inputShape else {
            throw MarketError(.modelNotReady, "model \(model.id) is \(model.status.rawValue)\(model.failure.map { ": \($0)" } ?? "")")
        }
        let (batch, items) = try batchInput(request, model: model, inputShape: inputShape)
        try InferenceInputCheck.validateTokenIDs(batch, commitment: model.commitment)
        let clampPolicy = request.clampPolicy ?? .allow
        let proofMode = request.proofMode ?? .public
        let hideInput = request.hideInput ?? false
        if proofMode == .private {
            try await requirePrivateReady(model, items: items, hideInput: hideInput, clampPolicy: clampPolicy)
        }
        if hideInput { try requireHidableInput(model, items: items, proofMode: proofMode) }
        if clampPolicy == .refuse {
            let (clamped, range) = try InputClamps.count(batch, commitment: model.commitment ?? [], modelID: model.id)
            guard clamped == 0 else {
                throw MarketError(.inputClamped, "\(clamped) of the input's \(batch.values.count) values lie outside the model's input range \(range) and would be clamped; the job asks to refuse clamped inputs (clamp_policy refuse)", reason: "\(clamped)")
            }
        }
        if let url = request.webhookURL { try Webhooks.validate(url, privateAddressesAllowed: configuration.webhookPrivateAddressesAllowed) }
        let fee = MarketConfiguration.share(terms.escrowedMaxPrice, basisPoints: configuration.feeBasisPoints)
        let escrow = terms.escrowedMaxPrice + fee
        let policy = request.terms.reauction
        let input = try batch.wireJSON()
        return try await idempotent(account: principal.accountID, key: idempotencyKey, request: request,
                                    paying: "the escrow of \(escrow) micro-credits (the escrowed maximum price + fee)") { c in
            // The id is chosen here, so the event and the escrow can go with the insert.
            let jobID = UUID()
            let insert = PostgresStatement(JobQueries.jobInsert.sql, [
                .uuid(principal.accountID), .text(model.id), .text(input), .text(terms.auction),
                .int(terms.minPrice), .int(terms.maxPrice), .timestamp(terms.biddingStart),
                .int(Int64(terms.rampUpSeconds)), .int(Int64(terms.bidWindowSeconds)),
                .int(Int64(request.terms.lockTimeoutSeconds)), .int(request.terms.lockStake),
                .int(Int64(self.configuration.feeBasisPoints)), .int(escrow), .timestamp(terms.deadline), .timestamp(now),
                .int(terms.escrowedMaxPrice), policy.map { .int(Int64($0.maxRounds)) } ?? .null,
                policy.map { .int(Int64($0.priceStepBasisPoints)) } ?? .null, .text(clampPolicy.rawValue), .int(Int64(items)),
                .uuid(jobID), .text(proofMode.rawValue), .bool(hideInput),
            ])
            var detail = ["escrow": "\(escrow)", "auction": terms.auction]
            if proofMode != .public { detail["proof_mode"] = proofMode.rawValue }
            if hideInput { detail["hide_input"] = "true" }
            if items > 1 { detail["batch_items"] = "\(items)" }
            if clampPolicy != .allow { detail["clamp_policy"] = clampPolicy.rawValue }
            if let policy {
                detail["reauction_max_rounds"] = "\(policy.maxRounds)"
                detail["reauction_price_step_bps"] = "\(policy.priceStepBasisPoints)"
                detail["escrowed_max_price"] = "\(terms.escrowedMaxPrice)"
            }
            let created = try self.recording(jobID, "created", status: .open, detail: detail, at: now)
            let hold = Transfer(from: principal.accountID, to: principal.accountID, toBucket: .held,
                                amount: escrow, kind: .escrowHold, jobID: jobID, attempt: 0)
            guard let url = request.webhookURL else {
                // Without a key nothing follows: the insert, the event, the escrow and COMMIT go
                // in one round trip.
                let written = try await Ledger.write(results: [insert, created], [hold], on: c, commit: idempotencyKey == nil)
                return try Job(row: written[0].first.orThrow("job insert returned no row"))
            }
            _ = try await c.query(insert.sql, insert.parameters).first.orThrow("job insert returned no row")
            let secret = try await self.attachWebhook(jobID, url: url, on: c)
            var job = try Job(row: try await c.run(JobQueries.jobByID, [.uuid(jobID)]).first.orThrow("job vanished"))
            job.webhookSecret = secret
            try await Ledger.write([created], [hold], on: c, commit: idempotencyKey == nil)
            return job
        }
    }

    /// A job: its client, an admin, or the worker that holds or held its lock may read it.
    public func job(_ id: UUID, by principal: Principal) async throws -> Job {
        guard let row = try await pool.query(JobQueries.jobByID.sql, [.uuid(id)]).first else {
            throw MarketError(.unknownJob, "no job \(id)")
        }
        let job = try Job(row: row)
        try await requireVisible(job, to: principal)
        return job
    }

    /// A job's timeline, oldest first.
    public func events(of id: UUID, by principal: Principal) async throws -> [JobEvent] {
        _ = try await job(id, by: principal)
        return try await pool.query(JobEventQueries.jobEventsByJob.sql, [.uuid(id)]).rows.map(JobEvent.init(row:))
    }

    /// A job's input, for the worker holding its lock only.
    public func input(of id: UUID, by principal: Principal, worker workerID: UUID) async throws -> Tensor {
        try principal.require(.worker)
        let worker = try await worker(workerID, by: principal)
        guard let row = try await pool.query(JobQueries.jobByID.sql, [.uuid(id)]).first else {
            throw MarketError(.unknownJob, "no job \(id)")
        }
        let job = try Job(row: row)
        guard job.status == .locked, job.lockedBy == worker.id else {
            throw MarketError(.notLockHolder, "only the worker holding the lock of job \(id) may read its input")
        }
        return job.input
    }

    /// A client's jobs (an admin's: everyone's), newest first, optionally of one status.
    public func jobs(by principal: Principal, status: JobStatus? = nil, after cursor: JobCursor? = nil,
                     limit: Int = 50) async throws -> JobPage {
        try principal.require(.client, .admin)
        let limit = max(1, min(limit, configuration.pageItemsMax))
        let rows = try await pool.query(JobQueries.jobList.sql, [
            principal.role == .admin ? .null : .uuid(principal.accountID),
            status.map { .text($0.rawValue) } ?? .null,
            cursor.map { .timestamp($0.createdAt) } ?? .null, cursor.map { .uuid($0.id) } ?? .null,
            .int(Int64(limit) + 1), .int(Int64(configuration.jobPageInputBytesMax)),
        ]).rows
        let jobs = try rows.prefix(limit).map(Job.init(row:))
        // One row past the limit, or rows the input budget left out: there is a next page.
        let limited = try rows.first?.decode("page_rows", as: Int.self) ?? 0
        let next = rows.count > limit || rows.count < limited ? jobs.last.map { JobCursor(createdAt: $0.createdAt, id: $0.id) } : nil
        return JobPage(jobs: jobs, nextCursor: next)
    }

    /// Open jobs with their current price, oldest first (for workers).
    public func openJobs(by principal: Principal, limit: Int = 100) async throws -> [MarketJob] {
        try principal.require(.worker, .admin)
        let now = clock.now()
        let limit = max(1, min(limit, configuration.pageItemsMax))
        return try await pool.query(JobQueries.jobListOpen.sql, [.timestamp(now), .int(Int64(limit))]).rows.map { row in
            try MarketJob(row: row, now: now)
        }
    }

    /// The client cancels an open job; the whole escrow goes back to its available balance.
    public func cancel(_ id: UUID, by principal: Principal) async throws -> Job {
        try principal.require(.client)
        let now = clock.now()
        return try await transaction { c in
            guard let row = try await c.run(JobQueries.jobCancelIfOpen, [.uuid(id), .uuid(principal.accountID), .timestamp(now)]).first else {
                let current = try await c.run(JobQueries.jobByID, [.uuid(id)]).first.map(Job.init(row:))
                guard let current, current.clientAccount == principal.accountID else {
                    throw MarketError(.unknownJob, "no job \(id)")
                }
                throw MarketError(.jobNotOpen, "job \(id) is \(current.status.rawValue); only an open job can be cancelled")
            }
            let job = try Job(row: row)
            try await c.run(BidQueries.bidsSettleRound, [.uuid(id), .int(Int64(job.attempt)), .null])
            try await self.record(id, "cancelled", status: .cancelled, detail: ["refund": "\(job.escrow)"], at: now, on: c)
            try await Ledger.append([Transfer(from: job.clientAccount, fromBucket: .held, to: job.clientAccount,
                                              amount: job.escrow, kind: .escrowRefund, jobID: id, attempt: job.attempt)], on: c)
            return job
        }
    }

    func requireVisible(_ job: Job, to principal: Principal) async throws {
        switch principal.role {
        case .admin: return
        case .client where job.clientAccount == principal.accountID: return
        case .worker:
            if let holder = job.lockedBy,
               let row = try await pool.query(WorkerQueries.workerByID.sql, [.uuid(holder)]).first,
               try row.decode("account_id", as: UUID.self) == principal.accountID { return }
        default: break
        }
        throw MarketError(.unknownJob, "no job \(job.id)")
    }
}
