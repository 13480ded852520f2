import API
import Foundation
import HTTPServer
import Market
import MarketTestSupport
import Testing
import TestSupport

/// The admin's read-only views over HTTP, on real jobs settled with real proofs: accounts with
/// balances, job summaries and timelines, each worker's share of the last day against the
/// warning threshold (exactly at it is not above it), the market's history, and the ledger's
/// kind filter with chain positions.
@Suite struct AdminViewTests {
    /// Posts a Dutch job and has `worker` lock and prove it; returns the job's id.
    static func fulfil(_ f: APIFixture, client: String, worker: (key: String, workerID: String), input: Int = 0) async throws -> String {
        var body = APIFixture.dutchJob
        body["input"] = ["shape": [1, 64], "values": RealProofs.input(input).values]
        let created = try f.object(try await f.send(.post, "/v1/jobs", key: client, json: body))
        let id = try #require(created["id"] as? String)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(id)/lock", key: worker.key, json: ["worker_id": worker.workerID]))
        let proof = RealProofs.prove(jobID: try #require(UUID(uuidString: id)), workerID: try #require(UUID(uuidString: worker.workerID)),
                                     nonce: try #require(lock["nonce"] as? String), input: RealProofs.input(input))
        let settled = try await f.send(.post, "/v1/jobs/\(id)/proof", key: worker.key,
                                       json: ["worker_id": worker.workerID, "proof": Data(proof).base64EncodedString(), "prove_ms": 11])
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        return id
    }

    @Test func workerShares_AreFlaggedAboveTheThreshold_NotAtIt() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, client) = try await f.account("client", funds: 1_000_000)
        let a = try await f.worker(), b = try await f.worker(), idle = try await f.worker()
        var jobs: [String] = []
        for i in 0..<3 { jobs.append(try await Self.fulfil(f, client: client, worker: a, input: i)) }
        jobs.append(try await Self.fulfil(f, client: client, worker: b, input: 3))

        let report = try f.object(try await f.send(.get, "/v1/admin/workers", key: f.adminKey))
        #expect(report["share_warning_bps"] as? Int == 6_000 && report["fulfilled_last_day"] as? Int == 4 && report["workers_total"] as? Int == 3)
        let lines = try #require(report["workers"] as? [[String: Any]])
        #expect(lines.map { $0["id"] as? String } == [a.workerID, b.workerID, idle.workerID], "the busiest of the day first")
        #expect(lines.map { $0["share_last_day_bps"] as? Int } == [7_500, 2_500, 0])
        #expect(lines.map { $0["above_share_warning"] as? Bool } == [true, false, false])
        #expect(lines[0]["jobs_fulfilled"] as? Int == 3 && lines[0]["fulfilled_last_day"] as? Int == 3)

        // The threshold is the configuration's: a share exactly at it is not above it.
        let admin = try await f.market.authenticate(key: f.adminKey)
        for (threshold, above) in [(7_500, false), (7_499, true)] {
            var configuration = MarketConfiguration()
            configuration.workerShareWarningBasisPoints = threshold
            let market = try await Market.open(pool: f.db.pool, configuration: configuration, clock: f.clock, verifier: InferenceProofVerifier())
            let shares = try await market.workerShares(by: admin)
            #expect(shares.shareWarningBasisPoints == threshold && shares.workers.first?.aboveShareWarning == above, "threshold \(threshold)")
        }
        // A day later none of those jobs counts.
        f.clock.advance(seconds: 86_401)
        let later = try f.object(try await f.send(.get, "/v1/admin/workers", key: f.adminKey))
        #expect(later["fulfilled_last_day"] as? Int == 0)
        #expect((later["workers"] as? [[String: Any]] ?? []).allSatisfy { $0["above_share_warning"] as? Bool == false && $0["share_last_day_bps"] as? Int == 0 })
        let (_, clientKey) = try await f.account("client")
        try f.expectProblem(try await f.send(.get, "/v1/admin/workers", key: clientKey), 403, "forbidden")
        try f.expectProblem(try await f.send(.get, "/v1/admin/workers?limit=0", key: f.adminKey), 422, "invalid_request")
        try await f.expectLedgerIntact()
    }

    @Test func aSuspendedWorker_IsShownSuspended_WithItsSlash() async throws {
        var configuration = MarketConfiguration()
        configuration.breakerSlashesInARowMax = 1
        let f = try await APIFixture.make(configuration: configuration)
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, client) = try await f.account("client", funds: 1_000_000)
        let w = try await f.worker()
        let job = try f.object(try await f.send(.post, "/v1/jobs", key: client, json: APIFixture.dutchJob))["id"] as? String ?? ""
        #expect(try await f.send(.post, "/v1/jobs/\(job)/lock", key: w.key, json: ["worker_id": w.workerID]).status.code == 201)
        f.clock.advance(seconds: 121)   // past the lock's 120 s: the sweeper slashes it, and one slash trips the breaker
        _ = try await Sweeper(market: f.market).runOnce()
        let line = (try f.object(try await f.send(.get, "/v1/admin/workers", key: f.adminKey))["workers"] as? [[String: Any]] ?? []).first ?? [:]
        #expect(line["id"] as? String == w.workerID && line["jobs_slashed"] as? Int == 1 && line["jobs_fulfilled"] as? Int == 0)
        let until = try #require(line["suspended_until"] as? String, "\(line)")
        #expect(until > ISO8601DateFormatter().string(from: f.clock.now()), "suspended until a time still to come: \(until)")
        let timeline = try f.object(try await f.send(.get, "/v1/admin/jobs/\(job)", key: f.adminKey))
        #expect((timeline["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String } == ["created", "locked", "lock_expired"])
        #expect((timeline["bids"] as? [[String: Any]] ?? []).first?["outcome"] as? String == "expired")
        try await f.expectLedgerIntact()
    }

    @Test func jobs_FilterAndTimeline_ShowWhatHappened() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, client) = try await f.account("client", funds: 1_000_000)
        let a = try await f.worker(), b = try await f.worker()
        let first = try await Self.fulfil(f, client: client, worker: a)
        f.clock.advance(seconds: 1)
        let second = try await Self.fulfil(f, client: client, worker: b, input: 1)
        f.clock.advance(seconds: 1)
        let open = try f.object(try await f.send(.post, "/v1/jobs", key: client, json: APIFixture.dutchJob))["id"] as? String

        let all = try f.object(try await f.send(.get, "/v1/admin/jobs", key: f.adminKey))["jobs"] as? [[String: Any]] ?? []
        #expect(all.compactMap { $0["id"] as? String } == [open, second, first].compactMap { $0 }, "newest first")
        #expect(all.allSatisfy { $0["input"] == nil && $0["output"] == nil }, "no tensors in a summary")
        func ids(_ query: String) async throws -> [String] {
            let jobs = try f.object(try await f.send(.get, "/v1/admin/jobs?\(query)", key: f.adminKey))["jobs"] as? [[String: Any]] ?? []
            return jobs.compactMap { $0["id"] as? String }
        }
        #expect(try await ids("worker=\(a.workerID)") == [first])
        #expect(try await ids("status=fulfilled&client=\(clientID)") == [second, first])
        #expect(try await ids("status=open") == [open].compactMap { $0 })
        #expect(try await ids("auction=sealed").isEmpty)
        #expect(try await ids("model=\(APIFixture.modelID)").count == 3)
        // Paged: one a page, following next_cursor.
        let page = try f.object(try await f.send(.get, "/v1/admin/jobs?limit=1", key: f.adminKey))
        let cursor = try #require(page["next_cursor"] as? String)
        #expect(try await ids("limit=1&cursor=\(cursor)") == [second])
        try f.expectProblem(try await f.send(.get, "/v1/admin/jobs?model=ab%00", key: f.adminKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/admin/jobs?worker=nope", key: f.adminKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/admin/jobs?cursor=999999999999999999_\(UUID())", key: f.adminKey), 400, "invalid_field")

        let timeline = try f.object(try await f.send(.get, "/v1/admin/jobs/\(first)", key: f.adminKey))
        let job = try #require(timeline["job"] as? [String: Any])
        #expect(job["status"] as? String == "fulfilled" && job["prove_ms"] as? Int == 11 && job["verify_ms"] != nil)
        #expect(job["locked_by"] as? String == a.workerID && job["work_macs"] as? Int ?? 0 > 0)
        let price = try #require(job["lock_price"] as? Int), work = try #require(job["work_macs"] as? Int)
        #expect(abs((job["lock_price_per_mega_mac"] as? Double ?? 0) - Double(price) * 1e6 / Double(work)) < 1e-6)
        #expect((timeline["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String } == ["created", "locked", "fulfilled"])
        let bids = timeline["bids"] as? [[String: Any]] ?? []
        #expect(bids.count == 1 && bids[0]["kind"] as? String == "lock" && bids[0]["outcome"] as? String == "fulfilled"
                && bids[0]["price"] as? Int == price && bids[0]["worker_id"] as? String == a.workerID)
        try f.expectProblem(try await f.send(.get, "/v1/admin/jobs/\(UUID())", key: f.adminKey), 404, "unknown_job")
        try f.expectProblem(try await f.send(.get, "/v1/admin/jobs/\(first)", key: client), 403, "forbidden")

        // The market's history: every lock in the window, its end included.
        let history = try f.object(try await f.send(.get, "/v1/admin/market/history?hours=1&buckets=6", key: f.adminKey))
        let buckets = history["buckets"] as? [[String: Any]] ?? []
        #expect(buckets.count == 6 && history["locks"] as? Int == 2)
        #expect(buckets.reduce(0) { $0 + ($1["locks"] as? Int ?? 0) } == 2 && buckets.reduce(0) { $0 + ($1["created"] as? Int ?? 0) } == 3)
        #expect(buckets.reduce(0) { $0 + ($1["fulfilled"] as? Int ?? 0) } == 2)
        #expect(history["p50"] as? Double ?? 0 > 0 && history["p90"] as? Double ?? 0 >= history["p50"] as? Double ?? 0)
        try f.expectProblem(try await f.send(.get, "/v1/admin/market/history?hours=721", key: f.adminKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/admin/market/history?buckets=0", key: f.adminKey), 422, "invalid_request")
        try await f.expectLedgerIntact()
    }

    @Test func accounts_PageInCreationOrder_WithTheirBalances() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        var made: [String] = []
        for funds in [1_000, 2_000, 3_000] as [Int64] {
            made.append(try await f.account("client", funds: funds).id)
            f.clock.advance(seconds: 1)
        }
        let first = try f.object(try await f.send(.get, "/v1/admin/accounts?kind=client&limit=2", key: f.adminKey))
        let cursor = try #require(first["next_cursor"] as? String)
        let rest = try f.object(try await f.send(.get, "/v1/admin/accounts?kind=client&limit=2&cursor=\(cursor)", key: f.adminKey))
        #expect(rest["next_cursor"] == nil)
        let lines = (first["accounts"] as? [[String: Any]] ?? []) + (rest["accounts"] as? [[String: Any]] ?? [])
        #expect(lines.compactMap { $0["id"] as? String } == made)
        #expect(lines.compactMap { $0["available"] as? Int } == [1_000, 2_000, 3_000] && lines.allSatisfy { $0["held"] as? Int == 0 && $0["keys"] as? Int == 1 })
        // Every kind, the platform's own accounts included; they sum to zero.
        let all = try f.object(try await f.send(.get, "/v1/admin/accounts", key: f.adminKey))["accounts"] as? [[String: Any]] ?? []
        #expect(Set(all.compactMap { $0["kind"] as? String }) == ["admin", "client", "external", "platform_fees", "platform_slashed"])
        #expect(all.reduce(0) { $0 + ($1["available"] as? Int ?? 0) + ($1["held"] as? Int ?? 0) } == 0)
        try f.expectProblem(try await f.send(.get, "/v1/admin/accounts?kind=robot", key: f.adminKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/admin/accounts?cursor=x", key: f.adminKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/admin/accounts?cursor=999999999999999999_\(UUID())", key: f.adminKey), 400, "invalid_field")
        try f.expectProblem(try await f.send(.get, "/v1/admin/accounts"), 401, "unauthenticated")
    }

    @Test func ledger_FiltersByKind_AndGivesEachEntrysChainPosition() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, client) = try await f.account("client", funds: 1_000_000)
        let job = try await Self.fulfil(f, client: client, worker: try await f.worker())
        try await f.expectLedgerIntact()   // the audit seals every finished entry
        let entries = try f.object(try await f.send(.get, "/v1/admin/ledger?limit=500", key: f.adminKey))["entries"] as? [[String: Any]] ?? []
        let positions = entries.compactMap { $0["chain_position"] as? Int }
        #expect(positions.count == entries.count && Set(positions) == Set(1...entries.count), "each sealed entry has its own place")
        let payments = try f.object(try await f.send(.get, "/v1/admin/ledger?kind=payment", key: f.adminKey))["entries"] as? [[String: Any]] ?? []
        #expect(payments.count == 1 && payments[0]["job_id"] as? String == job)
        let deposits = try f.object(try await f.send(.get, "/v1/admin/ledger?kind=deposit&limit=1", key: f.adminKey))
        #expect((deposits["entries"] as? [[String: Any]])?.count == 1 && deposits["next_cursor"] != nil, "two deposits, one a page")
        #expect(entries.filter { $0["kind"] as? String == "deposit" }.count == 2)
        try f.expectProblem(try await f.send(.get, "/v1/admin/ledger?kind=gift", key: f.adminKey), 422, "invalid_request")
    }
}
