import Testing
@testable import ZKProof

/// Generators, point validation and Hyrax row commitments.
@Suite struct CommitmentTests {
    @Test func generatorsGoldenBytes() {
        // Computed independently in Python (try-and-increment as documented in Generators).
        let g = Generators.shared.g(count: 3)
        #expect(hex(g[0].compressed) == "0225c6b8eb957031e516c8041481ee914a7b9690333f19df5d97acda5b824a91a0")
        #expect(hex(g[1].compressed) == "027fe619483b112881c1c3ce489452942b70ecff89c75c8ca038d6ce7dd012c755")
        // G_2 needed the second counter value: the first candidate x was not on the curve.
        #expect(hex(g[2].compressed) == "027b909151c6a38dff4948d774712af3499274b9ba816b27f3fb8c1c504e6b2647")
        #expect(hex(Generators.shared.h.compressed) == "0226cdd7563c73a10dab1a5aa28325226188fd23ec41955cee99d1f2151eaf6703")
    }

    @Test func pointEncodingRoundTrips() throws {
        for p in Generators.shared.g(count: 4) + [Generators.shared.h.negated()] {
            let q = try CurvePoint(compressed: p.compressed)
            #expect(q.isEqual(to: p))
        }
    }

    /// A decoded point answers `compressed` with the bytes it was read from: they must be the
    /// bytes OpenSSL writes for it (both parities of y, computed points as the reference).
    @Test func decodedPoints_KeepOpenSSLsEncoding() throws {
        var rng = SeededRandom(seed: 11)
        var prefixes: Set<UInt8> = []
        for i in 0..<32 {
            let k = Scalar(wideBigEndian: rng.bytes(64))
            let computed = try #require(CurvePoint.multiScalarMultiply([Generators.shared.g(count: 8)[i % 8]], [k]))
            let bytes = computed.compressed
            prefixes.insert(bytes[0])
            let decoded = try CurvePoint(compressed: bytes)
            #expect(decoded.compressed == bytes)
            #expect(decoded.negated().compressed == computed.negated().compressed)
        }
        #expect(prefixes == [0x02, 0x03])
    }

    @Test func pointOffCurve_IsRejected() {
        // x = 0x…01, 0x…02, … : at least one of the first few is not the x of a curve point.
        var rejected = 0
        for x: UInt8 in 1...8 {
            let bytes = [0x02] + [UInt8](repeating: 0, count: 31) + [x]
            do { _ = try CurvePoint(compressed: bytes) } catch {
                #expect(error == .notOnCurve)
                rejected += 1
            }
        }
        #expect(rejected > 0)
        // x ≥ p is never a coordinate.
        #expect(throws: CurvePoint.DecodingError.notOnCurve) { try CurvePoint(compressed: [0x03] + [UInt8](repeating: 0xFF, count: 32)) }
    }

    @Test func infinityPoint_IsRejected() {
        // OpenSSL's own encoding of infinity is a single zero byte; padded or not, it is refused.
        #expect(throws: CurvePoint.DecodingError.wrongLength(1)) { try CurvePoint(compressed: [0x00]) }
        #expect(throws: CurvePoint.DecodingError.badPrefix(0)) { try CurvePoint(compressed: [UInt8](repeating: 0, count: 33)) }
        #expect(CurvePoint.infinity().isInfinity)
    }

    @Test func uncompressedOrMalformedPoint_IsRejected() {
        let g = Generators.shared.g(count: 1)[0].compressed
        #expect(throws: CurvePoint.DecodingError.badPrefix(4)) { try CurvePoint(compressed: [0x04] + g.dropFirst()) }
        #expect(throws: CurvePoint.DecodingError.wrongLength(32)) { try CurvePoint(compressed: Array(g.dropLast())) }
    }

    /// `Σ_j M_ij·G_j + H` with one generic multi-scalar multiplication per row.
    static func naiveCommit(_ table: [Int64], columnCount: Int) -> [CurvePoint] {
        let g = Generators.shared.g(count: columnCount)
        return stride(from: 0, to: table.count, by: columnCount).map { start in
            let row = Array(table[start..<min(start + columnCount, table.count)])
            return CurvePoint.multiScalarMultiply(Array(g.prefix(row.count)) + [Generators.shared.h],
                                                  row.map { Scalar($0) } + [Scalar.one]) ?? CurvePoint.infinity()
        }
    }

    @Test func bucketedCommitMatchesMultiScalarMultiplication() {
        var rng = SeededRandom(seed: 31337)
        var table = (0..<(5 * 16 + 7)).map { _ in Int64.random(in: -40...40, using: &rng) }
        table[3] = 1 << 20 // beyond the bucket range
        table[4] = -(1 << 40)
        table[17] = Int64.min + 1
        for j in 32..<48 { table[j] = 0 } // a row of zeros still commits to H
        let fast = Hyrax.commit(table, columnCount: 16)
        let slow = Self.naiveCommit(table, columnCount: 16)
        #expect(fast.count == 6)
        for (a, b) in zip(fast, slow) { #expect(a.isEqual(to: b)) }
        #expect(fast[2].isEqual(to: Generators.shared.h))
    }

    @Test func bitRowsAndSpreadValues_CommitAsTheMultiScalarMultiplication() {
        var rng = SeededRandom(seed: 4_242)
        // Bit rows (the private mode's witness tables), and rows of few far-apart values (one
        // multi-scalar multiplication over the distinct values instead of a running sum).
        let bits: [Int64] = (0..<(9 * 32)).map { _ in Int64.random(in: 0...1, using: &rng) }
        let values: [Int64] = [0, 3_999, -4_000, 2_048]
        var spread: [Int64] = (0..<(3 * 16)).map { _ in values[Int.random(in: 0..<values.count, using: &rng)] }
        spread[5] = 1
        for (table, cols) in [(bits, 32), (spread, 16)] as [([Int64], Int)] {
            let fast = Hyrax.commit(table, columnCount: cols)
            let slow = Self.naiveCommit(table, columnCount: cols)
            #expect(fast.count == slow.count)
            for (a, b) in zip(fast, slow) { #expect(a.isEqual(to: b) && a.compressed == b.compressed) }
        }
    }

    static func sampleClaims(_ rng: inout SeededRandom) -> (claims: [Hyrax.Claim], tables: [[Int64]]) {
        var claims: [Hyrax.Claim] = []
        var tables: [[Int64]] = []
        for (rowVars, cols, count) in [(3, 8, 64), (2, 4, 13), (4, 8, 100)] {
            let table = (0..<count).map { _ in Int64.random(in: -100...100, using: &rng) }
            let rows = Hyrax.commit(table, columnCount: cols)
            let point = (0..<rowVars).map { _ in Scalar(wideBigEndian: rng.bytes(64)) }
            let weights = Multilinear.eqTable(point)
            claims.append(Hyrax.Claim(rows: rows, rowWeights: weights,
                                      combination: Hyrax.rowCombination(table, columnCount: cols, weights: weights)))
            tables.append(table)
        }
        return (claims, tables)
    }

    @Test func honestBatchedOpeningVerifies() {
        var rng = SeededRandom(seed: 5)
        let (claims, _) = Self.sampleClaims(&rng)
        let rho = (0..<claims.count).map { _ in Scalar(wideBigEndian: rng.bytes(64)) }
        #expect(Hyrax.verifyBatch(claims, coefficients: rho))
        for claim in claims { #expect(Hyrax.verifyBatch([claim], coefficients: [Scalar.one])) }
    }

    @Test func changedCombination_IsRejected() {
        var rng = SeededRandom(seed: 6)
        let (claims, _) = Self.sampleClaims(&rng)
        let rho = (0..<claims.count).map { _ in Scalar(wideBigEndian: rng.bytes(64)) }
        for c in 0..<claims.count {
            for j in [0, claims[c].combination.count - 1] {
                var combination = claims[c].combination
                combination[j] += Scalar.one
                var forged = claims
                forged[c] = Hyrax.Claim(rows: claims[c].rows, rowWeights: claims[c].rowWeights, combination: combination)
                #expect(!Hyrax.verifyBatch(forged, coefficients: rho), "claim \(c) entry \(j)")
            }
        }
    }

    @Test func changedRowWeights_IsRejected() {
        var rng = SeededRandom(seed: 7)
        let (claims, _) = Self.sampleClaims(&rng)
        var weights = claims[0].rowWeights
        weights[1] += Scalar.one
        let forged = [Hyrax.Claim(rows: claims[0].rows, rowWeights: weights, combination: claims[0].combination)]
        #expect(!Hyrax.verifyBatch(forged, coefficients: [Scalar.one]))
    }

    @Test func swappedRowCommitments_IsRejected() {
        var rng = SeededRandom(seed: 8)
        let (claims, _) = Self.sampleClaims(&rng)
        var rows = claims[0].rows
        rows.swapAt(0, 1)
        let forged = [Hyrax.Claim(rows: rows, rowWeights: claims[0].rowWeights, combination: claims[0].combination)]
        #expect(!Hyrax.verifyBatch(forged, coefficients: [Scalar.one]))
    }

    @Test func openAtAPointAndVerify() throws {
        var rng = SeededRandom(seed: 10)
        let table = (0..<(6 * 8)).map { _ in Int64.random(in: -300...300, using: &rng) }
        let rows = Hyrax.commit(table, columnCount: 8)
        var claims: [Hyrax.Claim] = []
        for _ in 0..<3 {
            let point = (0..<6).map { _ in Scalar(wideBigEndian: rng.bytes(64)) }
            let (t, value) = Hyrax.open(table, columnCount: 8, at: point)
            #expect(value == Multilinear.evaluate(table, at: point))
            claims.append(try #require(Hyrax.evaluationClaim(rows: rows, columnCount: 8, at: point, value: value, combination: t)))
            #expect(Hyrax.evaluationClaim(rows: rows, columnCount: 8, at: point, value: value + Scalar.one, combination: t) == nil)
        }
        // Three openings, one multi-scalar multiplication.
        let rho = (0..<3).map { _ in Scalar(wideBigEndian: rng.bytes(64)) }
        #expect(Hyrax.verifyBatch(claims, coefficients: rho))
    }

    @Test func mismatchedShapes_AreRejectedWithoutTrapping() {
        var rng = SeededRandom(seed: 9)
        let (claims, _) = Self.sampleClaims(&rng)
        #expect(!Hyrax.verifyBatch(claims, coefficients: [Scalar.one]))
        let short = Hyrax.Claim(rows: claims[0].rows, rowWeights: Array(claims[0].rowWeights.prefix(2)), combination: claims[0].combination)
        #expect(!Hyrax.verifyBatch([short], coefficients: [Scalar.one]))
    }
}

/// "Generators with known relations": the derived generators are distinct, none is the
/// negation or the double of another, and H is none of them.
@Suite struct GeneratorRelationTests {
    @Test func generatorsHaveNoSmallRelations() {
        let g = Generators.shared.g(count: 512)
        var seen = Set<[UInt8]>()
        for p in g + [Generators.shared.h] {
            // Compressed encodings differ in x for distinct non-opposite points; the prefix
            // byte is dropped so that P and −P collide here too.
            #expect(seen.insert(Array(p.compressed.dropFirst())).inserted)
        }
        for i in 0..<16 {
            let double = g[i].adding(g[i])
            for j in 0..<512 { #expect(!double.isEqual(to: g[j]) && !double.isEqual(to: g[j].negated())) }
        }
    }
}
