import Foundation
import Market
import Postgres
import Testing
import TestSupport

@Suite struct SweeperTests {
    @Test func expiredLock_IsSlashedSplitAndTheJobReopens() async throws {
        let f = try await MarketFixture.make()   // slash split 50/50 by default
        let sweeper = Sweeper(market: f.market)
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(lockTimeout: 300, deadline: 3_600, stake: 5_000))
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)
        f.clock.advance(seconds: 299)
        #expect(try await sweeper.runOnce().isEmpty)
        f.clock.advance(seconds: 1)
        var expected = SweepReport()
        expected.locksExpired = 1
        expected.jobsReopened = 1
        #expect(try await sweeper.runOnce() == expected)
        #expect(try await sweeper.runOnce().isEmpty)
        let reopened = try await f.market.job(job.id, by: client)
        #expect(reopened.status == .open && reopened.lockedBy == nil && reopened.lockExpiresAt == nil)
        #expect(try await f.balance(wp) == Balance(available: 0, held: 0))
        #expect(try await f.balance(client).available == 100_000 - job.escrow + 2_500)
        #expect(try await f.balance(f.market.platform.slashed).available == 2_500)
        let worker = try await f.market.worker(w.id, by: wp)
        #expect(worker.jobsSlashed == 1 && worker.slashesInARow == 1)
        #expect(try await f.market.events(of: job.id, by: client).map(\.kind) == ["created", "locked", "lock_expired"])
        try await f.expectLedgerIntact()
    }

    @Test func expiredLockAtTheDeadline_SlashesAndExpiresWithFullRefund() async throws {
        let f = try await MarketFixture.make()
        let sweeper = Sweeper(market: f.market)
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(ramp: 10, lockTimeout: 300, deadline: 400, stake: 4_000))
        f.clock.advance(seconds: 200)
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)   // expires at the deadline
        f.clock.advance(seconds: 200)
        let report = try await sweeper.runOnce()
        #expect(report.locksExpired == 1 && report.jobsExpired == 1 && report.jobsReopened == 0)
        let done = try await f.market.job(job.id, by: client)
        #expect(done.status == .expired && done.finishedAt != nil)
        #expect(try await f.balance(client) == Balance(available: 100_000 + 2_000, held: 0))
        #expect(try await f.balance(wp) == Balance(available: 1_000, held: 0))
        #expect(try await f.market.events(of: job.id, by: client).map(\.kind) == ["created", "locked", "lock_expired", "expired"])
        try await f.expectLedgerIntact()
    }

    @Test func openJobPastItsDeadline_ExpiresAndRefunds() async throws {
        let f = try await MarketFixture.make()
        let sweeper = Sweeper(market: f.market)
        let client = try await f.client(funds: 100_000)
        let job = try await f.job(client, MarketFixture.dutch(ramp: 10, lockTimeout: 10, deadline: 60))
        let (wp, w) = try await f.worker(funds: 10_000)
        f.clock.advance(seconds: 59)
        #expect(try await sweeper.runOnce().isEmpty)
        f.clock.advance(seconds: 1)
        #expect(try await sweeper.runOnce().jobsExpired == 1)
        #expect(try await f.market.job(job.id, by: client).status == .expired)
        #expect(try await f.balance(client) == Balance(available: 100_000, held: 0))
        #expect(await f.code { try await f.market.lock(job.id, by: wp, worker: w.id) } == .jobNotOpen)
        #expect(await f.code { try await f.market.cancel(job.id, by: client) } == .jobNotOpen)
        try await f.expectLedgerIntact()
    }

    @Test func circuitBreaker_SuspendsAWorkerAfterSlashesInARow() async throws {
        var configuration = MarketConfiguration()
        configuration.breakerSlashesInARowMax = 2
        configuration.breakerSuspensionSeconds = 1_000
        let f = try await MarketFixture.make(configuration: configuration)
        let sweeper = Sweeper(market: f.market)
        let client = try await f.client(funds: 1_000_000)
        let (wp, w) = try await f.worker(funds: 100_000)
        let jobs = [try await f.job(client), try await f.job(client), try await f.job(client)]
        _ = try await f.market.lock(jobs[0].id, by: wp, worker: w.id)
        f.clock.advance(seconds: 300)
        _ = try await sweeper.runOnce()
        _ = try await f.market.lock(jobs[1].id, by: wp, worker: w.id)
        f.clock.advance(seconds: 300)
        _ = try await sweeper.runOnce()
        let tripped = try await f.market.worker(w.id, by: wp)
        #expect(tripped.suspendedUntil == f.clock.now().addingTimeInterval(1_000) && tripped.slashesInARow == 0)
        #expect(await f.code { try await f.market.lock(jobs[2].id, by: wp, worker: w.id) } == .workerSuspended)
        f.clock.advance(seconds: 1_000)
        let grant = try await f.market.lock(jobs[2].id, by: wp, worker: w.id)
        _ = try await f.market.submitProof(jobs[2].id, proof: try await f.proof(for: grant), by: wp, worker: w.id)
        #expect(try await f.market.worker(w.id, by: wp).slashesInARow == 0)
        try await f.expectLedgerIntact()
    }

    @Test func twoSweepersAtOnce_HandleEveryJobExactlyOnce() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 10_000_000)
        let (wp, w) = try await f.worker(funds: 1_000_000)
        var configuration = MarketConfiguration()
        configuration.locksPerWorkerMax = 100
        let market = try await Market.open(pool: f.db.pool, configuration: configuration, clock: f.clock, verifier: InferenceProofVerifier())
        for i in 0..<40 {
            let job = try await f.job(client, MarketFixture.dutch(ramp: 10, lockTimeout: 100, deadline: 200))
            if i % 2 == 0 { _ = try await market.lock(job.id, by: wp, worker: w.id) }
        }
        f.clock.advance(seconds: 150)   // locks expired (reopen), no deadline yet
        let a = Sweeper(market: f.market), b = Sweeper(market: market)
        async let ra = a.runOnce()
        async let rb = b.runOnce()
        let (x, y) = try await (ra, rb)
        #expect(x.locksExpired + y.locksExpired == 20 && x.jobsReopened + y.jobsReopened == 20)
        f.clock.advance(seconds: 100)   // every deadline passed
        async let ea = a.runOnce()
        async let eb = b.runOnce()
        let (p, q) = try await (ea, eb)
        #expect(p.jobsExpired + q.jobsExpired == 40)
        let slashes = try await f.db.pool.query("SELECT count(*) AS n FROM ledger_entries WHERE kind = 'slash_to_client'").first?.decode("n", as: Int.self)
        #expect(slashes == 20)
        #expect(try await f.balance(client).held == 0)
        try await f.expectLedgerIntact()
    }
}
