import Dispatch
import Foundation
import Synchronization

/// Runs clean-up work (draining a server, stopping an embedded cluster) however the process
/// ends: a normal return, an error, `exit()`, or SIGINT/SIGTERM.
///
/// The actions run once, in reverse order of registration, on whichever path comes first;
/// every other path that reaches `runAll()` meanwhile waits until they have finished. That
/// wait is the point: when a signal's actions drain the server, `serve`'s main path sees
/// `run()` return and heads for the exit, and without it the process could end while the
/// signal's thread was still about to stop the database, leaving the cluster running.
final class Termination: Sendable {
    static let shared = Termination()
    private let actions = Mutex<[@Sendable () -> Void]>([])
    /// Held while actions run; a caller on another thread waits on it (recursive, so an
    /// action that ends in `exit()` runs the rest instead of deadlocking).
    private let running = NSRecursiveLock()
    /// Whether a signal, once its actions have run, ends the process (the default) or leaves
    /// that to the main path (`serve`, whose main path returns once the server has drained).
    private let signalsExit = Atomic<Bool>(true)
    /// Kept alive for the life of the process; written only during `init`.
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    private init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                runAll()
                if signalsExit.load(ordering: .acquiring) { exit(128 + signalNumber) }
            }
            source.resume()
            sources.append(source)
        }
        // ArgumentParser ends a failed command with exit(); so does a signal. Either way the
        // actions still run (or, if already running on another thread, are waited for).
        atexit { Termination.shared.runAll() }
    }

    /// Registers work to run at the end; it runs in reverse order of registration.
    func onExit(_ action: @escaping @Sendable () -> Void) {
        actions.withLock { $0.append(action) }
    }

    /// From now on a signal runs the actions but does not end the process itself: the main
    /// path does, once they have made it return (a drained server). Call it only once the
    /// actions can make the main path return.
    func signalsEndMainPath() {
        signalsExit.store(false, ordering: .releasing)
    }

    /// Runs and forgets every registered action, or waits for another thread that is running
    /// them. Called on a normal exit, by the signal handlers, and at `exit()`.
    func runAll() {
        running.lock()
        defer { running.unlock() }
        while true {
            let pending = actions.withLock { list -> [@Sendable () -> Void] in
                defer { list = [] }
                return list
            }
            if pending.isEmpty { return }
            pending.reversed().forEach { $0() }
        }
    }
}
