import Foundation
@testable import Postgres
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

    @Test func twoUsersOfOneDataFolder_OnlyTheLastToLeaveStopsTheServer() async throws {
        var options = EmbeddedPostgres.Options()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("proofmarket-shared-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        options.dataDirectory = folder.appendingPathComponent("pg").path
        options.durable = false
        // Two controllers hold two descriptors, so their locks meet as two processes' would.
        let first = EmbeddedPostgres(options: options), second = EmbeddedPostgres(options: options)
        defer { first.stop(); second.stop() }
        let configuration = try await first.start()
        let server = try #require(first.postmaster())
        _ = try await second.start()
        #expect(second.postmaster() == server, "the second joins the running server")

        first.stop()
        #expect(second.isRunning, "the first leaves it running for the second")
        #expect(second.postmaster() == server)
        let connection = try await PostgresConnection.connect(configuration)
        #expect(try await connection.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
        connection.close()

        second.stop()
        #expect(!second.isRunning, "the last to leave stops the server proofmarket started")
    }

    @Test func fallbackFolders_AreOnePerRequestedFolder_AndReadable() {
        let a = EmbeddedPostgres.fallbackName(for: "/root/ProofMarket/.proofmarket/postgres")
        let b = EmbeddedPostgres.fallbackName(for: "/root/Other/.proofmarket/postgres")
        #expect(a != b)
        #expect(a == EmbeddedPostgres.fallbackName(for: "/root/ProofMarket/.proofmarket/postgres"))
        #expect(a.hasPrefix("root-ProofMarket-proofmarket-postgres-"), "\(a)")
        let long = EmbeddedPostgres.fallbackName(for: "/" + String(repeating: "deep/", count: 40) + "pg")
        #expect(long.count <= 48 + 1 + 16)
    }

    @Test func reachability_NeedsEverySearchBitOnTheWay() throws {
        let user = try #require(ServiceUser.lookUp("nobody"))
        let top = FileManager.default.temporaryDirectory.appendingPathComponent("proofmarket-reach-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: top) }
        try FileManager.default.createDirectory(atPath: top + "/open/inner", withIntermediateDirectories: true)
        chmod(top, 0o755)
        chmod(top + "/open", 0o755)
        #expect(user.firstBlockedAncestor(of: top + "/open/inner/pg") == nil)
        chmod(top, 0o700)
        #expect(user.firstBlockedAncestor(of: top + "/open/inner/pg") == top, "a closed grandparent blocks")
        chmod(top, 0o711)
        chmod(top + "/open", 0o750)
        #expect(user.firstBlockedAncestor(of: top + "/open/inner/pg") == top + "/open", "search for others is what counts")
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
