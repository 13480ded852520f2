@testable import Inference
import Testing
import TestSupport
@testable import ZKProof

/// Zero knowledge of whole private proofs, executed: `PrivateProofSimulator` writes proofs
/// from the statement alone, programming the verifier's challenges; the verifier accepts
/// them, for true and false outputs alike, and they look like honest proofs byte for byte.
@Suite struct PrivateProofSimulatorTests {
    static let context = PrivateFixtures.context

    struct Outcome: Sendable {
        let programmed: Result<[Int64], ProofVerificationError>
        let fiatShamir: Result<[Int64], ProofVerificationError>
    }

    /// Simulates `output` for `input` and verifies the bytes with the program and without it.
    static func simulateAndVerify(_ c: PrivateFixtures.Committed, input: [Int64], output: [Int64]) throws -> Outcome {
        let sim = try PrivateProofSimulator.simulate(commitment: c.commitment, input: input, output: output)
        let programmed = Result { () throws(ProofVerificationError) in
            try PrivateVerifier.verify(commitment: c.commitment, input: input, proof: sim.proof, context: context,
                                       challenges: sim.challenges)
        }
        let fiatShamir = Result { () throws(ProofVerificationError) in
            try PrivateVerifier.verify(commitment: c.commitment, input: input, proof: sim.proof, context: context)
        }
        return Outcome(programmed: programmed, fiatShamir: fiatShamir)
    }

    static func expectRefusedByFiatShamir(_ r: Result<[Int64], ProofVerificationError>) {
        switch r {
        case .success: Issue.record("a simulated proof was accepted with the Fiat–Shamir challenges")
        case .failure(let e):
            guard case .privateCheckFailed = e else { Issue.record("wrong error \(e)"); return }
            #expect(e.code == "private_check_failed")
        }
    }

    @Test(arguments: ["mlp_small", "mlp_large"])
    func simulatedProofOfTheTrueOutput_IsAcceptedWithItsChallengesOnly(name: String) async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed(name)
        let (output, outcome) = try await OwnThread.run { () -> ([Int64], Outcome) in
            let input = try PrivateFixtures.input(c.model, first: 3)
            let output = try c.model.run(input).output
            return (output, try Self.simulateAndVerify(c, input: input, output: output))
        }
        #expect(try outcome.programmed.get() == output)
        Self.expectRefusedByFiatShamir(outcome.fiatShamir)
    }

    @Test func simulatedProofOfAFalseOutput_IsAcceptedWithItsChallengesOnly() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let (truth, claimed, outcome) = try await OwnThread.run { () -> ([Int64], [Int64], Outcome) in
            let input = try PrivateFixtures.input(c.model, first: 4)
            let truth = try c.model.run(input).output
            var claimed = truth
            claimed[0] += 1
            claimed[claimed.count - 1] = -12_345
            return (truth, claimed, try Self.simulateAndVerify(c, input: input, output: claimed))
        }
        #expect(claimed != truth)
        #expect(try outcome.programmed.get() == claimed)
        Self.expectRefusedByFiatShamir(outcome.fiatShamir)
    }

    @Test func simulatedBatchProof_IsAccepted() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let (output, outcome) = try await OwnThread.run { () -> ([Int64], Outcome) in
            let input = try PrivateFixtures.input(c.model, first: 10, count: 3)
            let output = try c.model.runBatch(input).flatMap(\.output)
            return (output, try Self.simulateAndVerify(c, input: input, output: output))
        }
        #expect(try outcome.programmed.get() == output)
        Self.expectRefusedByFiatShamir(outcome.fiatShamir)
    }

    @Test func aProgramForOtherBytes_IsRefused() async throws {
        // The program fits one proof's bytes: the challenges of one simulation do not carry another.
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let result = try await OwnThread.run { () -> Result<[Int64], ProofVerificationError> in
            let input = try PrivateFixtures.input(c.model, first: 6)
            let output = try c.model.run(input).output
            let a = try PrivateProofSimulator.simulate(commitment: c.commitment, input: input, output: output)
            let b = try PrivateProofSimulator.simulate(commitment: c.commitment, input: input, output: output)
            return Result { () throws(ProofVerificationError) in
                try PrivateVerifier.verify(commitment: c.commitment, input: input, proof: a.proof, context: Self.context,
                                           challenges: b.challenges)
            }
        }
        Self.expectRefusedByFiatShamir(result)
    }

    @Test func aSimulatedProofWithOneByteChanged_IsRefusedEvenWithItsChallenges() async throws {
        // The programmed verifier still checks every equation: the simulation is exact, not lenient.
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let results = try await OwnThread.run { () -> [Result<[Int64], ProofVerificationError>] in
            let input = try PrivateFixtures.input(c.model, first: 2)
            let output = try c.model.run(input).output
            let sim = try PrivateProofSimulator.simulate(commitment: c.commitment, input: input, output: output)
            // The last byte of the output blinding, and the last byte of a response in the middle of the proof.
            let head = PrivateProofZeroKnowledgeTests.publicHeadBytes(c, items: 1)
            return [sim.proof.count - 1, head + (sim.proof.count - head) / 2].map { index in
                var bytes = sim.proof
                bytes[index] ^= 0x01
                return Result { () throws(ProofVerificationError) in
                    try PrivateVerifier.verify(commitment: c.commitment, input: input, proof: bytes, context: Self.context,
                                               challenges: sim.challenges)
                }
            }
        }
        for r in results {
            if case .success = r { Issue.record("a changed simulated proof was accepted") }
        }
    }

    @Test func simulatedAndHonestProofs_HaveOneLengthAndPassTheByteStatistics() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let (lengths, histograms, means) = try await OwnThread.run { () -> ([Set<Int>], [[Double]], [Double]) in
            let input = try PrivateFixtures.input(c.model, first: 8)
            let output = try c.model.run(input).output
            let head = PrivateProofZeroKnowledgeTests.publicHeadBytes(c, items: 1)
            let count = 32
            var lengths = [Set<Int>](repeating: [], count: 2)
            var histograms = [[Double]](repeating: [Double](repeating: 0, count: 256), count: 2)
            var means = [Double](repeating: 0, count: 2)
            for n in 0..<count {
                let context = BindingContext(jobID: "zksim-\(n)", workerID: "w", nonce: "n")
                let honest = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material, input: input,
                                                     context: context).proof
                let simulated = try PrivateProofSimulator.simulate(commitment: c.commitment, input: input, output: output).proof
                for (g, proof) in [honest, simulated].enumerated() {
                    lengths[g].insert(proof.count)
                    for byte in proof[head...] { histograms[g][Int(byte)] += 1 }
                    means[g] += proof[head...].reduce(0.0) { $0 + Double($1) } / Double(proof.count - head) / Double(count)
                }
            }
            return (lengths, histograms, means)
        }
        #expect(lengths[0].count == 1 && lengths[0] == lengths[1], "lengths \(lengths)")
        let verdict = ByteStatistics.compare(histograms[0], histograms[1], means: (means[0], means[1]))
        #expect(verdict.meansAgree, "means \(means)")
        #expect(verdict.chiSquare < ByteStatistics.chiSquareLimit, "χ² = \(verdict.chiSquare)")
    }
}
