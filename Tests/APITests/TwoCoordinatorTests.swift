import MarketTestSupport
import API
import Foundation
import HTTPServer
import Logging
import Market
import Postgres
import Testing
import TestSupport

/// Two coordinator processes' worth of state — each its own pool, market, watcher and server —
/// over one database serve one market: races across them have one winner, and a long-poll on
/// one wakes on a transition made through the other.
@Suite struct TwoCoordinatorTests {
    @Test func twoCoordinatorsOnOneDatabase_ServeOneMarket() async throws {
        let a = try await APIFixture.make()
        defer { Task { await a.stop() } }
        // The second coordinator: separate pool, market, watcher and server on the same database.
        let pool = ConnectionPool(configuration: a.db.configuration)
        let market = try await Market.open(pool: pool, clock: a.clock, verifier: InferenceProofVerifier())
        let watcher = try await JobWatcher(configuration: a.db.configuration)
        var logger = Logger(label: "second")
        logger.logLevel = .warning
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.loopCount = 1
        let server = HTTPServer(configuration: configuration, responder: MarketAPI(market: market, watcher: watcher).responder(), logger: logger)
        try server.start()
        let b = APIFixture(db: a.db, clock: a.clock, market: market, server: server, client: HTTPClient(), watcher: watcher, adminKey: a.adminKey)
        defer { Task { await b.stop(); pool.close() } }
        #expect(a.server.localPort != b.server.localPort)

        _ = try await a.model()
        let (_, clientKey) = try await a.account("client", funds: 10_000_000)
        var jobs: [String] = []
        for i in 0..<10 {
            let via = i % 2 == 0 ? a : b
            jobs.append(try #require(try via.object(try await via.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))["id"] as? String))
        }
        var workers: [(key: String, id: String)] = []
        for _ in 0..<8 { let w = try await a.worker(funds: 1_000_000); workers.append((w.key, w.workerID)) }

        // Every worker tries every job, alternating coordinators: each job is locked exactly once.
        let jobList = jobs, workerList = workers
        let wins = try await withThrowingTaskGroup(of: (String, String)?.self) { group in
            for (index, w) in workerList.enumerated() {
                group.addTask {
                    var won: (String, String)?
                    for (j, job) in jobList.enumerated() {
                        let via = (index + j) % 2 == 0 ? a : b
                        let r = try await via.send(.post, "/v1/jobs/\(job)/lock", key: w.key, json: ["worker_id": w.id])
                        if r.status.code == 201 { won = (job, try via.object(r)["nonce"] as? String ?? ""); break }
                        #expect([409].contains(r.status.code), "\(r.status.code) \(r.bodyText)")
                    }
                    return won.map { ($0.0, "\(index)|\($0.1)") }
                }
            }
            var all: [(String, String)] = []
            for try await w in group { if let w { all.append(w) } }
            return all
        }
        #expect(Set(wins.map(\.0)).count == wins.count, "a job was locked twice")
        #expect(wins.count == 8)

        // A client long-polls one locked job on A; its worker proves it through B.
        let (jobID, tag) = try #require(wins.first)
        let parts = tag.split(separator: "|")
        let worker = workers[Int(parts[0])!]
        let before = a.watcher.wakeupsByNotification
        async let waited = a.send(.get, "/v1/jobs/\(jobID)?wait=30&status=locked", key: clientKey)
        while a.watcher.waiting == 0 { await Task.yield() }
        let proof = Data(RealProofs.prove(jobID: UUID(uuidString: jobID)!, workerID: UUID(uuidString: worker.id)!,
                                          nonce: String(parts[1]), input: RealProofs.input(0))).base64EncodedString()
        let settled = try await b.send(.post, "/v1/jobs/\(jobID)/proof", key: worker.key, json: ["worker_id": worker.id, "proof": proof])
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        #expect(try a.object(try await waited)["status"] as? String == "fulfilled")
        #expect(a.watcher.wakeupsByNotification > before)
        // Both coordinators sweep the same market without handling a job twice.
        a.clock.advance(seconds: 700)
        async let sa = Sweeper(market: a.market).runOnce()
        async let sb = Sweeper(market: market).runOnce()
        let (ra, rb) = try await (sa, sb)
        #expect(ra.jobsExpired + rb.jobsExpired == 9)
        try await a.expectLedgerIntact()
        try await b.expectLedgerIntact()
    }
}
