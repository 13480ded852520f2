import COpenSSL
import Foundation
import Logging

/// One forward-only migration file, `NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    /// The number the file name starts with; migrations apply in increasing order.
    public let version: Int
    /// The file name.
    public let name: String
    /// The SQL text.
    public let sql: String
    /// Hex SHA-256 of the file's bytes, recorded when applied so later edits are caught.
    public let checksum: String

    /// Describes a migration; `checksum` is normally the hex SHA-256 of the file.
    public init(version: Int, name: String, sql: String, checksum: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = checksum
    }
}

/// Applies migrations in order, each in its own transaction, and records them in
/// `schema_migrations` with their checksum.
///
/// A session-level advisory lock serialises concurrent runs (several replicas starting at
/// once): the first applies what is pending, the others then find nothing to do. A run
/// refuses to start if a file that was applied has changed or disappeared.
public struct Migrator: Sendable {
    /// The migrations, sorted by version.
    public let migrations: [Migration]
    /// The advisory lock key that serialises migration runs.
    static let advisoryLockKey: Int64 = 0x7072_6f6f_666d_6b74

    /// Wraps a list of migrations; versions must be unique.
    public init(migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw PostgresError(.migration, "two migrations share version \(a.version): \(a.name) and \(b.name)")
        }
        self.migrations = sorted
    }

    /// Reads every `NNNN_name.sql` file in `directory`.
    public init(directory: URL) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresError(.migration, "cannot read the migrations folder \(directory.path)")
        }
        let files = try names.filter { $0.hasSuffix(".sql") }.map { name in
            (name: name, bytes: [UInt8](try Data(contentsOf: directory.appendingPathComponent(name))))
        }
        try self.init(files: files)
    }

    /// Wraps `NNNN_name.sql` files given by name and bytes (the copies built into the
    /// program, or a folder's files); the checksum is that of the bytes, as for files on disk.
    public init(files: [(name: String, bytes: [UInt8])]) throws {
        var found: [Migration] = []
        for (name, bytes) in files {
            guard let version = Int(name.prefix(while: \.isNumber)), name.first?.isNumber == true else {
                throw PostgresError(.migration, "migration file \(name) does not start with its version number (NNNN_name.sql)")
            }
            guard let sql = String(data: Data(bytes), encoding: .utf8) else {
                throw PostgresError(.migration, "migration file \(name) is not UTF-8")
            }
            found.append(Migration(version: version, name: name, sql: sql, checksum: sha256Hex(bytes)))
        }
        try self.init(migrations: found)
    }

    /// The outcome of a run.
    public struct Report: Sendable {
        /// Files applied by this run.
        public let applied: [Migration]
        /// How many were already applied before.
        public let alreadyApplied: Int
    }

    /// Applies pending migrations. Safe to run concurrently from several processes.
    @discardableResult
    public func migrate(_ configuration: PostgresConfiguration,
                        logger: Logger = Logger(label: "proofmarket.migrate")) async throws -> Report {
        let connection = try await PostgresConnection.connect(configuration)
        defer { connection.close() }
        try await connection.query("SELECT pg_advisory_lock($1)", [.int(Self.advisoryLockKey)])
        do {
            let report = try await migrateLocked(connection, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock($1)", [.int(Self.advisoryLockKey)])
            return report
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [.int(Self.advisoryLockKey)])
            throw error
        }
    }

    /// The applied versions with their names and times, read from `schema_migrations`.
    public func applied(_ connection: PostgresConnection) async throws -> [(version: Int, name: String, checksum: String, at: Date)] {
        let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
        guard try exists.first?.decode("present", as: Bool.self) == true else { return [] }
        let rows = try await connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
        return try rows.rows.map {
            (try $0.decode("version"), try $0.decode("name"), try $0.decode("checksum"), try $0.decode("applied_at"))
        }
    }

    private func migrateLocked(_ connection: PostgresConnection, logger: Logger) async throws -> Report {
        try await connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                checksum   TEXT NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """)
        let done = try await applied(connection)
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in done {
            guard let file = byVersion[record.version] else {
                throw PostgresError(.migration, "migration \(record.version) (\(record.name)) was applied but its file is missing; refusing to start")
            }
            guard file.checksum == record.checksum else {
                throw PostgresError(.migration, "migration \(file.name) changed after it was applied (checksum \(record.checksum.prefix(12))… now \(file.checksum.prefix(12))…); applied migrations are never edited: add a new one")
            }
        }
        let appliedVersions = Set(done.map(\.version))
        var appliedNow: [Migration] = []
        for migration in migrations where !appliedVersions.contains(migration.version) {
            try await connection.execute("BEGIN")
            do {
                try await connection.execute(migration.sql)
                try await connection.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                           [.int(Int64(migration.version)), .text(migration.name), .text(migration.checksum)])
                try await connection.execute("COMMIT")
            } catch {
                _ = try? await connection.execute("ROLLBACK")
                throw PostgresError(.migration, "migration \(migration.name) failed: \(error)")
            }
            logger.info("applied migration \(migration.name)")
            appliedNow.append(migration)
        }
        return Report(applied: appliedNow, alreadyApplied: done.count)
    }
}

/// Hex SHA-256 through OpenSSL.
func sha256Hex(_ bytes: [UInt8]) -> String {
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    bytes.withUnsafeBufferPointer { buffer in _ = SHA256(buffer.baseAddress, buffer.count, &digest) }
    return digest.map { String(format: "%02x", $0) }.joined()
}
