import ArgumentParser
import BundledAssets
import Foundation
import Logging
import Postgres

/// Where the database is: `--database-url` / `DATABASE_URL`, or else an embedded cluster in
/// `--data-dir` / `PROOFMARKET_DATA_DIR` that this process starts and stops.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL or libpq key-value string [env: DATABASE_URL]. Without it, an embedded cluster is started.")
    var databaseURL: String?

    @Option(name: .customLong("data-dir"),
            help: "Data folder of the embedded PostgreSQL [env: PROOFMARKET_DATA_DIR] (default: .proofmarket/postgres).")
    var dataDirectory: String?

    @Option(name: .customLong("migrations-dir"),
            help: "Folder of NNNN_name.sql migrations [env: PROOFMARKET_MIGRATIONS_DIR] (default: the copies built into the program).")
    var migrationsDirectory: String?

    /// The resolved URL: the flag, then the environment.
    var resolvedURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        return nil
    }

    /// The migrations to apply: the folder given, else the ones built into the program (so a
    /// binary copied alone migrates exactly the schema it was built for).
    func migrator() throws -> Migrator {
        let explicit = migrationsDirectory ?? ProcessInfo.processInfo.environment["PROOFMARKET_MIGRATIONS_DIR"]
        if let explicit, !explicit.isEmpty { return try Migrator(directory: URL(fileURLWithPath: explicit)) }
        return try Migrator(files: BundledAssets.migrations)
    }

    /// Connects to the configured server, or starts the embedded one (or joins it, if another
    /// proofmarket process runs it); `Termination` lets it go at exit, also on an error or
    /// SIGINT/SIGTERM, and it stops only if no other proofmarket process still uses it.
    func open(logger: Logger) async throws -> DatabaseSession {
        if let url = resolvedURL {
            return DatabaseSession(configuration: try PostgresConfiguration(url), embedded: nil)
        }
        var options = EmbeddedPostgres.Options()
        options.dataDirectory = dataDirectory ?? ProcessInfo.processInfo.environment["PROOFMARKET_DATA_DIR"] ?? ".proofmarket/postgres"
        let embedded = EmbeddedPostgres(options: options, logger: logger)
        Termination.shared.onExit { embedded.stop() }
        let configuration = try await embedded.start()
        return DatabaseSession(configuration: configuration, embedded: embedded)
    }
}

extension DatabaseOptions {
    /// Like `open`, but on the embedded cluster the named database is dropped and created
    /// anew, so a demo starts from an empty market. With `DATABASE_URL`, the given database is
    /// used as it is: nothing the user owns is dropped.
    func openFresh(databaseName: String, logger: Logger) async throws -> DatabaseSession {
        let session = try await open(logger: logger)
        guard session.embedded != nil else { return session }
        let admin = try await PostgresConnection.connect(session.configuration.withDatabase("postgres"))
        defer { admin.close() }
        let quoted = "\"" + databaseName.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        try await admin.execute("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
        try await admin.execute("CREATE DATABASE \(quoted)")
        return DatabaseSession(configuration: session.configuration.withDatabase(databaseName), embedded: session.embedded)
    }
}

/// An open database: its configuration, and the embedded cluster if we started one.
struct DatabaseSession {
    let configuration: PostgresConfiguration
    let embedded: EmbeddedPostgres?

    /// Lets the embedded cluster go, if any (stopping it if no other process uses it).
    func close() { embedded?.stop() }
}
