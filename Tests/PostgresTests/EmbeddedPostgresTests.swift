import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct EmbeddedPostgresTests {
    @Test func startStopRestart_KeepsData_AndPoolRecovers() async throws {
        var options = EmbeddedPostgres.Options()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("proofmarket-embedded-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        options.dataDirectory = folder.appendingPathComponent("pg").path
        options.database = "restart_test"
        options.durable = false
        let cluster = EmbeddedPostgres(options: options)
        let configuration = try await cluster.start()
        defer { cluster.stop() }
        #expect(cluster.isRunning)
        #expect(configuration.options["host"] == cluster.dataDirectory, "listens on a socket in its data folder")
        #expect(configuration.options["port"] == "5432")

        var limits = ConnectionPool.Limits()
        limits.maximumConnections = 4
        limits.healthCheckAfterSeconds = 0
        let pool = ConnectionPool(configuration: configuration, limits: limits)
        try await pool.query("CREATE TABLE kept (v text)")
        try await pool.query("INSERT INTO kept VALUES ('survives a restart')")
        let noTCP = try #require(try await pool.query("SHOW listen_addresses").first)
        #expect(try noTCP.decode(at: 0, as: String.self) == "")

        cluster.stop()
        #expect(!cluster.isRunning)
        do {
            try await pool.query("SELECT 1")
            Issue.record("a query succeeded with the server stopped")
        } catch let error as PostgresError {
            #expect(error.isConnectionFailure)
        }

        _ = try await cluster.start()
        let row = try #require(try await pool.query("SELECT v FROM kept").first)
        #expect(try row.decode("v", as: String.self) == "survives a restart")
        pool.close()
    }

    @Test func missingPostgreSQL_SaysWhatToInstall() {
        do {
            _ = try EmbeddedPostgres.findBinaries(in: ["/nonexistent/bin"])
            Issue.record("binaries found in a folder that does not exist")
        } catch let error as PostgresError {
            #expect(error.kind == .cluster)
            #expect(error.message.contains("apt-get install postgresql"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
