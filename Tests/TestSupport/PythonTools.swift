import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// The pinned Python tools the contract and SDK tests run (openapi-spec-validator, schemathesis,
/// pytest with the SDK installed), as `scripts/tools.sh` installs them into `.build-tools/venv`
/// and exports them. A missing tool is an error that fails the test, never a skip: the contract
/// is only checked if they run.
public enum PythonTools {
    /// The repository's root folder.
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The venv's python, which has `openapi_spec_validator`.
    public static func python() throws -> String {
        try tool(environment: "PROOFMARKET_TOOLS_PYTHON", inVenv: "python")
    }

    /// The venv's `schemathesis` command.
    public static func schemathesis() throws -> String {
        try tool(environment: "PROOFMARKET_SCHEMATHESIS", inVenv: "schemathesis")
    }

    /// The path in `environment` if set, else the tool in the repository's venv; it must be executable.
    private static func tool(environment name: String, inVenv file: String) throws -> String {
        let path = ProcessInfo.processInfo.environment[name]
            ?? root.appendingPathComponent(".build-tools/venv/bin/\(file)").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ToolError("\(file) not found at \(path): run `bash scripts/test.sh`, or `source scripts/tools.sh` "
                            + "before `swift test`, to install the pinned Python tools (\(name) names it)")
        }
        return path
    }

    /// Runs `program arguments…` to completion (at most `seconds`, then it is killed) and returns
    /// its exit status (128+n if signalled) and combined output. Spawned by `Subprocess.spawn`
    /// and polled with `waitpid`, so no exit is missed and no thread blocks while it runs.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                           seconds: Double) async throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("pm-tool-\(UUID().uuidString.prefix(8)).log").path
        defer { unlink(outputPath) }
        let pid: pid_t
        do {
            pid = try Subprocess.spawn(program, arguments, environment: environment, outputPath: outputPath)
        } catch {
            throw ToolError("\(error)")
        }
        func output() -> String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                return (Subprocess.exitCode(status), output())
            }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = Subprocess.wait(pid)
                throw ToolError("\(program) did not finish within \(Int(seconds)) s; its output:\n\(output())")
            }
            do {
                try await Task.sleep(nanoseconds: 100_000_000)
            } catch {
                kill(pid, SIGKILL)   // the test was cancelled (its time limit, say): leave nothing running
                _ = Subprocess.wait(pid)
                throw error
            }
        }
    }

    /// A tool that is missing, failed to start or ran too long.
    public struct ToolError: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
