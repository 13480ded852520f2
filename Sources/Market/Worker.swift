import Foundation
import Postgres

/// What a worker says it can prove.
public struct WorkerCapabilities: Sendable, Codable, Equatable {
    /// The largest model (in multiply-accumulates) it will take; nil for no limit.
    public var maxWorkMacs: Int64?
    /// Operators it supports; empty for any.
    public var operators: [String]
    /// The proof modes it proves (nil, as for workers registered before private proofs: public only).
    public var proofModes: [ProvingMode]?

    /// Bundles capabilities.
    public init(maxWorkMacs: Int64? = nil, operators: [String] = [], proofModes: [ProvingMode]? = nil) {
        self.maxWorkMacs = maxWorkMacs
        self.operators = operators
        self.proofModes = proofModes
    }

    /// Whether it proves jobs of `mode`.
    public func proves(_ mode: ProvingMode) -> Bool { (proofModes ?? [.public]).contains(mode) }

    /// Whether a model (a job of `items` of its inputs) is within these capabilities: a batch's
    /// work is the model's times the batch, a private job's its work factor (percent) of that.
    func admits(_ model: Model, items: Int = 1, workFactorPercent: Int = 100) -> Bool {
        if let maxWorkMacs, let work = model.workMacs {
            let (total, overflow) = work.multipliedReportingOverflow(by: Int64(max(1, items)))
            let (scaled, scaledOverflow) = total.multipliedReportingOverflow(by: Int64(max(100, workFactorPercent)))
            if overflow || scaledOverflow || scaled / 100 > maxWorkMacs { return false }
        }
        if !operators.isEmpty, let used = model.operators, !Set(used).isSubset(of: Set(operators)) { return false }
        return true
    }
}

/// A prover node registered by a worker account.
public struct Worker: Sendable, Codable, Equatable {
    /// The id (named in locks and bids).
    public let id: UUID
    /// The worker account paid for its work.
    public let accountID: UUID
    /// A display name.
    public let name: String
    /// What it can prove.
    public let capabilities: WorkerCapabilities
    /// Its last sign of life.
    public let lastHeartbeat: Date
    /// Slashes since its last fulfilled job (the circuit breaker trips at the configured count).
    public let slashesInARow: Int
    /// Suspended until this instant, if the breaker tripped.
    public let suspendedUntil: Date?
    /// Jobs fulfilled.
    public let jobsFulfilled: Int64
    /// Proofs rejected.
    public let jobsRejected: Int64
    /// Locks released.
    public let jobsReleased: Int64
    /// Locks slashed on expiry.
    public let jobsSlashed: Int64
    /// The least it takes, in micro-credits per million multiply-accumulates, as it told at
    /// registration (nil: not told); price quotes count the active workers whose floor they clear.
    public let minPricePerMegaMAC: Int64?

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        accountID = try row.decode("account_id")
        name = try row.decode("name")
        capabilities = try row.decode("capabilities", as: PostgresJSON.self).decode(WorkerCapabilities.self)
        lastHeartbeat = try row.decode("last_heartbeat")
        slashesInARow = try row.decode("slashes_in_a_row")
        suspendedUntil = try row.decode("suspended_until")
        jobsFulfilled = try row.decode("jobs_fulfilled")
        jobsRejected = try row.decode("jobs_rejected")
        jobsReleased = try row.decode("jobs_released")
        jobsSlashed = try row.decode("jobs_slashed")
        minPricePerMegaMAC = try row.decode("min_price_per_mmac")
    }

    /// Throws `worker_suspended` while the breaker holds.
    func requireActive(at now: Date) throws {
        if let until = suspendedUntil, until > now {
            throw MarketError(.workerSuspended, "worker \(id) is suspended until \(until) after repeated slashes")
        }
    }
}

extension Market {
    /// The longest worker name, in Unicode scalars (as the contract's `maxLength` counts).
    static let workerNameCharactersMax = 100

    /// Registers a prover node for the caller's worker account.
    public func registerWorker(by principal: Principal, name: String, capabilities: WorkerCapabilities,
                               minPricePerMegaMAC: Int64? = nil) async throws -> Worker {
        try principal.require(.worker)
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...Self.workerNameCharactersMax).contains(name.unicodeScalars.count) else {
            throw MarketError(.invalidRequest, "a worker name is 1 to \(Self.workerNameCharactersMax) characters")
        }
        guard capabilities.maxWorkMacs.map({ $0 > 0 }) ?? true, capabilities.operators.count <= 256 else {
            throw MarketError(.invalidRequest, "max_work_macs must be positive and operators at most 256")
        }
        try Self.validate(proofModes: capabilities.proofModes)
        guard minPricePerMegaMAC.map({ $0 >= 0 && $0 <= configuration.amountMicrosMax }) ?? true else {
            throw MarketError(.invalidRequest, "min_price_per_mmac must be 0 to \(configuration.amountMicrosMax) micro-credits")
        }
        let json = String(decoding: try JSONEncoder().encode(capabilities), as: UTF8.self)
        let row = try await pool.query(WorkerQueries.workerInsert.sql,
                                       [.uuid(principal.accountID), .text(name), .jsonb(json), .timestamp(clock.now()),
                                        minPricePerMegaMAC.map { .int($0) } ?? .null]).first
        return try Worker(row: row.orThrow("worker insert returned no row"))
    }

    /// A worker of the caller's account (an admin may read any).
    public func worker(_ id: UUID, by principal: Principal) async throws -> Worker {
        try visibleWorker(try await pool.query(WorkerQueries.workerByID.sql, [.uuid(id)]).first, id: id, to: principal)
    }

    /// The worker in `row` (read with `workerByID`), if `principal` may see it (its own account,
    /// or an admin); otherwise, or with no row, `unknown_worker`.
    func visibleWorker(_ row: PostgresRow?, id: UUID, to principal: Principal) throws -> Worker {
        guard let row else { throw MarketError(.unknownWorker, "no worker \(id)") }
        let worker = try Worker(row: row)
        guard principal.role == .admin || worker.accountID == principal.accountID else {
            throw MarketError(.unknownWorker, "no worker \(id)")
        }
        return worker
    }

    /// Throws `invalid_request` for an empty or repeating list of proof modes.
    static func validate(proofModes: [ProvingMode]?) throws {
        guard let proofModes else { return }
        guard !proofModes.isEmpty, Set(proofModes).count == proofModes.count else {
            throw MarketError(.invalidRequest, "proof_modes lists each of \(ProvingMode.allCases.map(\.rawValue).joined(separator: ", ")) at most once, and at least one")
        }
    }

    /// Records a sign of life; with `proofModes`, the modes the worker proves from now on.
    public func heartbeat(_ id: UUID, by principal: Principal, proofModes: [ProvingMode]? = nil) async throws -> Worker {
        try principal.require(.worker)
        try Self.validate(proofModes: proofModes)
        let modes: PostgresValue = try proofModes.map { .jsonb(String(decoding: try JSONEncoder().encode($0), as: UTF8.self)) } ?? .null
        guard let row = try await pool.query(WorkerQueries.workerHeartbeat.sql,
                                             [.uuid(id), .uuid(principal.accountID), .timestamp(clock.now()), modes]).first else {
            throw MarketError(.unknownWorker, "no worker \(id)")
        }
        return try Worker(row: row)
    }

    /// Locks the worker's row for the rest of the transaction and checks it may act.
    func lockWorker(_ id: UUID, of principal: Principal, at now: Date, on c: PostgresConnection) async throws -> Worker {
        try principal.require(.worker)
        return try ownedActiveWorker(try await c.run(WorkerQueries.workerByIDForUpdate, [.uuid(id)]).first,
                                     id: id, of: principal, at: now)
    }

    /// The worker in `row` (read with `workerByIDForUpdate`), if it is `principal`'s and active;
    /// a missing row or another account's worker is `unknown_worker`.
    func ownedActiveWorker(_ row: PostgresRow?, id: UUID, of principal: Principal, at now: Date) throws -> Worker {
        guard let row else { throw MarketError(.unknownWorker, "no worker \(id)") }
        let worker = try Worker(row: row)
        guard worker.accountID == principal.accountID else { throw MarketError(.unknownWorker, "no worker \(id)") }
        try worker.requireActive(at: now)
        return worker
    }
}
