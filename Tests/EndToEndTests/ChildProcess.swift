import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// A `proofmarket` process started by a test, its output going to a file the test can read.
/// Spawned by `Subprocess.spawn` (it inherits no descriptor but its standard ones) and reaped
/// with `waitpid`, so exits are never missed. Any still running when the test process exits
/// is killed then, so no coordinator or worker outlives the run.
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

    /// Starts `proofmarket arguments…` (or `program`) with `environment` added, in
    /// `workingDirectory` if given.
    init(_ name: String, _ arguments: [String], environment: [String: String] = [:], program: String? = nil,
         workingDirectory: String? = nil) throws {
        self.name = name
        outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pm-e2e-\(name)-\(UUID().uuidString.prefix(8)).log").path
        pid = try Subprocess.spawn(program ?? Self.binary, arguments, environment: environment, workingDirectory: workingDirectory,
                                   outputPath: outputPath)
        LiveChildren.add(pid)
    }

    deinit {
        if !reaped {
            kill(pid, SIGKILL)
            _ = Subprocess.wait(pid)
            LiveChildren.remove(pid)
        }
    }

    private func markReaped() {
        reaped = true
        LiveChildren.remove(pid)
    }

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
                markReaped()
                return Subprocess.exitCode(status)
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
                markReaped()
                throw ChildError.exited("\(name) exited before printing '\(text)'; output:\n\(output.suffix(3000))")
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw ChildError.timeout("\(name) did not print '\(text)' within \(seconds) s; output:\n\(output.suffix(3000))")
    }

    /// Runs a command to completion and returns its exit status and output.
    static func run(_ name: String, _ arguments: [String], environment: [String: String] = [:], program: String? = nil,
                    workingDirectory: String? = nil, seconds: Double = 120) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(name, arguments, environment: environment, program: program, workingDirectory: workingDirectory)
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

/// The children started by this test process and not yet reaped; killed when it exits.
private enum LiveChildren {
    nonisolated(unsafe) private static var pids: Set<pid_t> = []
    private static let lock = NSLock()
    private static let killAtExit: Void = { atexit { LiveChildren.killAll() } }()

    static func add(_ pid: pid_t) {
        _ = killAtExit
        lock.withLock { _ = pids.insert(pid) }
    }

    static func remove(_ pid: pid_t) {
        lock.withLock { _ = pids.remove(pid) }
    }

    static func killAll() {
        for pid in lock.withLock({ pids }) { kill(pid, SIGKILL) }
    }
}
