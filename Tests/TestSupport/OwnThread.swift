import Foundation

/// CPU-heavy test work run on a thread of its own.
///
/// Swift's concurrency pool has one thread per core (two in CI). A synchronous test that proves or
/// verifies for many seconds holds one of them the whole time, and the socket tests running beside
/// it stall until the server they talk to times their connections out. Work run here leaves the
/// pool free; the caller awaits the result and makes its expectations on the pool as usual.
/// The thread also runs at a lower CPU priority (niceness 10), so the suites beside it that
/// wait on sockets and clocks get the cores first when both want them.
public enum OwnThread {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                #if os(Linux)
                // On Linux this acts on the calling thread alone; best effort.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                #endif
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
    }
}
