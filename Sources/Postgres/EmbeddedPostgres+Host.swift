import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The unprivileged user the embedded server runs as when we are root.
struct ServiceUser: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t
    /// Its primary and supplementary groups.
    let groups: Set<gid_t>

    /// `postgres` if the Debian package created it, else `proofmarket`, created on demand.
    static func ensure(logger: Logger) throws -> ServiceUser {
        for name in ["postgres", "proofmarket"] {
            if let user = lookUp(name) { return user }
        }
        let result = try Subprocess.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "proofmarket"])
        guard let user = lookUp("proofmarket") else {
            throw PostgresError(.cluster, "PostgreSQL cannot run as root and the system user 'proofmarket' could not be created",
                                detail: result.output)
        }
        logger.info("created the system user proofmarket to run the embedded PostgreSQL")
        return user
    }

    static func lookUp(_ name: String) -> ServiceUser? {
        guard let entry = getpwnam(name) else { return nil }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, gid, &groups, &count)
        }
        return ServiceUser(name: name, uid: uid, gid: gid, groups: Set(groups.prefix(Int(max(0, count)))).union([gid]))
    }

    /// Whether this user may pass through (search) the folder at `path`, by its owner, group
    /// and mode bits, as the kernel decides for a process of this uid and these groups.
    func canSearch(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return false }
        if uid == 0 { return true }
        if info.st_uid == uid { return info.st_mode & S_IXUSR != 0 }
        if groups.contains(info.st_gid) { return info.st_mode & S_IXGRP != 0 }
        return info.st_mode & S_IXOTH != 0
    }

    /// The first folder on the way to `path` (from `/` down to its parent) that this user
    /// cannot pass through, or nil if it can reach `path`.
    func firstBlockedAncestor(of path: String) -> String? {
        var folder = ""
        let components = path.split(separator: "/").dropLast()
        if !canSearch("/") { return "/" }
        for component in components {
            folder += "/" + component
            if !canSearch(folder) { return folder }
        }
        return nil
    }
}

extension EmbeddedPostgres {
    /// Where the fallback data folders live when the requested one is closed to the service user.
    static let fallbackRoot = "/var/lib/proofmarket"

    /// The absolute data folder. As root, the service user must be able to reach it: every
    /// folder above it must let that user pass. If one does not (the project is under
    /// `/root`, or in any folder of mode 0700), a folder of its own under
    /// `/var/lib/proofmarket`, named after the requested path, is used instead, and logged.
    func resolveDataDirectory() throws -> String {
        let requested = URL(fileURLWithPath: options.dataDirectory).standardizedFileURL.path
        guard let serviceUser else { return requested }
        try Self.makeParents(of: requested)
        guard let blocked = serviceUser.firstBlockedAncestor(of: requested) else { return requested }
        let fallback = Self.fallbackRoot + "/" + Self.fallbackName(for: requested)
        try Self.makeParents(of: fallback)
        if let closed = serviceUser.firstBlockedAncestor(of: fallback) {
            throw PostgresError(.cluster, "the \(serviceUser.name) user that runs PostgreSQL can reach neither \(requested) (\(blocked) is closed to it) nor \(fallback) (\(closed) is)",
                                detail: "choose a --data-dir it can reach, or set DATABASE_URL")
        }
        logger.notice("\(requested) is not reachable by the \(serviceUser.name) user (\(blocked) is closed to it); using \(fallback) instead")
        return fallback
    }

    /// A folder name for the fallback of `requested`: readable (the requested path, flattened)
    /// and unique to it (a hash of the whole path), so two projects never share a cluster.
    static func fallbackName(for requested: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        let flattened = requested.split(separator: "/").map { component in
            String(component.drop(while: { $0 == "." }).map { allowed.contains($0) ? $0 : "_" })
        }.filter { !$0.isEmpty }.joined(separator: "-")
        return String(flattened.suffix(48)) + "-" + String(sha256Hex(Array(requested.utf8)).prefix(16))
    }

    /// Creates the missing folders above `path`, each open to all users for passing through
    /// (mode 0755, whatever the umask), so the service user can reach the data folder.
    static func makeParents(of path: String) throws {
        var folder = ""
        for component in path.split(separator: "/").dropLast() {
            folder += "/" + component
            if FileManager.default.fileExists(atPath: folder) { continue }
            guard mkdir(folder, 0o755) == 0 || errno == EEXIST else {
                throw PostgresError(.cluster, "cannot create \(folder): \(String(cString: strerror(errno)))")
            }
            chmod(folder, 0o755)
        }
    }

    /// The folder for the Unix socket: the data folder, unless the socket path would be too
    /// long for `sun_path` (108 bytes), in which case a short folder under /tmp.
    func socketDirectoryPath() -> String {
        if (dataDirectory + "/.s.PGSQL.5432").utf8.count < 100 { return dataDirectory }
        return "/tmp/proofmarket-pg-" + String(sha256Hex(Array(dataDirectory.utf8)).prefix(12))
    }

    /// Creates `path` (mode 0700) and, as root, gives it to the service user; `recursive`
    /// gives everything inside too (before `initdb`, which wants to own it all).
    func makeOwnedDirectory(_ path: String, recursive: Bool) throws {
        try Self.makeParents(of: path)
        let existed = FileManager.default.fileExists(atPath: path)
        if !existed {
            guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
                throw PostgresError(.cluster, "cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard !existed || recursive else { return }
        chmod(path, 0o700)
        if let serviceUser {
            let result = try Subprocess.run("/bin/chown", (recursive ? ["-R"] : []) + ["\(serviceUser.name):", path])
            guard result.status == 0 else {
                throw PostgresError(.cluster, "cannot give \(path) to the \(serviceUser.name) user", detail: result.output)
            }
        }
    }

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

    /// Runs a PostgreSQL program (`initdb`, `pg_ctl`) to completion, as the service user when
    /// we are root; returns its exit status and combined output (captured, never passed to
    /// our own output). It runs in `/`, which every user may enter: these programs look up
    /// their own path from the working folder and fail in one the service user cannot enter,
    /// and the server `pg_ctl` starts inherits it.
    func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        if let serviceUser {
            let runuser = FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser"
            return try Subprocess.run(runuser, ["-u", serviceUser.name, "--", program] + arguments, workingDirectory: "/")
        }
        return try Subprocess.run(program, arguments, workingDirectory: "/")
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
