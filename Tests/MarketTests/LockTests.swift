import Foundation
import Market
import Postgres
import Testing
import TestSupport

@Suite struct LockTests {
    @Test func lock_TakesTheCurrentDutchPriceAndHoldsTheStake() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 8_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 1_000, max: 11_000, ramp: 100, stake: 5_000))
        f.clock.advance(seconds: 50)
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        #expect(grant.price == 6_000 && grant.stake == 5_000 && grant.attempt == 1)
        #expect(grant.expiresAt == f.clock.now().addingTimeInterval(300))
        #expect(grant.input == MarketFixture.input && grant.nonce.count == 32)
        #expect(try await f.balance(wp) == Balance(available: 3_000, held: 5_000))
        let stored = try await f.market.job(job.id, by: client)
        #expect(stored.status == .locked && stored.lockedBy == w.id && stored.lockPrice == 6_000)
        // The lock holder can now read the job and its input; nobody else can.
        #expect(try await f.market.job(job.id, by: wp).id == job.id)
        #expect(try await f.market.input(of: job.id, by: wp, worker: w.id) == MarketFixture.input)
        let (other, ow) = try await f.worker(funds: 8_000)
        #expect(await f.code { try await f.market.input(of: job.id, by: other, worker: ow.id) } == .notLockHolder)
        #expect(await f.code { try await f.market.input(of: job.id, by: other, worker: w.id) } == .unknownWorker)
        #expect(await f.code { try await f.market.job(job.id, by: other) } == .unknownJob)
        #expect(await f.code { try await f.market.lock(job.id, by: other, worker: ow.id) } == .jobNotOpen)
        try await f.expectLedgerIntact()
    }

    @Test func thirtyTwoWorkersRacingForOneJob_ExactlyOneWins() async throws {
        var limits = ConnectionPool.Limits()
        limits.maximumConnections = 16
        let f = try await MarketFixture.make(limits: limits)
        let client = try await f.client(funds: 100_000)
        let job = try await f.job(client)
        var workers: [(Principal, Worker)] = []
        for i in 0..<32 { workers.append(try await f.worker(funds: 10_000, name: "racer-\(i)")) }
        let outcomes = await withTaskGroup(of: Result<LockGrant, MarketError>.self) { group in
            for (p, w) in workers {
                group.addTask {
                    do { return .success(try await f.market.lock(job.id, by: p, worker: w.id)) }
                    catch let e as MarketError { return .failure(e) }
                    catch { return .failure(MarketError(.invalidRequest, "unexpected \(error)")) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let winners = outcomes.compactMap { try? $0.get() }
        let losers = outcomes.compactMap { if case .failure(let e) = $0 { return e.code } else { return nil } }
        #expect(winners.count == 1)
        #expect(losers.count == 31 && losers.allSatisfy { $0 == .jobNotOpen })
        let held = try await f.db.pool.query("SELECT count(*) AS n FROM ledger_entries WHERE kind = 'stake_hold'").first?.decode("n", as: Int.self)
        #expect(held == 1)
        let locks = try await f.db.pool.query("SELECT count(*) AS n FROM bids WHERE kind = 'lock'").first?.decode("n", as: Int.self)
        #expect(locks == 1)
        try await f.expectLedgerIntact()
    }

    @Test func lockRules_AreEnforced() async throws {
        var configuration = MarketConfiguration()
        configuration.locksPerWorkerMax = 2
        let f = try await MarketFixture.make(configuration: configuration)
        let client = try await f.client(funds: 1_000_000)
        let (wp, w) = try await f.worker(funds: 100_000)
        // At most two locks at once.
        let a = try await f.job(client), b = try await f.job(client), c = try await f.job(client)
        _ = try await f.market.lock(a.id, by: wp, worker: w.id)
        _ = try await f.market.lock(b.id, by: wp, worker: w.id)
        #expect(await f.code { try await f.market.lock(c.id, by: wp, worker: w.id) } == .tooManyLocks)
        // Not enough for the stake: nothing changes.
        let (poor, pw) = try await f.worker(funds: 4_999)
        #expect(await f.code { try await f.market.lock(c.id, by: poor, worker: pw.id) } == .insufficientBalance)
        #expect(try await f.market.job(c.id, by: client).status == .open)
        #expect(try await f.balance(poor) == Balance(available: 4_999, held: 0))
        // A sealed job is bid on, not locked.
        let sealed = try await f.job(client, MarketFixture.sealed())
        #expect(await f.code { try await f.market.lock(sealed.id, by: poor, worker: pw.id) } == .wrongAuction)
        // Not before bidding starts.
        let later = try await f.job(client, MarketFixture.dutch(start: f.clock.now().addingTimeInterval(60)))
        #expect(await f.code { try await f.market.lock(later.id, by: poor, worker: pw.id) } == .biddingNotStarted)
        // Not beyond the worker's declared capabilities.
        let (small, sw) = try await f.worker(funds: 100_000, capabilities: WorkerCapabilities(maxWorkMacs: 8))
        #expect(await f.code { try await f.market.lock(c.id, by: small, worker: sw.id) } == .capabilityExceeded)
        let (narrow, nw) = try await f.worker(funds: 100_000, capabilities: WorkerCapabilities(operators: ["Conv"]))
        #expect(await f.code { try await f.market.lock(c.id, by: narrow, worker: nw.id) } == .capabilityExceeded)
        // Not with someone else's worker id, nor an unknown job, nor a client key.
        #expect(await f.code { try await f.market.lock(c.id, by: poor, worker: w.id) } == .unknownWorker)
        #expect(await f.code { try await f.market.lock(UUID(), by: wp, worker: w.id) } == .unknownJob)
        #expect(await f.code { try await f.market.lock(c.id, by: client, worker: w.id) } == .forbidden)
        // Not past the deadline (before the sweeper has expired it).
        let short = try await f.job(client, MarketFixture.dutch(ramp: 10, lockTimeout: 10, deadline: 20))
        f.clock.advance(seconds: 21)
        #expect(await f.code { try await f.market.lock(short.id, by: small, worker: sw.id) } == .deadlinePassed)
        try await f.expectLedgerIntact()
    }

    @Test func lockNearTheDeadline_ExpiresAtTheDeadline() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 10_000)
        let job = try await f.job(client, MarketFixture.dutch(ramp: 10, lockTimeout: 300, deadline: 400))
        f.clock.advance(seconds: 350)
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        #expect(grant.expiresAt == job.deadline)
    }

    @Test func openJobs_ShowCurrentPricesWithoutInputs() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let (wp, _) = try await f.worker(funds: 0)
        let dutch = try await f.job(client, MarketFixture.dutch(min: 1_000, max: 11_000, ramp: 100))
        let sealed = try await f.job(client, MarketFixture.sealed(max: 7_000, window: 60))
        f.clock.advance(seconds: 30)
        let open = try await f.market.openJobs(by: wp)
        #expect(open.map(\.id) == [dutch.id, sealed.id])
        #expect(open[0].currentPrice == 4_000 && open[1].currentPrice == 7_000)
        #expect(open[1].bidWindowEnd == sealed.createdAt.addingTimeInterval(60))
        // A Dutch job carries its ramp (a worker computes when the price meets its floor);
        // a sealed one its window only.
        #expect(open[0].minPrice == 1_000 && open[0].biddingStart == dutch.biddingStart && open[0].rampUpSeconds == 100)
        #expect(open[0].bidWindowEnd == nil)
        #expect(open[1].minPrice == nil && open[1].biddingStart == nil && open[1].rampUpSeconds == nil)
        #expect(await f.code { try await f.market.openJobs(by: client) } == .forbidden)
    }
}
