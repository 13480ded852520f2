import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

@Suite struct ReceiptTests {
    @Test func fulfilledJob_HasASignedReceiptThatBreaksWhenTampered() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 10_000)
        let job = try await f.job(client)
        #expect(await f.code { try await f.market.receipt(of: job.id, by: client) } == .jobNotFulfilled)
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        let proof = try await f.proof(for: grant)
        let s = try await f.market.submitProof(job.id, proof: proof, by: wp, worker: w.id)
        let receipt = try await f.market.receipt(of: job.id, by: client)
        let key = try await f.market.coordinatorKey().publicKey
        #expect(receipt.isSigned(by: key))
        #expect(receipt.receiptVersion == 2 && receipt.coordinatorPublicKey == key.map { String(format: "%02x", $0) }.joined())
        // The model's commitment is what is signed, by its digest.
        let commitment = try #require(try await f.market.model(job.modelID).commitment)
        #expect(receipt.commitmentDigest == Receipt.commitmentDigest(commitment) && receipt.commitmentDigest.count == 64)
        // Signed by any other key, it is not the coordinator's, whatever key it names.
        let stranger = try #require(CoordinatorKey(seed: Array(repeating: 7, count: 32)))
        #expect(receipt.isSigned(by: stranger.publicKey) == false)
        #expect(receipt.output == s.output && receipt.argmax == RealProofs.output(for: MarketFixture.input).argmax && receipt.workerID == w.id)
        #expect(Data(base64Encoded: receipt.proof).map(Array.init) == proof)
        // The same key signs for every replica: a second market on the database publishes it too.
        let other = try await Market.open(pool: f.db.pool, clock: f.clock, verifier: InferenceProofVerifier())
        #expect(try await other.coordinatorKey().publicKey == f.market.coordinatorKey().publicKey)
        #expect(try await other.receipt(of: job.id, by: wp).signature == receipt.signature)
        // Any change to a bound value breaks the signature.
        let encoded = try JSONEncoder().encode(receipt)
        var json = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        func forged(_ field: String, _ value: Any) throws -> Receipt {
            var changed = json
            changed[field] = value
            return try JSONDecoder().decode(Receipt.self, from: try JSONSerialization.data(withJSONObject: changed))
        }
        #expect(try !forged("modelID", "another-model").isSigned(by: key))
        #expect(try !forged("proofDigest", String(repeating: "0", count: 64)).isSigned(by: key))
        #expect(try !forged("commitmentDigest", String(repeating: "0", count: 64)).isSigned(by: key))
        #expect(try !forged("receiptVersion", 1).isSigned(by: key))
        // Strangers cannot read it.
        let outsider = try await f.client(funds: 0)
        #expect(await f.code { try await f.market.receipt(of: job.id, by: outsider) } == .unknownJob)
    }

    @Test func ed25519_MatchesRFC8032TestVector() throws {
        // RFC 8032 §7.1, TEST 1 (empty message).
        let seed = try #require(Receipt.bytes(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let key = try #require(CoordinatorKey(seed: seed))
        #expect(key.publicKey == Receipt.bytes(hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let signature = key.sign([])
        #expect(signature == Receipt.bytes(hex: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"))
        #expect(CoordinatorKey.verify(publicKey: key.publicKey, message: [], signature: signature))
        #expect(!CoordinatorKey.verify(publicKey: key.publicKey, message: [0], signature: signature))
    }

    @Test func stats_CountJobsWorkersAndShares() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 1_000_000)
        let (wp, w) = try await f.worker(funds: 100_000)
        for _ in 0..<3 {
            let job = try await f.job(client)
            let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
            _ = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), proveMilliseconds: 10, by: wp, worker: w.id)
        }
        _ = try await f.job(client)
        let stats = try await f.market.stats(by: f.admin)
        #expect(stats.jobsByStatus == ["fulfilled": 3, "open": 1])
        #expect(stats.proveMilliseconds["p50"] == 10)
        let perMegaMac = try #require(stats.lockPricePerMegaMac["p50"])
        let macs = Double(RealProofs.loaded.facts.workMacs)
        #expect(abs(perMegaMac - 1_000 * 1_000_000 / macs) < 0.001)   // locked at the min price 1 000
        #expect(stats.workers.first?.fulfilled == 3)
        #expect(stats.largestWorkerShareLastDay == 1 && stats.fulfilledLastDay == 3)
        #expect(await f.code { try await f.market.stats(by: client) } == .forbidden)
        try await f.expectLedgerIntact()
    }
}

@Suite struct JobWatcherTests {
    @Test func longPoll_WakesOnTheTransitionsNotify() async throws {
        let f = try await MarketFixture.make()
        let watcher = try await JobWatcher(configuration: f.db.configuration)
        defer { watcher.stop() }
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 10_000)
        let job = try await f.job(client)
        // A status that already differs answers at once, without waiting.
        #expect(try await f.market.waitForChange(job.id, from: .locked, timeoutSeconds: 60, by: client, watcher: watcher).status == .open)
        let waiting = Task { try await f.market.waitForChange(job.id, from: .open, timeoutSeconds: 60, by: client, watcher: watcher) }
        while watcher.waiting == 0 { await Task.yield() }
        _ = try await f.market.lock(job.id, by: wp, worker: w.id)
        let changed = try await waiting.value
        #expect(changed.status == .locked)
        #expect(watcher.wakeupsByNotification >= 1, "woken by the NOTIFY, not by the timeout")
        #expect(watcher.waiting == 0)
    }

    @Test func marketLongPoll_WakesWhenAJobOpens() async throws {
        let f = try await MarketFixture.make()
        let watcher = try await JobWatcher(configuration: f.db.configuration)
        defer { watcher.stop() }
        let client = try await f.client(funds: 100_000)
        let (wp, _) = try await f.worker(funds: 0)
        _ = try await f.model()
        let waiting = Task { try await f.market.waitForOpenJobs(timeoutSeconds: 60, by: wp, watcher: watcher) }
        while watcher.waiting == 0 { await Task.yield() }
        let job = try await f.job(client)
        #expect(try await waiting.value.map(\.id) == [job.id])
        #expect(watcher.wakeupsByNotification == 1)
    }

    @Test func registrationsBeyondTheLimit_AnswerAtOnce() async throws {
        let f = try await MarketFixture.make()
        let watcher = try await JobWatcher(configuration: f.db.configuration)
        defer { watcher.stop() }
        var tickets: [JobWatcher.Ticket] = []
        for _ in 0..<JobWatcher.waitersMax { tickets.append(try #require(watcher.register(job: nil))) }
        #expect(watcher.register(job: UUID()) == nil)
        tickets.forEach(watcher.cancel)
        #expect(watcher.waiting == 0)
        #expect(watcher.register(job: UUID()) != nil)
    }
}
