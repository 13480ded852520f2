import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The pinned Python tools the contract tests run (openapi-spec-validator, schemathesis), as
/// `scripts/tools.sh` installs them into `.build-tools/venv` and exports them. A missing tool
/// is an error that fails the test, never a skip: the contract is only checked if they run.
enum PythonTools {
    /// The repository's root folder.
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The venv's python, which has `openapi_spec_validator`.
    static func python() throws -> String {
        try tool(environment: "PROOFMARKET_TOOLS_PYTHON", inVenv: "python")
    }

    /// The venv's `schemathesis` command.
    static func schemathesis() throws -> String {
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
    /// its exit status (128+n if signalled) and combined output. Spawned with `posix_spawn`
    /// and polled with `waitpid`, so no exit is missed and no thread blocks while it runs.
    static func run(_ program: String, _ arguments: [String], seconds: Double) async throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("pm-tool-\(UUID().uuidString.prefix(8)).log").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = [program] + arguments
        let envp = ProcessInfo.processInfo.environment.map { "\($0)=\($1)" }
        var pid: pid_t = 0
        let result = withCStrings(argv) { a in withCStrings(envp) { e in posix_spawn(&pid, program, &actions, nil, a, e) } }
        guard result == 0 else { throw ToolError("cannot run \(program): \(String(cString: strerror(result)))") }
        func output() -> String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output())
            }
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw ToolError("\(program) did not finish within \(Int(seconds)) s; its output:\n\(output())")
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    struct ToolError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
