import Foundation
import Synchronization

/// Everything a verifier needs to check one proof, bound to one lock.
public struct VerificationRequest: Sendable {
    /// The job.
    public let jobID: UUID
    /// The worker holding the lock.
    public let workerID: UUID
    /// The lock's nonce (the proof must be bound to it, so it cannot be replayed).
    public let nonce: String
    /// The model's id.
    public let modelID: String
    /// The model's commitment.
    public let commitment: [UInt8]
    /// The job's input.
    public let input: Tensor
    /// The proof bytes as submitted.
    public let proof: [UInt8]
    /// A hidden-input proof's opening of its input commitment, as submitted (nil otherwise).
    public var inputOpening: [UInt8]? = nil

    /// Bundles a request (the market makes these; `proofmarket verify` and tests may too).
    public init(jobID: UUID, workerID: UUID, nonce: String, modelID: String, commitment: [UInt8], input: Tensor, proof: [UInt8]) {
        self.jobID = jobID
        self.workerID = workerID
        self.nonce = nonce
        self.modelID = modelID
        self.commitment = commitment
        self.input = input
        self.proof = proof
    }
}

/// A verifier's verdict.
public enum VerificationOutcome: Sendable, Equatable {
    /// The proof holds; this is the output it vouches for.
    case valid(VerifiedOutput)
    /// The proof fails; `reason` is a stable code (`malformed_proof`, `wrong_binding`, …).
    case rejected(reason: String, message: String)
}

/// Checks proofs. The market calls it on a `VerificationPool` thread, never holding a
/// database transaction; it must be pure CPU work and must not trap on untrusted bytes.
public protocol ProofVerifier: Sendable {
    /// Checks one proof.
    func verify(_ request: VerificationRequest) -> VerificationOutcome
    /// Checks several proofs (of one model, as `VerificationBatcher` gathers them); one
    /// outcome per request, in order, each the one `verify` would give it alone.
    func verify(together requests: [VerificationRequest]) -> [VerificationOutcome]
}

extension ProofVerifier {
    /// One by one, for verifiers with nothing to share between proofs.
    public func verify(together requests: [VerificationRequest]) -> [VerificationOutcome] { requests.map(verify) }
}

/// A bounded set of threads for CPU-heavy work, so verification never runs on Swift's
/// cooperative pool or an event loop. At most `threads` run at once; at most `queueMax`
/// wait; past that, `run` fails at once with `busy` (`verifier_busy` unless told otherwise).
///
/// The market keeps two: one verifying proofs, one importing models. They share no queue,
/// so a proof never waits behind an upload, and the import threads run at a lower CPU
/// priority (`niceness`), so on a busy machine the scheduler gives proofs the cores first.
public final class VerificationPool: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var stopped = false
    }
    private let state = Mutex(State())
    private let condition = NSCondition()
    /// Threads verifying at once.
    public let threads: Int
    /// Work items allowed to wait.
    public let queueMax: Int

    /// What `run` throws when the queue is full.
    let busy: MarketError

    /// Starts `threads` threads named `name-0`, `name-1`, …; with `niceness` above 0 they run
    /// at that lower scheduling priority (Linux keeps a nice value per thread).
    public init(threads: Int, queueMax: Int, name: String = "proofmarket-verify", niceness: Int32 = 0,
                busy: MarketError = MarketError(.verifierBusy, "every verification thread is busy; try again shortly")) {
        self.threads = max(1, threads)
        self.queueMax = max(0, queueMax)
        self.busy = busy
        for index in 0..<self.threads {
            let thread = Thread { [self] in
                if niceness > 0 { Self.lowerPriority(by: niceness) }
                self.work()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Lowers the calling thread's CPU priority: `setpriority(PRIO_PROCESS, 0, …)` acts on the
    /// calling thread alone on Linux. Best effort: where it is refused, the thread keeps its priority.
    private static func lowerPriority(by niceness: Int32) {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
    }

    /// Runs `work` on a pool thread and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let accepted = state.withLock { s -> Bool in
                guard !s.stopped, s.queue.count < queueMax + threads else { return false }
                s.queue.append { continuation.resume(returning: work()) }
                return true
            }
            if accepted {
                condition.lock()
                condition.signal()
                condition.unlock()
            } else {
                continuation.resume(throwing: busy)
            }
        }
    }

    /// Lets the threads finish what is queued and exit.
    public func shutdown() {
        state.withLock { $0.stopped = true }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            var item: (@Sendable () -> Void)?
            var stop = false
            while true {
                (item, stop) = state.withLock { s in
                    s.queue.isEmpty ? (nil, s.stopped) : (s.queue.removeFirst(), false)
                }
                if item != nil || stop { break }
                condition.wait()
            }
            condition.unlock()
            if let item { item() } else if stop { return }
        }
    }
}

/// A counting gate for async work: at most `slots` holders at once, the others wait in
/// arrival order; past `waitersMax` waiting, `enter` fails at once with `verifier_busy`.
public final class AsyncGate: Sendable {
    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
        var head = 0
        var waiting: Int { waiters.count - head }
    }
    private let state: Mutex<State>
    /// Holders at once.
    public let slots: Int
    /// Waiters allowed.
    public let waitersMax: Int

    /// Creates a gate.
    public init(slots: Int, waitersMax: Int) {
        self.slots = max(1, slots)
        self.waitersMax = max(0, waitersMax)
        self.state = Mutex(State(free: max(1, slots)))
    }

    /// Runs `body` holding a slot.
    public func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async throws {
        enum Entry { case now, wait, refused }
        // Decide under the lock; suspend outside it.
        let decision = state.withLock { s -> Entry in
            if s.free > 0 { s.free -= 1; return .now }
            return s.waiting < waitersMax ? .wait : .refused
        }
        switch decision {
        case .now: return
        case .refused: throw MarketError(.verifierBusy, "every verification slot is busy; try again shortly")
        case .wait:
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let admitted = state.withLock { s -> Bool in
                    // A slot may have come free since the decision.
                    if s.free > 0 { s.free -= 1; return true }
                    s.waiters.append(continuation)
                    return false
                }
                if admitted { continuation.resume() }
            }
        }
    }

    private func leave() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.head < s.waiters.count else { s.free += 1; return nil }
            let waiter = s.waiters[s.head]
            s.head += 1
            if s.head > 64, s.head * 2 > s.waiters.count {
                s.waiters.removeFirst(s.head)
                s.head = 0
            }
            return waiter   // the slot passes straight to it
        }
        next?.resume()
    }
}

/// The verifier of a process that never takes proofs (the admin commands): every proof is
/// rejected with `verifier_unavailable`, so nothing can be paid by mistake.
public struct NoProofVerifier: ProofVerifier {
    /// Creates it.
    public init() {}
    /// Rejects.
    public func verify(_ request: VerificationRequest) -> VerificationOutcome {
        .rejected(reason: "verifier_unavailable", message: "this process does not verify proofs")
    }
}
