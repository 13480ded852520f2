import Dispatch
import Glibc

/// SIGTERM and SIGINT handling for the CLI: the first signal runs `handler` (usually
/// `await server.shutdown()`), so `serve` exits 0 after draining.
public enum ShutdownSignals {
    /// Installs the handlers; keep the returned sources alive for as long as they should work.
    public static func install(_ handler: @escaping @Sendable () async -> Void) -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            // The default action must be off, or the process dies before Dispatch sees the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Task { await handler() } }
            source.resume()
            return source
        }
    }
}
