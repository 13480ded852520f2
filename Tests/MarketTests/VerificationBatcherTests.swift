import Foundation
import Inference
import Market
import MarketTestSupport
import Testing

/// The limits of `VerificationBatcher` with real proofs, the real verifier and a real pool:
/// every thread of the pool is held until all the proofs of a test wait, so how the batcher
/// splits them does not depend on how their arrivals interleave.
@Suite(.timeLimit(.minutes(10))) struct VerificationBatcherTests {
    static let digitsID = "digits"

    /// A second model with a commitment of its own: a generated 64 → 16 → 10 network.
    static let other: (model: QuantizedModel, commitment: ModelCommitment) = {
        let onnx = GeneratedModel.onnx(inputs: 64, hidden: 16, seed: 41)
        let model = try! InferenceModelImporter().quantizedModel(onnx)
        return (model, try! ModelCommitment.commit(model))
    }()

    /// A request for a real proof of the digits MLP on sample `i`; `changedOpening` makes a proof
    /// whose every check holds but the final multiplication.
    static func digits(_ i: Int, changedOpening: Bool = false, nonce: String? = nil) -> VerificationRequest {
        let jobID = UUID(), workerID = UUID(), proved = "lock-\(i)"
        let input = RealProofs.input(i)
        let proof = changedOpening
            ? RealProofs.proveWithChangedOpening(jobID: jobID, workerID: workerID, nonce: proved, input: input)
            : RealProofs.prove(jobID: jobID, workerID: workerID, nonce: proved, input: input)
        return VerificationRequest(jobID: jobID, workerID: workerID, nonce: nonce ?? proved, modelID: digitsID,
                                   commitment: RealProofs.loaded.commitment.encoded, input: input, proof: proof)
    }

    /// A request for a real proof of the second model on sample `i`.
    static func otherModel(_ i: Int) throws -> VerificationRequest {
        let jobID = UUID(), workerID = UUID(), nonce = "other-\(i)"
        let input = RealProofs.input(i)
        let x = try other.model.quantizeInput(floats: input.values, shape: input.shape)
        let context = InferenceProofVerifier.context(jobID: jobID, workerID: workerID, nonce: nonce)
        let proof = try InferenceProver.prove(model: other.model, commitment: other.commitment, input: x, context: context).proof
        return VerificationRequest(jobID: jobID, workerID: workerID, nonce: nonce, modelID: "other",
                                   commitment: other.commitment.encoded, input: input, proof: proof)
    }

    /// A batcher over a pool of two threads.
    static func batcher(window: Int = VerificationBatcher.windowMillisecondsDefault)
        -> (batcher: VerificationBatcher, pool: VerificationPool) {
        let pool = VerificationPool(threads: 2, queueMax: 16, name: "batcher-test")
        let batcher = VerificationBatcher(pool: pool, verifier: InferenceProofVerifier(), windowMilliseconds: window, waitingMax: 1_000)
        return (batcher, pool)
    }

    /// Holds every thread of `pool`, submits `requests`, waits until all of them wait in the
    /// batcher, then lets the pool go; the outcomes, in the order of `requests`.
    static func verifyWhileHeld(_ requests: [VerificationRequest], batcher: VerificationBatcher,
                                pool: VerificationPool) async throws -> [VerificationOutcome] {
        let release = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0)
        let holders = (0..<pool.threads).map { _ in Task { try await pool.run { started.signal(); release.wait() } } }
        for _ in 0..<pool.threads { await wait(started) }
        let submissions = requests.map { r in Task { try await batcher.verify(r) } }
        while batcher.waitingCount < requests.count { try await Task.sleep(for: .milliseconds(10)) }
        for _ in 0..<pool.threads { release.signal() }
        for holder in holders { try await holder.value }
        var outcomes: [VerificationOutcome] = []
        for submission in submissions { outcomes.append(try await submission.value) }
        return outcomes
    }

    static func wait(_ semaphore: DispatchSemaphore) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread { semaphore.wait(); c.resume() }
        }
    }

    static func expectValid(_ outcome: VerificationOutcome, _ input: Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome == .valid(RealProofs.output(for: input)), sourceLocation: sourceLocation)
    }

    @Test func moreThanSixtyFourWaitingProofsOfOneModel_AreSplitIntoBatchesOfAtMostSixtyFour() async throws {
        let (batcher, pool) = Self.batcher()
        defer { pool.shutdown() }
        let count = 130
        let requests = (0..<count).map { Self.digits($0) }
        let outcomes = try await Self.verifyWhileHeld(requests, batcher: batcher, pool: pool)
        for (r, outcome) in zip(requests, outcomes) { Self.expectValid(outcome, r.input) }

        // 64 + 64 + 2, taken in arrival order: the last two saw the two full batches go first,
        // which is the bound ⌈(129 + 1) / 64⌉ − 1 for a proof with 129 ahead of it.
        let statistics = batcher.statistics
        #expect(statistics.largestBatch == VerificationBatcher.batchProofsMaxDefault)
        #expect(statistics.combinedBatches == 3 && statistics.combinedProofs == count && statistics.singleProofs == 0)
        #expect(statistics.batchesAheadMax == (count + 63) / 64 - 1)
        #expect(batcher.waitingCount == 0)

        // A proof arriving alone afterwards waits for no batch: it is verified by itself.
        let lone = Self.digits(3)
        Self.expectValid(try await batcher.verify(lone), lone.input)
        #expect(batcher.statistics.singleProofs == 1 && batcher.statistics.batchesAheadMax == statistics.batchesAheadMax)
    }

    @Test func proofsOfDifferentModels_AreNeverCombined() async throws {
        let (batcher, pool) = Self.batcher()
        defer { pool.shutdown() }
        // Interleaved on arrival: five of the digits MLP, three of the other model.
        var requests: [VerificationRequest] = []
        for i in 0..<5 {
            requests.append(Self.digits(i))
            if i < 3 { requests.append(try Self.otherModel(i)) }
        }
        let outcomes = try await Self.verifyWhileHeld(requests, batcher: batcher, pool: pool)
        for (r, outcome) in zip(requests, outcomes) {
            if r.modelID == Self.digitsID {
                Self.expectValid(outcome, r.input)
            } else {
                let x = try Self.other.model.quantizeInput(floats: r.input.values, shape: r.input.shape)
                guard case .valid(let output) = outcome else { Issue.record("proof of the other model: \(outcome)"); continue }
                #expect(output.quantised == (try Self.other.model.run(x)).output)
            }
        }
        // One batch per model, never one of eight.
        let statistics = batcher.statistics
        #expect(statistics.combinedBatches == 2 && statistics.combinedProofs == 8)
        #expect(statistics.largestBatch == 5)
        // A proof of one model given the other's id fails alone, as it would unbatched.
        var crossed = try Self.otherModel(7)
        crossed = VerificationRequest(jobID: crossed.jobID, workerID: crossed.workerID, nonce: crossed.nonce, modelID: Self.digitsID,
                                      commitment: RealProofs.loaded.commitment.encoded, input: crossed.input, proof: crossed.proof)
        guard case .rejected = try await batcher.verify(crossed) else { Issue.record("a proof of another model was accepted"); return }
    }

    @Test func batchWithSeveralBadProofs_FindsEachAndOnlyThem() async throws {
        let (batcher, pool) = Self.batcher()
        defer { pool.shutdown() }
        let changedOpening: Set<Int> = [1, 8, 9, 19], wrongNonce = 4, truncated = 12
        var requests = (0..<20).map { i in
            Self.digits(i, changedOpening: changedOpening.contains(i), nonce: i == wrongNonce ? "another lock" : nil)
        }
        let cut = requests[truncated]
        requests[truncated] = VerificationRequest(jobID: cut.jobID, workerID: cut.workerID, nonce: cut.nonce, modelID: cut.modelID,
                                                  commitment: cut.commitment, input: cut.input, proof: Array(cut.proof.prefix(cut.proof.count / 2)))
        let outcomes = try await Self.verifyWhileHeld(requests, batcher: batcher, pool: pool)
        let verifier = InferenceProofVerifier()
        for (i, (r, outcome)) in zip(requests, outcomes).enumerated() {
            if changedOpening.contains(i) {
                guard case .rejected(let reason, _) = outcome else { Issue.record("proof \(i) was accepted"); continue }
                #expect(reason == "commitment_opening_failed", "proof \(i)")
            } else if i == wrongNonce || i == truncated {
                guard case .rejected = outcome else { Issue.record("proof \(i) was accepted"); continue }
                // The verdict it gets alone, by name.
                #expect(outcome == verifier.verify(r), "proof \(i)")
            } else {
                Self.expectValid(outcome, r.input)
            }
        }
        #expect(batcher.statistics.combinedBatches == 1 && batcher.statistics.largestBatch == 20)
    }
}
