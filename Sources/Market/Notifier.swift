import Foundation
import Logging
import Postgres
import Synchronization

/// Sends the market's `NOTIFY`s after the transitions they announce have committed, many in
/// one statement.
///
/// PostgreSQL lets one notifying transaction commit at a time (a transaction that has called
/// `NOTIFY` takes a cluster-wide lock before its commit and keeps it through the commit's WAL
/// flush). Were every transition to notify inside its own transaction, the whole market would
/// commit one transition per flush. So a transition made through `Market.transaction` only
/// collects its notifications (`PendingNotifications`), and once it has committed they are
/// queued here; one sender per process sends whatever has queued, in one statement, then the
/// next batch. A notification is a hint (waiters re-read the database and time out), so one
/// lost to a crash between the commit and its send costs at most a waiter's timeout, as a
/// dropped connection always could.
final class Notifier: Sendable {
    /// Notifications queued at most; past it new ones are dropped (a waiter then wakes on its
    /// timeout) rather than memory growing while the database is slow.
    static let queuedMax = 10_000
    /// Notifications sent in one statement at most.
    static let batchMax = 1_000

    private struct State {
        var queue: [String] = []
        var sending = false
    }
    private let state = Mutex(State())
    private let pool: ConnectionPool
    private let logger: Logger

    init(pool: ConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Queues `payloads` (for `MarketNotifications.channel`) and starts the sender if idle.
    func send(_ payloads: [String]) {
        guard !payloads.isEmpty else { return }
        let start = state.withLock { s -> Bool in
            s.queue.append(contentsOf: payloads.prefix(max(0, Self.queuedMax - s.queue.count)))
            guard !s.sending else { return false }
            s.sending = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    /// Whether nothing is queued or being sent (for tests).
    var isIdle: Bool { state.withLock { !$0.sending && $0.queue.isEmpty } }

    private func drain() async {
        while true {
            let batch = state.withLock { s -> [String] in
                let batch = Array(s.queue.prefix(Self.batchMax))
                s.queue.removeFirst(batch.count)
                if batch.isEmpty { s.sending = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                try await pool.query(JobEventQueries.jobNotifyAll.sql, [.text(MarketNotifications.channel), .array(batch)])
            } catch {
                logger.warning("could not send job notifications; waiters wake on their timeouts",
                               metadata: ["count": "\(batch.count)", "error": "\(error)"])
            }
        }
    }
}

/// The notifications of one transaction, sent by `Market.transaction` once it has committed.
final class PendingNotifications: Sendable {
    private let payloads = Mutex<[String]>([])

    /// The transaction in progress on this task, if it collects its notifications.
    @TaskLocal static var current: PendingNotifications?

    func append(_ payload: String) { payloads.withLock { $0.append(payload) } }

    /// Forgets what an attempt collected (a retried transaction starts again).
    func reset() { payloads.withLock { $0 = [] } }

    func take() -> [String] { payloads.withLock { p in defer { p = [] }; return p } }
}
