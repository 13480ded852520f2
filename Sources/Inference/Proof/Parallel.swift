import Dispatch

/// Work a proof check splits over threads: the items of a batch, the rows of a linear check.
/// Two threads, as the commitments use (the machine's cores; more buys nothing there).
enum Parallel {
    /// Threads the work is split over.
    static let workers = 2

    /// `body(i)` for every `i` in `0..<count`, in order, on up to `workers` threads (on the
    /// caller's thread alone when `count` is 1). Every slot is written once, by construction.
    static func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        guard count > 1 else { return (0..<max(count, 0)).map(body) }
        var out = [T?](repeating: nil, count: count)
        let threads = min(workers, count)
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let buffer = buffer
            DispatchQueue.concurrentPerform(iterations: threads) { w in
                var i = w
                while i < count {
                    buffer[i] = body(i)
                    i += threads
                }
            }
        }
        return out.compactMap { $0 }
    }
}
