import Testing
@testable import ZKProof

/// Multilinear extensions: agreement with the definition and the variable-order convention.
@Suite struct MultilinearTests {
    static func randomPoint(_ count: Int, _ rng: inout SeededRandom) -> [Scalar] {
        (0..<count).map { _ in Scalar(wideBigEndian: rng.bytes(64)) }
    }

    /// `eq(x, i)` straight from its definition, with `x_0` the most significant bit.
    static func eqByDefinition(_ x: [Scalar], _ i: Int) -> Scalar {
        var product = Scalar.one
        for (t, xt) in x.enumerated() {
            let bit = (i >> (x.count - 1 - t)) & 1
            product *= bit == 1 ? xt : Scalar.one - xt
        }
        return product
    }

    @Test func eqTableMatchesDefinition() {
        var rng = SeededRandom(seed: 1)
        let x = Self.randomPoint(5, &rng)
        let table = Multilinear.eqTable(x)
        #expect(table.count == 32)
        for i in 0..<32 { #expect(table[i] == Self.eqByDefinition(x, i)) }
        // The eq weights of any point sum to one.
        #expect(table.reduce(Scalar.zero, +) == Scalar.one)
    }

    @Test func extensionAgreesOnBooleanPoints() {
        let v: [Int64] = [5, -3, 0, 7, 11, -1]
        for i in 0..<8 {
            let point = (0..<3).map { t in (i >> (2 - t)) & 1 == 1 ? Scalar.one : Scalar.zero }
            #expect(Multilinear.evaluate(v, at: point) == Scalar(i < v.count ? v[i] : 0))
        }
    }

    @Test func firstVariableIsMostSignificantBit() {
        // ṽ(x_0, x_1) for v = [a, b, c, d] is a(1−x0)(1−x1) + b(1−x0)x1 + c·x0(1−x1) + d·x0·x1.
        let v: [Int64] = [2, 3, 5, 7]
        let x0 = Scalar(UInt64(10)), x1 = Scalar(UInt64(100))
        let one = Scalar.one
        let expected = Scalar(UInt64(2)) * (one - x0) * (one - x1) + Scalar(UInt64(3)) * (one - x0) * x1
            + Scalar(UInt64(5)) * x0 * (one - x1) + Scalar(UInt64(7)) * x0 * x1
        #expect(Multilinear.evaluate(v, at: [x0, x1]) == expected)
    }

    @Test func rowCombinationIsMatrixExtensionAtRowPoint() {
        var rng = SeededRandom(seed: 2)
        let rows = 6, cols = 8
        let m = (0..<(rows * cols)).map { _ in Int64.random(in: -200...200, using: &rng) }
        let r = Self.randomPoint(3, &rng), s = Self.randomPoint(3, &rng)
        let v = Multilinear.rowCombination(m, rows: rows, cols: cols, weights: Multilinear.eqTable(r))
        // M̃(r, s) computed over the whole flattened matrix with point (r, s).
        #expect(Multilinear.evaluate(v, at: s) == Multilinear.evaluate(m, at: r + s))
        let w = Multilinear.columnCombination(m, rows: rows, cols: cols, weights: Multilinear.eqTable(s))
        #expect(Multilinear.evaluate(w, at: r) == Multilinear.evaluate(m, at: r + s))
    }

    @Test func variableCounts() {
        #expect(Multilinear.variableCount(0) == 0)
        #expect(Multilinear.variableCount(1) == 0)
        #expect(Multilinear.variableCount(2) == 1)
        #expect(Multilinear.variableCount(3) == 2)
        #expect(Multilinear.variableCount(256) == 8)
        #expect(Multilinear.variableCount(257) == 9)
    }
}
