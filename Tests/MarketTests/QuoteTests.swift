import MarketTestSupport
import Foundation
@testable import Market
import Postgres
import Testing
import TestSupport

/// Price quotes from a seeded market: jobs fulfilled at known prices (real locks, real proofs)
/// and workers with known floors; every figure is recomputed here from those seeds by the
/// quote's stated rules (nearest-rank percentiles of price × 10⁶ ÷ work, rounded down).
@Suite struct QuoteTests {
    /// Fulfils a Dutch job at `price` (a zero ramp: the price is the maximum at once), locked
    /// `delay` seconds after its bidding started.
    static func fulfil(_ f: MarketFixture, _ client: Principal, price: Int64, delay: Double,
                       worker: (principal: Principal, worker: Worker)) async throws {
        let job = try await f.job(client, MarketFixture.dutch(min: 0, max: price, ramp: 0))
        f.clock.advance(seconds: delay)
        let grant = try await f.market.lock(job.id, by: worker.principal, worker: worker.worker.id)
        _ = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: worker.principal, worker: worker.worker.id)
    }

    static func nearestRank(_ sorted: [Int64], _ p: Double) -> Int64 {
        sorted[Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1]
    }

    @Test func quote_FromASeededMarket() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 10_000_000)
        let model = try await f.model()
        let macs = try #require(model.workMacs)
        let prover = try await f.worker(funds: 1_000_000)
        // Seven jobs, listed out of order; their locks 2, 4, … 14 s after bidding started.
        let prices: [Int64] = [9_000, 3_000, 12_000, 5_000, 4_000, 30_000, 6_000]
        for (index, price) in prices.enumerated() {
            try await Self.fulfil(f, client, price: price, delay: Double(2 * (index + 1)), worker: prover)
        }
        // Workers: three active with floors around the percentiles, one that told no floor, and
        // one whose capabilities do not admit the model.
        let rates = prices.map { $0 * 1_000_000 / macs }.sorted()
        let (p10, p50, p90) = (Self.nearestRank(rates, 10), Self.nearestRank(rates, 50), Self.nearestRank(rates, 90))
        let floors: [Int64] = [p10 - 1, p50, p90 + 1]
        for floor in floors { _ = try await f.worker(funds: 0, floor: floor) }
        _ = try await f.worker(funds: 0)   // no floor told: not counted
        _ = try await f.worker(funds: 0, capabilities: WorkerCapabilities(maxWorkMacs: macs - 1), floor: 1)   // cannot take the model

        let quote = try await f.market.quote(model: model.id, by: client)
        #expect(quote.jobs == prices.count && quote.workMacs == macs && quote.jobMacs == macs && quote.batch == 1)
        #expect(quote.pricePerMegaMAC == PriceQuote.Percentiles(p10: p10, p50: p50, p90: p90))
        #expect(quote.workersActive == 3)
        #expect(quote.workersCleared == PriceQuote.Cleared(p10: 1, p50: 2, p90: 2))
        let s = quote.suggested
        #expect(s.basis == .market && s.auction == "dutch")
        #expect(s.maxPricePerMegaMAC == p90 && s.workersCleared == 2)
        #expect(s.maxPrice == (p90 * macs + 999_999) / 1_000_000)
        #expect(s.minPrice == p10 * macs / 1_000_000)
        // Twice the median delay to the lock: the delays were 2…14 s, their median 8 s.
        #expect(s.rampUpSeconds == 16 && s.bidWindowSeconds == nil)

        // A batch of four is four times the work at the same rates.
        let batch = try await f.market.quote(model: model.id, batch: 4, by: client)
        #expect(batch.jobMacs == 4 * macs && batch.pricePerMegaMAC == quote.pricePerMegaMAC)
        #expect(batch.suggested.maxPrice == (p90 * 4 * macs + 999_999) / 1_000_000)
        // Sealed: no sealed job was fulfilled, so the floors decide.
        let sealed = try await f.market.quote(model: model.id, auction: "sealed", by: client)
        #expect(sealed.jobs == 0 && sealed.pricePerMegaMAC == nil && sealed.workersCleared == nil)
        #expect(sealed.suggested.basis == .workerFloors && sealed.suggested.auction == "sealed")
        #expect(sealed.suggested.maxPricePerMegaMAC == Self.nearestRank(floors, 90) && sealed.suggested.workersCleared == 3)
        #expect(sealed.suggested.minPrice == 0 && sealed.suggested.bidWindowSeconds != nil && sealed.suggested.rampUpSeconds == nil)

        // A worker and an admin may ask too; the answer does not depend on who asks.
        #expect(try await f.market.quote(model: model.id, by: prover.principal) == quote)
        #expect(try await f.market.quote(model: model.id, by: f.admin) == quote)
        try await f.expectLedgerIntact()
    }

    @Test func quote_LeavesOutOldJobsAndStaleWorkers() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let model = try await f.model()
        let macs = try #require(model.workMacs)
        let prover = try await f.worker(funds: 1_000_000, floor: 5)
        try await Self.fulfil(f, client, price: 7_000, delay: 1, worker: prover)
        f.clock.advance(seconds: Double(f.market.configuration.quoteWindowSeconds) + 1)
        // Nothing in the window and nobody active: the configured default, to twice it.
        let idle = try await f.market.quote(model: model.id, by: client)
        #expect(idle.jobs == 0 && idle.workersActive == 0 && idle.suggested.basis == .default)
        let rate = f.market.configuration.quoteDefaultPricePerMegaMAC
        #expect(idle.suggested.maxPricePerMegaMAC == 2 * rate && idle.suggested.maxPrice == (2 * rate * macs + 999_999) / 1_000_000)
        #expect(idle.suggested.minPrice == rate * macs / 1_000_000 && idle.suggested.rampUpSeconds == 30)
        // Its heartbeat makes the worker active again; a new job enters the window.
        _ = try await f.market.heartbeat(prover.worker.id, by: prover.principal)
        try await Self.fulfil(f, client, price: 2_000, delay: 1, worker: prover)
        let fresh = try await f.market.quote(model: model.id, by: client)
        #expect(fresh.jobs == 1 && fresh.workersActive == 1)
        #expect(fresh.pricePerMegaMAC?.p50 == 2_000 * 1_000_000 / macs)
        #expect(fresh.workersCleared == PriceQuote.Cleared(p10: 1, p50: 1, p90: 1))
        try await f.expectLedgerIntact()
    }

    @Test func quote_SuggestsAtLeastTheLowestActiveFloor() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let model = try await f.model()
        let macs = try #require(model.workMacs)
        let prover = try await f.worker(funds: 1_000_000)
        try await Self.fulfil(f, client, price: 1_000, delay: 1, worker: prover)
        let dear: Int64 = 1_000 * 1_000_000 / macs * 3
        _ = try await f.worker(funds: 0, floor: dear)
        let quote = try await f.market.quote(model: model.id, by: client)
        #expect(quote.workersCleared == PriceQuote.Cleared(p10: 0, p50: 0, p90: 0))
        #expect(quote.suggested.maxPricePerMegaMAC == dear && quote.suggested.workersCleared == 1)
        #expect(quote.suggested.minPrice <= quote.suggested.maxPrice)
    }

    @Test func quote_RefusesBadQuestions() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 0)
        let model = try await f.model()
        #expect(await f.code { try await f.market.quote(model: "nope", by: client) } == .unknownModel)
        #expect(await f.code { try await f.market.quote(model: model.id, batch: 0, by: client) } == .invalidRequest)
        #expect(await f.code { try await f.market.quote(model: model.id, batch: f.market.configuration.quoteBatchMax + 1, by: client) }
                == .invalidRequest)
        #expect(await f.code { try await f.market.quote(model: model.id, auction: "english", by: client) } == .invalidRequest)
        let top = try await f.market.quote(model: model.id, batch: f.market.configuration.quoteBatchMax, by: client)
        #expect(top.jobMacs == Int64(f.market.configuration.quoteBatchMax) * (model.workMacs ?? 0))
    }

    @Test func priceArithmetic_SaturatesInsteadOfOverflowing() {
        #expect(Market.perMegaMAC(Int64.max, macs: 1) == Int64.max)
        #expect(Market.price(at: Int64.max, macs: Int64.max, roundingUp: true, limit: 1_000) == 1_000)
        #expect(Market.price(at: 3, macs: 1_000_001, roundingUp: true, limit: .max) == 4)
        #expect(Market.price(at: 3, macs: 1_000_001, roundingUp: false, limit: .max) == 3)
    }
}
