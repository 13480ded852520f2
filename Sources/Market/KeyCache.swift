import Foundation
import Synchronization

/// Principals of keys authenticated recently, by key digest, each for `lifetime` at most: a
/// busy caller's requests skip the key lookup (three a job cycle). Only keys found valid are
/// kept. Revoking a key through the market empties the cache, and a lookup that was under way
/// while a revocation happened keeps nothing (`generation`), so a revocation made here is
/// immediate; one made by another process on the same database takes effect here within
/// `lifetime`. At most `capacity` entries: when full, the cache starts afresh.
final class KeyCache: Sendable {
    private struct Entry {
        let principal: Principal
        let expires: ContinuousClock.Instant
    }
    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        var generation = 0
    }
    private let state = Mutex(State())
    /// How long an authentication is reused; zero or less turns the cache off.
    let lifetime: Duration
    /// The most keys kept at once.
    let capacity: Int

    init(lifetimeSeconds: Double, capacity: Int) {
        lifetime = .milliseconds(Int64((max(0, lifetimeSeconds) * 1000).rounded()))
        self.capacity = max(1, capacity)
    }

    /// The principal kept for `digest`, if still fresh, and the generation to hand back to
    /// `keep` after a lookup.
    func principal(for digest: [UInt8]) -> (principal: Principal?, generation: Int) {
        let now = ContinuousClock.now
        return state.withLock { s in
            guard let entry = s.entries[digest] else { return (nil, s.generation) }
            guard now < entry.expires else {
                s.entries[digest] = nil
                return (nil, s.generation)
            }
            return (entry.principal, s.generation)
        }
    }

    /// Keeps `principal` for `digest`, unless the cache was emptied since `generation` was read.
    func keep(_ principal: Principal, for digest: [UInt8], generation: Int) {
        guard lifetime > .zero else { return }
        let expires = ContinuousClock.now + lifetime
        state.withLock { s in
            guard s.generation == generation else { return }
            if s.entries.count >= capacity { s.entries.removeAll(keepingCapacity: true) }
            s.entries[digest] = Entry(principal: principal, expires: expires)
        }
    }

    /// Forgets every key (a key was revoked).
    func removeAll() {
        state.withLock { s in
            s.generation &+= 1
            s.entries.removeAll(keepingCapacity: true)
        }
    }
}
