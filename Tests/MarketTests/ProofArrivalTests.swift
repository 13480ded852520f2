import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

/// A proof is judged by when it arrived, not by how long the coordinator took to verify it;
/// the mark that says a proof is pending holds the sweeper back for a bounded time only.
@Suite struct ProofArrivalTests {
    private func proofMark(_ f: MarketFixture, _ job: UUID) async throws -> Date? {
        try await f.db.pool.query("SELECT proof_received_at FROM jobs WHERE id = $1", [.uuid(job)]).first?
            .decode("proof_received_at", as: Date?.self)
    }

    @Test func proofReceivedBeforeExpiry_VerifiedAfterIt_IsPaid_OneReceivedAfterIsNot() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(ramp: 0, lockTimeout: 300, stake: 5_000))
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        let proof = try await f.proof(for: grant)
        let late = try await f.job(client, MarketFixture.dutch(ramp: 0, lockTimeout: 300, stake: 0))
        let lateGrant = try await f.market.lock(late.id, by: wp, worker: w.id)
        let lateProof = try await f.proof(for: lateGrant)
        // Verification ends after the expiry (the clock has moved past it meanwhile).
        f.clock.advance(seconds: 301)
        let s = try await f.market.submitProof(job.id, proof: proof, by: wp, worker: w.id,
                                               receivedAt: grant.expiresAt.addingTimeInterval(-1))
        #expect(s.stakeReleased == 5_000)
        #expect(try await f.market.job(job.id, by: client).status == .fulfilled)
        #expect(await f.code {
            try await f.market.submitProof(late.id, proof: lateProof, by: wp, worker: w.id, receivedAt: lateGrant.expiresAt)
        } == .lockExpired)
        #expect(try await proofMark(f, late.id) == nil)
        try await f.expectLedgerIntact()
    }

    @Test func pendingProofMark_HoldsTheSweeperForTheGracePeriodOnly() async throws {
        var configuration = MarketConfiguration()
        configuration.proofVerifyGraceSeconds = 120
        let f = try await MarketFixture.make(configuration: configuration)
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(ramp: 0, lockTimeout: 300, deadline: 3_600, stake: 5_000))
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)
        // What a coordinator that died while verifying leaves behind: a proof's arrival mark,
        // 10 s before the lock's end, and no decision.
        let arrived = f.clock.now().addingTimeInterval(290)
        try await f.db.pool.query("UPDATE jobs SET proof_received_at = $2 WHERE id = $1", [.uuid(job.id), .timestamp(arrived)])
        let sweeper = Sweeper(market: f.market)
        f.clock.advance(seconds: 301)
        #expect(try await sweeper.runOnce().locksExpired == 0)
        #expect(try await f.market.job(job.id, by: client).status == .locked)
        // Past the mark's grace period the lock is slashed as any expired lock: no job stays locked for ever.
        f.clock.advance(seconds: 290 + 120 - 301 - 1)
        #expect(try await sweeper.runOnce().locksExpired == 0)
        f.clock.advance(seconds: 1)
        #expect(try await sweeper.runOnce().locksExpired == 1)
        let reopened = try await f.market.job(job.id, by: client)
        #expect(reopened.status == .open)
        #expect(try await proofMark(f, job.id) == nil)
        #expect(try await f.balance(wp) == Balance(available: 0, held: 0))
        try await f.expectLedgerIntact()
    }

    @Test func rejectedProof_ClearsItsMark_SoTheLockExpiresOnTime() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(ramp: 0, lockTimeout: 300, stake: 5_000))
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)
        #expect(await f.code { try await f.market.submitProof(job.id, proof: [1, 2, 3], by: wp, worker: w.id) } == .proofRejected)
        #expect(try await proofMark(f, job.id) == nil)
        f.clock.advance(seconds: 301)
        #expect(try await Sweeper(market: f.market).runOnce().locksExpired == 1)
        try await f.expectLedgerIntact()
    }

    @Test func proofPastTheLimit_IsRefusedUnread_AtTheLimitItIsVerified() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client)
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)
        let past = [UInt8](repeating: 0x5a, count: Market.proofBytesMax + 1)
        #expect(await f.code { try await f.market.submitProof(job.id, proof: past, by: wp, worker: w.id) } == .proofTooLarge)
        #expect(try await f.market.worker(w.id, by: wp).jobsRejected == 0)
        #expect(try await proofMark(f, job.id) == nil)
        let atLimit = [UInt8](repeating: 0x5a, count: Market.proofBytesMax)
        do {
            _ = try await f.market.submitProof(job.id, proof: atLimit, by: wp, worker: w.id)
            Issue.record("a junk proof was accepted")
        } catch let error as MarketError {
            #expect(error.code == .proofRejected && error.reason != "proof_too_large", "\(error)")
        }
        #expect(try await f.market.worker(w.id, by: wp).jobsRejected == 1)
    }
}
