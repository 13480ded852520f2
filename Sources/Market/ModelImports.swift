import Foundation
import Synchronization

/// Where uploaded models are imported: a thread pool of its own (never the one proofs are
/// verified on), and admission that bounds the imports in flight in this process, per account
/// and in total, before anything is stored.
///
/// An import is untrusted work of unbounded appeal to an attacker (a client can upload as many
/// large models as it likes), so it must never delay the verification of a proof for a live
/// lock: that would let a client run a worker's lock out and have its stake slashed. Hence the
/// separate, lower-priority threads, and the refusals (`too_many_imports`, `import_busy`) that
/// come before a byte is written.
public final class ModelImports: Sendable {
    private struct State {
        var total = 0
        var byAccount: [UUID: Int] = [:]
    }
    private let state = Mutex(State())
    /// The threads imports run on.
    let pool: VerificationPool
    /// Imports in flight (running or waiting) from one account at once.
    public let perAccountMax: Int
    /// Imports in flight in this process at once: the import threads plus the waiting room.
    public let totalMax: Int

    /// The scheduling priority the import threads give up, so verification comes first.
    public static let threadNiceness: Int32 = 10

    init(configuration: MarketConfiguration) {
        let threads = max(1, configuration.importThreads)
        let queued = max(0, configuration.importsQueuedMax)
        pool = VerificationPool(threads: threads, queueMax: queued, name: "proofmarket-import", niceness: Self.threadNiceness,
                                busy: MarketError(.importBusy, "the model import queue is full; upload again later"))
        perAccountMax = max(1, configuration.importsPerAccountMax)
        totalMax = threads + queued
    }

    /// Imports in flight now, in total and for `account`.
    public func inFlight(for account: UUID) -> (total: Int, account: Int) {
        state.withLock { ($0.total, $0.byAccount[account] ?? 0) }
    }

    /// Reserves a place for one import by `account`, or throws `too_many_imports` (this account
    /// has `perAccountMax` in flight) or `import_busy` (the process has `totalMax`).
    func admit(_ account: UUID) throws -> ImportTicket {
        enum Refusal { case account, total }
        let refusal = state.withLock { s -> Refusal? in
            let mine = s.byAccount[account] ?? 0
            guard mine < perAccountMax else { return .account }
            guard s.total < totalMax else { return .total }
            s.total += 1
            s.byAccount[account] = mine + 1
            return nil
        }
        switch refusal {
        case .account?:
            throw MarketError(.tooManyImports, "this account has \(perAccountMax) model imports in progress; "
                + "upload again when one has finished")
        case .total?:
            throw MarketError(.importBusy, "the coordinator is importing \(totalMax) models; upload again later")
        case nil:
            return ImportTicket(imports: self, account: account)
        }
    }

    fileprivate func leave(_ account: UUID) {
        state.withLock { s in
            s.total -= 1
            let left = (s.byAccount[account] ?? 1) - 1
            s.byAccount[account] = left > 0 ? left : nil
        }
    }

    /// Lets the import threads finish what is queued and exit.
    func shutdown() { pool.shutdown() }
}

/// A place reserved by `ModelImports.admit`; given back once, by `release()`.
final class ImportTicket: Sendable {
    private let imports: ModelImports
    private let account: UUID
    private let released = Atomic<Bool>(false)

    fileprivate init(imports: ModelImports, account: UUID) {
        self.imports = imports
        self.account = account
    }

    /// Gives the place back (a second call does nothing).
    func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { imports.leave(account) }
    }

    deinit { release() }
}
