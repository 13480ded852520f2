import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

/// A client raises the maximum of an open job: the escrow grows by exactly what the new
/// escrowed maximum and its fee need, in the transaction that raises it, as a ledger entry.
@Suite struct RaiseMaxPriceTests {
    @Test func raise_TopsUpTheEscrow_AndTheLedgerVerifies() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 1_000, max: 11_000, ramp: 100))
        #expect(job.escrow == 11_000 + 275)

        let raised = try await f.market.raiseMaxPrice(job.id, to: 21_000, by: client)
        #expect(raised.maxPrice == 21_000 && raised.escrowedMaxPrice == 21_000 && raised.escrow == 21_000 + 525)
        #expect(try await f.balance(client) == Balance(available: 100_000 - 21_525, held: 21_525))
        let holds = try await f.market.ledger(job: job.id).entries.filter { $0.kind == .escrowHold }
        #expect(holds.map(\.amount) == [11_275, 10_250])
        #expect(holds.last?.reference == "raise/\(job.id.uuidString.lowercased())/21000")
        try await f.expectLedgerIntact()

        // The same maximum again changes nothing; a second raise adds only the difference.
        #expect(try await f.market.raiseMaxPrice(job.id, to: 21_000, by: client) == raised)
        let again = try await f.market.raiseMaxPrice(job.id, to: 31_000, by: client)
        #expect(again.escrow == 31_000 + 775)
        #expect(try await f.market.ledger(job: job.id).entries.filter { $0.kind == .escrowHold }.map(\.amount) == [11_275, 10_250, 10_250])
        let kinds = try await f.market.events(of: job.id, by: client).map(\.kind)
        #expect(kinds == ["created", "max_price_raised", "max_price_raised"])

        // The Dutch curve now rises to the new maximum; a lock and its settlement refund the rest.
        f.clock.advance(seconds: 50)
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        #expect(grant.price == 1_000 + 30_000 / 2)
        let s = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: wp, worker: w.id)
        #expect(s.clientRefund == again.escrow - 16_000)
        #expect(try await f.balance(client) == Balance(available: 100_000 - 16_000, held: 0))
        try await f.expectLedgerIntact()
    }

    @Test func raise_IsRefused_WhenLowerShortOrNotOpen_AndMovesNothing() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 12_000)
        let stranger = try await f.client(funds: 1_000_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 1_000, max: 11_000, ramp: 100))
        #expect(await f.code { try await f.market.raiseMaxPrice(job.id, to: 10_999, by: client) } == .invalidTerms)
        #expect(await f.code { try await f.market.raiseMaxPrice(job.id, to: 0, by: client) } == .invalidTerms)
        #expect(await f.code { try await f.market.raiseMaxPrice(job.id, to: 1_000_000_000_001, by: client) } == .invalidTerms)
        #expect(await f.code { try await f.market.raiseMaxPrice(job.id, to: 20_000, by: client) } == .insufficientBalance)
        #expect(await f.code { try await f.market.raiseMaxPrice(job.id, to: 20_000, by: stranger) } == .unknownJob)
        #expect(await f.code { try await f.market.raiseMaxPrice(UUID(), to: 20_000, by: client) } == .unknownJob)
        #expect(await f.code { try await f.market.raiseMaxPrice(job.id, to: 20_000, by: wp) } == .forbidden)
        #expect(try await f.balance(client) == Balance(available: 12_000 - 11_275, held: 11_275))
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)
        #expect(await f.code { try await f.market.raiseMaxPrice(job.id, to: 11_500, by: client) } == .jobNotOpen)
        #expect(try await f.market.ledger(job: job.id).entries.filter { $0.kind == .escrowHold }.count == 1)
        #expect(try await f.market.job(job.id, by: client).maxPrice == 11_000)
        try await f.expectLedgerIntact()
    }

    @Test func raise_WithAKey_IsDoneOnce() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let job = try await f.job(client, MarketFixture.sealed(max: 10_000))
        let first = try await f.market.raiseMaxPrice(job.id, to: 15_000, by: client, idempotencyKey: "raise-1")
        let replay = try await f.market.raiseMaxPrice(job.id, to: 15_000, by: client, idempotencyKey: "raise-1")
        #expect(replay == first)
        #expect(await f.code { try await f.market.raiseMaxPrice(job.id, to: 16_000, by: client, idempotencyKey: "raise-1") }
                == .idempotencyKeyReused)
        #expect(try await f.market.ledger(job: job.id).entries.filter { $0.kind == .escrowHold }.count == 2)
        try await f.expectLedgerIntact()
    }

    @Test func raise_OfAJobWithAPolicy_EscrowsItsRemainingRounds() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 0, max: 10_000, ramp: 10,
                                                              reauction: ReauctionPolicy(maxRounds: 2, priceStepBasisPoints: 1_000)))
        #expect(job.escrowedMaxPrice == 12_100)
        f.clock.advance(seconds: 10)
        #expect(try await Sweeper(market: f.market).runOnce().roundsStarted == 1)
        // One round is left: 20 000 raised once.
        let raised = try await f.market.raiseMaxPrice(job.id, to: 20_000, by: client)
        #expect(raised.maxPrice == 20_000 && raised.escrowedMaxPrice == 22_000 && raised.escrow == 22_000 + 550)
        // One micro-credit more raises the last round's reach by one and moves just that.
        let within = try await f.market.raiseMaxPrice(job.id, to: 20_001, by: client)
        #expect(within.escrowedMaxPrice == 22_001 && within.escrow == 22_001 + 550)
        #expect(try await f.market.ledger(job: job.id).entries.filter { $0.kind == .escrowHold }.map(\.amount)
                == [job.escrow, 22_550 - job.escrow, 1])
        f.clock.advance(seconds: 10)
        #expect(try await Sweeper(market: f.market).runOnce().roundsStarted == 1)
        let last = try await f.market.job(job.id, by: client)
        #expect(last.minPrice == 20_001 && last.maxPrice == 22_001)
        try await f.expectLedgerIntact()
    }
}
