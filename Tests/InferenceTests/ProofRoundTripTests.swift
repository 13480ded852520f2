import Testing
@testable import Inference
import ZKProof

/// Honest proofs verify, on every fixture and many inputs, and give the engine's output.
@Suite struct ProofRoundTripTests {
    @Test(arguments: ProofFixtures.names)
    func proveThenVerify_OnManyInputs(name: String) throws {
        let c = try ProofFixtures.committed(name)
        for i in 0..<12 {
            let input = try ProofFixtures.input(c.model, i)
            let context = BindingContext(jobID: "job-\(i)", workerID: "w", nonce: "\(i * 7919)")
            let (output, proof) = try InferenceProver.prove(model: c.model, commitment: c.commitment, input: input, context: context)
            #expect(output == (try c.model.run(input)).output)
            let verified = try InferenceVerifier.verify(commitment: c.commitment, input: input, proof: proof, context: context)
            #expect(verified == output)
            try InferenceVerifier.verify(commitment: c.commitment, input: input, expectedOutput: output, proof: proof, context: context)
            #expect(proof.count <= c.commitment.layout.proofByteBound)
            // Canonical: decoding and encoding again gives the same bytes.
            let decoded = try InferenceProof(decoding: proof, layout: c.commitment.layout, spec: c.model.spec, items: 1)
            #expect(decoded.encoded() == proof)
        }
    }

    @Test func proofsAreDeterministic() throws {
        let a = try ProvenCase("mlp_small", sample: 3)
        let b = try ProvenCase("mlp_small", sample: 3)
        #expect(a.proof == b.proof)
    }

    @Test func largeMLPProofFitsTheSizeTarget() throws {
        let c = try ProofFixtures.committed("mlp_large")
        #expect(c.commitment.layout.proofByteBound <= ProofLimits.proofBytesTarget)
        #expect(c.commitment.layout.proofByteBound <= 64 * 1024)
    }

    @Test func extremeInputsProve() throws {
        // The corners of the input range exercise the accumulator bound hardest.
        for name in ProofFixtures.names {
            let c = try ProofFixtures.committed(name)
            let range = c.model.spec.inputRange
            for value in [range.lowerBound, range.upperBound, 0] {
                let input = [Int64](repeating: value, count: c.model.spec.inputElements)
                let (output, proof) = try InferenceProver.prove(model: c.model, commitment: c.commitment, input: input,
                                                                context: ProofFixtures.context)
                #expect(try InferenceVerifier.verify(commitment: c.commitment, input: input, proof: proof,
                                                     context: ProofFixtures.context) == output)
            }
        }
    }
}

/// The coordinator verifies many proofs at once: shared state (generators, the group, the
/// commitment's points) must be safe to read from several threads.
@Suite struct ProofConcurrencyTests {
    @Test func concurrentProvingAndVerifying() async throws {
        let c = try ProofFixtures.committed("cnn_max")
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let input = try ProofFixtures.input(c.model, i)
                    let context = BindingContext(jobID: "job-\(i)", workerID: "w-\(i % 3)", nonce: "\(i)")
                    let (output, proof) = try InferenceProver.prove(model: c.model, commitment: c.commitment, input: input, context: context)
                    return try InferenceVerifier.verify(commitment: c.commitment, input: input, proof: proof, context: context) == output
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0 })
    }
}
