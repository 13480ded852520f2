import CSocketShim
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Child processes, started with `posix_spawn` and reaped with `waitpid`.
///
/// Foundation's `Process` can miss a child's exit when several are launched from different
/// threads at once (its wait never returns), so the project starts its children here.
///
/// A child inherits standard input, output and error and nothing else: every other
/// descriptor is closed in it. Otherwise a long-lived child (a PostgreSQL server, a
/// coordinator started by a test) would keep open whatever pipe or socket another thread
/// had open at that instant, and whoever waits for that pipe's end (a `run` reading its
/// child's output, a CI runner reading a test run's) would wait as long as the child lives.
public enum Subprocess {
    /// Starts `program` (an absolute path) with `arguments`, standard input from /dev/null and
    /// standard output and error appended to a new file at `outputPath`. `environment` is
    /// added to this process's own; `workingDirectory`, if given, is the child's (else it
    /// inherits ours). Returns the child's process id; reap it with `waitpid`.
    public static func spawn(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                             workingDirectory: String? = nil, outputPath: String) throws -> pid_t {
        try spawn(program, arguments, environment: environment, workingDirectory: workingDirectory) { actions in
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
    }

    /// Runs `program` with `arguments` to completion, blocking the calling thread; returns the
    /// exit status (128+signal if killed) and the combined standard output and error, which
    /// are captured, never passed through to ours. Standard input is /dev/null; the working
    /// directory is `workingDirectory` if given, else ours.
    static func run(_ program: String, _ arguments: [String],
                    workingDirectory: String? = nil) throws -> (status: Int32, output: String) {
        var pipeEnds: [Int32] = [0, 0]
        guard pm_pipe_cloexec(&pipeEnds) == 0 else { throw PostgresError(.cluster, "pipe() failed: errno \(errno)") }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        let pid: pid_t
        do {
            pid = try spawn(program, arguments, workingDirectory: workingDirectory) { actions in
                posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
                posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
            }
        } catch {
            close(readEnd)
            close(writeEnd)
            throw PostgresError(.cluster, "\(error)")
        }
        close(writeEnd)
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(readEnd, &buffer, buffer.count)
            if count > 0 { output.append(contentsOf: buffer[0..<count]); continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        close(readEnd)
        return (wait(pid), String(decoding: output, as: UTF8.self))
    }

    /// Waits for `pid` to exit and returns its exit status (128+signal if killed).
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return exitCode(status)
    }

    /// The exit status `waitpid` reported as one number: the code, or 128+signal if killed.
    public static func exitCode(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Spawns with standard input from /dev/null, the output actions `redirect` adds, every
    /// descriptor above standard error closed in the child, and `workingDirectory` as its
    /// working directory when given.
    private static func spawn(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                              workingDirectory: String? = nil,
                              redirect: (inout posix_spawn_file_actions_t) -> Void) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        redirect(&actions)
        guard pm_spawn_close_from(&actions, 3) == 0 else { throw SpawnError("cannot set up \(program)'s descriptors") }
        if let workingDirectory, pm_spawn_chdir(&actions, workingDirectory) != 0 {
            throw SpawnError("cannot set \(program)'s working directory to \(workingDirectory)")
        }
        var merged = ProcessInfo.processInfo.environment
        for (name, value) in environment { merged[name] = value }
        let argv = [program] + arguments
        let envp = merged.map { "\($0)=\($1)" }
        var pid: pid_t = 0
        let result = withCStrings(argv) { cArgs in
            withCStrings(envp) { cEnv in
                posix_spawn(&pid, program, &actions, nil, mutable(cArgs), mutable(cEnv))
            }
        }
        guard result == 0 else { throw SpawnError("cannot run \(program): \(String(cString: strerror(result)))") }
        return pid
    }

    private static func mutable(_ pointers: [UnsafePointer<CChar>?]) -> [UnsafeMutablePointer<CChar>?] {
        pointers.map { $0.map(UnsafeMutablePointer.init(mutating:)) }
    }
}

/// A child process could not be started.
public struct SpawnError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}
