import Testing
@testable import ZKProof

/// The zero-knowledge sum-check: completeness for each degree, the final commitment opens to
/// the product of the tables' extensions, and wrong claims, changed messages and mutated bytes
/// are refused.
@Suite struct ZKSumCheckTests {
    struct Instance {
        let tables: [[Scalar]]
        let claim: Scalar
        let claimBlinding: Scalar
        var claimCommitment: CurvePoint { ZK.commit(claim, claimBlinding) }
    }

    static func instance(variables m: Int, degree d: Int, seed: UInt64) -> Instance {
        var rng = SeededRandom(seed: seed)
        let tables = (0..<d).map { _ in ZK.scalars(1 << m, &rng) }
        var sum = Scalar.zero
        for b in 0..<(1 << m) { sum += tables.reduce(Scalar.one) { $0 * $1[b] } }
        return Instance(tables: tables, claim: sum, claimBlinding: ZK.scalar(&rng))
    }

    @Test(arguments: [(0, 1), (1, 1), (3, 1), (2, 2), (4, 2), (3, 3)])
    func honestProof_Verifies(variables m: Int, degree d: Int) throws {
        let x = Self.instance(variables: m, degree: d, seed: UInt64(10 * m + d))
        var tp = ZK.transcript()
        let out = try #require(ZKSumCheck.prove(tables: x.tables, claimCommitment: x.claimCommitment, claimBlinding: x.claimBlinding,
                                                transcript: &tp))
        var tv = ZK.transcript()
        let verified = try ZKSumCheck.verify(out.proof, variableCount: m, degree: d, claimCommitment: x.claimCommitment, transcript: &tv)
        #expect(verified.point == out.point)
        #expect(verified.finalCommitment.isEqual(to: out.finalCommitment))
        #expect(tv.state == tp.state)
        // The final claim is the product of the extensions at the point, under its blinding.
        let expected = x.tables.reduce(Scalar.one) { $0 * Multilinear.evaluate($1, at: out.point) }
        #expect(out.finalValue == expected)
        #expect(out.finalCommitment.isEqual(to: ZK.commit(expected, out.finalBlinding)))
        let decoded = try ZKSumCheck.Proof(decoding: out.proof.encoded, variableCount: m, degree: d)
        var td = ZK.transcript()
        _ = try ZKSumCheck.verify(decoded, variableCount: m, degree: d, claimCommitment: x.claimCommitment, transcript: &td)
    }

    /// A round's coefficients, checked against the round polynomial evaluated directly at
    /// `0 … d`; the booleanity fast path gives the same coefficients with additions only, and
    /// steps aside for a table that is not all bits.
    @Test func roundCoefficients_AndTheBooleanityFirstRound_AreTheRoundPolynomial() throws {
        var rng = SeededRandom(seed: 77)
        for (m, d) in [(1, 1), (2, 2), (3, 3), (5, 3), (4, 4)] {
            let tables = (0..<d).map { _ in ZK.scalars(1 << m, &rng) }
            let coefficients = ZKSumCheck.roundCoefficients(tables)
            let half = 1 << (m - 1)
            for x in 0...d {
                let X = Scalar(Int64(x))
                var direct = Scalar.zero
                for b in 0..<half {
                    direct += tables.reduce(Scalar.one) { $0 * ($1[b] + X * ($1[half + b] - $1[b])) }
                }
                let power = (0...d).map { k in (0..<k).reduce(Scalar.one) { acc, _ in acc * X } }
                #expect(Multilinear.innerProduct(power, coefficients) == direct, "m \(m), d \(d), X = \(x)")
            }
        }
        for m in 1...6 {
            let eq = ZK.scalars(1 << m, &rng)
            let bits = (0..<(1 << m)).map { _ in Int64(rng.next() & 1) }
            let cells = bits.map { Scalar($0) }
            let fast = try #require(ZKSumCheck.booleanityFirstRound(eq: eq, bits: bits))
            #expect(fast == ZKSumCheck.roundCoefficients([eq, cells, cells.map { $0 - .one }]), "m \(m)")
            var notBits = bits
            notBits[Int(rng.next() % UInt64(notBits.count))] = 2
            #expect(ZKSumCheck.booleanityFirstRound(eq: eq, bits: notBits) == nil)
        }
        #expect(ZKSumCheck.booleanityFirstRound(eq: ZK.scalars(3, &rng), bits: [0, 1, 0]) == nil)
    }

    @Test func wrongClaim_IsRejectedInTheFirstRound() throws {
        let x = Self.instance(variables: 3, degree: 2, seed: 7)
        let wrong = ZK.commit(x.claim + .one, x.claimBlinding)
        var tp = ZK.transcript()
        let out = try #require(ZKSumCheck.prove(tables: x.tables, claimCommitment: wrong, claimBlinding: x.claimBlinding, transcript: &tp))
        var tv = ZK.transcript()
        #expect(throws: ZKVerificationError.sumcheckRound(round: 0, check: "g(0) + g(1) = claim",
                                                          cause: "dot product: verification equation 2 does not hold")) {
            _ = try ZKSumCheck.verify(out.proof, variableCount: 3, degree: 2, claimCommitment: wrong, transcript: &tv)
        }
        // An honest proof does not verify against another claim either.
        var tp2 = ZK.transcript()
        let honest = try #require(ZKSumCheck.prove(tables: x.tables, claimCommitment: x.claimCommitment, claimBlinding: x.claimBlinding,
                                                   transcript: &tp2))
        var tv2 = ZK.transcript()
        #expect(throws: ZKVerificationError.self) {
            _ = try ZKSumCheck.verify(honest.proof, variableCount: 3, degree: 2, claimCommitment: wrong, transcript: &tv2)
        }
    }

    @Test func everyChangedMessage_IsRejected() throws {
        let m = 2, d = 2
        let x = Self.instance(variables: m, degree: d, seed: 8)
        var tp = ZK.transcript()
        let out = try #require(ZKSumCheck.prove(tables: x.tables, claimCommitment: x.claimCommitment, claimBlinding: x.claimBlinding,
                                                transcript: &tp))
        func bump(_ p: DotProductProof, _ i: Int) -> DotProductProof {
            var z = p.response
            z[i] += .one
            return DotProductProof(delta: p.delta, beta: p.beta, response: z, deltaBlindingResponse: p.deltaBlindingResponse,
                                   betaBlindingResponse: p.betaBlindingResponse)
        }
        var variants: [ZKSumCheck.Proof] = []
        for j in 0..<m {
            let r = out.proof.rounds[j]
            var changedRounds: [ZKSumCheck.Round] = [
                .init(coefficientCommitment: ZK.moved(r.coefficientCommitment), sumProof: r.sumProof,
                      evaluationCommitment: r.evaluationCommitment, evaluationProof: r.evaluationProof),
                .init(coefficientCommitment: r.coefficientCommitment, sumProof: r.sumProof,
                      evaluationCommitment: ZK.moved(r.evaluationCommitment), evaluationProof: r.evaluationProof),
            ]
            for i in 0...d {
                changedRounds.append(.init(coefficientCommitment: r.coefficientCommitment, sumProof: bump(r.sumProof, i),
                                           evaluationCommitment: r.evaluationCommitment, evaluationProof: r.evaluationProof))
                changedRounds.append(.init(coefficientCommitment: r.coefficientCommitment, sumProof: r.sumProof,
                                           evaluationCommitment: r.evaluationCommitment, evaluationProof: bump(r.evaluationProof, i)))
            }
            for changed in changedRounds {
                var rounds = out.proof.rounds
                rounds[j] = changed
                variants.append(ZKSumCheck.Proof(rounds: rounds))
            }
        }
        variants.append(ZKSumCheck.Proof(rounds: Array(out.proof.rounds.dropLast())))
        variants.append(ZKSumCheck.Proof(rounds: out.proof.rounds.reversed()))
        for (k, bad) in variants.enumerated() {
            var tv = ZK.transcript()
            #expect(throws: ZKVerificationError.self, "variant \(k)") {
                _ = try ZKSumCheck.verify(bad, variableCount: m, degree: d, claimCommitment: x.claimCommitment, transcript: &tv)
            }
        }
        // Refused statements: degree 0 or 4, too many variables.
        for (mm, dd) in [(m, 0), (m, 4), (ZKSumCheck.variableMax + 1, d)] {
            var tv = ZK.transcript()
            #expect(throws: ZKVerificationError.self) {
                _ = try ZKSumCheck.verify(out.proof, variableCount: mm, degree: dd, claimCommitment: x.claimCommitment, transcript: &tv)
            }
        }
    }

    @Test func seededByteMutations_AreNeverAccepted() throws {
        let m = 2, d = 2
        let x = Self.instance(variables: m, degree: d, seed: 9)
        var tp = ZK.transcript()
        let out = try #require(ZKSumCheck.prove(tables: x.tables, claimCommitment: x.claimCommitment, claimBlinding: x.claimBlinding,
                                                transcript: &tp))
        let bytes = out.proof.encoded
        var rng = SeededRandom(seed: 2000)
        var formatErrors = 0, verifyErrors = 0
        for trial in 0..<2000 {
            var mutated = bytes
            switch trial % 8 {
            case 0...5:
                let i = Int.random(in: 0..<mutated.count, using: &rng)
                mutated[i] ^= UInt8.random(in: 1...255, using: &rng)
            case 6: mutated = Array(mutated.prefix(Int.random(in: 0..<mutated.count, using: &rng)))
            default: mutated += rng.bytes(Int.random(in: 1...40, using: &rng))
            }
            #expect(mutated != bytes)
            do {
                let proof = try ZKSumCheck.Proof(decoding: mutated, variableCount: m, degree: d)
                var tv = ZK.transcript()
                _ = try ZKSumCheck.verify(proof, variableCount: m, degree: d, claimCommitment: x.claimCommitment, transcript: &tv)
                Issue.record("trial \(trial): a mutated proof verified")
            } catch let error as ProofFormatError {
                _ = error.description
                formatErrors += 1
            } catch let error as ZKVerificationError {
                _ = error.description
                verifyErrors += 1
            }
        }
        #expect(formatErrors + verifyErrors == 2000)
        // Both layers are exercised: flipped point bytes mostly fail decoding, scalar bytes verification.
        #expect(formatErrors > 100)
        #expect(verifyErrors > 100)
    }
}
