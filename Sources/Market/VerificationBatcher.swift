import Foundation
import Synchronization

/// Gathers proofs of the same model that wait for verification and checks them together
/// (`ProofVerifier.verify(together:)`: every check of each proof, then one multi-scalar
/// multiplication for all), in front of the `VerificationPool`.
///
/// A proof arriving when no verification of its model is under way starts one after
/// `windowMilliseconds`; the ones arriving meanwhile, or while a verification of that model
/// runs, join the next batch (at most `batchProofsMax`). Each model has at most
/// `pool.threads` batches running at once, so one busy model still uses every thread. The
/// work runs on the pool's threads, never on an event loop or Swift's cooperative pool; the
/// pool belongs to proofs alone, so no import is ever ahead of them.
///
/// A bad proof costs the honest proofs of its batch at most `2·⌈log₂ batchProofsMax⌉` more
/// multiplications (the halving of `InferenceVerifier.verifyTogether`), never their verdict.
///
/// How long a proof waits is bounded in batches, not in time: one gathering window at most,
/// then, with `k` proofs of its model ahead of it, at most `⌈(k + 1) / batchProofsMax⌉ − 1`
/// batches of its model are taken before its own (proofs are taken in arrival order). The
/// batcher records the most it has seen (`Statistics.batchesAheadMax`).
public final class VerificationBatcher: Sendable {
    /// Proofs checked together at most.
    public static let batchProofsMaxDefault = 64
    /// How long the first proof of a model waits for others, by default, in milliseconds.
    public static let windowMillisecondsDefault = 2

    private struct Waiting {
        let request: VerificationRequest
        let continuation: CheckedContinuation<VerificationOutcome, Error>
        /// Batches of its model taken before it arrived (`State.taken`).
        let takenBefore: Int
    }

    private struct State {
        var pending: [String: [Waiting]] = [:]
        var waiting = 0
        /// Batches running or queued on the pool, per model.
        var running: [String: Int] = [:]
        /// Models whose next batch is in its gathering window.
        var gathering: Set<String> = []
        /// Batches taken so far, per model (kept while proofs of the model wait or run).
        var taken: [String: Int] = [:]
        var statistics = Statistics()
    }

    /// What the batcher has done since it started.
    public struct Statistics: Sendable, Equatable {
        /// Batches of two or more proofs verified together.
        public var combinedBatches = 0
        /// Proofs verified in those batches.
        public var combinedProofs = 0
        /// Proofs verified alone (nothing else of their model was waiting).
        public var singleProofs = 0
        /// The largest batch verified.
        public var largestBatch = 0
        /// The most batches of its model any proof saw taken between its arrival and its own batch.
        public var batchesAheadMax = 0
    }

    private let state = Mutex(State())
    private let pool: VerificationPool
    private let verifier: any ProofVerifier
    /// Proofs checked together at most.
    public let batchProofsMax: Int
    /// How long the first proof of a model waits for others, in milliseconds.
    public let windowMilliseconds: Int
    /// Proofs allowed to wait; past them, `verify` fails at once with the pool's `verifier_busy`.
    public let waitingMax: Int

    /// A batcher running its batches on `pool`.
    public init(pool: VerificationPool, verifier: any ProofVerifier, batchProofsMax: Int = VerificationBatcher.batchProofsMaxDefault,
                windowMilliseconds: Int = VerificationBatcher.windowMillisecondsDefault, waitingMax: Int) {
        self.pool = pool
        self.verifier = verifier
        self.batchProofsMax = max(1, batchProofsMax)
        self.windowMilliseconds = max(0, windowMilliseconds)
        self.waitingMax = max(1, waitingMax)
    }

    /// The counters so far.
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Proofs waiting for a batch to take them.
    public var waitingCount: Int { state.withLock { $0.waiting } }

    /// Verifies `request`, possibly together with other proofs of its model.
    public func verify(_ request: VerificationRequest) async throws -> VerificationOutcome {
        let model = request.modelID
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<VerificationOutcome, Error>) in
            enum Admission { case refused, joined, starts }
            let admission = state.withLock { s -> Admission in
                guard s.waiting < waitingMax else { return .refused }
                s.pending[model, default: []].append(Waiting(request: request, continuation: continuation,
                                                             takenBefore: s.taken[model, default: 0]))
                s.waiting += 1
                if s.gathering.contains(model) || s.running[model, default: 0] >= pool.threads { return .joined }
                s.gathering.insert(model)
                return .starts
            }
            switch admission {
            case .refused: continuation.resume(throwing: pool.busy)
            case .joined: break
            case .starts: Task { await self.start(model) }
            }
        }
    }

    /// Waits out the gathering window, then runs the model's batches on the pool.
    private func start(_ model: String) async {
        if windowMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(windowMilliseconds)) }
        state.withLock { s in
            s.gathering.remove(model)
            s.running[model, default: 0] += 1
        }
        do {
            try await pool.run { self.drain(model) }
        } catch {
            // The pool refused (full or stopping): the proofs no batch of their model will take fail with its reason.
            let orphans = state.withLock { s -> [Waiting] in
                s.running[model, default: 1] -= 1
                guard s.running[model, default: 0] == 0, !s.gathering.contains(model) else { return [] }
                let left = s.pending.removeValue(forKey: model) ?? []
                s.taken.removeValue(forKey: model)
                s.waiting -= left.count
                return left
            }
            for w in orphans { w.continuation.resume(throwing: error) }
        }
    }

    /// On a pool thread: takes batches of `model`'s waiting proofs until none is left.
    private func drain(_ model: String) {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                let all = s.pending[model] ?? []
                guard !all.isEmpty else {
                    s.pending.removeValue(forKey: model)
                    s.running[model, default: 1] -= 1
                    if s.running[model] == 0 {
                        s.running.removeValue(forKey: model)
                        if !s.gathering.contains(model) { s.taken.removeValue(forKey: model) }
                    }
                    return []
                }
                let taken = Array(all.prefix(batchProofsMax))
                let before = s.taken[model, default: 0]
                s.taken[model] = before + 1
                for w in taken { s.statistics.batchesAheadMax = max(s.statistics.batchesAheadMax, before - w.takenBefore) }
                s.pending[model] = Array(all.dropFirst(taken.count))
                s.waiting -= taken.count
                if taken.count > 1 {
                    s.statistics.combinedBatches += 1
                    s.statistics.combinedProofs += taken.count
                } else {
                    s.statistics.singleProofs += 1
                }
                s.statistics.largestBatch = max(s.statistics.largestBatch, taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            let requests = batch.map(\.request)
            var outcomes = batch.count == 1 ? [verifier.verify(requests[0])] : verifier.verify(together: requests)
            if outcomes.count != batch.count {
                // A verifier that miscounts is a programming error; no proof is accepted on it.
                outcomes = requests.map { _ in .rejected(reason: "verifier_failed", message: "the verifier returned no verdict for this proof") }
            }
            for (w, outcome) in zip(batch, outcomes) { w.continuation.resume(returning: outcome) }
        }
    }
}
