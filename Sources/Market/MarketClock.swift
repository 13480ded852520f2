import Foundation
import Synchronization

/// The one clock every market rule reads. Production uses the system clock; tests and the
/// simulation use `ManualClock` and move time themselves, so no test sleeps.
public protocol MarketClock: Sendable {
    /// The current instant.
    func now() -> Date
}

/// The system's wall clock.
public struct SystemClock: MarketClock {
    /// Creates the wall clock.
    public init() {}
    /// `Date()`.
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to.
public final class ManualClock: MarketClock {
    private let current: Mutex<Date>
    /// Starts at `start`, truncated to whole microseconds (PostgreSQL's precision), so a time
    /// read back from the database compares equal to the one written.
    public init(_ start: Date = Date()) {
        current = Mutex(ManualClock.microseconds(start))
    }
    /// The current instant.
    public func now() -> Date { current.withLock { $0 } }
    /// Moves the clock forward.
    public func advance(seconds: Double) {
        current.withLock { $0 = ManualClock.microseconds($0.addingTimeInterval(seconds)) }
    }
    private static func microseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000)
    }
}
