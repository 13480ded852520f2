import Foundation
@testable import Inference
import Testing
import ZKProof

/// One proof for `B` inputs of a batchable model: the batch is a dimension of every linear
/// check, under one challenge set and one batched opening. Each attack names the code it
/// must be refused with; the cost claim ("per-item trace work plus one opening") is checked
/// by the structure of the prepared opening, not by time.
@Suite struct BatchProofTests {
    static let context = BindingContext(jobID: "batch-job", workerID: "batch-worker", nonce: "batch-nonce")
    static let items = 8

    /// A batch of `count` test-set images for `committed`'s model, proven honestly.
    struct Batch {
        let committed: ProofFixtures.Committed
        let items: [[Int64]]
        let output: [Int64]
        let proof: [UInt8]
        var input: [Int64] { items.flatMap { $0 } }
        var spec: ModelSpec { committed.commitment.spec }

        init(_ name: String = "mlp_large", count: Int = BatchProofTests.items, first: Int = 0) throws {
            let committed = try ProofFixtures.committed(name)
            let items = try (first..<(first + count)).map { try ProofFixtures.input(committed.model, $0) }
            self.committed = committed
            self.items = items
            (output, proof) = try InferenceProver.prove(model: committed.model, commitment: committed.commitment,
                                                        input: items.flatMap { $0 }, context: BatchProofTests.context)
        }

        /// The error verifying `bytes` for `input` raises, or nil if accepted.
        func rejection(_ bytes: [UInt8], input: [Int64]) -> ProofVerificationError? {
            do {
                _ = try InferenceVerifier.verify(commitment: committed.commitment, input: input, proof: bytes,
                                                 context: BatchProofTests.context)
                return nil
            } catch { return error }
        }

        /// An adversarial prover, honest on a false trace: item `item` runs with layer `layer`'s
        /// pre-activation replaced by `tamper(z)` and continues honestly from there; the other
        /// items are honest. The protocol is then followed faithfully on that trace.
        func proofWithItemTampered(_ item: Int, layer: Int, tamper: ([Int64]) -> [Int64]) throws -> (proof: [UInt8], output: [Int64]) {
            let model = committed.model
            let runs = try items.enumerated().map { b, x in
                try model.spec.evaluate(x, linear: { k, columns in
                    let z = model.layers[k].preActivation(columns: columns)
                    return b == item && k == layer ? tamper(z) : z
                }, product: { j, a, b in model.spec.product(j, a, b) })
            }
            let layout = committed.commitment.layout
            let z = layout.layers.indices.map { k in
                InferenceProtocol.sideBySide(runs.map { $0.preActivations[k] }, rows: layout.layers[k].rows,
                                             positions: layout.layers[k].positions)
            }
            let output = runs.flatMap(\.output)
            let proof = InferenceProver.proveTrace(model: model, commitment: committed.commitment, input: input,
                                                   preActivations: z, output: output, context: BatchProofTests.context)
            return (proof.encoded(), output)
        }
    }

    @Test func honestBatch_VerifiesToEachItemsOwnOutput() throws {
        let batch = try Batch()
        let verified = try InferenceVerifier.verify(commitment: batch.committed.commitment, input: batch.input,
                                                    proof: batch.proof, context: Self.context)
        let single = try batch.items.flatMap { try batch.committed.model.run($0).output }
        #expect(verified == single)
        #expect(verified == batch.output)
    }

    @Test func oneItemsOutputChanged_IsRejected() throws {
        let batch = try Batch()
        let last = batch.committed.model.layers.count - 1
        // The prover changes item 5's output logit by changing its last pre-activation.
        let (forged, output) = try batch.proofWithItemTampered(5, layer: last) { z in
            var z = z
            z[3] += 1 << 10
            return z
        }
        #expect(output != batch.output)
        let error = batch.rejection(forged, input: batch.input)
        #expect(isLinearCheckFailure(error, layer: last))
        #expect(error?.code == "linear_check_failed")
        // The honest proof, checked against an expected output with item 5's output changed.
        var expected = batch.output
        let outputElements = batch.spec.outputElements
        expected[5 * outputElements + 3] += 1
        #expect(throws: ProofVerificationError.outputMismatch(index: 5 * outputElements + 3)) {
            try InferenceVerifier.verify(commitment: batch.committed.commitment, input: batch.input, expectedOutput: expected,
                                         proof: batch.proof, context: Self.context)
        }
        #expect(ProofVerificationError.outputMismatch(index: 0).code == "output_mismatch")
    }

    @Test func oneItemsTraceChanged_IsRejected() throws {
        let batch = try Batch()
        for layer in batch.committed.model.layers.indices {
            let (forged, _) = try batch.proofWithItemTampered(2, layer: layer) { z in
                var z = z
                z[z.count / 2] -= 3
                return z
            }
            let error = batch.rejection(forged, input: batch.input)
            #expect(isLinearCheckFailure(error, layer: layer), "layer \(layer): \(String(describing: error))")
        }
        // The same change written into the honest proof's trace (no re-proving): refused too.
        var decoded = try InferenceProof(decoding: batch.proof, layout: batch.committed.commitment.layout, spec: batch.spec,
                                         items: Self.items)
        decoded.preActivations[0][7 * Self.items + 4] += 1
        #expect(batch.rejection(decoded.encoded(), input: batch.input)?.code == "linear_check_failed")
    }

    @Test func inputsReordered_IsRejected() throws {
        let batch = try Batch()
        // The honest proof, presented for the same inputs in another order.
        var swapped = batch.items
        swapped.swapAt(1, 6)
        let error = batch.rejection(batch.proof, input: swapped.flatMap { $0 })
        #expect(isLinearCheckFailure(error, layer: 0), "\(String(describing: error))")
        // A proof made for the reordered inputs, presented for the original order.
        let reordered = try InferenceProver.prove(model: batch.committed.model, commitment: batch.committed.commitment,
                                                  input: swapped.flatMap { $0 }, context: Self.context).proof
        #expect(batch.rejection(reordered, input: batch.input)?.code == "linear_check_failed")
    }

    @Test func inputDroppedOrAdded_IsRejected() throws {
        let batch = try Batch()
        // The statement fixes B = |x| / n: the proof's lengths no longer fit.
        let dropped = Array(batch.items.dropLast()).flatMap { $0 }
        let added = (batch.items + [batch.items[0]]).flatMap { $0 }
        for input in [dropped, added, Array(batch.items.dropFirst()).flatMap { $0 }] {
            let error = batch.rejection(batch.proof, input: input)
            guard case .malformedProof? = error else {
                Issue.record("expected proof_malformed, got \(String(describing: error))")
                continue
            }
            #expect(error?.code == "proof_malformed")
        }
        // A proof for one item fewer, presented for all of them.
        let fewer = try InferenceProver.prove(model: batch.committed.model, commitment: batch.committed.commitment,
                                              input: dropped, context: Self.context).proof
        #expect(batch.rejection(fewer, input: batch.input)?.code == "proof_malformed")
    }

    @Test func openingOfABatch_IsOneOpening_WhoseSizeDoesNotDependOnB() throws {
        let committed = try ProofFixtures.committed("mlp_large")
        let commitment = committed.commitment
        let rows = zip(commitment.weightRows, commitment.biasRows).reduce(0) { $0 + $1.0.count + $1.1.count }
        let width = commitment.layout.layers.map { max($0.weights.width, $0.bias.width) }.max() ?? 0
        var pointCounts: [Int] = []
        for count in [1, 4, 16] {
            let batch = try Batch(count: count)
            let prepared = try InferenceVerifier.prepare(commitment: commitment, input: batch.input, proof: batch.proof,
                                                         context: Self.context)
            // One claim per table (weights and bias of every layer), whatever B is, each over the
            // commitment's own row points.
            #expect(prepared.opening.claims.count == 2 * commitment.spec.layers.count)
            #expect(prepared.opening.coefficients.count == prepared.opening.claims.count)
            for (c, claim) in prepared.opening.claims.enumerated() {
                let table = c % 2 == 0 ? commitment.weightRows[c / 2] : commitment.biasRows[c / 2]
                #expect(claim.rows.count == table.count)
                #expect(zip(claim.rows, table).allSatisfy { $0 === $1 })
            }
            pointCounts.append(Hyrax.combinedPointCount([prepared.opening]))
            #expect(prepared.opening.verify())
            #expect(prepared.output == batch.output)
        }
        #expect(pointCounts == [Int](repeating: rows + width + 1, count: 3))
    }

    @Test func lenetBatch_VerifiesAndItsOpeningDoesNotGrowWithB() throws {
        let model = try ONNXImporter.importModel([UInt8](try ZooTests.data("lenet5.torchscript.onnx")))
        #expect(model.spec.batchable)
        let commitment = try ModelCommitment(committing: model)
        let floats = try ZooTests.floats("lenet5.inputs.f32")
        let n = model.spec.inputElements
        var counts: [Int] = []
        for count in [1, 3] {
            let items = try (0..<count).map { b in
                try model.quantizeInput(floats: Array(floats[(b * n)..<((b + 1) * n)]), shape: model.spec.inputShape)
            }
            let input = items.flatMap { $0 }
            let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: input, context: Self.context)
            let prepared = try InferenceVerifier.prepare(commitment: commitment, input: input, proof: proof, context: Self.context)
            #expect(prepared.output == output)
            #expect(prepared.opening.verify())
            counts.append(Hyrax.combinedPointCount([prepared.opening]))
            if count > 1 {
                var swapped = items
                swapped.swapAt(0, 2)
                #expect(throws: ProofVerificationError.self) {
                    _ = try InferenceVerifier.verify(commitment: commitment, input: swapped.flatMap { $0 }, proof: proof,
                                                     context: Self.context)
                }
            }
        }
        #expect(counts[0] == counts[1])
    }
}
