import Foundation
import Logging

/// A private PostgreSQL cluster, started from the installed server binaries when no
/// `DATABASE_URL` is given.
///
/// It lives in a data folder (`.proofmarket/postgres` by default), listens on a Unix socket
/// only (no TCP port), and is stopped by `stop()`. A second start reuses the data; a cluster
/// left running by a killed process is adopted. PostgreSQL refuses to run as root, so when we
/// are root the server runs as an unprivileged system user (`postgres` if the Debian package
/// created it, otherwise `proofmarket`, created on demand).
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
        /// Seconds to wait for the server to start or stop.
        public var startTimeoutSeconds: Int = 60
        /// Default options.
        public init() {}
    }

    /// The options this cluster was created with.
    public let options: Options
    /// The data folder actually used (absolute; see `resolveDataDirectory`).
    public private(set) var dataDirectory: String = ""
    /// How to connect, once started.
    public private(set) var configuration: PostgresConfiguration?
    private let logger: Logger
    private var binaries: (initdb: String, pgctl: String)?
    private var serviceUser: String?

    /// Describes a cluster; nothing runs until `start()`.
    public init(options: Options = Options(), logger: Logger = Logger(label: "proofmarket.embedded-postgres")) {
        self.options = options
        self.logger = logger
    }

    /// Initialises the data folder if needed, starts the server, creates the database, and
    /// returns how to connect to it.
    public func start() async throws -> PostgresConfiguration {
        try await Self.offThread { [self] in try self.startServer() }
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

    /// Stops the server (fast shutdown: open sessions are ended). Safe to call twice.
    public func stop() {
        guard let binaries, configuration != nil || FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") else { return }
        let result = try? run(binaries.pgctl, ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", String(options.startTimeoutSeconds)])
        if let result, result.status != 0, !result.output.contains("Is server running?") {
            logger.warning("pg_ctl stop failed: \(result.output)")
        }
        configuration = nil
    }

    /// Whether a server is running on the data folder.
    public var isRunning: Bool {
        guard let binaries else { return false }
        return (try? run(binaries.pgctl, ["status", "-D", dataDirectory]))?.status == 0
    }

    // MARK: - Start-up steps

    private func startServer() throws {
        let found = try Self.findBinaries(in: options.binaryDirectories)
        binaries = found
        if geteuid() == 0 { serviceUser = try Self.ensureServiceUser(logger: logger) }
        dataDirectory = try resolveDataDirectory()
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initialise(found.initdb)
        }
        let socketDirectory = socketDirectoryPath()
        if socketDirectory != dataDirectory { try makeOwnedDirectory(socketDirectory) }
        if (try? run(found.pgctl, ["status", "-D", dataDirectory]))?.status == 0 {
            logger.info("adopting the PostgreSQL server already running on \(dataDirectory)")
            return
        }
        var serverOptions = "-c listen_addresses='' -k '\(socketDirectory)' -c unix_socket_permissions=0700"
        serverOptions += " -c max_connections=200"
        if !options.durable { serverOptions += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" }
        let result = try run(found.pgctl, ["start", "-D", dataDirectory, "-w", "-t", String(options.startTimeoutSeconds),
                                           "-l", dataDirectory + "/postgres.log", "-o", serverOptions])
        guard result.status == 0 else {
            let log = (try? String(contentsOfFile: dataDirectory + "/postgres.log", encoding: .utf8))?.split(separator: "\n").suffix(8).joined(separator: "\n") ?? ""
            throw PostgresError(.cluster, "the embedded PostgreSQL did not start (data folder \(dataDirectory))",
                                detail: result.output + "\n" + log)
        }
        logger.info("embedded PostgreSQL started on \(dataDirectory)")
    }

    private func initialise(_ initdb: String) throws {
        try makeOwnedDirectory(dataDirectory)
        let result = try run(initdb, ["-D", dataDirectory, "-U", options.superuser, "-A", "trust", "-E", "UTF8", "--no-locale"])
        guard result.status == 0 else {
            throw PostgresError(.cluster, "initdb failed for \(dataDirectory)", detail: result.output)
        }
        logger.info("initialised a PostgreSQL data folder at \(dataDirectory)")
    }

    /// The absolute data folder. As root, the service user must be able to reach it; if a
    /// parent folder is closed to it (say, under `/root`), a folder under
    /// `/var/lib/proofmarket` named after the requested path is used instead, and logged.
    private func resolveDataDirectory() throws -> String {
        let requested = URL(fileURLWithPath: options.dataDirectory).standardizedFileURL.path
        guard let serviceUser else { return requested }
        let parent = (requested as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        if (try? run("/usr/bin/test", ["-x", parent], asServiceUser: true))?.status == 0 { return requested }
        let fallback = "/var/lib/proofmarket/" + String(sha256Hex(Array(requested.utf8)).prefix(16))
        try FileManager.default.createDirectory(atPath: "/var/lib/proofmarket", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        logger.notice("\(requested) is not reachable by the \(serviceUser) user; using \(fallback) instead")
        return fallback
    }

    /// The folder for the Unix socket: the data folder, unless the socket path would be too
    /// long for `sun_path` (108 bytes), in which case a short folder under /tmp.
    private func socketDirectoryPath() -> String {
        if (dataDirectory + "/.s.PGSQL.5432").utf8.count < 100 { return dataDirectory }
        return "/tmp/proofmarket-pg-" + String(sha256Hex(Array(dataDirectory.utf8)).prefix(12))
    }

    private func makeOwnedDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o700)
        if let serviceUser {
            let result = try run("/bin/chown", ["-R", "\(serviceUser):", path])
            guard result.status == 0 else {
                throw PostgresError(.cluster, "cannot give \(path) to the \(serviceUser) user", detail: result.output)
            }
        }
    }

    // MARK: - Processes and the host

    /// Finds `initdb` and `pg_ctl`, or explains which package to install.
    public static func findBinaries(in directories: [String]? = nil) throws -> (initdb: String, pgctl: String) {
        var candidates: [String]
        if let directories {
            candidates = directories
        } else {
            candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            let root = "/usr/lib/postgresql"
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
                .compactMap { Int($0) }.sorted(by: >)
            candidates += versions.map { "\(root)/\($0)/bin" }
        }
        for directory in candidates {
            let initdb = directory + "/initdb", pgctl = directory + "/pg_ctl"
            if FileManager.default.isExecutableFile(atPath: initdb), FileManager.default.isExecutableFile(atPath: pgctl) {
                return (initdb, pgctl)
            }
        }
        throw PostgresError(.cluster, "PostgreSQL server programs (initdb, pg_ctl) were not found; "
            + "install them with `apt-get install postgresql` or set DATABASE_URL to use an existing server")
    }

    /// The unprivileged user the server runs as when we are root.
    static func ensureServiceUser(logger: Logger) throws -> String {
        if getpwnam("postgres") != nil { return "postgres" }
        if getpwnam("proofmarket") != nil { return "proofmarket" }
        let result = try Subprocess.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "proofmarket"])
        guard result.status == 0 || getpwnam("proofmarket") != nil else {
            throw PostgresError(.cluster, "PostgreSQL cannot run as root and the system user 'proofmarket' could not be created")
        }
        logger.info("created the system user proofmarket to run the embedded PostgreSQL")
        return "proofmarket"
    }

    /// Runs a program to completion, as the service user when we are root and it is a
    /// PostgreSQL program; returns its exit status and combined output.
    private func run(_ program: String, _ arguments: [String], asServiceUser: Bool? = nil) throws -> (status: Int32, output: String) {
        let dropPrivileges = asServiceUser ?? program.hasPrefix("/") && (program.hasSuffix("/initdb") || program.hasSuffix("/pg_ctl"))
        if let serviceUser, dropPrivileges {
            let runuser = FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser"
            return try Subprocess.run(runuser, ["-u", serviceUser, "--", program] + arguments)
        }
        return try Subprocess.run(program, arguments)
    }

    /// Runs blocking work on a thread outside Swift's cooperative pool.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}
