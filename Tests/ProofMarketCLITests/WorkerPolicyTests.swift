import Foundation
import Testing
@testable import ProofMarketCLI

@Suite struct WorkerPolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = WorkerPolicy(minPricePerMegaMAC: 2_000_000)   // 2 credits per million MACs

    func dutch(current: Int64, min: Int64 = 0, max: Int64 = 1_000_000, start: Date? = nil, ramp: Int = 10) -> WireOpenJob {
        WireOpenJob(id: UUID(), modelId: "m", auction: "dutch", currentPrice: current, minPrice: min, maxPrice: max,
                    lockStake: 100, lockTimeoutS: 60, deadline: now.addingTimeInterval(600), biddingStart: start ?? now,
                    rampUpS: ramp, bidWindowEnd: nil)
    }

    @Test func floor_IsWorkTimesRate_RoundedUp() {
        #expect(policy.floor(workMACs: 100_000) == 200_000)
        #expect(policy.floor(workMACs: 1) == 2)
        #expect(policy.floor(workMACs: 0) == 0)
        #expect(policy.floor(workMACs: Int64.max) == Int64.max, "saturates instead of overflowing")
    }

    @Test func dutchAtOrAboveFloor_LocksNow() {
        #expect(policy.decide(job: dutch(current: 200_000), workMACs: 100_000, provingSecondsPerMegaMAC: 0.1, now: now) == .lockNow(price: 200_000))
        #expect(policy.decide(job: dutch(current: 500_000), workMACs: 100_000, provingSecondsPerMegaMAC: 0.1, now: now) == .lockNow(price: 500_000))
    }

    @Test func dutchBelowFloor_WaitsUntilThePriceReachesIt() {
        // Price rises 0 → 1,000,000 over 10 s; the floor 200,000 is reached after 2 s.
        let decision = policy.decide(job: dutch(current: 0), workMACs: 100_000, provingSecondsPerMegaMAC: 0.1, now: now)
        #expect(decision == .waitUntil(now.addingTimeInterval(2)))
    }

    @Test func maxPriceBelowFloor_IsSkipped() {
        let decision = policy.decide(job: dutch(current: 0, max: 199_999), workMACs: 100_000, provingSecondsPerMegaMAC: 0.1, now: now)
        #expect(decision == .skip(.priceBelowFloor))
    }

    @Test func sealed_BidsFloorPlusMargin_CappedAtMax() {
        var job = dutch(current: 0)
        job.auction = "sealed"
        job.bidWindowEnd = now.addingTimeInterval(3)
        #expect(policy.decide(job: job, workMACs: 100_000, provingSecondsPerMegaMAC: 0.1, now: now) == .bid(price: 220_000))
        job.maxPrice = 210_000
        #expect(policy.decide(job: job, workMACs: 100_000, provingSecondsPerMegaMAC: 0.1, now: now) == .bid(price: 210_000))
        // A closed window is awarded or restarted by the sweeper: the node looks again shortly
        // rather than giving the job up (it would miss every later round).
        job.bidWindowEnd = now
        #expect(policy.decide(job: job, workMACs: 100_000, provingSecondsPerMegaMAC: 0.1, now: now) == .waitUntil(now.addingTimeInterval(0.5)))
    }

    @Test func jobItCannotProveBeforeTheLockExpires_IsSkipped() {
        // 100,000 MACs at 400 s per million is 40 s, more than half of the 60 s lock.
        let decision = policy.decide(job: dutch(current: 900_000), workMACs: 100_000, provingSecondsPerMegaMAC: 400, now: now)
        #expect(decision == .skip(.tooSlowForLock))
    }

    @Test func modelOverCapacity_IsSkipped() {
        var small = policy
        small.maxWorkMACs = 1_000
        #expect(small.decide(job: dutch(current: 900_000), workMACs: 100_000, provingSecondsPerMegaMAC: 0.1, now: now) == .skip(.workTooLarge))
    }
}
