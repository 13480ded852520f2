import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion with `posix_spawn` and `waitpid`, capturing its output.
///
/// Foundation's `Process` can miss a child's exit when several are launched from different
/// threads at once (its wait never returns), so the cluster controller uses this instead:
/// the calling thread blocks in `waitpid` on its own child, which cannot be missed.
enum Subprocess {
    /// Runs `program` with `arguments`; returns the exit status (128+signal if killed) and the
    /// combined standard output and error. Standard input is /dev/null.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw PostgresError(.cluster, "pipe() failed: errno \(errno)") }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 2)
        posix_spawn_file_actions_addclose(&actions, readEnd)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        var pid: pid_t = 0
        let argv = [program] + arguments
        let spawnResult = withCStrings(argv) { cArgs in
            cArgs.withUnsafeBufferPointer { buffer in
                posix_spawn(&pid, program, &actions, nil,
                            UnsafeMutablePointer(mutating: buffer.baseAddress!).withMemoryRebound(
                                to: UnsafeMutablePointer<CChar>?.self, capacity: buffer.count) { $0 },
                            environ)
            }
        }
        close(writeEnd)
        guard spawnResult == 0 else {
            close(readEnd)
            throw PostgresError(.cluster, "cannot run \(program): \(String(cString: strerror(spawnResult)))")
        }
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(readEnd, &buffer, buffer.count)
            if count > 0 { output.append(contentsOf: buffer[0..<count]); continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        close(readEnd)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }
}
