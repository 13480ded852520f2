import ArgumentParser
import Foundation
import Logging
import Market
import Postgres

/// `proofmarket admin …`: administration straight on the database.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Administration that works directly on the database.",
        subcommands: [AdminBootstrapCommand.self, AdminAccountsCommand.self, AdminDepositCommand.self,
                      AdminLedgerCommand.self, AdminStatsCommand.self])
}

/// `proofmarket admin bootstrap`: the first admin key, printed once.
struct AdminBootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Create the first admin account and API key (migrations are applied first). The key is printed once.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var database: DatabaseOptions

    @Option(help: "A label for the admin account.")
    var owner: String = "admin"

    @Flag(help: "Create another admin key even if an active one exists.")
    var force = false

    func run() async throws {
        let logger = global.bootstrapLogging()
        let migrator = try database.migrator()
        let session = try await database.open(logger: logger)
        defer { Termination.shared.runAll() }
        _ = try await migrator.migrate(session.configuration, logger: logger)
        let pool = ConnectionPool(configuration: session.configuration)
        defer { pool.close() }
        let market = try await Market.open(pool: pool, verifier: NoProofVerifier(), logger: logger)
        do {
            let key = try await market.bootstrapAdmin(owner: owner, force: force)
            print("admin account  \(key.accountID.uuidString.lowercased())")
            print("admin key      \(key.key)")
            print("")
            print("Keep the key safe: only its SHA-256 is stored, so it cannot be shown again.")
        } catch let error as MarketError {
            FileHandle.standardError.write(Data("error: \(error.code.rawValue): \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }
}
