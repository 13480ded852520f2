import Foundation
@testable import Inference
import Testing
import TestSupport
import ZKProof

/// Honest private proofs of the digits MLPs verify and return the engine's output.
@Suite struct PrivateProofCompletenessTests {
    @Test(arguments: PrivateFixtures.names, [1, 4])
    func honestProof_Verifies(name: String, items: Int) async throws {
        try await PrivateFixtures.ready()
        let (output, proof, expected, input) = try await OwnThread.run { () -> ([Int64], [UInt8], [Int64], [Int64]) in
            let c = try PrivateFixtures.committed(name)
            let input = try PrivateFixtures.input(c.model, first: 3, count: items)
            let (output, proof) = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material,
                                                          input: input, context: PrivateFixtures.context)
            return (output, proof, try c.model.runBatch(input).flatMap(\.output), input)
        }
        let c = try PrivateFixtures.committed(name)
        #expect(output == expected)
        #expect(ProofFormat.mode(of: proof) == .private)
        let verified = try await OwnThread.run { try PrivateVerifier.verify(commitment: c.commitment, input: input, proof: proof, context: PrivateFixtures.context) }
        #expect(verified == expected)
    }
}
