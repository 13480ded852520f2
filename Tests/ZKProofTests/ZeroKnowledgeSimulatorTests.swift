import Testing
@testable import ZKProof

/// Zero knowledge, executed: for each Σ-protocol a simulator that knows only the statement
/// and controls the challenge (it programs the random oracle: the verification equations are
/// checked with its challenge instead of the transcript's) produces accepting transcripts;
/// and two honest proofs of one statement share no field element or point.
///
/// The simulator picks the challenge and the responses uniformly and solves the verification
/// equations for the first messages; honest transcripts have the same distribution (docs/PROTOCOL-zk.md).
@Suite struct ZeroKnowledgeSimulatorTests {
    static func msm(_ points: [CurvePoint], _ scalars: [Scalar]) -> CurvePoint {
        guard let p = CurvePoint.multiScalarMultiply(points, scalars) else { preconditionFailure("OpenSSL failed") }
        return p
    }

    @Test func opening_IsSimulated() {
        let c = ZK.unknownPoint(0)   // nobody knows its opening
        let challenge = Pedersen.randomScalar(), za = Pedersen.randomScalar(), zr = Pedersen.randomScalar()
        // A = z_a·G + z_r·H − c·C.
        let a = Self.msm([Pedersen.scalarGenerator, Pedersen.blindingBase, c], [za, zr, -challenge])
        let simulated = OpeningProof(nonceCommitment: a, valueResponse: za, blindingResponse: zr)
        #expect(simulated.check(commitment: c, challenge: challenge))
        #expect(!simulated.check(commitment: c, challenge: challenge + .one))
    }

    @Test func equality_IsSimulated() {
        // Two unrelated points: the statement is even false, yet the simulation is accepted.
        let c1 = ZK.unknownPoint(1), c2 = ZK.unknownPoint(2)
        let challenge = Pedersen.randomScalar(), z = Pedersen.randomScalar()
        let a = Self.msm([Pedersen.blindingBase, c1, c2], [z, -challenge, challenge])
        let simulated = EqualityProof(nonceCommitment: a, response: z)
        #expect(simulated.check(first: c1, second: c2, challenge: challenge))
        #expect(!simulated.check(first: c1, second: c2, challenge: challenge + .one))
    }

    @Test func product_IsSimulated() {
        let x = ZK.unknownPoint(3), y = ZK.unknownPoint(4), z = ZK.unknownPoint(5)
        let c = Pedersen.randomScalar(), r = Pedersen.randomScalars(5)
        let g = Pedersen.scalarGenerator, h = Pedersen.blindingBase
        let alpha = Self.msm([g, h, x], [r[0], r[1], -c])
        let beta = Self.msm([g, h, y], [r[2], r[3], -c])
        let delta = Self.msm([y, h, z], [r[0], r[4], -c])
        let simulated = ProductProof(alpha: alpha, beta: beta, delta: delta, responses: r)
        #expect(simulated.failedEquation(x: x, y: y, z: z, challenge: c) == nil)
        #expect(simulated.failedEquation(x: x, y: y, z: z, challenge: c + .one) != nil)
    }

    @Test func dotProduct_IsSimulated() {
        var rng = SeededRandom(seed: 30)
        let n = 6
        let xi = ZK.unknownPoint(6), tau = ZK.unknownPoint(7), a = ZK.scalars(n, &rng)
        let c = Pedersen.randomScalar(), z = Pedersen.randomScalars(n)
        let zDelta = Pedersen.randomScalar(), zBeta = Pedersen.randomScalar()
        // δ = Com(z; z_δ) − c·ξ,  β = Com(⟨a, z⟩; z_β) − c·τ.
        let delta = Self.msm(Generators.shared.g(count: n) + [Pedersen.blindingBase, xi], z + [zDelta, -c])
        let beta = Self.msm([Pedersen.scalarGenerator, Pedersen.blindingBase, tau], [Multilinear.innerProduct(a, z), zBeta, -c])
        let simulated = DotProductProof(delta: delta, beta: beta, response: z, deltaBlindingResponse: zDelta, betaBlindingResponse: zBeta)
        #expect(simulated.failedEquation(terms: [xi], weights: [.one], valueCommitment: tau, publicVector: a, challenge: c) == nil)
        #expect(simulated.failedEquation(terms: [xi], weights: [.one], valueCommitment: tau, publicVector: a, challenge: c + .one) != nil)
    }

    @Test func sumCheckRound_IsSimulated() {
        // A whole round from the claim commitment alone: K_j and C_(j+1) are fresh uniform
        // points (hiding), the two proofs of dot product are simulated for challenges the
        // simulator chose, and the round challenge r_j is programmed too.
        let d = 2
        let claim = ZK.unknownPoint(8)
        let k = ZK.commit(vector: Pedersen.randomScalars(d + 1), Pedersen.randomScalar())
        let next = ZK.commit(Pedersen.randomScalar(), Pedersen.randomScalar())
        let r = Pedersen.randomScalar()
        for (tau, a) in [(claim, ZKSumCheck.sumWeights(d)), (next, ZKSumCheck.powerWeights(r, d))] {
            let c = Pedersen.randomScalar(), z = Pedersen.randomScalars(d + 1)
            let zDelta = Pedersen.randomScalar(), zBeta = Pedersen.randomScalar()
            let delta = Self.msm(Generators.shared.g(count: d + 1) + [Pedersen.blindingBase, k], z + [zDelta, -c])
            let beta = Self.msm([Pedersen.scalarGenerator, Pedersen.blindingBase, tau], [Multilinear.innerProduct(a, z), zBeta, -c])
            let simulated = DotProductProof(delta: delta, beta: beta, response: z, deltaBlindingResponse: zDelta, betaBlindingResponse: zBeta)
            #expect(simulated.failedEquation(terms: [k], weights: [.one], valueCommitment: tau, publicVector: a, challenge: c) == nil)
        }
    }

    @Test func twoProofsOfOneStatement_ShareNothing() throws {
        var rng = SeededRandom(seed: 31)
        let n = 8
        let x = ZK.scalars(n, &rng), a = ZK.scalars(n, &rng), rx = ZK.scalar(&rng), ry = ZK.scalar(&rng)
        let xi = ZK.commit(vector: x, rx), tau = ZK.commit(Multilinear.innerProduct(a, x), ry)
        func elements(_ p: DotProductProof) -> (points: Set<[UInt8]>, scalars: Set<Scalar>) {
            (Set([p.delta.compressed, p.beta.compressed]), Set(p.response + [p.deltaBlindingResponse, p.betaBlindingResponse]))
        }
        var t1 = ZK.transcript(), t2 = ZK.transcript()
        let p1 = try #require(DotProductProof.prove(vectorCommitment: xi, valueCommitment: tau, publicVector: a, vector: x,
                                                    vectorBlinding: rx, valueBlinding: ry, transcript: &t1))
        let p2 = try #require(DotProductProof.prove(vectorCommitment: xi, valueCommitment: tau, publicVector: a, vector: x,
                                                    vectorBlinding: rx, valueBlinding: ry, transcript: &t2))
        let e1 = elements(p1), e2 = elements(p2)
        #expect(e1.points.isDisjoint(with: e2.points))
        #expect(e1.scalars.isDisjoint(with: e2.scalars))
        #expect(t1.state != t2.state)

        // The same for whole sum-check proofs, and the sum-check's points (challenges) differ too.
        let inst = ZKSumCheckTests.instance(variables: 3, degree: 3, seed: 32)
        func sumcheckElements(_ out: ZKSumCheck.ProverResult) -> (points: Set<[UInt8]>, scalars: Set<Scalar>) {
            var points = Set<[UInt8]>(), scalars = Set<Scalar>(out.point)
            for r in out.proof.rounds {
                points.insert(r.coefficientCommitment.compressed)
                points.insert(r.evaluationCommitment.compressed)
                for p in [r.sumProof, r.evaluationProof] {
                    let e = elements(p)
                    points.formUnion(e.points)
                    scalars.formUnion(e.scalars)
                }
            }
            return (points, scalars)
        }
        var s1 = ZK.transcript(), s2 = ZK.transcript()
        let o1 = try #require(ZKSumCheck.prove(tables: inst.tables, claimCommitment: inst.claimCommitment,
                                               claimBlinding: inst.claimBlinding, transcript: &s1))
        let o2 = try #require(ZKSumCheck.prove(tables: inst.tables, claimCommitment: inst.claimCommitment,
                                               claimBlinding: inst.claimBlinding, transcript: &s2))
        let f1 = sumcheckElements(o1), f2 = sumcheckElements(o2)
        #expect(f1.points.count == 2 * 3 + 4 * 3)
        #expect(f1.points.isDisjoint(with: f2.points))
        #expect(f1.scalars.isDisjoint(with: f2.scalars))
    }
}
