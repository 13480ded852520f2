import Testing
@testable import ZKProof

/// The native point arithmetic of commitments, checked against OpenSSL's.
@Suite struct JacobianPointTests {
    /// `k·G_0` by OpenSSL.
    static func point(_ k: UInt64) throws -> CurvePoint {
        try #require(CurvePoint.multiScalarMultiply(Generators.shared.g(count: 1), [Scalar(k)]))
    }

    static func native(_ p: CurvePoint) throws -> JacobianPoint { JacobianPoint(try #require(p.affine)) }

    static func back(_ p: JacobianPoint) throws -> CurvePoint {
        let affine = try #require(JacobianPoint.affine([p])[0])
        return try #require(CurvePoint(affine: affine))
    }

    @Test func additionsAndDoubling_MatchOpenSSL() throws {
        var rng = SeededRandom(seed: 77)
        for _ in 0..<40 {
            let a = UInt64.random(in: 1...(1 << 40), using: &rng), b = UInt64.random(in: 1...(1 << 40), using: &rng)
            let pa = try Self.point(a), pb = try Self.point(b)
            var mixed = try Self.native(pa)
            let affineB = try #require(pb.affine)
            mixed.add(affineB)
            #expect(try Self.back(mixed).isEqual(to: try Self.point(a + b)))
            // A full addition of two points with Z ≠ 1 (each a double).
            var left = try Self.native(pa), right = try Self.native(pb)
            left.double()
            right.double()
            left.add(right)
            #expect(try Self.back(left).isEqual(to: try Self.point(2 * a + 2 * b)))
        }
    }

    @Test func equalAndOppositePoints_AndTheIdentity() throws {
        let p = try Self.point(12_345)
        let affine = try #require(p.affine)
        var doubled = JacobianPoint(affine)
        doubled.add(affine) // equal x, equal y: a doubling
        #expect(try Self.back(doubled).isEqual(to: try Self.point(24_690)))
        var cancelled = JacobianPoint(affine)
        cancelled.add(affine.negated)
        #expect(cancelled.isIdentity)
        var full = try Self.native(p)
        full.double()
        var other = try Self.native(p)
        other.double()
        full.add(other) // equal points with Z ≠ 1
        #expect(try Self.back(full).isEqual(to: try Self.point(49_380)))
        var fromIdentity = JacobianPoint.identity
        fromIdentity.add(affine)
        fromIdentity.add(JacobianPoint.identity)
        #expect(try Self.back(fromIdentity).isEqual(to: p))
        #expect(JacobianPoint.affine([.identity, JacobianPoint(affine), .identity]).map { $0 == nil } == [true, false, true])
    }

    @Test func batchAffine_MatchesOneByOne() throws {
        var points: [JacobianPoint] = []
        for k in 1...9 {
            var p = try Self.native(try Self.point(UInt64(k) * 1_000_003))
            for _ in 0..<k { p.double() }
            points.append(k == 5 ? .identity : p)
        }
        let batch = JacobianPoint.affine(points)
        for (p, a) in zip(points, batch) { #expect(a == JacobianPoint.affine([p])[0]) }
        #expect(BaseField.one.inverse == .one)
        #expect(BaseField.zero.inverse == .zero)
    }

    @Test func fixedBaseMultiples_MatchOpenSSL() throws {
        var rng = SeededRandom(seed: 78)
        let h = Generators.shared.h
        let edges: [Scalar] = [.one, Scalar(UInt64(255)), Scalar(UInt64(256)), .zero - .one, Scalar(UInt64.max)]
        for k in edges + (0..<20).map({ _ in Scalar(wideBigEndian: rng.bytes(64)) }) {
            let expected = try #require(CurvePoint.multiScalarMultiply([h], [k]))
            #expect(try Self.back(FixedBaseTable.blindingBase.multiply(k)).isEqual(to: expected))
        }
        #expect(FixedBaseTable.blindingBase.multiply(.zero).isIdentity)
        // Blinded rows are the vector commitments they stand for, and a chosen blinding that
        // cancels a row gives no rows rather than the identity.
        let table: [Int64] = [1, 0, 1, 1, 0, 0, 0, 0]
        let blindings = [Scalar(wideBigEndian: rng.bytes(64)), Scalar(wideBigEndian: rng.bytes(64))]
        let rows = try #require(BlindedHyrax.commit(table, columnCount: 4, blindings: blindings))
        let first = try #require(Pedersen.commit(vector: [1, 0, 1, 1].map { Scalar(UInt64($0)) }, blinding: blindings[0]))
        let second = try #require(Pedersen.commit(vector: [Scalar](repeating: .zero, count: 4), blinding: blindings[1]))
        #expect(rows[0].isEqual(to: first) && rows[1].isEqual(to: second))
        #expect(BlindedHyrax.commit(table, columnCount: 4, blindings: [blindings[0], .zero]) == nil)
        #expect(BlindedHyrax.commit(table, columnCount: 4, blindings: [blindings[0]]) == nil)
    }

    @Test func pedersenCommitments_MatchTheMultiScalarMultiplication() throws {
        var rng = SeededRandom(seed: 79)
        func random() -> Scalar { Scalar(wideBigEndian: rng.bytes(64)) }
        for length in 1...6 {
            let v = (0..<length).map { _ in random() }, r = random()
            let expected = try #require(CurvePoint.multiScalarMultiply(Generators.shared.g(count: length) + [Pedersen.blindingBase], v + [r]))
            let commitment = try #require(Pedersen.commit(vector: v, blinding: r))
            #expect(commitment.isEqual(to: expected) && commitment.compressed == expected.compressed)
        }
        let a = random(), r = random()
        let expected = try #require(CurvePoint.multiScalarMultiply([Pedersen.scalarGenerator, Pedersen.blindingBase], [a, r]))
        #expect(try #require(Pedersen.commit(a, blinding: r)).isEqual(to: expected))
        #expect(Pedersen.commit(.zero, blinding: .zero) == nil)
    }
}
