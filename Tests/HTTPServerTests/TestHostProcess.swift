import CSocketShim
import Foundation
import Glibc
@testable import HTTPServer

/// An `HTTPServerTestHost` process (built beside the test bundle by `swift build --build-tests`),
/// its output in a file, killed when the value goes away.
final class TestHostProcess: @unchecked Sendable {
    let pid: pid_t
    let outputPath: String
    private var reaped = false

    static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("HTTPServerTestHost").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/HTTPServerTestHost").path
    }

    /// Starts the host with `arguments`; it inherits no descriptor but standard input and output.
    init(_ arguments: [String]) throws {
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pm-http-host-\(UUID().uuidString.prefix(8)).log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = pm_spawn_close_from(&actions, 3)
        let argv = [Self.binary] + arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, Self.binary, &actions, nil, &cArgs, environ)
        guard result == 0 else { throw SocketError.system("posix_spawn \(Self.binary)", result) }
        pid = child
    }

    deinit { stop() }

    /// Kills the host and reaps it.
    func stop() {
        guard !reaped else { return }
        reaped = true
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// The `listening PORT cap CAP hogged N` line's numbers, once printed.
    /// A loaded machine (the whole suite on two cores) has been seen to take about 30 s to start
    /// the host, so the wait is long; the output is read once more after the deadline.
    func waitForListening(seconds: Double = 120) async throws -> (port: Int, cap: Int) {
        func listening() -> (port: Int, cap: Int)? {
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("listening ") }) else { return nil }
            let words = line.split(separator: " ")
            guard words.count >= 4, let port = Int(words[1]), let cap = Int(words[3]) else { return nil }
            return (port, cap)
        }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let found = listening() { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        if let found = listening() { return found }
        throw SocketError.system("host did not start within \(Int(seconds)) s: \(output)", 0)
    }

    /// The process's CPU time so far (user and system), in seconds, from /proc.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // After "pid (comm)": state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
