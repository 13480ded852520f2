import MarketTestSupport
import Foundation
@testable import Market
import Postgres
import Testing
import TestSupport

@Suite struct JobCreationTests {
    @Test func createJob_HoldsMaxPricePlusFeeInEscrow() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let job = try await f.job(client, MarketFixture.dutch(max: 10_000))
        #expect(job.status == .open && job.attempt == 0)
        #expect(job.escrow == 10_250)   // 2.5 % fee by default
        #expect(try await f.balance(client) == Balance(available: 89_750, held: 10_250))
        let events = try await f.market.events(of: job.id, by: client)
        #expect(events.map(\.kind) == ["created"])
        try await f.expectLedgerIntact()
    }

    @Test func insufficientBalance_CreatesNothingAndMovesNothing() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 10_249)
        #expect(await f.code { try await f.job(client, MarketFixture.dutch(max: 10_000)) } == .insufficientBalance)
        #expect(try await f.balance(client) == Balance(available: 10_249, held: 0))
        #expect(try await f.db.pool.query("SELECT count(*) AS n FROM jobs").first?.decode("n", as: Int.self) == 0)
        // Exactly enough works.
        let richer = try await f.client(funds: 10_250)
        _ = try await f.job(richer, MarketFixture.dutch(max: 10_000))
        #expect(try await f.balance(richer) == Balance(available: 0, held: 10_250))
        try await f.expectLedgerIntact()
    }

    @Test(arguments: [
        ("min above max", MarketFixture.dutch(min: 20, max: 10)),
        ("zero max", MarketFixture.dutch(min: 0, max: 0)),
        ("negative min", MarketFixture.dutch(min: -1, max: 10)),
        ("absurd max", MarketFixture.dutch(min: 0, max: Int64.max)),
        ("ramp past lock timeout", MarketFixture.dutch(ramp: 400, lockTimeout: 300)),
        ("negative ramp", MarketFixture.dutch(ramp: -1)),
        ("lock timeout past deadline", MarketFixture.dutch(lockTimeout: 300, deadline: 200)),
        ("zero lock timeout", MarketFixture.dutch(ramp: 0, lockTimeout: 0)),
        ("negative stake", MarketFixture.dutch(stake: -1)),
        ("deadline a year away", MarketFixture.dutch(deadline: 365 * 86_400)),
        ("start far in the future", MarketFixture.dutch(start: Date(timeIntervalSince1970: 1_900_000_000))),
        ("start long past", MarketFixture.dutch(start: Date(timeIntervalSince1970: 1_700_000_000))),
        ("zero window", MarketFixture.sealed(window: 0)),
        ("window too long", MarketFixture.sealed(window: 100_000)),
        ("window + lock past deadline", MarketFixture.sealed(window: 600, lockTimeout: 300, deadline: 800)),
        ("sealed min above max", MarketFixture.sealed(min: 11, max: 10)),
    ])
    func absurdTerms_AreRefusedAndMoveNothing(_ name: String, _ terms: JobTerms) async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        #expect(await f.code { try await f.job(client, terms) } == .invalidTerms, "\(name)")
        #expect(try await f.balance(client) == Balance(available: 1_000_000, held: 0))
    }

    @Test func inputShapeAndModel_AreChecked() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let model = try await f.model()
        func create(_ input: Tensor, model id: String = model.id) async -> MarketError.Code? {
            await f.code { try await f.market.createJob(by: client, JobRequest(modelID: id, input: input, terms: MarketFixture.dutch())) }
        }
        #expect(await create(Tensor(shape: [1, 65], values: Array(repeating: 1, count: 65))) == .inputShapeMismatch)
        #expect(await create(Tensor(shape: [1, 64], values: Array(repeating: 1, count: 63))) == .inputShapeMismatch)
        #expect(await create(Tensor(shape: [64], values: Array(repeating: 1, count: 64))) == .inputShapeMismatch)
        #expect(await create(Tensor(shape: [1, 64], values: [.nan] + Array(repeating: 1, count: 63))) == .inputShapeMismatch)
        #expect(await create(Tensor(shape: [Int.max, 2], values: [1, 2])) == .inputShapeMismatch)
        #expect(await create(Tensor(shape: [], values: [])) == .inputShapeMismatch)
        #expect(await create(MarketFixture.input, model: "no-such-model") == .unknownModel)
        let processing = try await f.market.registerModel(id: "slow", owner: f.admin.accountID, name: "slow", onnx: [1], facts: nil)
        #expect(processing.model.status == .processing)
        #expect(await create(MarketFixture.input, model: "slow") == .modelNotReady)
        try await f.market.failModel(id: "slow", reason: "unsupported operator Conv")
        #expect(try await f.market.model("slow").failure == "unsupported operator Conv")
        #expect(await create(MarketFixture.input, model: "slow") == .modelNotReady)
        // Workers and admins do not post jobs.
        let (worker, _) = try await f.worker(funds: 0)
        #expect(await f.code { try await f.market.createJob(by: worker, JobRequest(modelID: model.id, input: MarketFixture.input, terms: MarketFixture.dutch())) } == .forbidden)
        #expect(try await f.balance(client) == Balance(available: 1_000_000, held: 0))
    }

    @Test func sameModelTwice_ReturnsTheExistingOne() async throws {
        let f = try await MarketFixture.make()
        let first = try await f.model()
        let again = try await f.market.registerModel(id: first.id, owner: f.admin.accountID, name: "other name",
                                                     onnx: [9, 9], facts: nil)
        #expect(again.created == false)
        #expect(again.model == first)
    }

    @Test func idempotentReplay_ReturnsTheFirstJobAndHoldsOnce() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let first = try await f.job(client, key: "job-1")
        f.clock.advance(seconds: 5)
        let replay = try await f.job(client, key: "job-1")
        #expect(replay == first)
        #expect(try await f.balance(client).held == first.escrow)
        #expect(await f.code { try await f.job(client, MarketFixture.dutch(max: 9_999), key: "job-1") } == .idempotencyKeyReused)
        // Keys are per account: another client may use the same key.
        let other = try await f.client(funds: 100_000)
        #expect(try await f.job(other, key: "job-1").id != first.id)
        try await f.expectLedgerIntact()
    }

    @Test func concurrentDuplicates_CreateOneJob() async throws {
        // Sixteen creations on a pool of eight, fifteen of them waiting for the first's key:
        // on a loaded full run a connection has taken over 10 s to come free; the test is
        // about one job being created, not about speed.
        var limits = ConnectionPool.Limits()
        limits.acquireTimeoutSeconds = 120
        let f = try await MarketFixture.make(limits: limits)
        let client = try await f.client(funds: 100_000)
        _ = try await f.model()
        let ids = try await withThrowingTaskGroup(of: UUID.self) { group in
            for _ in 0..<16 { group.addTask { try await f.job(client, key: "dup").id } }
            return try await group.reduce(into: Set<UUID>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(try await f.db.pool.query("SELECT count(*) AS n FROM jobs").first?.decode("n", as: Int.self) == 1)
        #expect(try await f.balance(client).held == 11_275)  // max 11 000 + 2.5 % fee
        try await f.expectLedgerIntact()
    }

    @Test func failedRequest_LeavesTheKeyFree() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000)
        #expect(await f.code { try await f.job(client, key: "k") } == .insufficientBalance)
        _ = try await f.market.deposit(by: f.admin, to: client.accountID, amount: 100_000)
        let job = try await f.job(client, key: "k")
        #expect(job.status == .open)
        try await f.expectLedgerIntact()
    }

    @Test func listing_PagesByCursorAndFiltersByStatusAndOwner() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let other = try await f.client(funds: 1_000_000)
        var created: [UUID] = []
        for _ in 0..<7 {
            created.append(try await f.job(client).id)
            f.clock.advance(seconds: 1)
        }
        _ = try await f.job(other)
        _ = try await f.market.cancel(created[0], by: client)
        var seen: [UUID] = []
        var cursor: JobCursor?
        repeat {
            let page = try await f.market.jobs(by: client, after: cursor, limit: 3)
            seen += page.jobs.map(\.id)
            cursor = page.nextCursor
            #expect(cursor.map { JobCursor(token: $0.token) == $0 } ?? true)
        } while cursor != nil
        #expect(seen == created.reversed())
        #expect(try await f.market.jobs(by: client, status: .cancelled).jobs.map(\.id) == [created[0]])
        #expect(try await f.market.jobs(by: f.admin, limit: 100).jobs.count == 8)
        // A client cannot see another's job.
        #expect(await f.code { try await f.market.job(created[1], by: other) } == .unknownJob)
        #expect(await f.code { try await f.market.cancel(created[1], by: other) } == .unknownJob)
        try await f.expectLedgerIntact()
    }

    @Test func listingOfLargeBatches_EndsPagesAtTheInputBudget_AndLosesNoJob() async throws {
        var configuration = MarketConfiguration()
        configuration.jobPageInputBytesMax = 12_000
        let f = try await MarketFixture.make(configuration: configuration)
        let client = try await f.client(funds: 50_000_000)
        let model = try await f.model()
        var created: [UUID] = []
        for index in 0..<9 {
            // Batches of 40 inputs (about 9.6 kB stored each) between single jobs.
            let items = index % 3 == 2 ? 1 : 40
            let values = (0..<items).flatMap { RealProofs.input($0 % 8).values }
            let input = Tensor(shape: [items, 64], values: values)
            created.append(try await f.market.createJob(by: client, JobRequest(modelID: model.id, input: input, terms: MarketFixture.dutch())).id)
            f.clock.advance(seconds: 1)
        }
        let sizes = try await f.db.pool.query("SELECT id, pg_column_size(input) AS n FROM jobs").rows.reduce(into: [UUID: Int]()) {
            $0[try $1.decode("id")] = try $1.decode("n")
        }
        var seen: [UUID] = [], pages: [[UUID]] = []
        var cursor: JobCursor?
        repeat {
            let page = try await f.market.jobs(by: client, after: cursor, limit: 100)
            #expect(!page.jobs.isEmpty)
            pages.append(page.jobs.map(\.id))
            seen += page.jobs.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil && pages.count < 20
        #expect(seen == created.reversed(), "every job once, newest first")
        for page in pages {
            // Every job of a page but its last starts below the budget.
            let before = page.dropLast().reduce(0) { $0 + (sizes[$1] ?? 0) }
            #expect(before < configuration.jobPageInputBytesMax, "\(page.count) jobs, \(before) bytes before the last")
        }
        #expect(pages.count > 2 && pages.contains { $0.count > 1 }, "pages of \(pages.map(\.count)), sizes \(created.map { sizes[$0] ?? 0 })")
        // The single jobs' page limit still holds beside the budget.
        let two = try await f.market.jobs(by: client, limit: 2)
        #expect(two.jobs.map(\.id) == Array(created.reversed().prefix(2)) && two.nextCursor != nil)
    }

    @Test func cancel_RefundsTheWholeEscrowOnlyWhileOpen() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 50_000)
        let (wp, w) = try await f.worker(funds: 10_000)
        let job = try await f.job(client)
        let cancelled = try await f.market.cancel(job.id, by: client)
        #expect(cancelled.status == .cancelled && cancelled.finishedAt != nil)
        #expect(try await f.balance(client) == Balance(available: 50_000, held: 0))
        #expect(await f.code { try await f.market.cancel(job.id, by: client) } == .jobNotOpen)
        #expect(await f.code { try await f.market.lock(job.id, by: wp, worker: w.id) } == .jobNotOpen)
        let locked = try await f.job(client)
        _ = try await f.market.lock(locked.id, by: wp, worker: w.id)
        #expect(await f.code { try await f.market.cancel(locked.id, by: client) } == .jobNotOpen)
        #expect(try await f.market.events(of: job.id, by: client).map(\.kind) == ["created", "cancelled"])
        try await f.expectLedgerIntact()
    }
}
