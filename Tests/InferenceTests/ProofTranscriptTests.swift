import Testing
@testable import Inference
import ZKProof

/// The Fiat–Shamir pitfalls of PROOFS.md, each tried directly.
@Suite struct ProofTranscriptTests {
    /// The first row challenge of layer 0 for a statement.
    static func firstChallenge(commitment: ModelCommitment, context: BindingContext, input: [Int64], output: [Int64]) -> Scalar? {
        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        return InferenceProtocol.drawPoints(&t, layout: commitment.layout, items: 1).first?.row.first
    }

    @Test func frozenHeart_EveryStatementPartIsAbsorbedBeforeTheFirstChallenge() throws {
        let c = try ProvenCase("mlp_small")
        let other = try ModelCommitment(committing: ProofSoundnessTests.modelWithOneWeightChanged(c.model))
        let base = Self.firstChallenge(commitment: c.commitment, context: c.context, input: c.input, output: c.output)
        var input = c.input
        input[0] += 1
        var output = c.output
        output[0] += 1
        let variants: [String: Scalar?] = [
            "commitment (same spec, other weights)": Self.firstChallenge(commitment: other, context: c.context, input: c.input, output: c.output),
            "context": Self.firstChallenge(commitment: c.commitment, context: BindingContext(jobID: "j", workerID: "w", nonce: "n"),
                                           input: c.input, output: c.output),
            "input": Self.firstChallenge(commitment: c.commitment, context: c.context, input: input, output: c.output),
            "output": Self.firstChallenge(commitment: c.commitment, context: c.context, input: c.input, output: output),
        ]
        #expect(base != nil)
        for (part, challenge) in variants { #expect(challenge != base, "\(part) does not move the first challenge") }
    }

    @Test func frozenHeart_EveryPreActivationIsAbsorbedBeforeThePoints() throws {
        let c = try ProvenCase("cnn_max")
        let p = try c.decoded()
        let base = try c.challenges(p).points
        for k in p.preActivations.indices {
            var q = p
            q.preActivations[k][q.preActivations[k].count - 1] += 1
            let moved = try c.challenges(q).points
            // Every layer's point moves, including those of layers before k.
            for j in base.indices { #expect(moved[j].row != base[j].row, "Z_\(k) does not move r_\(j)") }
        }
    }

    @Test func frozenHeart_EveryCombinationIsAbsorbedBeforeTheBatchCoefficients() throws {
        let c = try ProvenCase("mlp_small")
        let p = try c.decoded()
        let base = try c.challenges(p).rho
        for k in p.weightCombinations.indices {
            var q = p
            q.weightCombinations[k][q.weightCombinations[k].count - 1] += Scalar.one
            #expect(try c.challenges(q).rho != base, "t_\(k) not absorbed before ρ")
            var b = p
            b.biasCombinations[k][0] += Scalar.one
            #expect(try c.challenges(b).rho != base, "β_\(k) not absorbed before ρ")
        }
    }

    @Test func frozenHeart_BatchCoefficientsKnownInAdvance_ForgeryIsRejected() throws {
        // The attack a verifier that drew ρ before absorbing the combinations would fall to:
        // pick errors E₁ in β₀ and E₂ = −(ρ₀/ρ₁)·E₁ in β₁ so that their commitments cancel in
        // the batch, with E₁ orthogonal to both layers' eq(r_lo') so that no product check
        // sees them. With the ρ of the honest transcript the forged claims do pass the batched
        // check — the attack is real — but the verifier re-derives ρ after absorbing the forged
        // β's and the opening fails.
        let c = try ProvenCase("mlp_large")
        let honest = try c.decoded()
        let (points, rho) = try c.challenges(honest)
        let layout = c.commitment.layout
        let u = (0..<2).map { k in Multilinear.eqTable(Array(points[k].row.dropFirst(layout.layers[k].bias.rowVariables))) }
        #expect(u[0].count == u[1].count && u[0].count >= 3)
        // E₁ on coordinates 0…2, orthogonal to u₀ and u₁: their cross product.
        let e1 = [u[0][1] * u[1][2] - u[0][2] * u[1][1], u[0][2] * u[1][0] - u[0][0] * u[1][2], u[0][0] * u[1][1] - u[0][1] * u[1][0]]
        let rhoBias0 = rho[1], rhoBias1 = rho[3] // ρ order: weight, bias per layer
        let ratio = rhoBias0 * (try #require(rhoBias1.inverse()))
        var forged = honest
        for i in 0..<3 {
            forged.biasCombinations[0][i] += e1[i]
            forged.biasCombinations[1][i] -= ratio * e1[i]
        }
        // The product checks cannot see the change.
        for k in 0..<2 {
            #expect(InferenceProtocol.biasEvaluation(forged.biasCombinations[k], point: points[k].row, shape: layout.layers[k]) ==
                    InferenceProtocol.biasEvaluation(honest.biasCombinations[k], point: points[k].row, shape: layout.layers[k]))
        }
        // Against the stale ρ the forgery passes the batched opening.
        var claims: [Hyrax.Claim] = []
        for (k, shape) in layout.layers.enumerated() {
            claims.append(Hyrax.Claim(rows: c.commitment.weightRows[k], rowWeights: InferenceProtocol.rowWeights(points[k].row, shape.weights),
                                      combination: forged.weightCombinations[k]))
            claims.append(Hyrax.Claim(rows: c.commitment.biasRows[k], rowWeights: InferenceProtocol.rowWeights(points[k].row, shape.bias),
                                      combination: forged.biasCombinations[k]))
        }
        #expect(Hyrax.verifyBatch(claims, coefficients: rho))
        // The real verifier absorbs the forged messages first, and rejects.
        #expect(c.rejection(forged.encoded()) == .commitmentOpeningFailed)
    }

    @Test func verifierTakesShapesFromTheCommitmentNotTheProof() throws {
        // A proof that is internally consistent for a smaller model (its own counts agree
        // with each other) is still read with the registered model's counts.
        let large = try ProvenCase("mlp_large")
        let small = try ProvenCase("mlp_small")
        #expect(large.rejection(small.proof) == .malformedProof(.countMismatch(field: "layers", expected: 3, actual: 2, offset: 6)))
        var bytes = small.proof
        bytes[7] = 3 // claim three layers
        if case .malformedProof(.countMismatch(let field, let expected, _, _)) = large.rejection(bytes) {
            #expect(field == "layer 0 pre-activations")
            #expect(expected == 256)
        } else {
            Issue.record("a proof with foreign counts was not refused on its counts")
        }
    }
}
