/// Multiples of one fixed point for scalar multiplication by table look-ups alone: the prover
/// multiplies the blinding base `H` by a fresh blinding for every committed row
/// (`BlindedHyrax.commit`), and OpenSSL's multiplication by a point other than its own
/// generator costs tens of microseconds each.
///
/// Math: for a base `P` and `k = Σ_w d_w·256^w` (32 bytes `d_w`), `k·P = Σ_w d_w·(256^w·P)`;
/// the table holds `d·256^w·P` for every window `w < 32` and byte `d ∈ 1…255` (8,160 affine
/// points, made once), so a product costs at most 32 additions and no doubling.
///
/// The look-ups follow the scalar's bytes, so when proving the memory access pattern depends
/// on the (secret) blinding: a process sharing the prover's CPU cache could learn about it.
/// The prover's own machine is trusted in this design. Verification never multiplies by a
/// secret: only an input opening's check recomputes rows here, from blindings it was given.
final class FixedBaseTable: Sendable {
    /// `entries[w][d − 1] = d·256^w·P`.
    private let entries: [[AffinePoint]]

    /// The table of `H`, made on first use.
    static let blindingBase = FixedBaseTable(Generators.shared.affineH)
    /// The table of the scalar generator `G` (`Pedersen.scalarGenerator`).
    static let scalarGenerator = FixedBaseTable(affine(Pedersen.scalarGenerator))
    /// The tables of `G_0 … G_(vectorLengthMax − 1)`: a sum-check's round messages commit to
    /// at most four coefficients.
    static let vectorGenerators = Generators.shared.affineG(count: vectorLengthMax).map(FixedBaseTable.init)
    static let vectorLengthMax = 4

    /// `Σ_j v_j·G_j + r·H` for `v.count ≤ vectorLengthMax`, or `a·G + r·H` (`v = [a]`,
    /// `scalarGenerator: true`), as a point; nil if it is the identity (which only chosen
    /// values can make it).
    static func commit(_ v: [Scalar], blinding r: Scalar, scalarGenerator: Bool = false) -> CurvePoint? {
        var sum = blindingBase.multiply(r)
        if scalarGenerator {
            sum.add(Self.scalarGenerator.multiply(v[0]))
        } else {
            for (j, value) in v.enumerated() { sum.add(vectorGenerators[j].multiply(value)) }
        }
        return JacobianPoint.affine([sum])[0].flatMap { CurvePoint(affine: $0) }
    }

    private static func affine(_ p: CurvePoint) -> AffinePoint {
        guard let a = p.affine else { fatalError("OpenSSL gave no affine coordinates for a generator") } // environment failure, not input
        return a
    }

    init(_ base: AffinePoint) {
        var windows: [[AffinePoint]] = []
        var windowBase = JacobianPoint(base)
        for _ in 0..<32 {
            var multiples: [JacobianPoint] = [windowBase]
            for _ in 2...255 {
                var next = multiples[multiples.count - 1]
                next.add(windowBase)
                multiples.append(next)
            }
            // d·256^w·P is never the identity: the group's order is a prime above 2^255.
            windows.append(JacobianPoint.affine(multiples).map { $0 ?? base })
            // 256^(w+1)·P = 255·256^w·P + 256^w·P.
            var next = multiples[254]
            next.add(multiples[0])
            windowBase = next
        }
        entries = windows
    }

    /// `k·P`.
    func multiply(_ k: Scalar) -> JacobianPoint {
        var sum = JacobianPoint.identity
        for (w, byte) in k.bigEndianBytes.reversed().enumerated() where byte != 0 {
            sum.add(entries[w][Int(byte) - 1])
        }
        return sum
    }
}
