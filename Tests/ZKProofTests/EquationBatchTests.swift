import Testing
@testable import ZKProof

/// The deferred group-equation checker: valid equations pass together, a failing one among
/// many is found and named exactly as the per-equation check names it, and merging shared
/// bases changes nothing but the size of the multiplication.
@Suite struct EquationBatchTests {
    /// `Σ_j a_j·G_j + b·H − P = O` with `P` the point it names: true, or false when `P` is moved.
    static func equation(_ rng: inout SeededRandom, width: Int, holds: Bool) -> (points: [CurvePoint], scalars: [Scalar]) {
        let a = ZK.scalars(width, &rng), b = ZK.scalar(&rng)
        let p = ZK.commit(vector: a, b)
        return (Generators.shared.g(count: width) + [Pedersen.blindingBase, holds ? p : ZK.moved(p)],
                a + [b, -Scalar.one])
    }

    /// Weights from a seeded stream (a verifier draws them from the CSPRNG; tests pin them).
    static func pinned(seed: UInt64) -> EquationBatch {
        var rng = SeededRandom(seed: seed)
        return EquationBatch(immediate: false, weights: { ZK.scalar(&rng) })
    }

    @Test func validEquations_PassTogether() throws {
        var rng = SeededRandom(seed: 1)
        let batch = EquationBatch()
        for i in 0..<60 {
            let e = Self.equation(&rng, width: 1 + i % 7, holds: true)
            try batch.add(e.points, e.scalars, failure: .equationFailed(proof: "test", equation: i))
        }
        #expect(batch.count == 60)
        #expect(batch.firstFailure() == nil)
        try batch.verify()
        // The generators and H are shared: 7 generators, H, and one point per equation.
        #expect(batch.baseCount == 7 + 1 + 60)
        #expect(EquationBatch().firstFailure() == nil, "an empty batch holds")
    }

    @Test func oneBadEquationAmongMany_IsFoundAndNamed() throws {
        for bad in [0, 17, 59] {
            var rng = SeededRandom(seed: 2)
            let batch = EquationBatch()
            for i in 0..<60 {
                let e = Self.equation(&rng, width: 4, holds: i != bad)
                try batch.add(e.points, e.scalars, failure: .equationFailed(proof: "test", equation: i))
            }
            let failure = try #require(batch.firstFailure())
            #expect(failure.index == bad)
            #expect(failure.error as? ZKVerificationError == .equationFailed(proof: "test", equation: bad))
            #expect(throws: ZKVerificationError.equationFailed(proof: "test", equation: bad)) { try batch.verify() }
        }
    }

    @Test func failureNames_FollowTheContextsTheyWereAddedIn() throws {
        struct Outer: Error, Equatable { let what: String }
        var rng = SeededRandom(seed: 3)
        let batch = EquationBatch()
        let good = Self.equation(&rng, width: 2, holds: true), bad = Self.equation(&rng, width: 2, holds: false)
        try batch.add(good.points, good.scalars, failure: .equationFailed(proof: "first", equation: 1))
        batch.naming({ Outer(what: "step: \($0.description)") }) {
            try? batch.renaming({ .sumcheckRound(round: 3, check: "sum", cause: $0.description) }) { () throws(ZKVerificationError) in
                try batch.add(bad.points, bad.scalars, failure: .equationFailed(proof: "dot product", equation: 2))
            }
        }
        let inner = ZKVerificationError.sumcheckRound(round: 3, check: "sum",
                                                      cause: ZKVerificationError.equationFailed(proof: "dot product", equation: 2).description)
        let failure = try #require(batch.firstFailure())
        #expect(failure.index == 1)
        #expect(failure.error as? Outer == Outer(what: "step: \(inner.description)"))
        // Outside the contexts, names are the block's own again.
        let later = Self.equation(&rng, width: 2, holds: false)
        let alone = EquationBatch()
        try alone.add(later.points, later.scalars, failure: .equationFailed(proof: "later", equation: 1))
        #expect(alone.firstFailure()?.error as? ZKVerificationError == .equationFailed(proof: "later", equation: 1))
    }

    @Test func mergedBases_GiveTheUnmergedSum() throws {
        var rng = SeededRandom(seed: 4)
        var equations: [(points: [CurvePoint], scalars: [Scalar])] = []
        let shared = ZK.unknownPoint(7)
        for i in 0..<20 {
            var e = Self.equation(&rng, width: 1 + i % 5, holds: i % 3 != 0)
            e.points.append(shared)
            e.scalars.append(ZK.scalar(&rng))
            equations.append(e)
        }
        let batch = Self.pinned(seed: 40)
        for (i, e) in equations.enumerated() { try batch.add(e.points, e.scalars, failure: .equationFailed(proof: "test", equation: i)) }
        // The same weights, unmerged: every occurrence its own term.
        var weights = SeededRandom(seed: 40)
        var points: [CurvePoint] = [], scalars: [Scalar] = []
        for e in equations {
            let rho = ZK.scalar(&weights)
            points += e.points
            scalars += e.scalars.map { rho * $0 }
        }
        let unmerged = try #require(CurvePoint.multiScalarMultiply(points, scalars))
        let merged = try #require(CurvePoint.multiScalarMultiply(batch.bases, batch.coefficients))
        #expect(!unmerged.isInfinity, "failing equations are in the sum")
        #expect(merged.isEqual(to: unmerged))
        #expect(batch.baseCount == 5 + 1 + 20 + 1, "generators, H, one point per equation, the shared point")
        #expect(points.count > 3 * batch.baseCount)
    }

    @Test func knownWeights_CouldBeCancelled_SoTheVerifierDrawsThemFresh() throws {
        // E_1 = P and E_2 = −P: with weights the prover knows (here all 1) they cancel.
        let p = ZK.unknownPoint(1)
        let ones = EquationBatch(immediate: false, weights: { .one })
        try ones.add([p], [.one], failure: .equationFailed(proof: "test", equation: 1))
        try ones.add([p], [-Scalar.one], failure: .equationFailed(proof: "test", equation: 2))
        #expect(ones.combinedHolds(), "a combination with known weights can be steered")
        let fresh = EquationBatch()
        try fresh.add([p], [.one], failure: .equationFailed(proof: "test", equation: 1))
        try fresh.add([p], [-Scalar.one], failure: .equationFailed(proof: "test", equation: 2))
        #expect(!fresh.combinedHolds())
        #expect(fresh.firstFailure()?.index == 0)
    }

    @Test func noRandomness_ChecksEachEquationAlone() throws {
        var rng = SeededRandom(seed: 5)
        let batch = EquationBatch(immediate: false, weights: { nil })
        for i in 0..<10 {
            let e = Self.equation(&rng, width: 3, holds: i != 6)
            try batch.add(e.points, e.scalars, failure: .equationFailed(proof: "test", equation: i))
        }
        #expect(batch.baseCount == 0, "nothing is combined without weights")
        #expect(batch.firstFailure()?.index == 6)
        let valid = EquationBatch(immediate: false, weights: { nil })
        let e = Self.equation(&rng, width: 3, holds: true)
        try valid.add(e.points, e.scalars, failure: .equationFailed(proof: "test", equation: 0))
        #expect(valid.firstFailure() == nil)
    }

    @Test func immediateBatch_ThrowsAtTheFailingEquation() throws {
        var rng = SeededRandom(seed: 6)
        let batch = EquationBatch.immediate()
        let good = Self.equation(&rng, width: 3, holds: true), bad = Self.equation(&rng, width: 3, holds: false)
        try batch.add(good.points, good.scalars, failure: .equationFailed(proof: "test", equation: 1))
        #expect(throws: ZKVerificationError.equationFailed(proof: "test", equation: 2)) {
            try batch.add(bad.points, bad.scalars, failure: .equationFailed(proof: "test", equation: 2))
        }
        #expect(batch.count == 0, "an immediate batch records nothing")
        #expect(throws: ZKVerificationError.self) { try batch.add([good.points[0]], [], failure: .equationFailed(proof: "test", equation: 3)) }
    }

    /// A ZK sum-check with one corrupted message: verified into a batch it throws nothing, and
    /// the batch names the failure exactly as the per-equation verifier throws it.
    @Test func corruptedSumCheck_IsNamedAsByTheUnbatchedVerifier() throws {
        var rng = SeededRandom(seed: 7)
        let tables = [ZK.scalars(16, &rng), ZK.scalars(16, &rng), ZK.scalars(16, &rng)]
        let claim = (0..<16).reduce(Scalar.zero) { $0 + tables[0][$1] * tables[1][$1] * tables[2][$1] }
        let blinding = ZK.scalar(&rng)
        let commitment = ZK.commit(claim, blinding)
        var t = ZK.transcript()
        let honest = try #require(ZKSumCheck.prove(tables: tables, claimCommitment: commitment, claimBlinding: blinding, transcript: &t))
        let deferred = EquationBatch()
        var v = ZK.transcript()
        let (point, final) = try ZKSumCheck.verify(honest.proof, variableCount: 4, degree: 3, claimCommitment: commitment,
                                                   transcript: &v, equations: deferred)
        #expect(deferred.count == 4 * 2 * 2)
        #expect(deferred.firstFailure() == nil)
        #expect(point == honest.point && final.isEqual(to: honest.finalCommitment))
        for round in 0..<4 {
            for part in 0..<4 {
                var rounds = honest.proof.rounds
                let r = rounds[round]
                // Parts 0, 1 change a response (equation 1 fails), parts 2, 3 the blinding of β (equation 2).
                func bump(_ p: DotProductProof) -> DotProductProof {
                    DotProductProof(delta: p.delta, beta: p.beta,
                                    response: p.response.enumerated().map { part < 2 && $0 == round ? $1 + .one : $1 },
                                    deltaBlindingResponse: p.deltaBlindingResponse,
                                    betaBlindingResponse: part < 2 ? p.betaBlindingResponse : p.betaBlindingResponse + .one)
                }
                rounds[round] = ZKSumCheck.Round(coefficientCommitment: r.coefficientCommitment,
                                                 sumProof: part % 2 == 0 ? bump(r.sumProof) : r.sumProof,
                                                 evaluationCommitment: r.evaluationCommitment,
                                                 evaluationProof: part % 2 == 1 ? bump(r.evaluationProof) : r.evaluationProof)
                let bad = ZKSumCheck.Proof(rounds: rounds)
                var unbatched = ZK.transcript()
                var expected: ZKVerificationError?
                do {
                    _ = try ZKSumCheck.verify(bad, variableCount: 4, degree: 3, claimCommitment: commitment, transcript: &unbatched)
                } catch { expected = error }
                let batch = EquationBatch()
                var batched = ZK.transcript()
                _ = try ZKSumCheck.verify(bad, variableCount: 4, degree: 3, claimCommitment: commitment, transcript: &batched,
                                          equations: batch)
                let failure = try #require(batch.firstFailure(), "round \(round), part \(part) passed the batch")
                #expect(expected != nil)
                #expect(failure.error as? ZKVerificationError == expected)
            }
        }
    }

    /// Σ-protocols verified into one batch: all pass, and a changed response in any one of them
    /// is named with the equation the block's own `verify` names.
    @Test func sigmaProofsInOneBatch_PassAndNameTheFailingOne() throws {
        var rng = SeededRandom(seed: 8)
        let x = ZK.scalar(&rng), y = ZK.scalar(&rng), rx = ZK.scalar(&rng), ry = ZK.scalar(&rng), rz = ZK.scalar(&rng)
        let cx = ZK.commit(x, rx), cy = ZK.commit(y, ry), cz = ZK.commit(x * y, rz)
        var t = ZK.transcript()
        let product = try #require(ProductProof.prove(x: cx, y: cy, z: cz, xValue: x, xBlinding: rx, yValue: y, yBlinding: ry,
                                                      zBlinding: rz, transcript: &t))
        let opening = try #require(OpeningProof.prove(commitment: cx, value: x, blinding: rx, transcript: &t))
        let c2 = ZK.commit(x, ry)
        let equality = try #require(EqualityProof.prove(first: cx, second: c2, firstBlinding: rx, secondBlinding: ry, transcript: &t))
        func run(_ p: ProductProof, _ o: OpeningProof) throws -> EquationBatch {
            let batch = EquationBatch()
            var v = ZK.transcript()
            try p.verify(x: cx, y: cy, z: cz, transcript: &v, equations: batch)
            try o.verify(commitment: cx, transcript: &v, equations: batch)
            try equality.verify(first: cx, second: c2, transcript: &v, equations: batch)
            #expect(v.state == t.state)
            return batch
        }
        let honest = try run(product, opening)
        #expect(honest.count == 5)
        #expect(honest.firstFailure() == nil)
        for k in 0..<5 {
            let changed = ProductProof(alpha: product.alpha, beta: product.beta, delta: product.delta,
                                       responses: product.responses.enumerated().map { $0 == k ? $1 + .one : $1 })
            var w = ZK.transcript()
            let expected = changed.failedEquation(x: cx, y: cy, z: cz, challenge: {
                ProductProof.absorbStatement(cx, cy, cz, &w)
                w.absorb(TranscriptLabel.zkMessageProduct, product.alpha.compressed + product.beta.compressed + product.delta.compressed)
                return w.challenge(TranscriptLabel.zkChallengeSigma)
            }())
            let failure = try #require(try run(changed, opening).firstFailure())
            #expect(failure.error as? ZKVerificationError == .equationFailed(proof: "product", equation: try #require(expected)))
        }
        let badOpening = OpeningProof(nonceCommitment: opening.nonceCommitment, valueResponse: opening.valueResponse + .one,
                                      blindingResponse: opening.blindingResponse)
        let failure = try #require(try run(product, badOpening).firstFailure())
        #expect(failure.index == 3)
        #expect(failure.error as? ZKVerificationError == .equationFailed(proof: "opening", equation: 1))
    }
}
