import Testing
@testable import ZKProof

/// The verifier's work is linear in the weights it is given: counted field multiplications,
/// never timings.
@Suite struct SumCheckCostTests {
    typealias F = SumCheckFixture

    @Test(arguments: SumCheckFixture.sizes + [4096, 4097, 20_000])
    func singleClaim_CostsOneFoldPlusThreePerRound(size: Int) throws {
        var rng = SeededRandom(seed: 600 + UInt64(size))
        let weights = F.scalars(size, &rng)
        let out = try F.prove(F.scalars(size, &rng), weights)
        let verified = try F.verify(weights, out.values[0][0], out.proof)
        let n = Multilinear.variableCount(size)
        // The fold of u (2^n − 1), three per round to interpolate, three for the final check.
        #expect(verified.fieldMultiplications == (1 << n) - 1 + 3 * n + 3)
        #expect(verified.fieldMultiplications <= 2 * size + 3 * n + 3)
    }

    @Test func doublingTheTable_DoublesTheWork() throws {
        var rng = SeededRandom(seed: 17)
        var counts: [Int] = []
        for size in [1000, 2000, 4000, 8000, 16000] {
            let weights = F.scalars(size, &rng)
            let out = try F.prove(F.scalars(size, &rng), weights)
            counts.append(try F.verify(weights, out.values[0][0], out.proof).fieldMultiplications)
        }
        for (a, b) in zip(counts, counts.dropFirst()) {
            #expect(b > a && b <= 2 * a + 8, "\(counts)")
        }
    }

    @Test func batch_CostsTheWeightsItIsGivenPlusOneFoldPerTable() throws {
        // Claims beyond the first cost N_k each to combine (and one for the claimed value);
        // each table then costs one fold, and each round and table a handful more.
        var rng = SeededRandom(seed: 18)
        let sizes = [1000, 5, 64, 1, 3, 300]
        let claimCounts = [3, 1, 2, 1, 2, 1]
        let tables = sizes.map { F.scalars($0, &rng) }
        let weights = zip(sizes, claimCounts).map { size, count in (0..<count).map { _ in F.scalars(size, &rng) } }
        var proverT = F.transcript()
        let out = try SumCheckProver.prove(zip(tables, weights).map { SumCheckProver.Table(entries: $0, weights: $1) },
                                           transcript: &proverT)
        let claims = zip(weights, out.values).map { ws, vs in zip(ws, vs).map { SumCheckVerifier.Claim(weights: $0, value: $1) } }
        var verifierT = F.transcript()
        let verified = try SumCheckVerifier.verify(shape: out.shape, claims: claims, proof: out.proof, transcript: &verifierT)
        let shape = out.shape
        let combining = zip(sizes, claimCounts).enumerated().reduce(0) { sum, e in
            sum + (e.offset == 0 ? e.element.1 - 1 : e.element.1) * (e.element.0 + 1)
        }
        let folds = shape.tableVariables.reduce(0) { $0 + (1 << $1) - 1 }
        let selectors = shape.tableVariables.reduce(0) { $0 + shape.variableCount - $1 }
        #expect(verified.fieldMultiplications == combining + folds + 3 * shape.variableCount + selectors + 2 * sizes.count + 1)
        let given = zip(sizes, claimCounts).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(verified.fieldMultiplications <= given + 2 * shape.paddedEntries + (shape.variableCount + 3) * (sizes.count + 1))
    }
}
