import Foundation

/// How a job's price is found.
public enum AuctionTerms: Sendable, Codable, Equatable {
    /// The price rises linearly from `minPrice` at `biddingStart` (default: now) to `maxPrice`
    /// at `biddingStart + rampUpSeconds`; the first worker to lock gets the current price.
    case dutch(minPrice: Int64, maxPrice: Int64, biddingStart: Date?, rampUpSeconds: Int)
    /// Workers bid for `bidWindowSeconds` from creation; the lowest bid wins and is paid the
    /// second-lowest (capped by `maxPrice`), a lone bid its own. Bids below `minPrice` are refused.
    case sealed(minPrice: Int64, maxPrice: Int64, bidWindowSeconds: Int)

    /// `dutch` or `sealed`.
    public var name: String {
        switch self {
        case .dutch: return "dutch"
        case .sealed: return "sealed"
        }
    }
}

/// The terms a client posts a job with.
public struct JobTerms: Sendable, Codable, Equatable {
    /// The auction.
    public var auction: AuctionTerms
    /// How long a lock lasts before it expires and its stake is slashed.
    public var lockTimeoutSeconds: Int
    /// From the start of bidding to the deadline, after which the job expires.
    public var deadlineSeconds: Int
    /// The stake a worker puts up to lock the job, in micro-credits.
    public var lockStake: Int64
    /// What happens when a round ends without a lock; nil: nothing (a Dutch job stays open at
    /// its maximum, a sealed job opens a new window at the same prices, until the deadline).
    public var reauction: ReauctionPolicy?

    /// Bundles terms (validated when a job is created).
    public init(auction: AuctionTerms, lockTimeoutSeconds: Int, deadlineSeconds: Int, lockStake: Int64,
                reauction: ReauctionPolicy? = nil) {
        self.auction = auction
        self.lockTimeoutSeconds = lockTimeoutSeconds
        self.deadlineSeconds = deadlineSeconds
        self.lockStake = lockStake
        self.reauction = reauction
    }

    /// The terms in columns, once validated.
    struct Resolved {
        var auction: String
        var minPrice: Int64
        var maxPrice: Int64
        var biddingStart: Date
        var rampUpSeconds: Int
        var bidWindowSeconds: Int
        var deadline: Date
        /// The highest price any round may reach: `maxPrice` raised by every round of the policy.
        var escrowedMaxPrice: Int64
    }

    /// Checks every rule on the terms; throws `invalid_terms` naming the first one broken.
    func resolve(now: Date, configuration c: MarketConfiguration) throws -> Resolved {
        func fail(_ message: String) -> MarketError { MarketError(.invalidTerms, message) }
        let (minPrice, maxPrice) : (Int64, Int64)
        switch auction {
        case .dutch(let lo, let hi, _, _), .sealed(let lo, let hi, _): (minPrice, maxPrice) = (lo, hi)
        }
        guard minPrice >= 0 else { throw fail("min_price must not be negative") }
        guard maxPrice > 0 else { throw fail("max_price must be positive") }
        guard maxPrice <= c.amountMicrosMax else { throw fail("max_price may be at most \(c.amountMicrosMax) micro-credits") }
        guard minPrice <= maxPrice else { throw fail("min_price (\(minPrice)) must not exceed max_price (\(maxPrice))") }
        guard lockStake >= 0, lockStake <= c.amountMicrosMax else {
            throw fail("lock_stake must be 0 to \(c.amountMicrosMax) micro-credits")
        }
        guard lockTimeoutSeconds >= 1, lockTimeoutSeconds <= c.lockTimeoutSecondsMax else {
            throw fail("lock_timeout_s must be 1 to \(c.lockTimeoutSecondsMax)")
        }
        guard deadlineSeconds >= 1, deadlineSeconds <= c.deadlineSecondsMax else {
            throw fail("deadline_s must be 1 to \(c.deadlineSecondsMax)")
        }
        guard lockTimeoutSeconds <= deadlineSeconds else {
            throw fail("lock_timeout_s (\(lockTimeoutSeconds)) must not exceed deadline_s (\(deadlineSeconds))")
        }
        switch auction {
        case .dutch(_, _, let start, let ramp):
            let biddingStart = start ?? now
            guard ramp >= 0 else { throw fail("ramp_up_s must not be negative") }
            guard ramp <= lockTimeoutSeconds else {
                throw fail("ramp_up_s (\(ramp)) must not exceed lock_timeout_s (\(lockTimeoutSeconds))")
            }
            guard biddingStart.timeIntervalSince(now) <= Double(c.biddingStartDelaySecondsMax) else {
                throw fail("bidding_start may be at most \(c.biddingStartDelaySecondsMax) s in the future")
            }
            guard biddingStart.timeIntervalSince(now) > -Double(c.lockTimeoutSecondsMax) else {
                throw fail("bidding_start is too far in the past")
            }
            let deadline = biddingStart.addingTimeInterval(Double(deadlineSeconds))
            guard deadline > now else { throw fail("the deadline would already have passed") }
            // A round ends when its ramp does: a ramp of zero would end every round at once.
            guard reauction == nil || ramp >= 1 else { throw fail("a Dutch job with a reauction policy needs ramp_up_s of at least 1") }
            return Resolved(auction: "dutch", minPrice: minPrice, maxPrice: maxPrice, biddingStart: biddingStart,
                            rampUpSeconds: ramp, bidWindowSeconds: 0, deadline: deadline,
                            escrowedMaxPrice: try escrowedMaximum(maxPrice, configuration: c))
        case .sealed(_, _, let window):
            guard window >= 1, window <= c.bidWindowSecondsMax else {
                throw fail("bid_window_s must be 1 to \(c.bidWindowSecondsMax)")
            }
            guard window + lockTimeoutSeconds <= deadlineSeconds else {
                throw fail("bid_window_s + lock_timeout_s (\(window + lockTimeoutSeconds)) must not exceed deadline_s (\(deadlineSeconds))")
            }
            return Resolved(auction: "sealed", minPrice: minPrice, maxPrice: maxPrice, biddingStart: now,
                            rampUpSeconds: 0, bidWindowSeconds: window,
                            deadline: now.addingTimeInterval(Double(deadlineSeconds)),
                            escrowedMaxPrice: try escrowedMaximum(maxPrice, configuration: c))
        }
    }
}

extension JobTerms {
    /// The escrowed maximum of a job posted at `maxPrice`: the policy's last ceiling, which must
    /// be a price a job may name.
    func escrowedMaximum(_ maxPrice: Int64, configuration c: MarketConfiguration) throws -> Int64 {
        guard let reauction else { return maxPrice }
        guard (0...c.reauctionRoundsMax).contains(reauction.maxRounds) else {
            throw MarketError(.invalidTerms, "reauction.max_rounds must be 0 to \(c.reauctionRoundsMax)")
        }
        guard (0...ReauctionPolicy.stepBasisPointsMax).contains(reauction.priceStepBasisPoints) else {
            throw MarketError(.invalidTerms, "reauction.price_step_bps must be 0 to \(ReauctionPolicy.stepBasisPointsMax)")
        }
        guard let top = reauction.ceiling(after: reauction.maxRounds, from: maxPrice, limit: c.amountMicrosMax) else {
            throw MarketError(.invalidTerms, "the reauction policy would raise max_price past \(c.amountMicrosMax) micro-credits "
                              + "by its last round; take fewer rounds or a smaller step")
        }
        return top
    }
}

/// The Dutch price curve.
public enum DutchPrice {
    /// `min + (max − min) × elapsed / ramp`, in whole micro-credits rounded down, with elapsed
    /// time in microseconds clamped to [0, ramp]; `nil` before bidding starts. A zero ramp is
    /// `max` at once. Computed in 128-bit intermediates, so it cannot overflow.
    public static func at(_ now: Date, minPrice: Int64, maxPrice: Int64, biddingStart: Date, rampUpSeconds: Int) -> Int64? {
        let elapsedMicros = Int64(((now.timeIntervalSince(biddingStart)) * 1_000_000).rounded(.down))
        guard elapsedMicros >= 0 else { return nil }
        let rampMicros = Int64(rampUpSeconds) * 1_000_000
        guard rampMicros > 0, elapsedMicros < rampMicros else { return maxPrice }
        let spread = maxPrice - minPrice
        let product = spread.multipliedFullWidth(by: elapsedMicros)
        return minPrice + rampMicros.dividingFullWidth(product).quotient
    }
}
