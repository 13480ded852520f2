import Testing
@testable import ZKProof

/// The single-claim sum-check `Σ_x P̃(x)·Ũ(x) = v`: completeness, each way of lying about it,
/// and the transcript it drives.
@Suite struct SumCheckTests {
    typealias F = SumCheckFixture

    @Test(arguments: SumCheckFixture.sizes)
    func honestProof_Verifies(size: Int) throws {
        var rng = SeededRandom(seed: UInt64(size))
        let table = F.scalars(size, &rng), weights = F.scalars(size, &rng)
        var proverTranscript = F.transcript()
        let out = try SumCheckProver.prove(table: table, weights: weights, transcript: &proverTranscript)
        let n = Multilinear.variableCount(size)
        #expect(out.values == [[Multilinear.innerProduct(table, weights)]])
        #expect(out.proof.rounds.count == n)
        #expect(out.proof.encoded.count == 32 * (3 * n + 1))

        var verifierTranscript = F.transcript()
        let verified = try SumCheckVerifier.verify(weights: weights, value: out.values[0][0], proof: out.proof,
                                                   transcript: &verifierTranscript)
        // The claim left to the caller is the table's true extension at the final point.
        let claim = try #require(verified.claims.first)
        #expect(verified.claims.count == 1)
        #expect(claim.point.count == n)
        #expect(claim.value == Multilinear.evaluate(table, at: claim.point))
        #expect(claim == out.claims[0])
        // Both sides end in the same transcript state, so later challenges agree.
        #expect(verifierTranscript.state == proverTranscript.state)
    }

    @Test(arguments: SumCheckFixture.sizes)
    func wrongClaimedValue_IsRejected(size: Int) throws {
        var rng = SeededRandom(seed: 100 + UInt64(size))
        let table = F.scalars(size, &rng), weights = F.scalars(size, &rng)
        let out = try F.prove(table, weights)
        let wrong = out.values[0][0] + Scalar.one
        do {
            _ = try F.verify(weights, wrong, out.proof)
            Issue.record("a wrong value verified")
        } catch {
            // With rounds the first round's sum no longer matches; with none (N = 1) only the
            // final check can notice.
            if size == 1 {
                guard case .finalCheckFailed = error else { Issue.record("\(error)"); return }
            } else {
                #expect(error == .roundSumMismatch(round: 0, expected: wrong, actual: out.values[0][0]))
            }
        }
    }

    @Test func corruptedRound_IsRejected_AtEachRoundAndValue() throws {
        var rng = SeededRandom(seed: 7)
        let size = 1000
        let table = F.scalars(size, &rng), weights = F.scalars(size, &rng)
        let out = try F.prove(table, weights)
        let v = out.values[0][0]
        for j in 0..<out.proof.rounds.count {
            for field in 0..<3 {
                var forged = out.proof
                switch field {
                case 0: forged.rounds[j].atZero += Scalar.one
                case 1: forged.rounds[j].atOne += Scalar.one
                default: forged.rounds[j].atTwo += Scalar.one
                }
                do {
                    _ = try F.verify(weights, v, forged)
                    Issue.record("round \(j) value \(field) altered and accepted")
                } catch {
                    switch (field, error) {
                    case (0, .roundSumMismatch(let round, _, _)), (1, .roundSumMismatch(let round, _, _)):
                        #expect(round == j, "g(0)/g(1) of round \(j) is caught in that round")
                    case (2, .roundSumMismatch(let round, _, _)):
                        #expect(round == j + 1, "g(2) of round \(j) moves the next round's claim")
                    case (2, .finalCheckFailed):
                        #expect(j == out.proof.rounds.count - 1, "only the last g(2) reaches the final check")
                    default: Issue.record("round \(j) value \(field): unexpected \(error)")
                    }
                }
            }
        }
        var forged = out.proof
        forged.evaluations[0] += Scalar.one
        #expect(throws: SumCheckError.self) { try F.verify(weights, v, forged) }
    }

    @Test(arguments: SumCheckFixture.sizes)
    func changedWeights_IsRejected(size: Int) throws {
        var rng = SeededRandom(seed: 200 + UInt64(size))
        let table = F.scalars(size, &rng), weights = F.scalars(size, &rng)
        let out = try F.prove(table, weights)
        for i in Set([0, size / 2, size - 1]) {
            var changed = weights
            changed[i] += Scalar.one
            do {
                _ = try F.verify(changed, out.values[0][0], out.proof)
                Issue.record("weights changed at \(i) and accepted")
            } catch {
                guard case .finalCheckFailed = error else { Issue.record("\(error)"); continue }
            }
        }
    }

    @Test func otherTranscriptState_IsRejected() throws {
        // transcriptDesync: the same messages under a transcript that absorbed a different
        // statement draw other challenges, and the last round no longer meets Ũ(s).
        var rng = SeededRandom(seed: 8)
        let table = F.scalars(64, &rng), weights = F.scalars(64, &rng)
        let out = try F.prove(table, weights)
        var other = F.transcript("another statement")
        #expect(throws: SumCheckError.self) {
            try SumCheckVerifier.verify(weights: weights, value: out.values[0][0], proof: out.proof, transcript: &other)
        }
    }

    @Test func proofOfOtherShape_IsRejectedWithoutTrapping() throws {
        var rng = SeededRandom(seed: 9)
        let table = F.scalars(64, &rng), weights = F.scalars(64, &rng)
        let out = try F.prove(table, weights)
        var short = out.proof
        short.rounds.removeLast()
        #expect(throws: SumCheckError.proofShapeMismatch(field: "rounds", expected: 6, actual: 5)) {
            try F.verify(weights, out.values[0][0], short)
        }
        var extra = out.proof
        extra.evaluations.append(Scalar.one)
        #expect(throws: SumCheckError.proofShapeMismatch(field: "evaluations", expected: 1, actual: 2)) {
            try F.verify(weights, out.values[0][0], extra)
        }
        var t = F.transcript()
        #expect(throws: SumCheckError.emptyTable(table: 0)) {
            try SumCheckVerifier.verify(weights: [], value: .zero, proof: out.proof, transcript: &t)
        }
    }

    @Test(arguments: SumCheckFixture.sizes.filter { $0 > 1 })
    func roundMessage_MatchesItsDefinition(size: Int) {
        // The prover takes g(1) from its running claim; on the true sum that is Σ p_hi·w_hi.
        var rng = SeededRandom(seed: 700 + UInt64(size))
        let p = F.scalars(size, &rng), w = F.scalars(size, &rng)
        let h = 1 << (Multilinear.variableCount(size) - 1)
        let g = SumCheckProver.roundMessage(p, w, length: size, half: h, claim: Multilinear.innerProduct(p, w))
        func at(_ a: [Scalar], _ i: Int) -> Scalar { i < a.count ? a[i] : .zero }
        var expected = (Scalar.zero, Scalar.zero, Scalar.zero)
        for i in 0..<h {
            let (pl, ph, wl, wh) = (at(p, i), at(p, i + h), at(w, i), at(w, i + h))
            expected.0 += pl * wl
            expected.1 += ph * wh
            expected.2 += (ph + ph - pl) * (wh + wh - wl)
        }
        #expect(g == SumCheckProof.Round(atZero: expected.0, atOne: expected.1, atTwo: expected.2))
    }

    @Test func interpolationThroughZeroOneTwo() {
        var work = FieldWork()
        #expect(SumCheckProtocol.half + SumCheckProtocol.half == Scalar.one)
        // g(X) = 3X² − 5X + 7: values 7, 5, 9; g(10) = 257.
        let g = SumCheckProof.Round(atZero: Scalar(UInt64(7)), atOne: Scalar(UInt64(5)), atTwo: Scalar(UInt64(9)))
        #expect(SumCheckProtocol.evaluate(g, at: Scalar(UInt64(10)), work: &work) == Scalar(UInt64(257)))
        #expect(SumCheckProtocol.evaluate(g, at: Scalar(UInt64(2)), work: &work) == Scalar(UInt64(9)))
        #expect(SumCheckProtocol.evaluate(g, at: Scalar(Int64(-1)), work: &work) == Scalar(UInt64(15)))
    }

    @Test func goldenBytes_MatchAnIndependentModel() throws {
        // Computed by scripts/sumcheck_golden.py, a model that follows docs/PROTOCOL-sumcheck.md
        // literally (tables padded to a power of two, the round polynomial summed from its
        // definition, c by the eq formula): pins the labels, the transcript order and the
        // concatenation layout.
        func run(_ tables: [SumCheckProver.Table]) throws -> (proof: String, state: String) {
            var t = Transcript(protocolLabel: TranscriptLabel.testProtocol)
            let out = try SumCheckProver.prove(tables, transcript: &t)
            return (hex(out.proof.encoded), hex(t.state))
        }
        func s(_ xs: [Int64]) -> [Scalar] { xs.map { Scalar($0) } }
        let single = try run([.init(entries: s([3, 5, 7]), weights: [s([2, -1, 4])])])
        #expect(single.proof == "0000000000000000000000000000000000000000000000000000000000000001"
            + "000000000000000000000000000000000000000000000000000000000000001c"
            + "000000000000000000000000000000000000000000000000000000000000003d"
            + "74fde31eaf604871dfe6b2b300176a85b93516b2318ab23d09defe931776df56"
            + "f4a77efb5829e1219ec7f3e26480782af834353994ffd09f170357ca117ef6db"
            + "1ee61228224f872e90a7ab17d700bd1b51d03bfdd34067ee8698665328bee0ed"
            + "9e3b627ef480400a41211901a2a7caaeffd957d673300cc0ef4277aebcde47d2")
        #expect(single.state == "37af3c60615132c08a8ef869787a08368b4ad891f9df2fc4b2dd525d60bdce33")
        let batch = try run([
            .init(entries: s([1, 2]), weights: [s([3, 4])]),
            .init(entries: s([5, 6, 7, 8, 9]), weights: [s([1, 1, 1, 1, 1]), s([0, 1, 2, 3, 4])]),
        ])
        #expect(batch.state == "6bd55df312b8d55a58f892ccd1bbb80c6c8efae22279d93750873ab38685113d")
        #expect(batch.proof == "8f387bed041d17082d46bed0f5ed8523bb7b54d840c29383aed7b1993bd4f93b"
            + "000000000000000000000000000000000000000000000000000000000000000b"
            + "97852d43d577ed8da58c147f2deb9cad417d71be097aa119c8278ca1fdbbf367"
            + "e738558ed15075d4f62cd1e9d78e8630bbd3e83eefb580a2c71299ca324e1df3"
            + "eb38b6a19e076208eb4ab43d40dc3f640ddaead568ef49136a81ece24f4a2e2e"
            + "0c3a1457fc2fde333c0e28c14f50f5f74a21c055ebd036932dc211a053dd3b19"
            + "f3abb7f521f5ca5ba2392a1f7037ddce6c5bdc4b8dad3ca49474b0309e097e95"
            + "3fa00aa95a97d8cc0b0a2b40d774f34f46ef2231be2a0fff0e6abddb67018b03"
            + "5dd93c7ba699041cb9716a364ca544df7345dc9c1716e569ecaeb7384d5f7692"
            + "0a201e07e35ee57171ddec750d11a5652be2898579f257a4011a410a0038ec6a"
            + "1ed56ce6441468a5e8ff390ff847e98ad3769fedf7da481a58c90d8f56f934ff"
            + "a3a2396c9964aebc057342211c749b7ce3e2bb28b821c90ce98c9f4787a98eba"
            + "ccc3d7ca4fd4703b72346ac530c9c611f1070ace81fecc21a5453e0f03c05d92"
            + "1d4747f6999faeb2b6fb6bfc5e39c6e17b43978384cf8e1225d6d1f711b78848")
        #expect(batch.proof.count == 2 * 32 * (3 * 4 + 2))
    }
}
