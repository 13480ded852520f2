import Foundation
import HTTPServer
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the tests that run `proofmarket` on its own embedded PostgreSQL (no
/// `DATABASE_URL`): scratch folders, the cluster's traces on disk, and the output checks.
enum EmbeddedCluster {
    /// A new folder under TMPDIR with exactly `mode` (the umask does not apply).
    static func scratch(_ name: String, mode: mode_t = 0o755, in parent: String? = nil) throws -> String {
        let base = parent ?? FileManager.default.temporaryDirectory.path
        let path = base + "/pm-\(name)-\(UUID().uuidString.prefix(8))"
        guard mkdir(path, mode) == 0, chmod(path, mode) == 0 else { throw ChildError.spawn("cannot create \(path)") }
        return path
    }

    /// The postmaster's process id from `postmaster.pid` in `dataDirectory`, if the file is there.
    static func postmasterPID(_ dataDirectory: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Whether a process with this id exists and has not exited (a zombie, exited but not yet
    /// reaped by its parent, counts as gone).
    static func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// Whether the process is gone within `seconds`. A postmaster removes its pid file (which
    /// is what `pg_ctl stop -w` waits for) a moment before its process ends, so a check right
    /// after a clean stop allows it that moment; a server left running fails it.
    static func gone(_ pid: pid_t, within seconds: Double = 10) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while alive(pid) {
            guard Date() < deadline else { return false }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return true
    }

    /// Whether any PostgreSQL server still runs on `dataDirectory`: its pid file is there, or
    /// a `postgres` process names the folder on its command line.
    static func serverLeft(on dataDirectory: String) -> String? {
        if let pid = postmasterPID(dataDirectory) { return "postmaster.pid names process \(pid) (alive: \(alive(pid)))" }
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in processes where Int32(entry) != nil {
            guard let raw = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let words = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if words.first?.hasSuffix("postgres") == true, words.contains(dataDirectory) {
                return "process \(entry) runs \(words.joined(separator: " "))"
            }
        }
        return nil
    }

    /// The data folder the embedded cluster used, as a command's output names it.
    static func dataFolder(in output: String) -> String? {
        for marker in ["embedded PostgreSQL started on ", "embedded PostgreSQL in ", "(embedded, data in ",
                       "using the embedded PostgreSQL on ", "taking over the embedded PostgreSQL on "] {
            guard let range = output.range(of: marker, options: .backwards) else { continue }
            let rest = output[range.upperBound...]
            return String(rest.prefix(while: { !$0.isWhitespace && $0 != ")" && $0 != "," }))
        }
        return nil
    }

    /// Lines that PostgreSQL wrote (its `LEVEL:  message` form, with two spaces), which
    /// belong in the cluster's log file and never in a command's output.
    static func postgresLines(in output: String) -> [String] {
        let levels = ["FATAL", "PANIC", "ERROR", "WARNING", "LOG", "DETAIL", "HINT", "STATEMENT", "CONTEXT", "NOTICE"]
        return output.split(separator: "\n").map(String.init).filter { line in
            line.contains("terminating connection due to administrator command")
                || levels.contains { line.hasPrefix("\($0):  ") || line.contains(" \($0):  ") }
        }
    }

    /// A request with an API key (or none) and a JSON body (or none), answered within `seconds`.
    static func call(_ method: HTTPMethod = .get, _ url: String, key: String? = nil, json: [String: Any]? = nil,
                     seconds: Double = 30) async throws -> HTTPClientResponse {
        var headers = HTTPHeaders()
        if let key { headers["Authorization"] = "Bearer \(key)" }
        var body: [UInt8] = []
        if let json {
            headers["Content-Type"] = "application/json"
            body = [UInt8](try JSONSerialization.data(withJSONObject: json))
        }
        let client = HTTPClient()
        do {
            let response = try await client.execute(HTTPClientRequest(method: method, url: url, headers: headers, body: body,
                                                                      timeoutSeconds: seconds))
            await client.shutdown()
            return response
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Opens a connection and sends a GET, leaving the response unread: a long-poll or an
    /// event stream the server holds open. Returns the socket, to close later.
    static func openRequest(port: Int, path: String, key: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n\r\n".utf8)
        guard connected, send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            close(fd)
            throw ChildError.spawn("cannot open \(path) on port \(port)")
        }
        return fd
    }

    /// The admin key `admin bootstrap` printed.
    static func adminKey(in output: String) -> String? {
        output.split(separator: "\n").first(where: { $0.hasPrefix("admin key") })?.split(separator: " ").last.map(String.init)
    }

    /// The fallback folders under /var/lib/proofmarket a test led to, removed once their
    /// clusters have stopped.
    static func removeFallback(_ folder: String?) {
        guard let folder, folder.hasPrefix("/var/lib/proofmarket/"), serverLeft(on: folder) == nil else { return }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
