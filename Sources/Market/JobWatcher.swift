import Foundation
import Logging
import Postgres
import Synchronization

/// Wakes long-polls when jobs change, without a thread per waiter.
///
/// One `LISTEN` connection per process receives every transition's `NOTIFY` (sent once the
/// transition has committed, see `Notifier`, so only committed changes wake anyone) and resumes the
/// continuations waiting on that job, or on the market as a whole for newly open jobs. A
/// notification is only a hint: callers re-read the database after waking, and a missed one
/// costs at most the wait's timeout.
public final class JobWatcher: Sendable {
    /// The most waiters at once; past it a wait returns immediately (the caller re-reads and answers).
    public static let waitersMax = 10_000
    /// The longest wait.
    public static let waitSecondsMax = 60.0

    /// A waiter is registered before the caller re-reads the database (`pending`), so a change
    /// committed between that read and the wait marks it `fired` instead of being lost.
    private enum Slot {
        case pending(job: UUID?, fired: Bool)
        case waiting(job: UUID?, continuation: CheckedContinuation<Void, Never>)

        var job: UUID? {
            switch self {
            case .pending(let job, _), .waiting(let job, _): return job
            }
        }
    }
    private let slots = Mutex<[Int: Slot]>([:])
    private let nextID = Atomic<Int>(0)
    private let notified = Atomic<Int>(0)
    private let listener: PostgresListener
    private let pump: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Starts listening on `MarketNotifications.channel`.
    public init(configuration: PostgresConfiguration) async throws {
        listener = try await PostgresListener(configuration: configuration, channels: [MarketNotifications.channel])
        let task = Task { [weak self, listener] in
            for await notification in listener {
                guard let self else { return }
                self.deliver(notification.payload)
            }
        }
        pump.withLock { $0 = task }
    }

    /// Stops listening and wakes every waiter.
    public func stop() {
        listener.stop()
        pump.withLock { $0?.cancel() }
        let all = slots.withLock { s -> [Slot] in defer { s = [:] }; return Array(s.values) }
        for case .waiting(_, let continuation) in all { continuation.resume() }
    }

    /// Waits ended (or pre-empted) by a notification rather than a timeout, since start (for metrics and tests).
    public var wakeupsByNotification: Int { notified.load(ordering: .relaxed) }

    /// Current registrations (for metrics).
    public var waiting: Int { slots.withLock { $0.count } }

    /// A registration made before re-reading the database.
    public struct Ticket: Sendable {
        let id: Int
    }

    /// Registers interest in `job` (nil: any job becoming open); nil when `waitersMax` are registered.
    public func register(job: UUID?) -> Ticket? {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let accepted = slots.withLock { s -> Bool in
            guard s.count < Self.waitersMax else { return false }
            s[id] = .pending(job: job, fired: false)
            return true
        }
        return accepted ? Ticket(id: id) : nil
    }

    /// Drops a registration the caller will not wait on.
    public func cancel(_ ticket: Ticket) {
        wake(ticket.id)
    }

    /// Waits until the registered job changes (or already has since `register`) or
    /// `timeoutSeconds` pass (capped at `waitSecondsMax`). The ticket is used up.
    public func wait(_ ticket: Ticket, timeoutSeconds: Double) async {
        let timeout = max(0, min(timeoutSeconds, Self.waitSecondsMax))
        let id = ticket.id
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = slots.withLock { s -> Bool in
                    guard case .pending(let job, let fired)? = s[id], !fired, timeout > 0 else {
                        s[id] = nil
                        return false
                    }
                    s[id] = .waiting(job: job, continuation: continuation)
                    return true
                }
                guard parked else { continuation.resume(); return }
                Task { [weak self] in
                    try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                    self?.wake(id)
                }
            }
        } onCancel: {
            wake(id)
        }
    }

    private func wake(_ id: Int) {
        if case .waiting(_, let continuation)? = slots.withLock({ $0.removeValue(forKey: id) }) {
            continuation.resume()
        }
    }

    private func deliver(_ payload: String) {
        guard let (job, status) = MarketNotifications.parse(payload) else { return }
        let woken = slots.withLock { s -> [CheckedContinuation<Void, Never>] in
            var resumed: [CheckedContinuation<Void, Never>] = []
            for (id, slot) in s where slot.job == job || (slot.job == nil && status == .open) {
                switch slot {
                case .pending(let j, let fired):
                    if !fired { notified.add(1, ordering: .relaxed) }
                    s[id] = .pending(job: j, fired: true)
                case .waiting(_, let continuation):
                    notified.add(1, ordering: .relaxed)
                    s[id] = nil
                    resumed.append(continuation)
                }
            }
            return resumed
        }
        woken.forEach { $0.resume() }
    }
}

extension Market {
    /// The job once its status differs from `seen` (or at once if it already does), or as it
    /// is after `timeoutSeconds`. Holds no thread and no connection while waiting.
    public func waitForChange(_ id: UUID, from seen: JobStatus?, timeoutSeconds: Double, by principal: Principal,
                              watcher: JobWatcher) async throws -> Job {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, min(timeoutSeconds, JobWatcher.waitSecondsMax)) * 1000))
        while true {
            let ticket = watcher.register(job: id)
            let job: Job
            do { job = try await self.job(id, by: principal) } catch {
                ticket.map(watcher.cancel)
                throw error
            }
            let remaining = deadline - ContinuousClock.now
            guard let ticket, let seen, job.status == seen, remaining > .zero else {
                ticket.map(watcher.cancel)
                return job
            }
            await watcher.wait(ticket, timeoutSeconds: Double(remaining.components.seconds)
                               + Double(remaining.components.attoseconds) / 1e18)
            if ContinuousClock.now >= deadline { return try await self.job(id, by: principal) }
        }
    }

    /// Open jobs; if there are none, waits up to `timeoutSeconds` for one to open.
    public func waitForOpenJobs(timeoutSeconds: Double, by principal: Principal, watcher: JobWatcher,
                                limit: Int = 100) async throws -> [MarketJob] {
        let ticket = watcher.register(job: nil)
        let jobs: [MarketJob]
        do { jobs = try await openJobs(by: principal, limit: limit) } catch {
            ticket.map(watcher.cancel)
            throw error
        }
        guard jobs.isEmpty, let ticket, timeoutSeconds > 0 else {
            ticket.map(watcher.cancel)
            return jobs
        }
        await watcher.wait(ticket, timeoutSeconds: timeoutSeconds)
        return try await openJobs(by: principal, limit: limit)
    }
}
