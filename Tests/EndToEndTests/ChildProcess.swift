import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `proofmarket` process started by a test, its output going to files the test can read.
/// Spawned with `posix_spawn` and reaped with `waitpid`, so exits are never missed.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let outputPath: String
    let name: String
    private var reaped = false

    /// The `proofmarket` binary beside the test bundle (both are built by `swift build --build-tests`).
    static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("proofmarket").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/proofmarket").path
    }

    /// Starts `proofmarket arguments…` with `environment` added.
    init(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        self.name = name
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pm-e2e-\(name)-\(UUID().uuidString.prefix(8)).log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv = [Self.binary] + arguments
        let envp = env.map { "\($0)=\($1)" }
        var child: pid_t = 0
        let result = withCStringArray(argv) { a in withCStringArray(envp) { e in posix_spawn(&child, Self.binary, &actions, nil, a, e) } }
        guard result == 0 else { throw ChildError.spawn(String(cString: strerror(result))) }
        pid = child
    }

    deinit { if !reaped { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) } }

    /// Everything the process printed so far.
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Sends a signal.
    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the exit (at most `seconds`) and returns the exit status (128+n if signalled).
    @discardableResult
    func wait(seconds: Double = 60) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                reaped = true
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw ChildError.timeout("\(name) did not exit within \(seconds) s; output:\n\(output.suffix(3000))")
    }

    /// Waits until the output contains `text` (at most `seconds`), returning the line holding it.
    func waitForLine(containing text: String, seconds: Double = 60) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = output.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                throw ChildError.exited("\(name) exited before printing '\(text)'; output:\n\(output.suffix(3000))")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw ChildError.timeout("\(name) did not print '\(text)' within \(seconds) s; output:\n\(output.suffix(3000))")
    }

    /// Runs a command to completion and returns its exit status and output.
    static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:], seconds: Double = 120) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(name, arguments, environment: environment)
        let status = try await child.wait(seconds: seconds)
        return (status, child.output)
    }
}

enum ChildError: Error, CustomStringConvertible {
    case spawn(String), timeout(String), exited(String)
    var description: String {
        switch self {
        case .spawn(let s): return "spawn failed: \(s)"
        case .timeout(let s), .exited(let s): return s
        }
    }
}

private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
