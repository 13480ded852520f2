/// Zero-knowledge linear functionals of a blinded Hyrax table: `⟨L, M·a⟩ = ⟨Lᵀ·M, a⟩` for any
/// public row weights `L` and public column vector `a` (an evaluation of the table's extension
/// is the case `L = eq(x)`, `a = eq(y)`).
///
/// Math: `ξ = Σ_i L_i·C_i = Com(Lᵀ·M; Σ_i L_i·r_i)` by the homomorphism, so a
/// `DotProductProof` of `ξ` against a value commitment `τ` with the public vector `a` proves
/// that `τ` holds `⟨Lᵀ·M, a⟩`. The value commitment is either fresh (`proveLinear`, which
/// absorbs it as `zkEvaluationValueCommitment` first) or given by the caller
/// (`proveLinearAgainst`, for a claim the caller already holds as a commitment).
///
/// Soundness: as for `proveEvaluation`, the caller must have absorbed the row commitments and
/// every challenge `L` and `a` depend on before this.
extension BlindedHyrax {
    /// Proves `⟨weights, M·a⟩` for a fresh value commitment; returns the proof, the value and
    /// the blinding of `τ`. Nil if the shapes do not fit.
    public static func proveLinear(_ table: [Int64], columnCount: Int, rows: [CurvePoint], blindings: [Scalar],
                                   rowWeights: [Scalar], publicVector a: [Scalar], transcript: inout Transcript)
        -> (proof: EvaluationProof, value: Scalar, valueBlinding: Scalar)? {
        guard a.count == columnCount, blindings.count == rows.count, rowWeights.count >= rows.count else { return nil }
        let t = Hyrax.rowCombination(table, columnCount: columnCount, weights: rowWeights)
        let value = Multilinear.innerProduct(t, a)
        let rTau = Pedersen.randomScalar()
        guard let tau = Pedersen.commit(value, blinding: rTau) else { return nil }
        transcript.absorb(TranscriptLabel.zkEvaluationValueCommitment, tau.compressed)
        guard let proof = DotProductProof.prove(statement: statementBytes(rows, tau), publicVector: a, vector: t,
                                                vectorBlinding: combineBlindings(blindings, weights: rowWeights),
                                                valueBlinding: rTau, transcript: &transcript) else { return nil }
        return (EvaluationProof(valueCommitment: tau, dotProduct: proof), value, rTau)
    }

    /// Verifies `proveLinear` and returns `τ`, the commitment to `⟨weights, M·a⟩`.
    public static func verifyLinear(rows: [CurvePoint], columnCount: Int, rowWeights: [Scalar], publicVector a: [Scalar],
                                    proof: EvaluationProof, transcript: inout Transcript) throws(ZKVerificationError) -> CurvePoint {
        try verifyLinear(rows: rows, columnCount: columnCount, rowWeights: rowWeights, publicVector: a, proof: proof,
                         transcript: &transcript, equations: .immediate())
    }

    /// `verifyLinear` with the proof of dot product's equations added to `equations`.
    public static func verifyLinear(rows: [CurvePoint], columnCount: Int, rowWeights: [Scalar], publicVector a: [Scalar],
                                    proof: EvaluationProof, transcript: inout Transcript,
                                    equations: EquationBatch) throws(ZKVerificationError) -> CurvePoint {
        guard a.count == columnCount, columnCount <= Generators.countMax, rowWeights.count >= rows.count else {
            throw .shapeMismatch("\(rows.count) rows, \(rowWeights.count) row weights, \(a.count) of \(columnCount) columns")
        }
        transcript.absorb(TranscriptLabel.zkEvaluationValueCommitment, proof.valueCommitment.compressed)
        try proof.dotProduct.verify(statement: statementBytes(rows, proof.valueCommitment), terms: rows,
                                    weights: Array(rowWeights.prefix(rows.count)), valueCommitment: proof.valueCommitment,
                                    publicVector: a, transcript: &transcript, equations: equations)
        return proof.valueCommitment
    }

    /// Proves that the caller's `valueCommitment = Com(v; valueBlinding)` holds `v = ⟨weights, M·a⟩`.
    public static func proveLinearAgainst(_ table: [Int64], columnCount: Int, rows: [CurvePoint], blindings: [Scalar],
                                          rowWeights: [Scalar], publicVector a: [Scalar], valueCommitment: CurvePoint,
                                          valueBlinding: Scalar, transcript: inout Transcript) -> DotProductProof? {
        guard a.count == columnCount, blindings.count == rows.count, rowWeights.count >= rows.count else { return nil }
        let t = Hyrax.rowCombination(table, columnCount: columnCount, weights: rowWeights)
        return DotProductProof.prove(statement: statementBytes(rows, valueCommitment), publicVector: a, vector: t,
                                     vectorBlinding: combineBlindings(blindings, weights: rowWeights),
                                     valueBlinding: valueBlinding, transcript: &transcript)
    }

    /// Verifies `proveLinearAgainst`.
    public static func verifyLinearAgainst(rows: [CurvePoint], columnCount: Int, rowWeights: [Scalar], publicVector a: [Scalar],
                                           valueCommitment: CurvePoint, proof: DotProductProof,
                                           transcript: inout Transcript) throws(ZKVerificationError) {
        try verifyLinearAgainst(rows: rows, columnCount: columnCount, rowWeights: rowWeights, publicVector: a,
                                valueCommitment: valueCommitment, proof: proof, transcript: &transcript, equations: .immediate())
    }

    /// `verifyLinearAgainst` with the proof of dot product's equations added to `equations`.
    public static func verifyLinearAgainst(rows: [CurvePoint], columnCount: Int, rowWeights: [Scalar], publicVector a: [Scalar],
                                           valueCommitment: CurvePoint, proof: DotProductProof, transcript: inout Transcript,
                                           equations: EquationBatch) throws(ZKVerificationError) {
        guard a.count == columnCount, columnCount <= Generators.countMax, rowWeights.count >= rows.count else {
            throw .shapeMismatch("\(rows.count) rows, \(rowWeights.count) row weights, \(a.count) of \(columnCount) columns")
        }
        try proof.verify(statement: statementBytes(rows, valueCommitment), terms: rows,
                         weights: Array(rowWeights.prefix(rows.count)), valueCommitment: valueCommitment,
                         publicVector: a, transcript: &transcript, equations: equations)
    }
}
