import Foundation

/// How a prover node decides what to do with an open job, as a careful prover would
/// (Boundless's broker reasons the same way): a price floor from the job's work size, a
/// margin for sealed bids, and an estimate of its own proving time.
struct WorkerPolicy: Sendable {
    /// The least it accepts, in micro-credits per million multiply-accumulates.
    var minPricePerMegaMAC: Int64
    /// Added to the floor for sealed bids: 0.1 bids 10 % above the floor.
    var sealedMargin: Double = 0.1
    /// The largest model it takes, in multiply-accumulates.
    var maxWorkMACs: Int64 = 50_000_000
    /// A job is skipped unless the estimated proving time is at most this share of the lock time.
    var lockTimeShareMax: Double = 0.5

    /// What to do with one job.
    enum Decision: Equatable, Sendable {
        /// Lock a Dutch job now at about this price.
        case lockNow(price: Int64)
        /// Look again at this time, when the Dutch price reaches the floor.
        case waitUntil(Date)
        /// Bid this price in a sealed auction.
        case bid(price: Int64)
        /// Leave it, for this reason.
        case skip(SkipReason)
    }

    /// Why a job was left, as a stable code for logs.
    enum SkipReason: String, Sendable {
        case priceBelowFloor = "price_below_floor"
        case workTooLarge = "work_too_large"
        case tooSlowForLock = "too_slow_for_lock"
        case deadlineTooClose = "deadline_too_close"
        case unknownAuction = "unknown_auction"
    }

    /// The floor price for a job of `workMACs`, rounded up, saturating instead of overflowing.
    func floor(workMACs: Int64) -> Int64 {
        let (product, overflow) = workMACs.multipliedReportingOverflow(by: minPricePerMegaMAC)
        if overflow { return Int64.max }
        return (product + 999_999) / 1_000_000
    }

    /// Decides for `job`, whose model does `workMACs`, given the node's proving speed
    /// (`provingSecondsPerMegaMAC`, measured) at time `now`.
    func decide(job: WireOpenJob, workMACs: Int64, provingSecondsPerMegaMAC: Double, now: Date) -> Decision {
        guard workMACs <= maxWorkMACs else { return .skip(.workTooLarge) }
        let estimate = max(0.05, Double(workMACs) / 1_000_000 * provingSecondsPerMegaMAC)
        guard estimate <= Double(job.lockTimeoutS) * lockTimeShareMax else { return .skip(.tooSlowForLock) }
        guard job.deadline.timeIntervalSince(now) > estimate else { return .skip(.deadlineTooClose) }
        let floorPrice = floor(workMACs: workMACs)
        guard floorPrice <= job.maxPrice else { return .skip(.priceBelowFloor) }
        switch job.auction {
        case "dutch":
            let current = job.currentPrice ?? 0
            if current >= floorPrice { return .lockNow(price: current) }
            return .waitUntil(timeWhenPriceReaches(floorPrice, job: job, now: now))
        case "sealed":
            // A closed window is awarded or, without bids, restarted by the sweeper: look again.
            if let end = job.bidWindowEnd, end <= now { return .waitUntil(now.addingTimeInterval(0.5)) }
            let marked = Double(floorPrice) * (1 + sealedMargin)
            let price = marked >= Double(job.maxPrice) ? job.maxPrice : Swift.max(floorPrice, Int64(marked.rounded()))
            return .bid(price: price)
        default:
            return .skip(.unknownAuction)
        }
    }

    /// When a Dutch price, rising linearly from `min_price` at `bidding_start` to `max_price`
    /// after `ramp_up_s`, reaches `target`; without the ramp's terms, a second from now.
    func timeWhenPriceReaches(_ target: Int64, job: WireOpenJob, now: Date) -> Date {
        guard let start = job.biddingStart, let ramp = job.rampUpS, let min = job.minPrice, ramp > 0, job.maxPrice > min else {
            return now.addingTimeInterval(1)
        }
        let fraction = Double(target - min) / Double(job.maxPrice - min)
        let when = start.addingTimeInterval(fraction * Double(ramp))
        return Swift.max(when, now.addingTimeInterval(0.05))
    }
}
