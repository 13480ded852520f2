@testable import ZKProof

/// Shared helpers of the sum-check suites.
enum SumCheckFixture {
    /// The sizes the brief asks every property for, powers of two and not.
    static let sizes = [1, 2, 3, 5, 64, 1000]

    static func scalar(_ rng: inout SeededRandom) -> Scalar { Scalar(wideBigEndian: rng.bytes(64)) }

    static func scalars(_ count: Int, _ rng: inout SeededRandom) -> [Scalar] { (0..<count).map { _ in scalar(&rng) } }

    /// Small signed integers, like quantised parameters, so they can be committed.
    static func integers(_ count: Int, _ rng: inout SeededRandom) -> [Int64] {
        (0..<count).map { _ in Int64.random(in: -1000...1000, using: &rng) }
    }

    /// A transcript in the state a caller leaves it in before the sum-check: the statement
    /// and the weights' inputs already absorbed.
    static func transcript(_ context: String = "statement") -> Transcript {
        var t = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        t.absorb(TranscriptLabel.testMessage, Array(context.utf8))
        return t
    }

    /// An honest single-claim proof of `⟨table, weights⟩`.
    static func prove(_ table: [Scalar], _ weights: [Scalar]) throws -> SumCheckProver.Output {
        var t = transcript()
        return try SumCheckProver.prove(table: table, weights: weights, transcript: &t)
    }

    /// Verifies a single claim with a fresh transcript in the prover's starting state.
    static func verify(_ weights: [Scalar], _ value: Scalar, _ proof: SumCheckProof) throws(SumCheckError) -> SumCheckVerifier.Verified {
        var t = transcript()
        return try SumCheckVerifier.verify(weights: weights, value: value, proof: proof, transcript: &t)
    }
}
