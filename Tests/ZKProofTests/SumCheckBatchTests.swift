import Testing
@testable import ZKProof

/// Batched claims: several tables of different sizes, several claims per table, one sum-check
/// over their concatenation, and the openings joining one multi-scalar multiplication.
@Suite struct SumCheckBatchTests {
    typealias F = SumCheckFixture

    /// Tables of the sizes of `SumCheckFixture.sizes`, in a scrambled order, with 1–3 claims each.
    struct Batch {
        let tables: [[Int64]]
        let weights: [[[Scalar]]]

        init(seed: UInt64, sizes: [Int] = [64, 1, 1000, 3, 5, 2], claims: [Int] = [2, 1, 3, 1, 2, 1]) {
            var rng = SeededRandom(seed: seed)
            tables = sizes.map { F.integers($0, &rng) }
            weights = zip(sizes, claims).map { size, count in (0..<count).map { _ in F.scalars(size, &rng) } }
        }

        var proverTables: [SumCheckProver.Table] {
            zip(tables, weights).map { SumCheckProver.Table(entries: $0.map { Scalar($0) }, weights: $1) }
        }

        func verifierClaims(_ values: [[Scalar]]) -> [[SumCheckVerifier.Claim]] {
            zip(weights, values).map { ws, vs in zip(ws, vs).map { SumCheckVerifier.Claim(weights: $0, value: $1) } }
        }
    }

    @Test func honestBatch_Verifies() throws {
        let batch = Batch(seed: 1)
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(batch.proverTables, transcript: &proverT)
        let shape = out.shape
        #expect(shape.tableVariables == [6, 0, 10, 2, 3, 1])
        // Largest first; ties (none here) would keep statement order.
        #expect(shape.order == [2, 0, 4, 3, 5, 1])
        #expect(shape.offsets == [1024, 1102, 0, 1096, 1088, 1100])
        #expect(shape.variableCount == 11)
        for (k, table) in batch.tables.enumerated() {
            for (j, u) in batch.weights[k].enumerated() {
                #expect(out.values[k][j] == Multilinear.innerProduct(table.map { Scalar($0) }, u))
            }
        }

        var verifierT = F.transcript()
        let verified = try SumCheckVerifier.verify(shape: shape, claims: batch.verifierClaims(out.values), proof: out.proof,
                                                   transcript: &verifierT)
        #expect(verifierT.state == proverT.state)
        #expect(verified.claims == out.claims)
        for (k, claim) in verified.claims.enumerated() {
            #expect(claim.table == k)
            #expect(claim.point.count == shape.tableVariables[k])
            #expect(claim.value == Multilinear.evaluate(batch.tables[k], at: claim.point))
        }
        // Every table's point is a suffix of one sum-check point.
        let longest = verified.claims[2].point
        for claim in verified.claims { #expect(Array(longest.suffix(claim.point.count)) == claim.point) }
    }

    @Test func equalSizes_KeepStatementOrder() throws {
        let shape = try SumCheck.Shape(tableEntries: [3, 4, 2, 4], claimCounts: [1, 1, 1, 1])
        #expect(shape.order == [0, 1, 3, 2])
        #expect(shape.offsets == [0, 4, 12, 8])
        #expect(shape.paddedEntries == 14 && shape.variableCount == 4)
        let batch = Batch(seed: 2, sizes: [3, 4, 2, 4], claims: [1, 2, 1, 1])
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(batch.proverTables, transcript: &proverT)
        var verifierT = F.transcript()
        let verified = try SumCheckVerifier.verify(shape: out.shape, claims: batch.verifierClaims(out.values),
                                                   proof: out.proof, transcript: &verifierT)
        for (k, claim) in verified.claims.enumerated() { #expect(claim.value == Multilinear.evaluate(batch.tables[k], at: claim.point)) }
    }

    @Test func oneWrongClaim_IsRejected_WhicheverItIs() throws {
        let batch = Batch(seed: 3)
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(batch.proverTables, transcript: &proverT)
        for k in 0..<out.values.count {
            for j in 0..<out.values[k].count {
                var values = out.values
                values[k][j] += Scalar.one
                var t = F.transcript()
                do {
                    _ = try SumCheckVerifier.verify(shape: out.shape, claims: batch.verifierClaims(values), proof: out.proof, transcript: &t)
                    Issue.record("claim \(j) of table \(k) was wrong and accepted")
                } catch {
                    guard case .roundSumMismatch(round: 0, _, _) = error else { Issue.record("\(error)"); continue }
                }
            }
        }
    }

    @Test func swappedClaims_AreRejected() throws {
        // ρ is tied to a claim's position: the same values in another order are another statement.
        let batch = Batch(seed: 4)
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(batch.proverTables, transcript: &proverT)
        var values = out.values
        values[2].swapAt(0, 2)
        var t = F.transcript()
        #expect(throws: SumCheckError.self) {
            try SumCheckVerifier.verify(shape: out.shape, claims: batch.verifierClaims(values), proof: out.proof, transcript: &t)
        }
    }

    @Test func changedWeightsOfOneClaim_IsRejected() throws {
        let batch = Batch(seed: 5)
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(batch.proverTables, transcript: &proverT)
        for k in 0..<batch.tables.count {
            var claims = batch.verifierClaims(out.values)
            var u = claims[k][0].weights
            u[u.count - 1] += Scalar.one
            claims[k][0] = SumCheckVerifier.Claim(weights: u, value: claims[k][0].value)
            var t = F.transcript()
            do {
                _ = try SumCheckVerifier.verify(shape: out.shape, claims: claims, proof: out.proof, transcript: &t)
                Issue.record("table \(k): changed weights accepted")
            } catch {
                guard case .finalCheckFailed = error else { Issue.record("\(error)"); continue }
            }
        }
    }

    @Test func wrongEvaluationOfOneTable_IsRejected() throws {
        let batch = Batch(seed: 6)
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(batch.proverTables, transcript: &proverT)
        for k in 0..<batch.tables.count {
            var proof = out.proof
            proof.evaluations[k] += Scalar.one
            var t = F.transcript()
            do {
                _ = try SumCheckVerifier.verify(shape: out.shape, claims: batch.verifierClaims(out.values), proof: proof, transcript: &t)
                Issue.record("table \(k): wrong evaluation accepted")
            } catch {
                guard case .finalCheckFailed = error else { Issue.record("\(error)"); continue }
            }
        }
    }

    @Test func mismatchedStatements_AreTypedErrors() throws {
        let batch = Batch(seed: 7)
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(batch.proverTables, transcript: &proverT)
        var claims = batch.verifierClaims(out.values)
        var t = F.transcript()
        #expect(throws: SumCheckError.lengthMismatch(field: "claim lists", table: 0, expected: 6, actual: 5)) {
            try SumCheckVerifier.verify(shape: out.shape, claims: Array(claims.dropLast()), proof: out.proof, transcript: &t)
        }
        claims[3].removeLast()
        #expect(throws: SumCheckError.lengthMismatch(field: "claims", table: 3, expected: 1, actual: 0)) {
            try SumCheckVerifier.verify(shape: out.shape, claims: claims, proof: out.proof, transcript: &t)
        }
        var tables = batch.proverTables
        tables[1] = SumCheckProver.Table(entries: tables[1].entries, weights: [[Scalar.one, Scalar.one]])
        #expect(throws: SumCheckError.lengthMismatch(field: "weights", table: 1, expected: 1, actual: 2)) {
            try SumCheckProver.prove(tables, transcript: &t)
        }
        tables[1] = SumCheckProver.Table(entries: tables[1].entries, weights: [])
        #expect(throws: SumCheckError.tableWithoutClaims(table: 1)) { try SumCheckProver.prove(tables, transcript: &t) }
        #expect(throws: SumCheckError.emptyBatch) { try SumCheckProver.prove([], transcript: &t) }
    }

    @Test func shapeLimits_AtAndPastEachLimit() throws {
        let max = SumCheck.paddedEntriesMax
        #expect(try SumCheck.Shape(entries: max).variableCount == 26)
        #expect(try SumCheck.Shape(tableEntries: [max / 2, max / 2], claimCounts: [1, 1]).variableCount == 26)
        // Past the limit the raw count is reported: padding it could overflow (`Int.max`).
        #expect(throws: SumCheckError.batchTooLarge(paddedEntries: max + 1, limit: max)) { try SumCheck.Shape(entries: max + 1) }
        #expect(throws: SumCheckError.batchTooLarge(paddedEntries: max + 1, limit: max)) {
            try SumCheck.Shape(tableEntries: [max / 2, max / 2, 1], claimCounts: [1, 1, 1])
        }
        #expect(throws: SumCheckError.batchTooLarge(paddedEntries: Int.max, limit: max)) { try SumCheck.Shape(entries: Int.max) }
        let tables = SumCheck.tablesMax
        #expect(try SumCheck.Shape(tableEntries: .init(repeating: 1, count: tables), claimCounts: .init(repeating: 16, count: tables))
            .claimCount == SumCheck.claimsMax)
        #expect(throws: SumCheckError.tooManyTables(count: tables + 1, limit: tables)) {
            try SumCheck.Shape(tableEntries: .init(repeating: 1, count: tables + 1), claimCounts: .init(repeating: 1, count: tables + 1))
        }
        #expect(throws: SumCheckError.tooManyClaims(count: SumCheck.claimsMax + 1, limit: SumCheck.claimsMax)) {
            try SumCheck.Shape(tableEntries: [1, 1], claimCounts: [SumCheck.claimsMax, 1])
        }
        #expect(throws: SumCheckError.tooManyClaims(count: SumCheck.claimsMax + 1, limit: SumCheck.claimsMax)) {
            try SumCheck.Shape(tableEntries: [1], claimCounts: [SumCheck.claimsMax + 1])
        }
        #expect(throws: SumCheckError.emptyTable(table: 1)) { try SumCheck.Shape(tableEntries: [4, 0], claimCounts: [1, 1]) }
    }

    @Test func batchedOpenings_ShareOneMultiScalarMultiplication() throws {
        // Six parameter tables, each in its own layout, plus a weight-matrix opening of the
        // kind v1 proofs make: all claims in one Hyrax.verifyBatch.
        let batch = Batch(seed: 8)
        let layouts = try batch.tables.map { try TableOpening.Layout(entries: $0.count, columnVariables: min(4, Multilinear.variableCount($0.count))) }
        let commitments = try zip(batch.tables, layouts).map { try TableOpening.commit($0, layout: $1) }
        var rng = SeededRandom(seed: 9)
        let matrix = F.integers(16 * 8, &rng)
        let matrixRows = Hyrax.commit(matrix, columnCount: 8)
        let matrixPoint = F.scalars(7, &rng)

        // Prover.
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(batch.proverTables, transcript: &proverT)
        let combinations = try out.claims.map { try TableOpening.combination(batch.tables[$0.table], layout: layouts[$0.table], point: $0.point) }
        let (matrixT, matrixValue) = Hyrax.open(matrix, columnCount: 8, at: matrixPoint)
        var w = ProofWriter()
        out.proof.write(to: &w)
        for t in combinations { TableOpening.writeCombination(t, to: &w) }
        w.scalars(matrixT)

        // Verifier: every length from the shape and the layouts.
        func verify(_ bytes: [UInt8]) throws -> Bool {
            var r = ProofReader(bytes)
            let proof = try SumCheckProof(reading: &r, shape: out.shape)
            let ts = try layouts.map { try TableOpening.readCombination(from: &r, layout: $0) }
            let mt = try r.scalars(8)
            try r.finish()
            var t = F.transcript()
            let verified = try SumCheckVerifier.verify(shape: out.shape, claims: batch.verifierClaims(out.values), proof: proof, transcript: &t)
            var claims = try verified.claims.map {
                try TableOpening.claim(rows: commitments[$0.table], layout: layouts[$0.table], evaluation: $0, combination: ts[$0.table])
            }
            for tk in ts { TableOpening.absorbCombination(&t, tk) }
            t.absorb(TranscriptLabel.messageWeightCombination, scalars: mt)
            claims.append(try #require(Hyrax.evaluationClaim(rows: matrixRows, columnCount: 8, at: matrixPoint, value: matrixValue, combination: mt)))
            let rho = t.challenges(TranscriptLabel.challengeBatchCoefficient, count: claims.count)
            return Hyrax.verifyBatch(claims, coefficients: rho)
        }
        #expect(try verify(w.bytes))

        // A table evaluation and combination bent together pass every local check; the
        // single multi-scalar multiplication still refuses them.
        let k = 2
        var forged = out.proof
        forged.evaluations[k] += Scalar.one
        var bent = combinations
        let eqLow = TableOpening.columnWeights(layouts[k], point: out.claims[k].point)
        bent[k][0] += eqLow[0].inverse() ?? .zero
        var fw = ProofWriter()
        forged.write(to: &fw)
        for t in bent { TableOpening.writeCombination(t, to: &fw) }
        fw.scalars(matrixT)
        // The sum-check's final check sees the changed c first.
        #expect(throws: SumCheckError.self) { try verify(fw.bytes) }
        // With the honest c and only the combination bent, the fold fails; with both bent
        // so that the fold passes, the commitment check fails.
        var bw = ProofWriter()
        out.proof.write(to: &bw)
        for t in bent { TableOpening.writeCombination(t, to: &bw) }
        bw.scalars(matrixT)
        #expect(throws: SumCheckError.self) { try verify(bw.bytes) }
        var shifted = combinations
        shifted[k][0] += Scalar.one
        shifted[k][1] -= eqLow[0] * (eqLow[1].inverse() ?? .zero)
        #expect(TableOpening.fold(shifted[k], layout: layouts[k], point: out.claims[k].point)
            == TableOpening.fold(combinations[k], layout: layouts[k], point: out.claims[k].point))
        var sw = ProofWriter()
        out.proof.write(to: &sw)
        for t in shifted { TableOpening.writeCombination(t, to: &sw) }
        sw.scalars(matrixT)
        #expect(try !verify(sw.bytes))
    }
}
