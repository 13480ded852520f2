import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

@Suite struct SettlementTests {
    @Test func validProof_PaysPriceMinusFeeReturnsStakeAndRefundsTheRest() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 1_000, max: 11_000, ramp: 100, stake: 5_000))
        f.clock.advance(seconds: 50)
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)   // price 6 000
        let proof = try await f.proof(for: grant)
        let s = try await f.market.submitProof(job.id, proof: proof, proveMilliseconds: 42, by: wp, worker: w.id)
        #expect(s.price == 6_000 && s.fee == 150 && s.workerPayment == 5_850)
        #expect(s.clientRefund == job.escrow - 6_000 && s.stakeReleased == 5_000)
        #expect(s.output == RealProofs.output(for: MarketFixture.input))
        #expect(try await f.balance(client) == Balance(available: 100_000 - 6_000, held: 0))
        #expect(try await f.balance(wp) == Balance(available: 5_000 + 5_850, held: 0))
        #expect(try await f.balance(f.market.platform.fees) == Balance(available: 150, held: 0))
        let done = try await f.market.job(job.id, by: client)
        #expect(done.status == .fulfilled && done.output == s.output && done.proofMilliseconds == 42)
        #expect(done.verifyMilliseconds != nil && done.finishedAt != nil)
        #expect(try await f.market.proof(of: job.id, by: client) == proof)
        #expect(try await f.market.events(of: job.id, by: client).map(\.kind) == ["created", "locked", "fulfilled"])
        #expect(try await f.market.worker(w.id, by: wp).jobsFulfilled == 1)
        let kinds = try await f.market.ledger(job: job.id).entries.map(\.kind)
        #expect(kinds == [.escrowHold, .stakeHold, .payment, .fee, .escrowRefund, .stakeRelease])
        // Submitting again returns the same settlement and moves nothing.
        let again = try await f.market.submitProof(job.id, proof: proof, by: wp, worker: w.id)
        #expect(again == s)
        #expect(try await f.market.ledger(job: job.id).entries.count == 6)
        try await f.expectLedgerIntact()
    }

    @Test func concurrentSubmissions_SettleOnce() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client)
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        let proof = try await f.proof(for: grant)
        let results = try await withThrowingTaskGroup(of: Settlement.self) { group in
            for _ in 0..<8 { group.addTask { try await f.market.submitProof(job.id, proof: proof, by: wp, worker: w.id) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.workerPayment)).count == 1)
        #expect(try await f.market.ledger(job: job.id).entries.filter { $0.kind == .payment }.count == 1)
        try await f.expectLedgerIntact()
    }

    @Test func invalidProof_IsRejectedWithItsReasonAndTheLockStays() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client)
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        func reason(_ proof: [UInt8]) async -> String? {
            do { _ = try await f.market.submitProof(job.id, proof: proof, by: wp, worker: w.id); return nil }
            catch let e as MarketError { return e.code == .proofRejected ? e.reason : "other: \(e.code)" }
            catch { return "\(error)" }
        }
        #expect(await reason([1, 2, 3]) == "proof_malformed")
        // A real proof bound to another nonce (a replay from an earlier lock) is refused,
        // and so is a real proof of another input; each with the verifier's stable code.
        let replayed = RealProofs.prove(jobID: job.id, workerID: w.id, nonce: "0123", input: grant.input)
        let replayReason = await reason(replayed)
        #expect(replayReason != nil && replayReason?.hasPrefix("other") == false)
        let otherInput = RealProofs.prove(jobID: job.id, workerID: w.id, nonce: grant.nonce, input: RealProofs.input(7))
        let otherReason = await reason(otherInput)
        #expect(otherReason != nil && otherReason?.hasPrefix("other") == false)
        #expect(await f.code { try await f.market.submitProof(job.id, proof: [], by: wp, worker: w.id) } == .invalidRequest)
        let still = try await f.market.job(job.id, by: client)
        #expect(still.status == .locked && still.lockedBy == w.id)
        #expect(try await f.market.worker(w.id, by: wp).jobsRejected == 3)
        let events = try await f.market.events(of: job.id, by: client)
        #expect(events.filter { $0.kind == "proof_rejected" }.count == 3)
        #expect(events.last?.detail.contains(otherReason ?? "?") == true)
        // The real proof still settles while the lock holds.
        _ = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: wp, worker: w.id)
        try await f.expectLedgerIntact()
    }

    @Test func proofFromNonHolderOrAfterExpiry_IsRefused() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let (op, ow) = try await f.worker(funds: 5_000)
        let open = try await f.job(client)
        #expect(await f.code { try await f.market.submitProof(open.id, proof: [1], by: wp, worker: w.id) } == .jobNotLocked)
        let job = try await f.job(client, MarketFixture.dutch(lockTimeout: 300))
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        let proof = try await f.proof(for: grant)
        #expect(await f.code { try await f.market.submitProof(job.id, proof: proof, by: op, worker: ow.id) } == .notLockHolder)
        f.clock.advance(seconds: 300)
        #expect(await f.code { try await f.market.submitProof(job.id, proof: proof, by: wp, worker: w.id) } == .lockExpired)
        #expect(await f.code { try await f.market.release(job.id, by: wp, worker: w.id) } == .lockExpired)
        #expect(try await f.balance(wp) == Balance(available: 0, held: 5_000))
        try await f.expectLedgerIntact()
    }

    @Test func release_CostsTheSmallerPenaltyAndReopens() async throws {
        let f = try await MarketFixture.make()   // release penalty 20 %, half of it to the client
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(stake: 5_000))
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)
        let reopened = try await f.market.release(job.id, by: wp, worker: w.id)
        #expect(reopened.status == .open && reopened.lockedBy == nil && reopened.attempt == 1)
        #expect(try await f.balance(wp) == Balance(available: 4_000, held: 0))
        #expect(try await f.balance(client).available == 100_000 - job.escrow + 500)
        #expect(try await f.balance(f.market.platform.slashed) == Balance(available: 500, held: 0))
        #expect(await f.code { try await f.market.release(job.id, by: wp, worker: w.id) } == .jobNotLocked)
        // Another worker takes it; the new attempt is bound to a new nonce.
        let (op, ow) = try await f.worker(funds: 5_000)
        let grant = try await f.market.lock(job.id, by: op, worker: ow.id)
        #expect(grant.attempt == 2)
        #expect(await f.code { try await f.market.release(job.id, by: wp, worker: w.id) } == .notLockHolder)
        _ = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: op, worker: ow.id)
        #expect(try await f.market.events(of: job.id, by: client).map(\.kind) == ["created", "locked", "released", "locked", "fulfilled"])
        #expect(try await f.market.worker(w.id, by: wp).jobsReleased == 1)
        try await f.expectLedgerIntact()
    }
}
