import Foundation
@testable import Inference
import Testing
@testable import ZKProof

/// Several proofs finished by one multi-scalar multiplication (`InferenceVerifier.prepare`
/// then `verifyTogether`): honest proofs pass together in one; a bad one among honest ones is
/// found by halving and alone rejected, with the code `verify` gives it alone.
@Suite struct TogetherVerificationTests {
    static let count = 32

    /// `count` honest mlp_large proofs, each for another job (context) and test image.
    static let cases: [ProvenCase] = (0..<count).compactMap { i in
        try? ProvenCase("mlp_large", sample: i % 20,
                        context: BindingContext(jobID: "job-\(i)", workerID: "worker-\(i % 3)", nonce: "n-\(i)"))
    }

    /// `c`'s proof with layer 1's bias combination moved along `delta` (three coordinates
    /// orthogonal to the fold with `eq(r_lo')`): every check but the opening still holds.
    static func biasOpeningChanged(_ c: ProvenCase, along delta: [Scalar]) throws -> [UInt8] {
        var p = try c.decoded()
        for (i, d) in delta.enumerated() { p.biasCombinations[1][i] += d }
        return p.encoded()
    }

    /// The bias fold weights `eq(r_lo')` of layer 1 for `c`'s proof.
    static func biasFold(_ c: ProvenCase) throws -> [Scalar] {
        let points = try c.challenges(try c.decoded()).points
        let shape = c.commitment.layout.layers[1]
        return Multilinear.eqTable(Array(points[1].row.dropFirst(shape.bias.rowVariables)))
    }

    static func prepare(_ c: ProvenCase, _ proof: [UInt8]? = nil) throws -> PreparedProof {
        try InferenceVerifier.prepare(commitment: c.commitment, input: c.input, proof: proof ?? c.proof, context: c.context)
    }

    @Test func thirtyTwoValidProofs_PassTogether_InOneMultiplicationOfOneProofsSize() throws {
        let cases = Self.cases
        try #require(cases.count == Self.count)
        let prepared = try cases.map { try Self.prepare($0) }
        let verdicts = InferenceVerifier.verifyTogether(prepared)
        #expect(verdicts.errors.allSatisfy { $0 == nil })
        #expect(verdicts.multiScalarMultiplications == 1)
        #expect(zip(prepared, cases).allSatisfy { $0.output == $1.output })
        // The proofs share the model's row points: the combined multiplication is as large as one proof's.
        #expect(Hyrax.combinedPointCount(prepared.map(\.opening)) == Hyrax.combinedPointCount([prepared[0].opening]))
    }

    @Test func oneChangedOpeningAmongThirtyOneValid_IsFound_AndAloneRejected() throws {
        let cases = Self.cases
        try #require(cases.count == Self.count)
        let bad = 13
        let fold = try Self.biasFold(cases[bad])
        let forged = try Self.biasOpeningChanged(cases[bad], along: [fold[1], .zero - fold[0]])
        var prepared = try cases.map { try Self.prepare($0) }
        // Only the multiplication can tell: every other check passes.
        prepared[bad] = try Self.prepare(cases[bad], forged)
        #expect(cases[bad].rejection(forged) == .commitmentOpeningFailed)
        let verdicts = InferenceVerifier.verifyTogether(prepared)
        for (i, error) in verdicts.errors.enumerated() {
            #expect(error == (i == bad ? .commitmentOpeningFailed : nil), "proof \(i)")
        }
        // One failing proof among 32: the first check, then two per level of halving.
        #expect(verdicts.multiScalarMultiplications > 1)
        #expect(verdicts.multiScalarMultiplications <= 1 + 2 * 5)
    }

    @Test func changedOutputAmongValid_IsRejectedBeforeTheMultiplication_AndTheRestPassTogether() throws {
        let cases = Self.cases
        try #require(cases.count == Self.count)
        let bad = 30
        let c = cases[bad]
        let last = c.model.layers.count - 1
        let (z, output) = try c.adversarialTrace(layer: last) { z in
            var z = z
            z[2] += 1 << 12
            return z
        }
        #expect(output != c.output)
        let forged = c.proveFalseTrace(z, output: output)
        var prepared: [PreparedProof] = []
        var rejected: [Int: ProofVerificationError] = [:]
        for (i, c) in cases.enumerated() {
            do { prepared.append(try Self.prepare(c, i == bad ? forged : nil)) } catch let error as ProofVerificationError { rejected[i] = error }
        }
        #expect(rejected.count == 1)
        #expect(isLinearCheckFailure(rejected[bad], layer: last))
        #expect(rejected[bad]?.code == "linear_check_failed")
        let verdicts = InferenceVerifier.verifyTogether(prepared)
        #expect(verdicts.errors.count == Self.count - 1)
        #expect(verdicts.errors.allSatisfy { $0 == nil })
        #expect(verdicts.multiScalarMultiplications == 1)
    }

    @Test func twoBadOpeningsThatCancelUnderKnownWeights_AreRejectedWithFreshWeights() throws {
        // Two proofs whose opening errors are multiples of one point Com(Δ): Δ is orthogonal
        // to both proofs' bias folds, so both pass every check but the opening. With weights
        // a prover could predict, (ρ_B, −ρ_A), the errors cancel; the verifier's weights come
        // from the CSPRNG, so they do not, and halving names both.
        let cases = Array(Self.cases.prefix(4))
        try #require(cases.count == 4)
        let a = try Self.biasFold(cases[0]), b = try Self.biasFold(cases[1])
        let delta = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
        var prepared = try cases.map { try Self.prepare($0) }
        prepared[0] = try Self.prepare(cases[0], try Self.biasOpeningChanged(cases[0], along: delta))
        prepared[1] = try Self.prepare(cases[1], try Self.biasOpeningChanged(cases[1], along: delta))
        #expect(!prepared[0].opening.verify())
        #expect(!prepared[1].opening.verify())
        let claim = 2 * 1 + 1   // layer 1's bias claim
        let rhoA = prepared[0].opening.coefficients[claim], rhoB = prepared[1].opening.coefficients[claim]
        let pair = [prepared[0].opening, prepared[1].opening]
        #expect(Hyrax.verifyCombined(pair, weights: [rhoB, .zero - rhoA]))
        #expect(Hyrax.verifyCombined(pair) == false)
        let verdicts = InferenceVerifier.verifyTogether(prepared)
        #expect(verdicts.errors == [.commitmentOpeningFailed, .commitmentOpeningFailed, nil, nil])
    }

    @Test func freshCoefficients_AreDistinctAndNonZero() throws {
        let gamma = try #require(Hyrax.freshCoefficients(count: 64))
        #expect(gamma.count == 64)
        #expect(Set(gamma.map { s -> [UInt8] in
            var out: [UInt8] = []
            s.appendBigEndian(to: &out)
            return out
        }).count == 64)
        #expect(!gamma.contains(.zero))
        #expect(Hyrax.freshCoefficients(count: 0)?.isEmpty == true)
    }
}
