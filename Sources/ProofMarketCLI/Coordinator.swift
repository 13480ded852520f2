import API
import Dispatch
import Foundation
import HTTPServer
import Logging
import Market
import Postgres

/// One coordinator assembled from its parts: the pool, the market with the real proof
/// verifier and model importer, the NOTIFY watcher, the REST API on our HTTP server, and the
/// sweeper. `serve` runs one until a signal; `demo` runs one beside its workers.
final class Coordinator: Sendable {
    /// Settings a coordinator starts with.
    struct Settings: Sendable {
        var host = "127.0.0.1"
        var port = 8080
        var poolConnections = 16
        var sweepIntervalSeconds = 1.0
        var market = MarketConfiguration()
        var api = MarketAPI.Limits()
    }

    let market: Market
    let server: HTTPServer
    private let pool: ConnectionPool
    private let watcher: JobWatcher
    private let sweeping: Task<Void, Never>
    private let dispatching: Task<Void, Never>

    private init(market: Market, server: HTTPServer, pool: ConnectionPool, watcher: JobWatcher, sweeping: Task<Void, Never>,
                 dispatching: Task<Void, Never>) {
        self.market = market
        self.server = server
        self.pool = pool
        self.watcher = watcher
        self.sweeping = sweeping
        self.dispatching = dispatching
    }

    /// The port the server listens on (useful when started on port 0).
    var port: Int { server.localPort }

    /// Migrates, assembles and starts listening; `run()` on `server` serves until shutdown.
    static func start(session: DatabaseSession, settings: Settings, migrator: Migrator, logger: Logger) async throws -> Coordinator {
        _ = try await migrator.migrate(session.configuration, logger: logger)
        var limits = ConnectionPool.Limits()
        limits.maximumConnections = settings.poolConnections
        let pool = ConnectionPool(configuration: session.configuration, limits: limits, logger: logger)
        let market = try await Market.open(pool: pool, configuration: settings.market, verifier: InferenceProofVerifier(),
                                       privateProofs: InferencePrivateProofs(), logger: logger)
        let watcher = try await JobWatcher(configuration: session.configuration)
        let api = MarketAPI(market: market, watcher: watcher, importer: InferenceModelImporter(privateProofs: InferencePrivateProofs()), limits: settings.api)
        var serverConfiguration = HTTPServerConfiguration(host: settings.host, port: settings.port)
        serverConfiguration.bodyBytesMax = settings.api.jsonBodyBytesMax
        // Descriptors for the pool's connections come out of what connections may use.
        serverConfiguration.descriptorsReservedCount += settings.poolConnections
        let server = HTTPServer(configuration: serverConfiguration, responder: api.responder(), logger: logger)
        try server.start()
        let sweeper = Sweeper(market: market, intervalSeconds: settings.sweepIntervalSeconds)
        let sweeping = Task { await sweeper.run() }
        let dispatcher = WebhookDispatcher(market: market, logger: logger)
        let dispatching = Task { await dispatcher.run() }
        logger.info("coordinator listening", metadata: ["address": "\(settings.host):\(server.localPort)"])
        return Coordinator(market: market, server: server, pool: pool, watcher: watcher, sweeping: sweeping, dispatching: dispatching)
    }

    /// Drains the server, stops the sweeper, the dispatcher and the watcher (waiting for the
    /// first two to end), closes the pool.
    func stop() async {
        sweeping.cancel()
        dispatching.cancel()
        await server.shutdown()
        // The sweeper and the webhook dispatcher finish the statement they are in before the
        // pool closes and the database stops: one cut by the database's stop would be logged
        // as a failure of a coordinator that is only stopping.
        await sweeping.value
        await dispatching.value
        watcher.stop()
        pool.close()
    }

    /// `stop()` from a signal handler's thread.
    func stopBlocking() {
        let done = DispatchSemaphore(value: 0)
        Task {
            await stop()
            done.signal()
        }
        done.wait()
    }
}
