import ArgumentParser
import Foundation
import Logging
import Postgres

/// `proofmarket migrate`: applies pending migrations and prints the schema's state.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (safe to run from several replicas at once).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = global.bootstrapLogging()
        let migrator = try database.migrator()
        let session = try await database.open(logger: logger)
        defer { Termination.shared.runAll() }
        let report = try await migrator.migrate(session.configuration, logger: logger)
        let connection = try await PostgresConnection.connect(session.configuration)
        defer { connection.close() }
        let applied = try await migrator.applied(connection)
        let version = try await connection.query("SHOW server_version").first?.decode(at: 0, as: String.self) ?? "?"
        print("database   \(session.configuration)\(session.embedded != nil ? " (embedded, data in \(session.embedded?.dataDirectory ?? ""))" : "")")
        print("server     PostgreSQL \(version)")
        print("applied    \(report.applied.count) now, \(report.alreadyApplied) before")
        print("")
        print("VERSION  NAME                               APPLIED AT (UTC)")
        let formatter = ISO8601DateFormatter()
        for record in applied {
            let name = record.name.padding(toLength: 34, withPad: " ", startingAt: 0)
            print(String(format: "%7d", record.version) + "  \(name) \(formatter.string(from: record.at))")
        }
    }
}
