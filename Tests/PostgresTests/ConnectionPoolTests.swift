import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ConnectionPoolTests {
    @Test func twoHundredConcurrentQueries_ThroughPoolOfFour_AllSucceed() async throws {
        var limits = ConnectionPool.Limits()
        limits.maximumConnections = 4
        // What is tested is that all 200 get through four connections in order, not how fast:
        // in the full run the same two cores prove for every other suite, and a wait of 30 s
        // was seen to run out there (the pool is FIFO, so a longer bound only absorbs load).
        limits.acquireTimeoutSeconds = 120
        let db = try await TestDatabase.make(limits: limits)
        let sums = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<200 {
                group.addTask {
                    let row = try await db.pool.query("SELECT $1::bigint * 2 AS doubled, pg_backend_pid() AS pid", [.int(Int64(i))])
                    return try row.first!.decode("doubled", as: Int64.self)
                }
            }
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(sums.count == 200)
        let expected: Int64 = (0..<200).reduce(Int64(0)) { total, i in total + Int64(i) * 2 }
        #expect(sums.reduce(Int64(0), +) == expected)
        #expect(db.pool.statistics.open <= 4)
        let backends = try await db.pool.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()")
        #expect(try backends.first!.decode("n", as: Int64.self) <= 4)
    }

    @Test func exhaustedPool_TimesOutWithClearError() async throws {
        var limits = ConnectionPool.Limits()
        limits.maximumConnections = 1
        limits.acquireTimeoutSeconds = 0.3
        let db = try await TestDatabase.make(limits: limits)
        let holder = Task {
            try await db.pool.withConnection { _ in try await Task.sleep(nanoseconds: 1_500_000_000) }
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        do {
            try await db.pool.query("SELECT 1")
            Issue.record("expected a pool timeout")
        } catch let error as PostgresError {
            #expect(error.kind == .poolTimeout)
            #expect(error.message.contains("no database connection became free"))
        }
        try await holder.value
        // Once the holder returns its connection, the pool serves again.
        let row = try await db.pool.query("SELECT 7 AS n")
        #expect(try row.first!.decode("n", as: Int.self) == 7)
    }

    @Test func serialisationFailure_IsRetriedAndSucceeds() async throws {
        let db = try await TestDatabase.make()
        try await db.pool.query("CREATE TABLE counter (id int PRIMARY KEY, v int NOT NULL)")
        try await db.pool.query("INSERT INTO counter VALUES (1, 0)")
        let attempts = Attempts()
        try await db.pool.transaction(.serializable) { connection in
            let n = await attempts.next()
            _ = try await connection.query("SELECT v FROM counter WHERE id = 1")
            if n == 1 {
                // A concurrent writer commits between our read and our write.
                let other = try await PostgresConnection.connect(db.configuration)
                defer { other.close() }
                try await other.query("UPDATE counter SET v = v + 1 WHERE id = 1")
            }
            try await connection.query("UPDATE counter SET v = v + 10 WHERE id = 1")
        }
        #expect(await attempts.count == 2)
        let row = try await db.pool.query("SELECT v FROM counter WHERE id = 1")
        #expect(try row.first!.decode("v", as: Int.self) == 11)
    }

    @Test func nonRetryableError_IsNotRetried() async throws {
        let db = try await TestDatabase.make()
        try await db.pool.query("CREATE TABLE once (id int PRIMARY KEY)")
        try await db.pool.query("INSERT INTO once VALUES (1)")
        let attempts = Attempts()
        await #expect(throws: PostgresError.self) {
            try await db.pool.transaction(.serializable) { connection in
                _ = await attempts.next()
                try await connection.query("INSERT INTO once VALUES (1)")
            }
        }
        #expect(await attempts.count == 1)
        do {
            try await db.pool.query("INSERT INTO once VALUES (1)")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23505")
            #expect(error.constraint == "once_pkey")
            #expect(error.detail?.contains("(id)=(1)") == true)
        }
    }

    @Test func rolledBackTransaction_LeavesNothing() async throws {
        let db = try await TestDatabase.make()
        try await db.pool.query("CREATE TABLE t (id int)")
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await db.pool.transaction { connection in
                try await connection.query("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        let row = try await db.pool.query("SELECT count(*) AS n FROM t")
        #expect(try row.first!.decode("n", as: Int.self) == 0)
    }

    @Test func notifyOnOneConnection_ReachesListenerOnAnother() async throws {
        let db = try await TestDatabase.make()
        let listener = try await PostgresListener(configuration: db.configuration, channels: ["jobs"])
        defer { listener.stop() }
        try await db.pool.query("SELECT pg_notify('jobs', $1)", ["job 42 is open"])
        try await db.pool.query("SELECT pg_notify('other', 'ignored')")
        var iterator = listener.makeAsyncIterator()
        let received = await iterator.next()
        #expect(received == PostgresNotification(channel: "jobs", payload: "job 42 is open"))
    }

    @Test func missingDatabase_GivesClearError() async throws {
        let db = try await TestDatabase.make()
        do {
            _ = try await PostgresConnection.connect(db.configuration.withDatabase("no_such_database_here"))
            Issue.record("expected a connection error")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.message.contains("does not exist"))
        }
    }

    @Test func serverDown_GivesClearError() async throws {
        let config = try PostgresConfiguration("host=/tmp/proofmarket-no-server-here port=5999 dbname=x")
        do {
            _ = try await PostgresConnection.connect(config)
            Issue.record("expected a connection error")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.message.contains("no PostgreSQL server is answering"))
        }
    }

    @Test func malformedConnectionString_IsRejected() {
        #expect(throws: PostgresError.self) { try PostgresConfiguration("host=x nonsense_option=1") }
        #expect(throws: PostgresError.self) { try PostgresConfiguration("postgres://[bad") }
    }

    @Test func urlConfiguration_IsParsed() throws {
        let config = try PostgresConfiguration("postgres://alice:secret@db.example:6543/market?sslmode=require")
        #expect(config.options["host"] == "db.example")
        #expect(config.options["port"] == "6543")
        #expect(config.options["sslmode"] == "require")
        #expect(config.withDatabase("other").database == "other")
        #expect(!config.description.contains("secret"))
    }
}

/// Counts how many times a transaction body ran.
actor Attempts {
    private(set) var count = 0
    func next() -> Int {
        count += 1
        return count
    }
}
