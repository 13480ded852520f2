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
}

/// A bounded set of threads for CPU-heavy work, so verification never runs on Swift's
/// cooperative pool or an event loop. At most `threads` run at once; at most `queueMax`
/// wait; past that, `run` fails at once with `verifier_busy`.
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

    /// Starts `threads` threads.
    public init(threads: Int, queueMax: Int) {
        self.threads = max(1, threads)
        self.queueMax = max(0, queueMax)
        for index in 0..<self.threads {
            let thread = Thread { [self] in self.work() }
            thread.name = "proofmarket-verify-\(index)"
            thread.start()
        }
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
                continuation.resume(throwing: MarketError(.verifierBusy, "every verification thread is busy; try again shortly"))
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
