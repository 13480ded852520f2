import Foundation
@testable import Inference
import Testing
import TestSupport
import ZKProof

/// The private verifier checks its group equations together; its verdict and its error must
/// be those of the per-equation verifier (`batched: false`) on every proof.
@Suite struct PrivateVerifierBatchTests {
    typealias Case = PrivateProofSoundnessTests.Case

    static func outcome(_ k: Case, _ proof: [UInt8], batched: Bool) -> Result<[Int64], ProofVerificationError> {
        Result { () throws(ProofVerificationError) in
            try PrivateVerifier.verify(commitment: k.c.commitment, input: k.input, proof: proof, context: PrivateSoundnessContext.context,
                                       challenges: nil, batched: batched)
        }
    }

    @Test func honestProof_IsAcceptedBothWays() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case(items: 2) }
        #expect(try Self.outcome(k, k.proof, batched: true).get() == k.output)
        #expect(try Self.outcome(k, k.proof, batched: false).get() == k.output)
    }

    /// Seeded single-byte mutations, alone and followed by a cut of the proof's tail (an
    /// equation fails before the bytes run out): the same error either way, every time.
    @Test func mutatedProofs_GetThePerEquationVerifiersError() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        let mismatches = try await OwnThread.run { () -> [String] in
            var generator = SeededBytes(seed: 0xBA7C)
            var mismatches: [String] = []
            var equationFailures = 0
            for n in 0..<200 {
                var bytes = k.proof
                let at = Int(generator.next64() % UInt64(bytes.count))
                bytes[at] ^= max(1, generator.next())
                if n % 4 == 3 { bytes = Array(bytes.prefix(max(at + 1, bytes.count - 1 - Int(generator.next64() % 4096)))) }
                let batched = Self.outcome(k, bytes, batched: true), unbatched = Self.outcome(k, bytes, batched: false)
                switch (batched, unbatched) {
                case (.failure(let a), .failure(let b)) where a == b:
                    if case .privateCheckFailed = a { equationFailures += 1 }
                default: mismatches.append("mutation \(n) at byte \(at): batched \(batched), per-equation \(unbatched)")
                }
            }
            // Most bytes of a proof are scalars and points whose change breaks an equation.
            if equationFailures < 50 { mismatches.append("only \(equationFailures) mutations failed a check") }
            return mismatches
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }
}
