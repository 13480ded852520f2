import Dispatch
import Foundation
import Synchronization

/// Runs clean-up work (stopping an embedded cluster, draining a server) when the process is
/// asked to stop with SIGINT or SIGTERM, then exits with 128 + the signal number.
final class Termination: Sendable {
    static let shared = Termination()
    private let actions = Mutex<[@Sendable () -> Void]>([])
    /// Kept alive for the life of the process; written only during `init`.
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    private init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                runAll()
                exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Registers work to run on SIGINT/SIGTERM; it runs in reverse order of registration.
    func onExit(_ action: @escaping @Sendable () -> Void) {
        actions.withLock { $0.append(action) }
    }

    /// Runs and forgets every registered action (also called on a normal exit).
    func runAll() {
        let pending = actions.withLock { list -> [@Sendable () -> Void] in
            defer { list = [] }
            return list
        }
        pending.reversed().forEach { $0() }
    }
}
