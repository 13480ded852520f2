import Foundation
import Postgres

/// What the market has been paying, per million multiply-accumulates (MMAC), and the terms it
/// suggests for a job of one model: `GET /v1/market/quote`.
///
/// Every price is an integer number of micro-credits. A job's clearing price per MMAC is its
/// lock price × 10⁶ ÷ its model's multiply-accumulates, rounded down; the percentiles are
/// nearest-rank over the jobs fulfilled in the window (the newest `quoteJobsMax`).
public struct PriceQuote: Sendable, Codable, Equatable {
    /// Three percentiles of a sorted sample.
    public struct Percentiles: Sendable, Codable, Equatable {
        /// 10th percentile.
        public let p10: Int64
        /// Median.
        public let p50: Int64
        /// 90th percentile.
        public let p90: Int64
    }
    /// How many active workers' floors each percentile clears.
    public struct Cleared: Sendable, Codable, Equatable {
        /// Floors at or below `p10`.
        public let p10: Int
        /// Floors at or below `p50`.
        public let p50: Int
        /// Floors at or below `p90`.
        public let p90: Int
    }
    /// Where a suggestion comes from.
    public enum Basis: String, Sendable, Codable {
        /// The jobs fulfilled in the window: from their p10 to their p90 (at least the lowest
        /// active worker's floor, so some active worker would take it).
        case market
        /// No job in the window: from the lowest active worker's floor to their p90.
        case workerFloors = "worker_floors"
        /// Neither: from the configured default price per MMAC to twice it.
        case `default`
    }
    /// Suggested terms for the job.
    public struct Suggestion: Sendable, Codable, Equatable {
        /// The auction the terms are for.
        public let auction: String
        /// Where the Dutch price starts (sealed: the reserve, 0).
        public let minPrice: Int64
        /// The maximum to post.
        public let maxPrice: Int64
        /// Dutch: seconds for the price to rise from `minPrice` to `maxPrice`.
        public let rampUpSeconds: Int?
        /// Sealed: the bid window.
        public let bidWindowSeconds: Int?
        /// `maxPrice` per MMAC.
        public let maxPricePerMegaMAC: Int64
        /// Active workers whose floor `maxPricePerMegaMAC` clears.
        public let workersCleared: Int
        /// Where it comes from.
        public let basis: Basis
    }

    /// The model quoted.
    public let modelID: String
    /// Its multiply-accumulates per input.
    public let workMacs: Int64
    /// Inputs per job.
    public let batch: Int
    /// The proof mode quoted.
    public var proofMode: ProvingMode = .public
    /// The mode's work against a public proof's, in percent (`privateWorkFactorPercent` for
    /// private, 100 for public).
    public var workFactorPercent: Int = 100
    /// The job's work: `workMacs × batch × workFactorPercent ÷ 100`.
    public let jobMacs: Int64
    /// The auction the prices were filtered by, if one was asked for.
    public let auction: String?
    /// How far back the prices go.
    public let windowSeconds: Int
    /// The fulfilled jobs behind the percentiles.
    public let jobs: Int
    /// Clearing prices per MMAC; nil without any job in the window.
    public let pricePerMegaMAC: Percentiles?
    /// Active workers (a recent heartbeat, not suspended) that told their floor and can take the model.
    public let workersActive: Int
    /// How many of their floors each percentile clears; nil without any job in the window.
    public let workersCleared: Cleared?
    /// The terms suggested.
    public let suggested: Suggestion
}

extension Market {
    /// The ramp a quote suggests without a Dutch lock to learn from, and its bounds.
    static let quoteRampSecondsDefault = 30
    static let quoteRampSeconds = 5...300
    /// The bid window a sealed suggestion names.
    static let quoteBidWindowSeconds = 10

    /// A price quote for a job of `modelID` with `batch` inputs, for `auction` (nil: prices of
    /// every auction, terms for a Dutch one). Any key may ask.
    public func quote(model modelID: String, batch: Int = 1, auction: String? = nil, proofMode: ProvingMode = .public,
                      by principal: Principal) async throws -> PriceQuote {
        try principal.require(.client, .worker, .admin)
        guard (1...configuration.quoteBatchMax).contains(batch) else {
            throw MarketError(.invalidRequest, "batch must be 1 to \(configuration.quoteBatchMax)")
        }
        if let auction, auction != "dutch", auction != "sealed" {
            throw MarketError(.invalidRequest, "auction must be 'dutch' or 'sealed'")
        }
        let model = try await self.model(modelID)
        guard model.status == .ready, let workMacs = model.workMacs else {
            throw MarketError(.modelNotReady, "model \(model.id) is \(model.status.rawValue); only a ready model is quoted")
        }
        let factor = workFactorPercent(proofMode)
        let (publicMacs, overflow) = max(1, workMacs).multipliedReportingOverflow(by: Int64(batch))
        let (scaledMacs, scaledOverflow) = publicMacs.multipliedReportingOverflow(by: Int64(factor))
        let jobMacs = scaledMacs / 100
        guard !overflow, !scaledOverflow else { throw MarketError(.invalidRequest, "batch \(batch) of model \(model.id) is too much work to price") }
        let now = clock.now()
        let since = now.addingTimeInterval(-Double(configuration.quoteWindowSeconds))
        let activeSince = now.addingTimeInterval(-Double(configuration.workerActiveSeconds))
        let (jobs, floorRows) = try await pool.transaction(.repeatableRead) { c in
            (try await c.run(QuoteQueries.quoteFulfilledRecently, [
                .timestamp(since), auction.map { .text($0) } ?? .null, .int(Int64(configuration.quoteJobsMax)),
                .int(Int64(workFactorPercent(.private))),
             ]).rows,
             try await c.run(WorkerQueries.workerActiveFloors, [.timestamp(activeSince), .timestamp(now), .int(10_000)]).rows)
        }
        var rates: [Int64] = []
        var lockDelays: [Int] = []
        for row in jobs {
            let price: Int64 = try row.decode("lock_price"), macs: Int64 = try row.decode("work_macs")
            rates.append(Self.perMegaMAC(price, macs: macs))
            if try row.decode("auction", as: String.self) == "dutch", let locked = try row.decode("locked_at", as: Date?.self) {
                let started: Date = try row.decode("bidding_start")
                lockDelays.append(max(0, Int(locked.timeIntervalSince(started).rounded(.up))))
            }
        }
        rates.sort()
        lockDelays.sort()
        var floors: [Int64] = []
        for row in floorRows {
            let capabilities = try row.decode("capabilities", as: PostgresJSON.self).decode(WorkerCapabilities.self)
            if capabilities.admits(model, workFactorPercent: factor), capabilities.proves(proofMode) { floors.append(try row.decode("min_price_per_mmac")) }
        }
        func cleared(_ rate: Int64) -> Int { floors.prefix { $0 <= rate }.count }

        let market = rates.isEmpty ? nil
            : PriceQuote.Percentiles(p10: Self.percentile(rates, 10), p50: Self.percentile(rates, 50), p90: Self.percentile(rates, 90))
        let (minRate, maxRate, basis): (Int64, Int64, PriceQuote.Basis)
        if let market {
            (minRate, maxRate, basis) = (market.p10, max(market.p90, floors.first ?? 0), .market)
        } else if let lowest = floors.first {
            (minRate, maxRate, basis) = (lowest, Self.percentile(floors, 90), .workerFloors)
        } else {
            let rate = configuration.quoteDefaultPricePerMegaMAC
            (minRate, maxRate, basis) = (rate, rate.multipliedReportingOverflow(by: 2).overflow ? rate : rate * 2, .default)
        }
        let limit = configuration.amountMicrosMax
        let maxPrice = max(1, Self.price(at: maxRate, macs: jobMacs, roundingUp: true, limit: limit))
        let dutch = (auction ?? "dutch") == "dutch"
        let ramp = lockDelays.isEmpty ? Self.quoteRampSecondsDefault
            : min(max(2 * lockDelays[(lockDelays.count - 1) / 2], Self.quoteRampSeconds.lowerBound), Self.quoteRampSeconds.upperBound)
        let suggestion = PriceQuote.Suggestion(
            auction: dutch ? "dutch" : "sealed",
            minPrice: dutch ? min(maxPrice, Self.price(at: minRate, macs: jobMacs, roundingUp: false, limit: limit)) : 0,
            maxPrice: maxPrice, rampUpSeconds: dutch ? ramp : nil, bidWindowSeconds: dutch ? nil : Self.quoteBidWindowSeconds,
            maxPricePerMegaMAC: maxRate, workersCleared: cleared(maxRate), basis: basis)
        return PriceQuote(modelID: model.id, workMacs: workMacs, batch: batch, proofMode: proofMode, workFactorPercent: factor,
                          jobMacs: jobMacs, auction: auction,
                          windowSeconds: configuration.quoteWindowSeconds, jobs: rates.count, pricePerMegaMAC: market,
                          workersActive: floors.count,
                          workersCleared: market.map { PriceQuote.Cleared(p10: cleared($0.p10), p50: cleared($0.p50), p90: cleared($0.p90)) },
                          suggested: suggestion)
    }

    /// `price × 10⁶ ÷ macs`, rounded down, saturating at `Int64.max` (prices are not negative).
    static func perMegaMAC(_ price: Int64, macs: Int64) -> Int64 {
        let quotient = dividedSaturating(UInt64(max(0, price)).multipliedFullWidth(by: 1_000_000), by: UInt64(max(1, macs)))
        return quotient.value
    }

    /// The price of `macs` multiply-accumulates at `rate` per MMAC, rounded up or down, at most `limit`.
    static func price(at rate: Int64, macs: Int64, roundingUp: Bool, limit: Int64) -> Int64 {
        let (value, remainder) = dividedSaturating(UInt64(max(0, rate)).multipliedFullWidth(by: UInt64(max(0, macs))), by: 1_000_000)
        let price = value < Int64.max && roundingUp && remainder > 0 ? value + 1 : value
        return min(price, limit)
    }

    /// A 128-bit quotient clamped to `Int64.max`, with the remainder (0 when clamped).
    private static func dividedSaturating(_ dividend: (high: UInt64, low: UInt64), by divisor: UInt64) -> (value: Int64, remainder: UInt64) {
        guard dividend.high < divisor else { return (Int64.max, 0) }
        let (quotient, remainder) = divisor.dividingFullWidth(dividend)
        return quotient > UInt64(Int64.max) ? (Int64.max, 0) : (Int64(quotient), remainder)
    }

    /// The nearest-rank `p`th percentile of the sorted, non-empty `values`.
    static func percentile(_ values: [Int64], _ p: Int) -> Int64 {
        let rank = (p * values.count + 99) / 100
        return values[min(values.count - 1, max(0, rank - 1))]
    }
}
