import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

/// Re-auctions: a round that ends without a lock starts the next one by the client's policy,
/// raising the ceiling within the escrowed maximum, each round an event (and a webhook
/// delivery); the last round ending so expires the job with its escrow back.
@Suite struct ReauctionTests {
    /// The payloads queued for a job's webhook, oldest first.
    static func webhookEvents(_ f: MarketFixture, _ job: UUID) async throws -> [[String: String]] {
        try await f.db.pool.query("SELECT payload FROM webhook_deliveries WHERE job_id = $1 ORDER BY id", [.uuid(job)]).rows.map {
            try $0.decode("payload", as: PostgresJSON.self).decode([String: String].self)
        }
    }

    @Test func dutchJob_FulfilledAfterTwoRounds_AtTheRaisedPrice() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let policy = ReauctionPolicy(maxRounds: 3, priceStepBasisPoints: 1_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 1_000, max: 10_000, ramp: 100, reauction: policy),
                                  webhook: "https://hooks.example.com/pm")
        // The escrow covers the last round's ceiling: 10 000 raised by 10 % three times.
        #expect(job.escrowedMaxPrice == 13_310 && job.escrow == 13_310 + 13_310 * 250 / 10_000)
        #expect(try await f.balance(client) == Balance(available: 1_000_000 - job.escrow, held: job.escrow))

        let sweeper = Sweeper(market: f.market)
        f.clock.advance(seconds: 99)
        #expect(try await sweeper.runOnce().roundsStarted == 0, "the ramp has not ended yet")
        f.clock.advance(seconds: 1)
        #expect(try await sweeper.runOnce().roundsStarted == 1)
        let second = try await f.market.job(job.id, by: client)
        #expect(second.reauctionRound == 1 && second.minPrice == 10_000 && second.maxPrice == 11_000)
        #expect(second.biddingStart == f.clock.now() && second.status == .open)
        #expect(second.currentPrice(at: f.clock.now()) == 10_000, "the next ramp starts where the last one ended")

        f.clock.advance(seconds: 100)
        #expect(try await sweeper.runOnce().roundsStarted == 1)
        let third = try await f.market.job(job.id, by: client)
        #expect(third.reauctionRound == 2 && third.minPrice == 11_000 && third.maxPrice == 12_100)

        f.clock.advance(seconds: 50)
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        #expect(grant.price == 11_000 + 1_100 / 2)
        let settlement = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: wp, worker: w.id)
        #expect(settlement.price == 11_550 && settlement.clientRefund == job.escrow - 11_550)
        #expect(try await f.balance(client) == Balance(available: 1_000_000 - 11_550, held: 0))
        // No round moved money: the ledger holds the posting's escrow and the settlement only.
        #expect(try await f.market.ledger(job: job.id).entries.map(\.kind)
                == [.escrowHold, .stakeHold, .payment, .fee, .escrowRefund, .stakeRelease])

        let events = try await f.market.events(of: job.id, by: client)
        #expect(events.map(\.kind) == ["created", "reauctioned", "reauctioned", "locked", "fulfilled"])
        let rounds = try events.filter { $0.kind == "reauctioned" }.map { try JSONDecoder().decode([String: String].self, from: Data($0.detail.utf8)) }
        #expect(rounds.map { $0["round"] } == ["1", "2"] && rounds.map { $0["max_price"] } == ["11000", "12100"])
        // Each round is delivered to the job's webhook as it happens.
        let hooks = try await Self.webhookEvents(f, job.id)
        #expect(hooks.map { $0["event"] } == ["created", "reauctioned", "reauctioned", "locked", "fulfilled"])
        #expect(hooks[2]["detail_max_price"] == "12100" && hooks[2]["status"] == "open")
        try await f.expectLedgerIntact()
    }

    @Test func sealedJob_ExhaustsItsRounds_ExpiresWithTheEscrowRefunded() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let policy = ReauctionPolicy(maxRounds: 2, priceStepBasisPoints: 500)
        let job = try await f.job(client, MarketFixture.sealed(min: 100, max: 10_000, window: 60, deadline: 3_600, reauction: policy))
        #expect(job.escrowedMaxPrice == 11_025)
        #expect(try await f.balance(client).held == job.escrow)
        let sweeper = Sweeper(market: f.market)

        f.clock.advance(seconds: 60)
        #expect(try await sweeper.runOnce().roundsStarted == 1)
        let second = try await f.market.job(job.id, by: client)
        #expect(second.reauctionRound == 1 && second.minPrice == 100 && second.maxPrice == 10_500)
        #expect(second.bidWindowEnd == f.clock.now().addingTimeInterval(60))
        // A bid in the new round may reach its new ceiling.
        let (wp, w) = try await f.worker(funds: 10_000)
        #expect(await f.code { try await f.market.bid(job.id, price: 10_501, by: wp, worker: w.id) } == .bidOutOfRange)

        f.clock.advance(seconds: 60)
        #expect(try await sweeper.runOnce().roundsStarted == 1)
        #expect(try await f.market.job(job.id, by: client).maxPrice == 11_025)

        f.clock.advance(seconds: 60)
        let last = try await sweeper.runOnce()
        #expect(last.roundsExhausted == 1 && last.roundsStarted == 0)
        let expired = try await f.market.job(job.id, by: client)
        #expect(expired.status == .expired && expired.deadline > f.clock.now(), "expired by its policy, before the deadline")
        #expect(try await f.balance(client) == Balance(available: 100_000, held: 0))
        let events = try await f.market.events(of: job.id, by: client)
        #expect(events.map(\.kind) == ["created", "reauctioned", "reauctioned", "expired"])
        let detail = try JSONDecoder().decode([String: String].self, from: Data(try #require(events.last).detail.utf8))
        #expect(detail["reason"] == "rounds_exhausted" && detail["refund"] == "\(job.escrow)")
        #expect(try await f.market.ledger(job: job.id).entries.map(\.kind) == [.escrowHold, .escrowRefund])
        #expect(try await sweeper.runOnce().isEmpty)
        try await f.expectLedgerIntact()
    }

    @Test func zeroRounds_ExpiresWhenTheFirstRampEnds_NoPolicyStaysOpen() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let once = try await f.job(client, MarketFixture.dutch(ramp: 30, reauction: ReauctionPolicy(maxRounds: 0, priceStepBasisPoints: 0)))
        let plain = try await f.job(client, MarketFixture.dutch(ramp: 30))
        #expect(once.escrow == plain.escrow, "no rounds: the escrow is max_price's")
        f.clock.advance(seconds: 30)
        #expect(try await Sweeper(market: f.market).runOnce().roundsExhausted == 1)
        #expect(try await f.market.job(once.id, by: client).status == .expired)
        #expect(try await f.market.job(plain.id, by: client).status == .open, "without a policy a Dutch job waits at its maximum")
        try await f.expectLedgerIntact()
    }

    @Test func aLockThatExpiresInTheLastRound_ReopensAndTheRoundEnds() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(ramp: 10, lockTimeout: 60,
                                                              reauction: ReauctionPolicy(maxRounds: 1, priceStepBasisPoints: 100)))
        let sweeper = Sweeper(market: f.market)
        f.clock.advance(seconds: 10)
        #expect(try await sweeper.runOnce().roundsStarted == 1)
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)
        f.clock.advance(seconds: 60)
        let report = try await sweeper.runOnce()
        #expect(report.locksExpired == 1 && report.roundsExhausted == 1)
        #expect(try await f.market.events(of: job.id, by: client).map(\.kind)
                == ["created", "reauctioned", "locked", "lock_expired", "expired"])
        #expect(try await f.balance(client).held == 0)
        try await f.expectLedgerIntact()
    }

    @Test func policies_AreChecked() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 10_000_000)
        func code(_ terms: JobTerms) async -> MarketError.Code? { await f.code { try await f.job(client, terms) } }
        let max = f.market.configuration.reauctionRoundsMax
        #expect(await code(MarketFixture.dutch(reauction: ReauctionPolicy(maxRounds: max + 1, priceStepBasisPoints: 0))) == .invalidTerms)
        #expect(await code(MarketFixture.dutch(reauction: ReauctionPolicy(maxRounds: -1, priceStepBasisPoints: 0))) == .invalidTerms)
        #expect(await code(MarketFixture.dutch(reauction: ReauctionPolicy(maxRounds: 1, priceStepBasisPoints: 10_001))) == .invalidTerms)
        #expect(await code(MarketFixture.dutch(reauction: ReauctionPolicy(maxRounds: 1, priceStepBasisPoints: -1))) == .invalidTerms)
        #expect(await code(MarketFixture.dutch(ramp: 0, reauction: ReauctionPolicy(maxRounds: 1, priceStepBasisPoints: 0))) == .invalidTerms)
        // Doubling 20 times from 10⁶ passes the largest price a job may name.
        #expect(await code(MarketFixture.dutch(min: 0, max: 1_000_000, reauction: ReauctionPolicy(maxRounds: 20, priceStepBasisPoints: 10_000)))
                == .invalidTerms)
        // At the bounds: 20 rounds of doubling from 1 reach 2²⁰.
        let widest = try await f.job(client, MarketFixture.dutch(min: 0, max: 1, reauction: ReauctionPolicy(maxRounds: max, priceStepBasisPoints: 10_000)))
        #expect(widest.escrowedMaxPrice == 1 << 20)
        // A step too small to move a price still raises it by one micro-credit a round.
        let tiny = try await f.job(client, MarketFixture.sealed(min: 0, max: 10, reauction: ReauctionPolicy(maxRounds: 3, priceStepBasisPoints: 1)))
        #expect(tiny.escrowedMaxPrice == 13)
        try await f.expectLedgerIntact()
    }

    @Test func policyArithmetic_MatchesTheStatedRule() {
        let policy = ReauctionPolicy(maxRounds: 4, priceStepBasisPoints: 1_500)
        var expected: Int64 = 7_777
        for round in 1...4 {
            expected += max(1, expected * 1_500 / 10_000)
            #expect(policy.ceiling(after: round, from: 7_777, limit: .max) == expected)
        }
        #expect(policy.ceiling(after: 4, from: 7_777, limit: expected - 1) == nil)
        #expect(ReauctionPolicy(maxRounds: 1, priceStepBasisPoints: 10_000).raised(Int64.max / 2 + 1, limit: .max) == nil)
    }
}
