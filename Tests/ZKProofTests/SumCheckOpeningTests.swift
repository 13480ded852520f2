import Testing
@testable import ZKProof

/// Discharging the sum-check's final claim `P̃(s) = c` against a real Pedersen row
/// commitment, and the attack that only this step stops.
@Suite struct SumCheckOpeningTests {
    typealias F = SumCheckFixture

    /// The classic cheat: claim `v' ≠ ⟨P, u⟩`, send each round's true polynomial shifted by a
    /// constant so that `g(0) + g(1)` meets the running (false) claim, and end with
    /// `c = a_n / Ũ(s)`. Every sum-check check passes; `c` is not `P̃(s)`.
    static func cheat(table: [Int64], weights: [Scalar], claimed: Scalar,
                      transcript t: inout Transcript) throws -> SumCheckProof {
        let shape = try SumCheck.Shape(entries: table.count)
        SumCheckProtocol.absorbStatement(&t, shape: shape, values: [[claimed]])
        _ = SumCheckProtocol.drawCoefficients(&t, shape: shape)
        var p = table.map { Scalar($0) }, w = weights
        var length = table.count
        var running = claimed
        // The true sum still to prove, so the cheater knows the true round polynomial.
        var truth = Multilinear.innerProduct(p, w)
        var work = FieldWork()
        let n = shape.variableCount
        var rounds: [SumCheckProof.Round] = []
        for j in 0..<n {
            let h = 1 << (n - 1 - j)
            let honest = SumCheckProver.roundMessage(p, w, length: length, half: h, claim: truth)
            var g = honest
            let shift = (running - g.atZero - g.atOne) * SumCheckProtocol.half
            g.atZero += shift
            g.atOne += shift
            g.atTwo += shift
            let r = SumCheckProtocol.round(&t, g)
            running = SumCheckProtocol.evaluate(g, at: r, work: &work)
            truth = SumCheckProtocol.evaluate(honest, at: r, work: &work)
            var wLength = length
            SumCheckProtocol.fold(&p, length: &length, half: h, r: r, work: &work)
            SumCheckProtocol.fold(&w, length: &wLength, half: h, r: r, work: &work)
            rounds.append(g)
        }
        let c = running * (w[0].inverse() ?? .zero)
        SumCheckProtocol.absorbEvaluations(&t, [c])
        return SumCheckProof(rounds: rounds, evaluations: [c])
    }

    /// Row widths to try for a table of `size` entries: one row per entry, square-ish, and
    /// wider than the whole table.
    static func columnVariables(_ size: Int) -> [Int] {
        let n = Multilinear.variableCount(size)
        return Array(Set([0, (n + 1) / 2, n + 2]))
    }

    @Test(arguments: SumCheckFixture.sizes)
    func adjustedLaterRounds_PassTheSumCheckButFailTheOpening(size: Int) throws {
        var rng = SeededRandom(seed: 300 + UInt64(size))
        let table = F.integers(size, &rng)
        let weights = F.scalars(size, &rng)
        let truth = Multilinear.innerProduct(table.map { Scalar($0) }, weights)
        for c in Self.columnVariables(size) {
            let layout = try TableOpening.Layout(entries: size, columnVariables: c)
            let rows = try TableOpening.commit(table, layout: layout)

            var proverT = F.transcript()
            let proof = try Self.cheat(table: table, weights: weights, claimed: truth + Scalar.one, transcript: &proverT)
            var verifierT = F.transcript()
            // The sum-check alone is fooled: it hands back a claim about P̃(s) ...
            let verified = try SumCheckVerifier.verify(weights: weights, value: truth + Scalar.one, proof: proof,
                                                       transcript: &verifierT)
            let claim = try #require(verified.claims.first)
            #expect(claim.value != Multilinear.evaluate(table, at: claim.point))

            // ... which the honest row combination contradicts,
            let honest = try TableOpening.combination(table, layout: layout, point: claim.point)
            #expect(throws: SumCheckError.openingFoldMismatch(expected: claim.value,
                                                               actual: Multilinear.evaluate(table, at: claim.point))) {
                try TableOpening.claim(rows: rows, layout: layout, evaluation: claim, combination: honest)
            }
            // ... and a combination bent to fold to c is not what the rows commit to.
            let eqLow = TableOpening.columnWeights(layout, point: claim.point)
            let j = try #require(eqLow.firstIndex { !$0.isZero })
            var bent = honest
            bent[j] += (claim.value - TableOpening.fold(honest, layout: layout, point: claim.point)) * (eqLow[j].inverse() ?? .zero)
            let forged = try TableOpening.claim(rows: rows, layout: layout, evaluation: claim, combination: bent)
            TableOpening.absorbCombination(&verifierT, bent)
            let rho = verifierT.challenge(TranscriptLabel.challengeBatchCoefficient)
            #expect(!Hyrax.verifyBatch([forged], coefficients: [rho]), "size \(size), c = \(c)")
        }
    }

    @Test(arguments: SumCheckFixture.sizes)
    func honestOpening_JoinsTheBatchedCheck(size: Int) throws {
        var rng = SeededRandom(seed: 400 + UInt64(size))
        let table = F.integers(size, &rng)
        let weights = F.scalars(size, &rng)
        for c in Self.columnVariables(size) {
            let layout = try TableOpening.Layout(entries: size, columnVariables: c)
            let rows = try TableOpening.commit(table, layout: layout)
            #expect(rows.count == layout.rowCount)

            var proverT = F.transcript()
            let out = try SumCheckProver.prove(table: table.map { Scalar($0) }, weights: weights, transcript: &proverT)
            let t = try TableOpening.combination(table, layout: layout, point: out.claims[0].point)
            #expect(t.count == layout.width)
            TableOpening.absorbCombination(&proverT, t)

            var verifierT = F.transcript()
            let verified = try SumCheckVerifier.verify(weights: weights, value: out.values[0][0], proof: out.proof,
                                                       transcript: &verifierT)
            let claim = try TableOpening.claim(rows: rows, layout: layout, evaluation: verified.claims[0], combination: t)
            TableOpening.absorbCombination(&verifierT, t)
            #expect(verifierT.state == proverT.state)
            let rho = verifierT.challenge(TranscriptLabel.challengeBatchCoefficient)
            #expect(Hyrax.verifyBatch([claim], coefficients: [rho]), "size \(size), c = \(c)")
        }
    }

    @Test func openingAtAnyPoint_FoldsToTheExtension() throws {
        var rng = SeededRandom(seed: 11)
        for size in SumCheckFixture.sizes {
            let table = F.integers(size, &rng)
            for c in Self.columnVariables(size) {
                let layout = try TableOpening.Layout(entries: size, columnVariables: c)
                let point = F.scalars(layout.pointVariables, &rng)
                let t = try TableOpening.combination(table, layout: layout, point: point)
                #expect(TableOpening.fold(t, layout: layout, point: point) == Multilinear.evaluate(table, at: point))
                #expect(TableOpening.rowWeights(layout, point: point).count >= layout.rowCount)
            }
        }
    }

    @Test func changedCombinationEntry_IsRejectedByTheCommitment() throws {
        // An entry whose column weight is zero (past the table, c > n) leaves the fold alone;
        // only the commitment check catches it.
        var rng = SeededRandom(seed: 12)
        let table = F.integers(5, &rng)
        let layout = try TableOpening.Layout(entries: 5, columnVariables: 5)
        let rows = try TableOpening.commit(table, layout: layout)
        let point = F.scalars(3, &rng)
        var t = try TableOpening.combination(table, layout: layout, point: point)
        let value = TableOpening.fold(t, layout: layout, point: point)
        #expect(Hyrax.verifyBatch([try TableOpening.claim(rows: rows, layout: layout, point: point, value: value, combination: t)],
                                  coefficients: [Scalar.one]))
        t[20] += Scalar.one
        let claim = try TableOpening.claim(rows: rows, layout: layout, point: point, value: value, combination: t)
        #expect(!Hyrax.verifyBatch([claim], coefficients: [Scalar.one]))
    }

    @Test func invalidLayouts_AreRefused() throws {
        for (entries, c) in [(0, 0), (-1, 2), (5, -1), (5, 13), (5, 70), (SumCheck.paddedEntriesMax + 1, 4)] {
            #expect(throws: SumCheckError.invalidLayout(entries: entries, columnVariables: c)) {
                try TableOpening.Layout(entries: entries, columnVariables: c)
            }
        }
        // At the limits.
        let widest = try TableOpening.Layout(entries: 1, columnVariables: 12)
        #expect(widest.width == Generators.countMax && widest.rowCount == 1 && widest.pointVariables == 0)
        let largest = try TableOpening.Layout(entries: SumCheck.paddedEntriesMax, columnVariables: 12)
        #expect(largest.rowCount == SumCheck.paddedEntriesMax >> 12 && largest.rowVariables == 14)
    }

    @Test func mismatchedOpeningShapes_AreTypedErrors() throws {
        var rng = SeededRandom(seed: 13)
        let table = F.integers(64, &rng)
        let layout = try TableOpening.Layout(entries: 64, columnVariables: 3)
        let rows = try TableOpening.commit(table, layout: layout)
        let point = F.scalars(6, &rng)
        let t = try TableOpening.combination(table, layout: layout, point: point)
        let value = TableOpening.fold(t, layout: layout, point: point)
        #expect(throws: SumCheckError.openingShapeMismatch(field: "row commitments", expected: 8, actual: 7)) {
            try TableOpening.claim(rows: Array(rows.dropLast()), layout: layout, point: point, value: value, combination: t)
        }
        #expect(throws: SumCheckError.openingShapeMismatch(field: "point", expected: 6, actual: 5)) {
            try TableOpening.claim(rows: rows, layout: layout, point: Array(point.dropLast()), value: value, combination: t)
        }
        #expect(throws: SumCheckError.openingShapeMismatch(field: "combination", expected: 8, actual: 9)) {
            try TableOpening.claim(rows: rows, layout: layout, point: point, value: value, combination: t + [Scalar.one])
        }
        #expect(throws: SumCheckError.openingShapeMismatch(field: "table", expected: 64, actual: 63)) {
            try TableOpening.combination(Array(table.dropLast()), layout: layout, point: point)
        }
        // Reading a combination takes exactly the layout's width.
        var w = ProofWriter()
        TableOpening.writeCombination(t, to: &w)
        var r = ProofReader(w.bytes)
        #expect(try TableOpening.readCombination(from: &r, layout: layout) == t)
        try r.finish()
        var short = ProofReader(Array(w.bytes.dropLast()))
        #expect(throws: ProofFormatError.truncated(offset: 0, needed: 256, remaining: 255)) {
            try TableOpening.readCombination(from: &short, layout: layout)
        }
    }
}
