import Foundation
@testable import Inference
import Testing
import ZKProof

/// Honest private proofs of the digits MLPs verify and return the engine's output.
@Suite struct PrivateProofCompletenessTests {
    @Test(arguments: PrivateFixtures.names, [1, 4])
    func honestProof_Verifies(name: String, items: Int) throws {
        let c = try PrivateFixtures.committed(name)
        let input = try PrivateFixtures.input(c.model, first: 3, count: items)
        let (output, proof) = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material,
                                                      input: input, context: PrivateFixtures.context)
        let expected = try c.model.runBatch(input).flatMap(\.output)
        #expect(output == expected)
        #expect(ProofFormat.mode(of: proof) == .private)
        let verified = try PrivateVerifier.verify(commitment: c.commitment, input: input, proof: proof, context: PrivateFixtures.context)
        #expect(verified == expected)
    }
}
