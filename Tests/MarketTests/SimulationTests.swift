import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

/// SplitMix64: small, fast, and the same on every platform, so a seed replays exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A whole market driven by one seed: clients post Dutch and sealed jobs, workers lock, bid,
/// prove (sometimes badly), release or crash leaving locks to expire, two sweepers run, and
/// the clock jumps. At the end every job is fulfilled or expired, none was paid twice, and the
/// ledger verifies. The seed is printed; `MARKET_SIM_SEED=<n>` replays it. Each test has
/// 10 minutes (about 1 is usual), so a hang fails by name rather than stalling the run.
@Suite(.timeLimit(.minutes(10))) struct SimulationTests {
    struct Held { let jobID: UUID; let nonce: String; let input: Tensor; let modelID: String }

    final class Actor: @unchecked Sendable {
        let principal: Principal
        let worker: Worker
        var rng: SeededGenerator
        var held: [UUID: Held] = [:]
        var crashed: Set<UUID> = []
        var bidOn: Set<UUID> = []
        init(principal: Principal, worker: Worker, seed: UInt64) {
            self.principal = principal
            self.worker = worker
            rng = SeededGenerator(seed: seed)
        }
    }

    static func seed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["MARKET_SIM_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...UInt64.max)
    }

    @Test func seededSimulation_SixteenWorkersFiveHundredJobs_EveryJobEndsAndTheLedgerHolds() async throws {
        try await simulate(seed: Self.seed(), workers: 16, jobs: 500, concurrent: true)
    }

    @Test func seededSimulation_Sequential_ReplaysExactly() async throws {
        // Sequential actions make the whole run a function of the seed; run it twice and compare.
        let seed = Self.seed()
        let first = try await simulate(seed: seed, workers: 6, jobs: 80, concurrent: false)
        let second = try await simulate(seed: seed, workers: 6, jobs: 80, concurrent: false)
        #expect(first == second, "seed \(seed) did not replay: \(first) vs \(second)")
    }

    /// Runs one simulation; returns a summary (statuses counted, money per platform account) to compare replays.
    @discardableResult
    func simulate(seed: UInt64, workers workerCount: Int, jobs jobCount: Int, concurrent: Bool) async throws -> [String: Int64] {
        print("market simulation seed \(seed) (replay with MARKET_SIM_SEED=\(seed))")
        var rng = SeededGenerator(seed: seed)
        var limits = ConnectionPool.Limits()
        limits.maximumConnections = 12
        let f = try await MarketFixture.make(limits: limits)
        let sweepers = [Sweeper(market: f.market),
                        Sweeper(market: try await Market.open(pool: f.db.pool, clock: f.clock, verifier: InferenceProofVerifier()))]
        let clients = [try await f.client(funds: 1_000_000_000), try await f.client(funds: 1_000_000_000)]
        var actors: [Actor] = []
        for i in 0..<workerCount {
            let (p, w) = try await f.worker(funds: 300_000, name: "sim-\(i)")
            actors.append(Actor(principal: p, worker: w, seed: rng.next()))
        }
        _ = try await f.model()
        var order: [UUID: Int] = [:]   // creation order: a seed-stable way to name jobs
        var created = 0
        var ticks = 0

        func terms(_ r: inout SeededGenerator) -> JobTerms {
            let stake = Int64.random(in: 0...20_000, using: &r)
            if Bool.random(using: &r) {
                let lo = Int64.random(in: 0...2_000, using: &r), hi = lo + Int64.random(in: 1...20_000, using: &r)
                let ramp = Int.random(in: 0...60, using: &r), lock = ramp + Int.random(in: 10...90, using: &r)
                return MarketFixture.dutch(min: lo, max: hi, ramp: ramp, lockTimeout: lock,
                                           deadline: lock + Int.random(in: 60...600, using: &r), stake: stake)
            }
            let window = Int.random(in: 5...30, using: &r), lock = Int.random(in: 10...90, using: &r)
            return MarketFixture.sealed(min: 0, max: Int64.random(in: 1...20_000, using: &r), window: window, lockTimeout: lock,
                                        deadline: window + lock + Int.random(in: 30...600, using: &r), stake: stake)
        }

        @Sendable func act(_ a: Actor, open: [MarketJob], order: [UUID: Int]) async throws {
            // Held locks: crash (leave it to expire), release, prove badly, or prove.
            for (id, h) in a.held.sorted(by: { order[$0.key, default: 0] < order[$1.key, default: 0] }) where !a.crashed.contains(id) {
                let roll = Int.random(in: 0..<100, using: &a.rng)
                do {
                    if roll < 12 {
                        a.crashed.insert(id)
                    } else if roll < 17 {
                        _ = try await f.market.release(id, by: a.principal, worker: a.worker.id)
                        a.held[id] = nil
                    } else if roll < 60 {
                        if roll < 25 { _ = try? await f.market.submitProof(id, proof: [0xFF, 1, 2], by: a.principal, worker: a.worker.id) }
                        // Like a real worker, prove for the lock it holds now: if its old lock expired and
                        // it won the job again (a new round, a new nonce), the proof binds the new nonce.
                        var nonce = h.nonce
                        let current = try await f.market.job(id, by: f.admin)
                        if current.status == .locked, current.lockedBy == a.worker.id, let now = current.nonce { nonce = now }
                        let proof = RealProofs.prove(jobID: id, workerID: a.worker.id, nonce: nonce, input: h.input)
                        _ = try await f.market.submitProof(id, proof: proof, by: a.principal, worker: a.worker.id)
                        a.held[id] = nil
                    }   // else: still proving
                } catch let e as MarketError {
                    guard [.lockExpired, .jobNotLocked, .notLockHolder].contains(e.code) else { throw e }
                    a.held[id] = nil
                }
            }
            // Sealed wins show up as locks held by this worker.
            for id in a.bidOn.sorted(by: { order[$0, default: 0] < order[$1, default: 0] }) {
                let job = try await f.market.job(id, by: f.admin)
                // A win may be a new round of a job this worker held before (its old lock expired):
                // the new lock has a new nonce, and only a proof bound to it verifies.
                if job.status == .locked, job.lockedBy == a.worker.id, let nonce = job.nonce, a.held[id]?.nonce != nonce {
                    a.held[id] = Held(jobID: id, nonce: nonce, input: job.input, modelID: job.modelID)
                    a.crashed.remove(id)
                    a.bidOn.remove(id)
                } else if job.status != .open { a.bidOn.remove(id) }
            }
            // Look for work.
            guard !open.isEmpty, Int.random(in: 0..<100, using: &a.rng) < 70 else { return }
            let pick = open[Int.random(in: 0..<open.count, using: &a.rng)]
            do {
                if pick.auction == "dutch" {
                    let grant = try await f.market.lock(pick.id, by: a.principal, worker: a.worker.id)
                    a.held[pick.id] = Held(jobID: pick.id, nonce: grant.nonce, input: grant.input, modelID: grant.modelID)
                    a.crashed.remove(pick.id)
                } else {
                    let price = Int64.random(in: 0...pick.maxPrice, using: &a.rng)
                    _ = try await f.market.bid(pick.id, price: price, by: a.principal, worker: a.worker.id)
                    a.bidOn.insert(pick.id)
                }
            } catch let e as MarketError {
                let expected: Set<MarketError.Code> = [.jobNotOpen, .tooManyLocks, .insufficientBalance, .bidAlreadyPlaced,
                                                        .bidWindowClosed, .biddingNotStarted, .workerSuspended, .deadlinePassed]
                guard expected.contains(e.code) else { throw e }
            }
        }

        while true {
            ticks += 1
            // Clients post a few jobs.
            if created < jobCount {
                for _ in 0..<min(jobCount - created, Int.random(in: 0...12, using: &rng)) {
                    let client = clients[Int.random(in: 0..<clients.count, using: &rng)]
                    let job = try await f.job(client, terms(&rng))
                    order[job.id] = created
                    created += 1
                }
            }
            let snapshot = order
            let open = try await f.market.openJobs(by: f.admin, limit: 500).sorted { snapshot[$0.id, default: 0] < snapshot[$1.id, default: 0] }
            if concurrent {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for a in actors { group.addTask { try await act(a, open: open, order: snapshot) } }
                    try await group.waitForAll()
                }
            } else {
                for a in actors { try await act(a, open: open, order: snapshot) }
            }
            f.clock.advance(seconds: Double(Int.random(in: 1...20, using: &rng)))
            if concurrent {
                async let s0 = sweepers[0].runOnce()
                async let s1 = sweepers[1].runOnce()
                _ = try await (s0, s1)
            } else {
                // Two sweepers racing would decide which lock expires before which auction closes.
                _ = try await sweepers[0].runOnce()
                _ = try await sweepers[1].runOnce()
            }
            let unfinished = try await f.db.pool.query("SELECT count(*) AS n FROM jobs WHERE status IN ('open', 'locked')")
                .first?.decode("n", as: Int.self) ?? 0
            if created == jobCount && unfinished == 0 { break }
            if ticks > 2_000 {
                // Whatever is left must still end: jump past every deadline and sweep.
                f.clock.advance(seconds: 8 * 86_400)
                while try await !sweepers[0].runOnce().isEmpty {}
                break
            }
        }
        let statuses = try await f.db.pool.query("SELECT status, count(*) AS n FROM jobs GROUP BY status").rows
        var summary: [String: Int64] = [:]
        for row in statuses { summary[try row.decode("status")] = try row.decode("n") }
        #expect(Set(summary.keys).isSubset(of: ["fulfilled", "expired"]), "seed \(seed): \(summary)")
        #expect(summary.values.reduce(0, +) == Int64(jobCount), "seed \(seed)")
        let payments = try await f.db.pool.query("""
            SELECT (SELECT count(*) FROM ledger_entries WHERE kind = 'payment') AS payments,
                   (SELECT count(*) FROM jobs WHERE status = 'fulfilled' AND lock_price > (lock_price * fee_bps / 10000)) AS paid_jobs
            """).first
        #expect(try payments?.decode("payments", as: Int.self) == payments?.decode("paid_jobs", as: Int.self), "seed \(seed)")
        try await f.expectLedgerIntact()
        summary["fees"] = try await f.balance(f.market.platform.fees).available
        summary["slashed"] = try await f.balance(f.market.platform.slashed).available
        summary["ticks"] = Int64(ticks)
        print("market simulation seed \(seed): \(summary.sorted { $0.key < $1.key })")
        return summary
    }
}
