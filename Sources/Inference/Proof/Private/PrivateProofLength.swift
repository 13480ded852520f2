import ZKProof

/// The exact byte length of a private proof, derived from the layers' shapes and the batch
/// size alone, as the prover writes it and the verifier reads it (docs/PROTOCOL.md, "Transcript
/// and proof"): the verifier refuses any other length before it decodes a point.
enum PrivateProofLength {
    static let point = CurvePoint.compressedByteCount
    static let scalar = 32

    /// The whole proof: header, output, the hidden input's commitment when there is one, every
    /// table, every check, the output check.
    static func bytes(_ shapes: [PrivateLayerShape], outputCount: Int, hidden: PrivateLayerShape?) -> Int {
        var n = 4 + 2 + 4 + 8 * outputCount
        if let h = hidden { n += table(h) + booleanity(h) + complement(h) }
        for s in shapes {
            if let p = s.pool { n += table(p.output) + table(p.selection) }
            n += table(s)
        }
        for (k, s) in shapes.enumerated() {
            var previous = k == 0 ? hidden : shapes[k - 1]
            if let p = s.pool, let before = previous {
                n += pool(p, previous: before)
                previous = p.output
            }
            n += booleanity(s) + 2 * zeroProduct(s) + complement(s) + linear(s, previous: previous)
        }
        if let last = shapes.last { n += opened(last) }
        return n
    }

    static func dotProduct(_ length: Int) -> Int { 2 * point + 4 + scalar * length + 2 * scalar }
    static func sumCheck(_ variables: Int, degree: Int) -> Int { 4 + variables * (2 * point + 2 * dotProduct(degree + 1)) }
    static func evaluation(_ columns: Int) -> Int { point + dotProduct(columns) }
    static let product = 3 * point + 5 * scalar
    static func table(_ s: PrivateLayerShape) -> Int { 4 + point * s.entries }
    static func opened(_ s: PrivateLayerShape) -> Int { evaluation(s.columnCount) + scalar }

    static func booleanity(_ s: PrivateLayerShape) -> Int {
        sumCheck(Multilinear.variableCount(s.entries * s.columnCount), degree: 3) + evaluation(s.columnCount) + product
    }

    static func zeroProduct(_ s: PrivateLayerShape) -> Int {
        sumCheck(Multilinear.variableCount(s.entries), degree: 3) + 2 * evaluation(s.columnCount) + product
    }

    static func complement(_ s: PrivateLayerShape) -> Int { s.complementBits > 0 ? opened(s) : 0 }

    static func linear(_ s: PrivateLayerShape, previous: PrivateLayerShape?) -> Int {
        guard let ps = previous else { return evaluation(s.columnCount) + dotProduct(s.weightColumns) }
        return evaluation(s.columnCount) + sumCheck(Multilinear.variableCount(s.weightColumns), degree: 2)
            + evaluation(s.weightColumns) + evaluation(ps.columnCount) + product
    }

    static func pool(_ p: PrivatePoolShape, previous ps: PrivateLayerShape) -> Int {
        booleanity(p.output) + booleanity(p.selection) + zeroProduct(p.selection) + opened(p.selection)
            + evaluation(p.output.columnCount) + evaluation(ps.columnCount) + evaluation(p.selection.columnCount) + scalar
    }

    /// Refuses a proof of any other length than `expected`: longer is `proof_too_large`,
    /// shorter `proof_malformed` (truncated).
    static func check(_ count: Int, expected: Int) throws(ProofVerificationError) {
        if count > expected { throw .proofTooLarge(bytes: count, limit: expected) }
        if count < expected { throw .malformedProof(.truncated(offset: count, needed: expected - count, remaining: 0)) }
    }
}
