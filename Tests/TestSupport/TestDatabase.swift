import Foundation
import Postgres

/// A real, throwaway PostgreSQL for the test suite.
///
/// The first test that asks starts one private cluster (in a fresh folder under /tmp, fsync
/// off) and migrates a template database once. Each test then gets its own database cloned
/// from that template (`CREATE DATABASE … TEMPLATE`), so tests never see each other's rows
/// and may run in parallel. The cluster is stopped when the test process exits.
public final class TestDatabase: Sendable {
    /// Where this test's database is.
    public let configuration: PostgresConfiguration
    /// A pool on this test's database.
    public let pool: ConnectionPool
    /// The database name.
    public let name: String

    private init(configuration: PostgresConfiguration, name: String, limits: ConnectionPool.Limits) {
        self.configuration = configuration
        self.name = name
        self.pool = ConnectionPool(configuration: configuration, limits: limits)
    }

    /// A new, migrated, empty database for one test.
    public static func make(limits: ConnectionPool.Limits = ConnectionPool.Limits()) async throws -> TestDatabase {
        let cluster = try await SharedCluster.shared.ready()
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let admin = try await PostgresConnection.connect(cluster.withDatabase("postgres"))
        defer { admin.close() }
        try await admin.execute("CREATE DATABASE \(name) TEMPLATE \(SharedCluster.templateName)")
        return TestDatabase(configuration: cluster.withDatabase(String(name)), name: String(name), limits: limits)
    }

    /// An empty database with no migrations applied (for migration tests).
    public static func makeBlank() async throws -> TestDatabase {
        let cluster = try await SharedCluster.shared.ready()
        let name = "blank_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let admin = try await PostgresConnection.connect(cluster.withDatabase("postgres"))
        defer { admin.close() }
        try await admin.execute("CREATE DATABASE \(name)")
        return TestDatabase(configuration: cluster.withDatabase(String(name)), name: String(name), limits: .init())
    }

    /// The shared cluster's controller (for tests that stop and restart it).
    public static func cluster() async throws -> EmbeddedPostgres {
        _ = try await SharedCluster.shared.ready()
        return SharedCluster.shared.embedded
    }

    /// The repository's `migrations/` folder.
    public static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations")
    }
}

/// The one cluster per test process.
actor SharedCluster {
    static let shared = SharedCluster()
    static let templateName = "proofmarket_template"
    nonisolated let embedded: EmbeddedPostgres
    private var started: Task<PostgresConfiguration, Error>?

    private init() {
        var options = EmbeddedPostgres.Options()
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("proofmarket-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        options.dataDirectory = folder.appendingPathComponent("pg").path
        options.database = Self.templateName
        options.durable = false
        // Every suite of a run shares this cluster at once, each test with its own pools and
        // listener: the coordinator's default would be exhausted by the run, not by a test.
        options.connectionsMax = 1000
        embedded = EmbeddedPostgres(options: options)
    }

    func ready() async throws -> PostgresConfiguration {
        if let started { return try await started.value }
        let embedded = self.embedded
        let task = Task {
            let configuration = try await embedded.start()
            stopAtExit(embedded)
            try await Migrator(directory: TestDatabase.migrationsDirectory).migrate(configuration)
            // No session may stay connected to a template, or cloning it fails.
            return configuration
        }
        started = task
        return try await task.value
    }
}

nonisolated(unsafe) private var clusterToStop: EmbeddedPostgres?

private func stopAtExit(_ cluster: EmbeddedPostgres) {
    clusterToStop = cluster
    atexit {
        clusterToStop?.stop()
        if let dir = clusterToStop?.dataDirectory, dir.hasPrefix(NSTemporaryDirectory()) || dir.hasPrefix("/tmp/") {
            try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent)
        }
    }
}
