import API
import ArgumentParser
import Dispatch
import Foundation
import HTTPServer
import Logging
import Market
import Postgres

/// `proofmarket serve`: the coordinator — migrations, the REST API, the sweeper.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the coordinator: apply migrations, serve the REST API, sweep expired locks and deadlines.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on [env: PROOFMARKET_HOST] (default: 127.0.0.1).")
    var host: String?

    @Option(help: "TCP port [env: PROOFMARKET_PORT] (default: 8080; 0 picks a free one).")
    var port: Int?

    @Option(help: "Platform fee in basis points of the price [env: PROOFMARKET_FEE_BPS] (default: 250).")
    var feeBps: Int?

    @Option(help: "Largest model upload in bytes, at most the importer's 16 MiB [env: PROOFMARKET_MODEL_BYTES_MAX] (default: 16 MiB).")
    var modelBytesMax: Int?

    @Option(help: "Longest long-poll ?wait= in seconds, up to 60 [env: PROOFMARKET_WAIT_SECONDS_MAX] (default: 60).")
    var waitSecondsMax: Double?

    @Option(help: "Seconds between sweeps (default: 1).")
    var sweepIntervalSeconds: Double = 1

    @Option(help: "Database connections in the pool (default: 16).")
    var poolConnections: Int = 16

    @Option(help: "Proof submissions handled at once; the rest wait in order [env: PROOFMARKET_SETTLEMENTS_MAX] (default: cores + 1).")
    var settlementsMax: Int?

    @Option(help: "Warn on the admin dashboard when one worker fulfilled more than this percentage of the last day's jobs, 1 to 100 [env: PROOFMARKET_WORKER_SHARE_WARNING_PERCENT] (default: 60).")
    var workerShareWarningPercent: Int?

    @Option(help: "A private proof's work against a public one's, in percent, for quotes and workers' limits, 100 to 10000 [env: PROOFMARKET_PRIVATE_WORK_FACTOR_PERCENT] (default: 400).")
    var privateWorkFactorPercent: Int?

    @Flag(help: "Let webhooks reach loopback, private, link-local and other non-public addresses, for receivers on this machine or network [env: PROOFMARKET_WEBHOOK_ALLOW_PRIVATE=1] (default: public addresses only).")
    var webhookAllowPrivate = false

    private func env(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

    func run() async throws {
        let logger = global.bootstrapLogging()
        var settings = Coordinator.Settings()
        settings.host = host ?? env("PROOFMARKET_HOST") ?? "127.0.0.1"
        settings.port = port ?? env("PROOFMARKET_PORT").flatMap(Int.init) ?? 8080
        settings.poolConnections = poolConnections
        settings.sweepIntervalSeconds = sweepIntervalSeconds
        settings.market.webhookPrivateAddressesAllowed = webhookAllowPrivate || ["1", "true", "yes"].contains(env("PROOFMARKET_WEBHOOK_ALLOW_PRIVATE") ?? "")
        if let fee = feeBps ?? env("PROOFMARKET_FEE_BPS").flatMap(Int.init) {
            guard (0...10_000).contains(fee) else { throw ValidationError("--fee-bps must be 0 to 10000") }
            settings.market.feeBasisPoints = fee
        }
        if let slots = settlementsMax ?? env("PROOFMARKET_SETTLEMENTS_MAX").flatMap(Int.init) {
            guard (1...1_024).contains(slots) else { throw ValidationError("--settlements-max must be 1 to 1024") }
            settings.market.settlementsConcurrentMax = slots
        }
        if let percent = workerShareWarningPercent ?? env("PROOFMARKET_WORKER_SHARE_WARNING_PERCENT").flatMap(Int.init) {
            guard (1...100).contains(percent) else { throw ValidationError("--worker-share-warning-percent must be 1 to 100") }
            settings.market.workerShareWarningBasisPoints = percent * 100
        }
        if let percent = privateWorkFactorPercent ?? env("PROOFMARKET_PRIVATE_WORK_FACTOR_PERCENT").flatMap(Int.init) {
            let range = MarketConfiguration.privateWorkFactorPercentRange
            guard range.contains(percent) else {
                throw ValidationError("--private-work-factor-percent must be \(range.lowerBound) to \(range.upperBound)")
            }
            settings.market.privateWorkFactorPercent = percent
        }
        if let bytes = modelBytesMax ?? env("PROOFMARKET_MODEL_BYTES_MAX").flatMap(Int.init) { settings.api.modelBytesMax = bytes }
        if let seconds = waitSecondsMax ?? env("PROOFMARKET_WAIT_SECONDS_MAX").flatMap(Double.init) {
            guard seconds > 0, seconds <= JobWatcher.waitSecondsMax else {
                throw ValidationError("--wait-seconds-max must be above 0 and at most \(Int(JobWatcher.waitSecondsMax))")
            }
            settings.api.waitSecondsMax = seconds
        }
        let migrator = try database.migrator()
        let session = try await database.open(logger: logger)
        defer { Termination.shared.runAll() }
        let coordinator = try await Coordinator.start(session: session, settings: settings, migrator: migrator, logger: logger)
        // SIGINT/SIGTERM: drain the server first, then stop the embedded database (actions run
        // in reverse order). The signal's thread runs both while this path waits in `runAll()`
        // below, so the process ends, with status 0, only once the database is stopped.
        Termination.shared.onExit { coordinator.stopBlocking() }
        Termination.shared.signalsEndMainPath()
        // Written straight to the descriptor, not through stdio's buffer, so a supervisor
        // reading our output through a pipe or a file sees it at once.
        FileHandle.standardOutput.write(Data("proofmarket coordinator on http://\(settings.host):\(coordinator.port)\n".utf8))
        try await coordinator.server.run()
    }
}
