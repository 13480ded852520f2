import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

@Suite struct AuctionTests {
    /// A sealed job with bids from workers asking `prices`, in that order; returns the job and the bidders.
    private func auction(_ f: MarketFixture, prices: [Int64], funds: Int64 = 10_000,
                         terms: JobTerms = MarketFixture.sealed(max: 10_000, window: 60, stake: 5_000))
        async throws -> (client: Principal, job: Job, bidders: [(Principal, Worker)]) {
        let client = try await f.client(funds: 1_000_000)
        let job = try await f.job(client, terms)
        var bidders: [(Principal, Worker)] = []
        for price in prices {
            let b = try await f.worker(funds: funds)
            _ = try await f.market.bid(job.id, price: price, by: b.principal, worker: b.worker.id)
            bidders.append(b)
            f.clock.advance(seconds: 1)
        }
        return (client, job, bidders)
    }

    @Test func lowestBidWins_AndIsPaidTheSecondLowest() async throws {
        let f = try await MarketFixture.make()
        let (client, job, bidders) = try await auction(f, prices: [7_000, 4_000, 5_500])
        #expect(try await Sweeper(market: f.market).runOnce().isEmpty)   // window still open
        f.clock.advance(seconds: 60)
        #expect(try await Sweeper(market: f.market).runOnce().auctionsAwarded == 1)
        let locked = try await f.market.job(job.id, by: client)
        #expect(locked.status == .locked && locked.lockedBy == bidders[1].1.id && locked.lockPrice == 5_500)
        #expect(try await f.balance(bidders[1].0) == Balance(available: 5_000, held: 5_000))
        #expect(try await f.balance(bidders[0].0) == Balance(available: 10_000, held: 0))
        let outcomes = try await f.db.pool.query("SELECT worker_id, outcome FROM bids WHERE kind = 'bid' ORDER BY id").rows
            .map { try $0.decode("outcome", as: String.self) }
        #expect(outcomes == ["lost", "won", "lost"])
        // The winner proves and is paid the Vickrey price less the fee.
        let grant = try await f.market.input(of: job.id, by: bidders[1].0, worker: bidders[1].1.id)
        #expect(grant == MarketFixture.input)
        let nonce = try #require(locked.nonce)
        let model = try await f.market.model(job.modelID)
        let proof = RealProofs.prove(jobID: job.id, workerID: bidders[1].1.id, nonce: nonce, input: MarketFixture.input)
        let s = try await f.market.submitProof(job.id, proof: proof, by: bidders[1].0, worker: bidders[1].1.id)
        #expect(s.price == 5_500 && s.workerPayment == 5_500 - 137)
        #expect(try await f.market.events(of: job.id, by: client).map(\.kind)
                == ["created", "bid_placed", "bid_placed", "bid_placed", "locked", "fulfilled"])
        try await f.expectLedgerIntact()
    }

    /// A claim between the window's close and the sweeper's award is `award_pending` (worth
    /// repeating), never `wrong_auction` (which says: bid instead); after the award the winner
    /// gets its lock and a loser `job_not_open`.
    @Test func claimAfterTheWindowBeforeTheAward_IsAwardPending_NotWrongAuction() async throws {
        let f = try await MarketFixture.make()
        let (_, job, bidders) = try await auction(f, prices: [4_000, 6_000])
        #expect(await f.code { try await f.market.lock(job.id, by: bidders[0].0, worker: bidders[0].1.id) } == .wrongAuction)
        f.clock.advance(seconds: 60)
        for (principal, worker) in bidders {
            #expect(await f.code { try await f.market.lock(job.id, by: principal, worker: worker.id) } == .awardPending)
        }
        #expect(try await Sweeper(market: f.market).runOnce().auctionsAwarded == 1)
        let grant = try await f.market.lock(job.id, by: bidders[0].0, worker: bidders[0].1.id)
        #expect(grant.price == 6_000 && grant.workerID == bidders[0].1.id)
        #expect(await f.code { try await f.market.lock(job.id, by: bidders[1].0, worker: bidders[1].1.id) } == .jobNotOpen)
        try await f.expectLedgerIntact()
    }

    @Test func loneBid_IsPaidItsOwnPrice() async throws {
        let f = try await MarketFixture.make()
        let (client, job, bidders) = try await auction(f, prices: [3_000])
        f.clock.advance(seconds: 60)
        _ = try await Sweeper(market: f.market).runOnce()
        let locked = try await f.market.job(job.id, by: client)
        #expect(locked.lockedBy == bidders[0].1.id && locked.lockPrice == 3_000)
        try await f.expectLedgerIntact()
    }

    @Test func tiedLowestBids_TheEarlierWinsAtThatPrice() async throws {
        let f = try await MarketFixture.make()
        let (client, job, bidders) = try await auction(f, prices: [6_000, 4_000, 4_000])
        f.clock.advance(seconds: 60)
        _ = try await Sweeper(market: f.market).runOnce()
        let locked = try await f.market.job(job.id, by: client)
        #expect(locked.lockedBy == bidders[1].1.id && locked.lockPrice == 4_000)
        try await f.expectLedgerIntact()
    }

    @Test func winnerWhoCannotStake_IsPassedOver() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let job = try await f.job(client, MarketFixture.sealed(max: 10_000, window: 60, stake: 5_000))
        let cheap = try await f.worker(funds: 5_000)
        let fair = try await f.worker(funds: 5_000)
        let dear = try await f.worker(funds: 5_000)
        _ = try await f.market.bid(job.id, price: 1_000, by: cheap.principal, worker: cheap.worker.id)
        _ = try await f.market.bid(job.id, price: 2_000, by: fair.principal, worker: fair.worker.id)
        _ = try await f.market.bid(job.id, price: 3_000, by: dear.principal, worker: dear.worker.id)
        // The cheapest bidder's money is spent elsewhere before the close.
        let other = try await f.job(client, MarketFixture.dutch(stake: 5_000))
        _ = try await f.market.lock(other.id, by: cheap.principal, worker: cheap.worker.id)
        f.clock.advance(seconds: 60)
        #expect(try await Sweeper(market: f.market).runOnce().auctionsAwarded == 1)
        let locked = try await f.market.job(job.id, by: client)
        #expect(locked.lockedBy == fair.worker.id && locked.lockPrice == 3_000)
        try await f.expectLedgerIntact()
    }

    @Test func noBids_StartsANewWindow() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let job = try await f.job(client, MarketFixture.sealed(window: 60))
        f.clock.advance(seconds: 60)
        var report = try await Sweeper(market: f.market).runOnce()
        #expect(report.auctionsRestarted == 1)
        let restarted = try await f.market.job(job.id, by: client)
        #expect(restarted.status == .open && restarted.biddingStart == f.clock.now())
        let late = try await f.worker(funds: 10_000)
        _ = try await f.market.bid(job.id, price: 900, by: late.principal, worker: late.worker.id)
        f.clock.advance(seconds: 60)
        report = try await Sweeper(market: f.market).runOnce()
        #expect(report.auctionsAwarded == 1)
        #expect(try await f.market.job(job.id, by: client).lockPrice == 900)
        try await f.expectLedgerIntact()
    }

    @Test func bidRules_AreEnforced() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let job = try await f.job(client, MarketFixture.sealed(min: 100, max: 10_000, window: 60, stake: 5_000))
        let (wp, w) = try await f.worker(funds: 10_000)
        #expect(await f.code { try await f.market.bid(job.id, price: 10_001, by: wp, worker: w.id) } == .bidOutOfRange)
        #expect(await f.code { try await f.market.bid(job.id, price: 99, by: wp, worker: w.id) } == .bidOutOfRange)
        _ = try await f.market.bid(job.id, price: 5_000, by: wp, worker: w.id)
        #expect(await f.code { try await f.market.bid(job.id, price: 4_000, by: wp, worker: w.id) } == .bidAlreadyPlaced)
        let (poor, pw) = try await f.worker(funds: 4_999)
        #expect(await f.code { try await f.market.bid(job.id, price: 4_000, by: poor, worker: pw.id) } == .insufficientBalance)
        let dutch = try await f.job(client)
        #expect(await f.code { try await f.market.bid(dutch.id, price: 4_000, by: wp, worker: w.id) } == .wrongAuction)
        #expect(await f.code { try await f.market.bid(job.id, price: 4_000, by: client, worker: w.id) } == .forbidden)
        f.clock.advance(seconds: 60)
        let (late, lw) = try await f.worker(funds: 10_000)
        #expect(await f.code { try await f.market.bid(job.id, price: 4_000, by: late, worker: lw.id) } == .bidWindowClosed)
        try await f.expectLedgerIntact()
    }
}
