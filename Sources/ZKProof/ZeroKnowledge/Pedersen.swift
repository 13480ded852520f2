import COpenSSL

/// Hiding Pedersen commitments, the base of the zero-knowledge proofs (docs/PROTOCOL-zk.md).
///
/// Math, with the generators `G_j`, `H` of `Generators` and the dedicated scalar generator `G`:
///
///     vector:  Com(v; r) = Σ_j v_j · G_j + r · H
///     scalar:  Com(a; r) = a · G + r · H
///
/// With `r` uniform in the field a commitment is a uniform point whatever it commits to
/// (perfect hiding); binding holds because no discrete-log relation among `G_j`, `G`, `H` is
/// known. Both are additively homomorphic: `Com(u; r) + Com(v; s) = Com(u + v; r + s)` and
/// `c · Com(v; r) = Com(c·v; c·r)`.
public enum Pedersen {
    /// The scalar generator `G`, distinct from every `G_j` and from `H`.
    public static let scalarGenerator: CurvePoint = Generators.hashToCurve(label: TranscriptLabel.generatorScalarG, index: 0)

    /// The blinding base `H` (the same point as the row offset of `Hyrax`).
    public static var blindingBase: CurvePoint { Generators.shared.h }

    /// A uniform field element from OpenSSL's CSPRNG: 64 bytes from `RAND_bytes`, reduced mod
    /// `n` (bias below `2^-256`).
    public static func randomScalar() -> Scalar {
        var bytes = [UInt8](repeating: 0, count: 64)
        let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, 64) }
        // A prover without randomness must not produce a proof at all (it would leak the witness).
        guard ok == 1 else { fatalError("RAND_bytes failed: no randomness for blinding") } // environment failure, not input
        return Scalar(wideBigEndian: bytes)
    }

    /// `count` fresh blindings.
    public static func randomScalars(_ count: Int) -> [Scalar] { (0..<count).map { _ in randomScalar() } }

    /// `Com(a; r) = a·G + r·H` (by fixed-base tables, `FixedBaseTable`). Nil only for the
    /// identity, which a uniform `r` gives with probability `1/n`.
    public static func commit(_ a: Scalar, blinding r: Scalar) -> CurvePoint? {
        FixedBaseTable.commit([a], blinding: r, scalarGenerator: true)
    }

    /// `Com(v; r) = Σ v_j·G_j + r·H` (`v.count ≤ Generators.countMax`; fixed-base tables for
    /// the short vectors of sum-check rounds). Nil if OpenSSL fails, `v` is too long, or
    /// (short vectors) the sum is the identity.
    public static func commit(vector v: [Scalar], blinding r: Scalar) -> CurvePoint? {
        guard v.count <= Generators.countMax else { return nil }
        if v.count <= FixedBaseTable.vectorLengthMax { return FixedBaseTable.commit(v, blinding: r) }
        return CurvePoint.multiScalarMultiply(Generators.shared.g(count: v.count) + [blindingBase], v + [r])
    }
}
