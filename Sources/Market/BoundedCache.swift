import Synchronization

/// Values kept in memory by key, at most `capacity` of them: when full, the cache starts
/// afresh (simple, and a working set that fits never misses twice). For values that never
/// change once made, such as ready models and decoded commitments.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    /// The most values kept at once.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The value kept for `key`, if any.
    subscript(key: Key) -> Value? {
        entries.withLock { $0[key] }
    }

    /// Keeps `value` for `key`.
    func keep(_ value: Value, for key: Key) {
        entries.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[key] = value
        }
    }
}
