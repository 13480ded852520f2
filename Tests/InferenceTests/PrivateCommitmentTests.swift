import Foundation
@testable import Inference
import Testing
import TestSupport
import ZKProof

/// The private commitment and its material: canonical bytes, decoding, refusals.
@Suite struct PrivateCommitmentTests {
    @Test func commitmentAndMaterial_RoundTripAndProve() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let commitment = try PrivateCommitment(decoding: c.commitment.encoded)
        #expect(commitment == c.commitment)
        #expect(commitment.id == c.commitment.id && commitment.id.count == 64)
        #expect(Array(commitment.encoded.prefix(4)) == Array("PMZC".utf8))
        let material = try PrivateMaterial(decoding: c.material.encoded, for: commitment)
        #expect(material.encoded == c.material.encoded && Array(material.encoded.prefix(4)) == Array("PMZM".utf8))
        let input = try PrivateFixtures.input(c.model, first: 11)
        let (output, proof) = try PrivateProver.prove(model: c.model, commitment: commitment, material: material,
                                                      input: input, context: PrivateFixtures.context)
        #expect(try PrivateVerifier.verify(commitment: commitment, input: input, proof: proof, context: PrivateFixtures.context) == output)
    }

    @Test func materialOfAnotherCommitment_IsRefused() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let (other, otherMaterial) = try PrivateProver.commit(c.model)
        #expect(throws: PrivateCommitment.Error.materialMismatch) { _ = try PrivateMaterial(decoding: otherMaterial.encoded, for: c.commitment) }
        let input = try PrivateFixtures.input(c.model)
        do {
            _ = try PrivateProver.prove(model: c.model, commitment: other, material: c.material, input: input,
                                        context: PrivateFixtures.context)
            Issue.record("proved with another commitment's material")
        } catch {
            #expect(error.code == "material_mismatch")
        }
    }

    @Test func malformedCommitmentBytes_AreRefused() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let bytes = c.commitment.encoded
        for cut in [0, 3, 6, 40, bytes.count - 1] {
            #expect(throws: PrivateCommitment.Error.self) { _ = try PrivateCommitment(decoding: Array(bytes.prefix(cut))) }
        }
        #expect(throws: PrivateCommitment.Error.self) { _ = try PrivateCommitment(decoding: bytes + [0]) }
        var generator = SeededBytes(seed: 0xC0DE)
        for _ in 0..<200 {
            var mutated = bytes
            let at = Int(generator.next64() % UInt64(bytes.count))
            mutated[at] ^= max(1, generator.next())
            // A mutation either is refused or decodes to a different commitment; never a trap.
            if let decoded = try? PrivateCommitment(decoding: mutated) { #expect(decoded != c.commitment) }
        }
    }

    @Test func proofFormat_TellsModesApart() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let input = try PrivateFixtures.input(c.model)
        let publicProof = try InferenceProver.prove(model: c.model, commitment: try ModelCommitment(committing: c.model), input: input,
                                                    context: PrivateFixtures.context).proof
        #expect(ProofFormat.mode(of: publicProof) == .public)
        #expect(ProofFormat.mode(of: Array("PMZK".utf8)) == .private)
        #expect(ProofFormat.mode(of: [1, 2, 3]) == nil)
        // A public proof handed to the private verifier is malformed, not a trap.
        #expect(throws: ProofVerificationError.self) {
            _ = try PrivateVerifier.verify(commitment: c.commitment, input: input, proof: publicProof, context: PrivateFixtures.context)
        }
    }
}
