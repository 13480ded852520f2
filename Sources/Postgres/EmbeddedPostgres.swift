import Foundation
import Logging

/// A private PostgreSQL cluster, started from the installed server binaries when no
/// `DATABASE_URL` is given.
///
/// It lives in a data folder (`.proofmarket/postgres` by default) and listens on a Unix socket
/// only (no TCP port). A second start reuses the data. Several proofmarket processes may use
/// one data folder at once (`serve`, then `admin bootstrap` beside it): the server is started
/// by whichever comes first and stopped by `stop()` in whichever is last to leave, never while
/// another still uses it (see `EmbeddedPostgres+Sharing.swift`). A server that a proofmarket
/// process started and left running when it was killed is taken over; one started by someone
/// else (`pg_ctl` by hand) is used and left running.
///
/// PostgreSQL refuses to run as root, so when we are root the server runs as an unprivileged
/// system user (`postgres` if the Debian package created it, otherwise `proofmarket`, created
/// on demand), and the data folder must be reachable by that user (see `resolveDataDirectory`).
public final class EmbeddedPostgres: @unchecked Sendable {
    /// Where and how to run the cluster.
    public struct Options: Sendable {
        /// The data folder.
        public var dataDirectory: String = ".proofmarket/postgres"
        /// The database to create and connect to.
        public var database: String = "proofmarket"
        /// The cluster's superuser role.
        public var superuser: String = "proofmarket"
        /// Folders to look for `initdb` and `pg_ctl` in; nil means `PATH`, then
        /// `/usr/lib/postgresql/*/bin`, newest version first.
        public var binaryDirectories: [String]? = nil
        /// Trade durability for speed (fsync off): for throwaway test clusters only.
        public var durable: Bool = true
        /// Seconds to wait for the server to start or stop, or for another process to finish
        /// starting or stopping it.
        public var startTimeoutSeconds: Int = 60
        /// The server's `max_connections`: enough for a coordinator's pools and a few tools; a
        /// test cluster, shared by every test of a run at once, wants more.
        public var connectionsMax: Int = 200
        /// Default options.
        public init() {}
    }

    /// The options this cluster was created with.
    public let options: Options
    /// The data folder actually used (absolute; see `resolveDataDirectory`).
    public private(set) var dataDirectory: String = ""
    /// How to connect, once started.
    public private(set) var configuration: PostgresConfiguration?
    let logger: Logger
    var binaries: (initdb: String, pgctl: String)?
    var serviceUser: ServiceUser?
    /// This process's lock on the data folder while it uses the server (nil when it does not).
    private var claim: ClusterClaim?
    /// Whether this process ran `pg_ctl start` on the data folder since its last `start()`.
    private var startedHere = false
    /// Serialises `start` and `stop`: a signal's `stop()` waits for a start under way to
    /// finish, rather than racing it and leaving a server that came up just after.
    private let lifecycle = NSLock()

    /// Describes a cluster; nothing runs until `start()`.
    public init(options: Options = Options(), logger: Logger = Logger(label: "proofmarket.embedded-postgres")) {
        self.options = options
        self.logger = logger
    }

    /// Initialises the data folder if needed, starts the server (or joins the one another
    /// proofmarket process runs on it), creates the database, and returns how to connect.
    public func start() async throws -> PostgresConfiguration {
        try await Self.offThread { [self] in try lifecycle.withLock { try startServer() } }
        let socketDirectory = socketDirectoryPath()
        let base = try PostgresConfiguration("host='\(socketDirectory)' port=5432 user='\(options.superuser)' dbname=postgres")
        let admin = try await PostgresConnection.connect(base)
        defer { admin.close() }
        let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [.text(options.database)])
        if exists.rows.isEmpty {
            let quoted = "\"" + options.database.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            do {
                try await admin.execute("CREATE DATABASE \(quoted)")
            } catch let error as PostgresError where error.sqlState == "42P04" {
                // Created meanwhile by a concurrent start: fine.
            }
        }
        let configuration = base.withDatabase(options.database)
        self.configuration = configuration
        return configuration
    }

    /// Stops using the server, and stops the server itself (fast shutdown: open sessions are
    /// ended) if no other proofmarket process still uses it and a proofmarket process started
    /// it. Safe to call twice, and from any thread.
    public func stop() {
        lifecycle.withLock {
            guard let claim else { return }
            self.claim = nil
            configuration = nil
            defer { claim.close() }
            guard claim.lock(.exclusive, wait: false) else {
                logger.info("leaving the embedded PostgreSQL on \(dataDirectory) running for the other proofmarket processes that use it")
                return
            }
            guard let running = postmaster() else { return }
            guard startedHere || startedByProofMarket(running) else {
                logger.info("leaving the PostgreSQL server on \(dataDirectory) running: it was started outside proofmarket")
                return
            }
            guard let binaries else { return }
            let result = try? run(binaries.pgctl, ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", String(options.startTimeoutSeconds)])
            if let result, result.status != 0, !result.output.contains("Is server running?") {
                logger.warning("pg_ctl stop failed: \(result.output)")
            } else {
                forgetStarter()
            }
        }
    }

    /// Whether a server is running on the data folder.
    public var isRunning: Bool {
        !dataDirectory.isEmpty && postmaster() != nil
    }

    // MARK: - Start-up

    /// Takes this process's claim on the data folder and makes sure a server runs there.
    /// Alone (an exclusive lock), it initialises, adopts or starts the server; beside other
    /// users (a shared lock), it joins the running one; while another process holds the
    /// exclusive lock to start or stop the server, it waits.
    private func startServer() throws {
        if claim != nil, postmaster() != nil { return }
        claim?.close()
        claim = nil
        startedHere = false
        let found = try Self.findBinaries(in: options.binaryDirectories)
        binaries = found
        if geteuid() == 0 { serviceUser = try ServiceUser.ensure(logger: logger) }
        dataDirectory = try resolveDataDirectory()
        try makeOwnedDirectory(dataDirectory, recursive: false)
        let claim = try ClusterClaim(directory: dataDirectory)
        let deadline = Date().addingTimeInterval(Double(options.startTimeoutSeconds))
        while true {
            if claim.lock(.exclusive, wait: false) {
                self.claim = claim
                do {
                    try startAlone(found)
                } catch {
                    // Kept only if a server came up all the same, for `stop()` to stop it.
                    if postmaster() == nil {
                        claim.close()
                        self.claim = nil
                    }
                    throw error
                }
                // Converting to shared lets others join; it is not atomic, so a last user of
                // another process may have stopped the server in between: then start again.
                _ = claim.lock(.shared, wait: true)
                if postmaster() != nil { return }
            } else if claim.lock(.shared, wait: false) {
                if postmaster() != nil {
                    self.claim = claim
                    logger.info("using the embedded PostgreSQL on \(dataDirectory) that another proofmarket process runs; the last of them to exit stops it")
                    return
                }
            }
            claim.unlock()
            self.claim = nil
            guard Date() < deadline else {
                claim.close()
                throw PostgresError(.cluster, "another proofmarket process kept the embedded PostgreSQL on \(dataDirectory) starting or stopping for \(options.startTimeoutSeconds) s",
                                    detail: "try again; its log is \(dataDirectory)/postgres.log")
            }
            usleep(100_000)
        }
    }

    /// With the data folder to ourselves: initialise it if new, then adopt a running server
    /// or start one.
    private func startAlone(_ found: (initdb: String, pgctl: String)) throws {
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initialise(found.initdb)
        }
        let socketDirectory = socketDirectoryPath()
        if socketDirectory != dataDirectory { try makeOwnedDirectory(socketDirectory, recursive: false) }
        if let running = postmaster() {
            if startedByProofMarket(running) {
                logger.notice("taking over the embedded PostgreSQL on \(dataDirectory), left running by a proofmarket process that has exited")
            } else {
                logger.notice("using the PostgreSQL server already running on \(dataDirectory); it was started outside proofmarket and is left running")
            }
            return
        }
        var serverOptions = "-c listen_addresses='' -k '\(socketDirectory)' -c unix_socket_permissions=0700"
        serverOptions += " -c max_connections=\(options.connectionsMax)"
        if !options.durable { serverOptions += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" }
        startedHere = true
        // `-l`: the server's own output (its log, and every FATAL it sends a session it ends)
        // goes to its log file, never to our standard error.
        let result = try run(found.pgctl, ["start", "-D", dataDirectory, "-w", "-t", String(options.startTimeoutSeconds),
                                           "-l", logPath, "-o", serverOptions])
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8))?.split(separator: "\n").suffix(8).joined(separator: "\n") ?? ""
            throw PostgresError(.cluster, "the embedded PostgreSQL did not start (data folder \(dataDirectory))",
                                detail: result.output + "\n" + log)
        }
        if let running = postmaster() { recordStarter(running) }
        logger.info("embedded PostgreSQL started on \(dataDirectory) (log: \(logPath))")
    }

    private func initialise(_ initdb: String) throws {
        try makeOwnedDirectory(dataDirectory, recursive: true)
        let result = try run(initdb, ["-D", dataDirectory, "-U", options.superuser, "-A", "trust", "-E", "UTF8", "--no-locale"])
        guard result.status == 0 else {
            throw PostgresError(.cluster, "initdb failed for \(dataDirectory)", detail: result.output)
        }
        logger.info("initialised a PostgreSQL data folder at \(dataDirectory)")
    }

    /// The server's log file, in its data folder.
    var logPath: String { dataDirectory + "/postgres.log" }
}
