import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

/// A market on its own fresh database, with a manual clock, an admin, and helpers to make
/// funded clients and workers, a ready model and jobs.
struct MarketFixture {
    let db: TestDatabase
    let clock: ManualClock
    let market: Market
    let admin: Principal

    /// The model every fixture job runs: the digits MLP, input shape [1, 64].
    static var inputShape: [Int] { RealProofs.loaded.facts.inputShape }

    static func make(configuration: MarketConfiguration = MarketConfiguration(),
                     limits: ConnectionPool.Limits = ConnectionPool.Limits(),
                     start: Date = Date(timeIntervalSince1970: 1_800_000_000)) async throws -> MarketFixture {
        let db = try await TestDatabase.make(limits: limits)
        let clock = ManualClock(start)
        let market = try await Market.open(pool: db.pool, configuration: configuration, clock: clock,
                                           verifier: InferenceProofVerifier())
        let key = try await market.bootstrapAdmin()
        let admin = try await market.authenticate(key: key.key)
        return MarketFixture(db: db, clock: clock, market: market, admin: admin)
    }

    /// A client account with `funds` deposited and a client key.
    func client(funds: Int64) async throws -> Principal {
        try await principal(.client, funds: funds)
    }

    /// A worker account with `funds`, a worker key and one registered worker node.
    func worker(funds: Int64, capabilities: WorkerCapabilities = WorkerCapabilities(),
                name: String = "prover", floor: Int64? = nil) async throws -> (principal: Principal, worker: Worker) {
        let p = try await principal(.worker, funds: funds)
        return (p, try await market.registerWorker(by: p, name: name, capabilities: capabilities, minPricePerMegaMAC: floor))
    }

    private func principal(_ kind: AccountKind, funds: Int64) async throws -> Principal {
        let account = try await market.createAccount(kind: kind, owner: "\(kind.rawValue)-\(UUID().uuidString.prefix(8))")
        let key = try await market.issueKey(accountID: account.id, role: Role(rawValue: kind.rawValue)!)
        if funds > 0 { _ = try await market.deposit(by: admin, to: account.id, amount: funds) }
        return try await market.authenticate(key: key.key)
    }

    /// The digits MLP, ready (registered once per fixture; the id is content-addressed).
    @discardableResult
    func model() async throws -> Model {
        let loaded = RealProofs.loaded
        return try await market.registerModel(id: InferenceModelImporter().digest(of: loaded.onnx), owner: admin.accountID,
                                              name: "digits", onnx: loaded.onnx, facts: loaded.facts).model
    }

    static var input: Tensor { RealProofs.input(0) }

    static func dutch(min: Int64 = 1_000, max: Int64 = 11_000, ramp: Int = 100, lockTimeout: Int = 300,
                      deadline: Int = 3_600, stake: Int64 = 5_000, start: Date? = nil,
                      reauction: ReauctionPolicy? = nil) -> JobTerms {
        JobTerms(auction: .dutch(minPrice: min, maxPrice: max, biddingStart: start, rampUpSeconds: ramp),
                 lockTimeoutSeconds: lockTimeout, deadlineSeconds: deadline, lockStake: stake, reauction: reauction)
    }

    static func sealed(min: Int64 = 0, max: Int64 = 10_000, window: Int = 60, lockTimeout: Int = 300,
                       deadline: Int = 3_600, stake: Int64 = 5_000, reauction: ReauctionPolicy? = nil) -> JobTerms {
        JobTerms(auction: .sealed(minPrice: min, maxPrice: max, bidWindowSeconds: window),
                 lockTimeoutSeconds: lockTimeout, deadlineSeconds: deadline, lockStake: stake, reauction: reauction)
    }

    func job(_ client: Principal, _ terms: JobTerms, webhook: String) async throws -> Job {
        let model = try await model()
        return try await market.createJob(by: client, JobRequest(modelID: model.id, input: Self.input, terms: terms, webhookURL: webhook))
    }

    func job(_ client: Principal, _ terms: JobTerms = dutch(), key: String? = nil) async throws -> Job {
        let model = try await model()
        return try await market.createJob(by: client, JobRequest(modelID: model.id, input: Self.input, terms: terms),
                                          idempotencyKey: key)
    }

    /// A real proof for this lock.
    func proof(for grant: LockGrant) async throws -> [UInt8] {
        RealProofs.prove(jobID: grant.jobID, workerID: grant.workerID, nonce: grant.nonce, input: grant.input)
    }

    func balance(_ p: Principal) async throws -> Balance { try await market.balance(of: p.accountID) }
    func balance(_ account: UUID) async throws -> Balance { try await market.balance(of: account) }

    /// The ledger invariants every scenario ends with, plus: no job was paid more than once.
    func expectLedgerIntact(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let report = try await market.verifyLedger()
        #expect(report.isIntact, "ledger: \(report)", sourceLocation: sourceLocation)
        // Nothing runs at the end of a scenario, so the audit sealed and checked every entry.
        #expect(report.unsealed == 0, "ledger: \(report)", sourceLocation: sourceLocation)
        let doubles = try await db.pool.query("""
            SELECT job_id FROM ledger_entries WHERE kind = 'payment' GROUP BY job_id HAVING count(*) > 1
            """).rows.count
        #expect(doubles == 0, "jobs paid twice: \(doubles)", sourceLocation: sourceLocation)
        // Every final job holds no escrow any more: its held money came back or was paid out.
        let stuck = try await db.pool.query("""
            SELECT j.id FROM jobs j
            WHERE j.status IN ('fulfilled', 'cancelled', 'expired')
              AND (SELECT coalesce(sum(CASE WHEN credit_bucket = 'held' AND credit_account = j.client_account THEN amount ELSE 0 END)
                                 - sum(CASE WHEN debit_bucket = 'held' AND debit_account = j.client_account THEN amount ELSE 0 END), 0)
                   FROM ledger_entries WHERE job_id = j.id) <> 0
            """).rows.count
        #expect(stuck == 0, "final jobs with escrow still held: \(stuck)", sourceLocation: sourceLocation)
    }

    /// Runs `body` and returns the `MarketError` code it threw (nil if it did not throw one).
    func code(_ body: () async throws -> some Any) async -> MarketError.Code? {
        do {
            _ = try await body()
            return nil
        } catch let error as MarketError {
            return error.code
        } catch {
            Issue.record("expected a MarketError, got \(error)")
            return nil
        }
    }
}
