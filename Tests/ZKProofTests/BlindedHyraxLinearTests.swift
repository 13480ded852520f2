import Testing
@testable import ZKProof

/// Zero-knowledge linear functionals `⟨L, M·a⟩` of a blinded Hyrax table.
@Suite struct BlindedHyraxLinearTests {
    static let table: [Int64] = (0..<(8 * 16)).map { Int64(($0 * 37) % 23) - 11 }
    static let weights: [Scalar] = (0..<8).map { Scalar(UInt64($0 * 3 + 1)) }
    static let vector: [Scalar] = (0..<16).map { Scalar(UInt64($0 + 5)) }

    /// `⟨L, M·a⟩` computed in the clear.
    static var expected: Scalar {
        var total = Scalar.zero
        for i in 0..<8 { for j in 0..<16 { total += weights[i] * vector[j] * Scalar(table[i * 16 + j]) } }
        return total
    }

    @Test func linearEvaluation_VerifiesAndCommitsToTheValue() throws {
        let c = try #require(BlindedHyrax.commit(Self.table, columnCount: 16))
        var tp = Transcript(protocolLabel: "linear-test")
        let proven = try #require(BlindedHyrax.proveLinear(Self.table, columnCount: 16, rows: c.rows, blindings: c.blindings,
                                                           rowWeights: Self.weights, publicVector: Self.vector, transcript: &tp))
        #expect(proven.value == Self.expected)
        var tv = Transcript(protocolLabel: "linear-test")
        let tau = try BlindedHyrax.verifyLinear(rows: c.rows, columnCount: 16, rowWeights: Self.weights, publicVector: Self.vector,
                                                proof: proven.proof, transcript: &tv)
        #expect(tau.isEqual(to: try #require(Pedersen.commit(Self.expected, blinding: proven.valueBlinding))))
        #expect(tp.state == tv.state)
    }

    @Test func linearAgainstAWrongValue_IsRejected() throws {
        let c = try #require(BlindedHyrax.commit(Self.table, columnCount: 16))
        for (value, accepted) in [(Self.expected, true), (Self.expected + .one, false)] {
            let r = Pedersen.randomScalar()
            let claim = try #require(Pedersen.commit(value, blinding: r))
            var tp = Transcript(protocolLabel: "linear-test")
            let proof = try #require(BlindedHyrax.proveLinearAgainst(Self.table, columnCount: 16, rows: c.rows, blindings: c.blindings,
                                                                     rowWeights: Self.weights, publicVector: Self.vector,
                                                                     valueCommitment: claim, valueBlinding: r, transcript: &tp))
            var tv = Transcript(protocolLabel: "linear-test")
            let ok = (try? BlindedHyrax.verifyLinearAgainst(rows: c.rows, columnCount: 16, rowWeights: Self.weights,
                                                            publicVector: Self.vector, valueCommitment: claim, proof: proof,
                                                            transcript: &tv)) != nil
            #expect(ok == accepted)
        }
    }

    @Test func linearWithOtherWeights_IsRejected() throws {
        let c = try #require(BlindedHyrax.commit(Self.table, columnCount: 16))
        var tp = Transcript(protocolLabel: "linear-test")
        let proven = try #require(BlindedHyrax.proveLinear(Self.table, columnCount: 16, rows: c.rows, blindings: c.blindings,
                                                           rowWeights: Self.weights, publicVector: Self.vector, transcript: &tp))
        var other = Self.weights
        other[3] += .one
        var tv = Transcript(protocolLabel: "linear-test")
        #expect(throws: ZKVerificationError.self) {
            _ = try BlindedHyrax.verifyLinear(rows: c.rows, columnCount: 16, rowWeights: other, publicVector: Self.vector,
                                              proof: proven.proof, transcript: &tv)
        }
        var ts = Transcript(protocolLabel: "linear-test")
        #expect(throws: ZKVerificationError.self) {
            _ = try BlindedHyrax.verifyLinear(rows: c.rows, columnCount: 16, rowWeights: Self.weights, publicVector: Array(Self.vector.prefix(8)),
                                              proof: proven.proof, transcript: &ts)
        }
    }
}
