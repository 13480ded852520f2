import Foundation
#if canImport(Glibc)
import Glibc
#endif

// How several proofmarket processes share one embedded cluster without stopping it under
// each other (`serve`, then `admin bootstrap` or `migrate` on the same data folder).
//
// Each process that uses the server holds a `flock` on the data folder: shared while it uses
// it, exclusive only while it initialises, starts or stops it. The kernel drops a process's
// lock when it dies, however it dies, so the locks always tell who is still there:
// - a process that gets the exclusive lock is alone: it starts (or adopts) the server;
// - one that gets only a shared lock joins the server the others run;
// - at exit, a process that can turn its shared lock into an exclusive one is the last user,
//   and stops the server, if a proofmarket process started it.
// Whether proofmarket started the running server is recorded beside it: the postmaster's
// process id and start time (from `postmaster.pid`) in `proofmarket.started`, so a server
// started by hand on the same folder is never mistaken for ours and never stopped.

/// A `flock` on a data folder, held through an open descriptor of the folder itself (so
/// nothing has to be created in it before `initdb`, which wants it empty).
final class ClusterClaim {
    /// The lock's kind.
    enum Kind { case shared, exclusive }

    private var fd: Int32

    /// Opens the folder; takes no lock yet.
    init(directory: String) throws {
        fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PostgresError(.cluster, "cannot open the data folder \(directory): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close() }

    /// Takes (or converts to) a lock of `kind`; without `wait`, returns false at once if
    /// another process holds a conflicting lock. A conversion may drop the lock held before,
    /// so a failed one leaves none.
    func lock(_ kind: Kind, wait: Bool) -> Bool {
        guard fd >= 0 else { return false }
        let operation = (kind == .shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)
        while true {
            if flock(fd, operation) == 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Releases whatever lock is held.
    func unlock() {
        if fd >= 0 { _ = flock(fd, LOCK_UN) }
    }

    /// Releases the lock and the descriptor.
    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }
}

/// A running postmaster, as its `postmaster.pid` describes it.
struct Postmaster: Equatable {
    /// Its process id.
    let pid: pid_t
    /// Its start time, as written in `postmaster.pid` (seconds since 1970, as text).
    let startTime: String

    /// One line naming this server instance: the process id and the start time, which
    /// together never repeat even when process ids are reused.
    var identity: String { "\(pid) \(startTime)" }
}

extension EmbeddedPostgres {
    private var starterPath: String { dataDirectory + "/proofmarket.started" }

    /// The server running on the data folder, or nil: `postmaster.pid` names a live process.
    func postmaster() -> Postmaster? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, let pid = pid_t(lines[0].trimmingCharacters(in: .whitespaces)), pid > 0 else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        return Postmaster(pid: pid, startTime: lines[2].trimmingCharacters(in: .whitespaces))
    }

    /// Whether `running` is the server a proofmarket process started (and has not stopped).
    func startedByProofMarket(_ running: Postmaster) -> Bool {
        let recorded = (try? String(contentsOfFile: starterPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return recorded == running.identity
    }

    /// Records that proofmarket started `running`.
    func recordStarter(_ running: Postmaster) {
        do {
            try Data((running.identity + "\n").utf8).write(to: URL(fileURLWithPath: starterPath), options: .atomic)
        } catch {
            logger.warning("cannot write \(starterPath): \(error); a process taking this server over will leave it running")
        }
    }

    /// Forgets the record, once the server it names has stopped.
    func forgetStarter() {
        try? FileManager.default.removeItem(atPath: starterPath)
    }
}
