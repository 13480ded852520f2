/// Hyrax row commitments with a blinding per row, and zero-knowledge evaluation of the
/// committed table's multilinear extension.
///
/// Math: a table `M` (`rows × w`, `w = 2^b`, zero-padded) is committed as
/// `C_i = Σ_j M_ij·G_j + r_i·H` with `r_i` uniform (the unblinded `Hyrax` rows use `r_i = 1`).
/// For row weights `L` the homomorphism gives
///
///     Σ_i L_i·C_i = Com(Lᵀ·M; Σ_i L_i·r_i),
///
/// a vector commitment to the row combination `t = Lᵀ·M` whose blinding the prover knows.
/// At a point `(x, y)` (row variables `x` first), `M̃(x, y) = ⟨t, eq(y)⟩` for `L = eq(x)`, so
/// the value is proven with a `DotProductProof` of `ξ = Σ L_i·C_i` against a fresh
/// commitment `τ = Com(M̃(x, y); r_τ)`: the verifier learns `τ`, never the value or `t`.
///
/// Transcript of an evaluation: absorb `τ` (`zkEvaluationValueCommitment`), then the proof of
/// dot product with the row commitments and `τ` as its statement bytes and `a = eq(y)`.
///
/// Soundness: the caller must have absorbed the row commitments and the point before this
/// (they are part of its statement); the returned `τ` binds the value only through the proof.
public enum BlindedHyrax {
    /// The most row variables a verified point may have (bounds the verifier's `eq` table).
    public static let rowVariableMax = 24

    /// Commits each row of `table` with a fresh blinding; returns the rows and their blindings.
    public static func commit(_ table: [Int64], columnCount: Int) -> (rows: [CurvePoint], blindings: [Scalar])? {
        let blindings = Pedersen.randomScalars((table.count + columnCount - 1) / columnCount)
        guard let rows = commit(table, columnCount: columnCount, blindings: blindings) else { return nil }
        return (rows, blindings)
    }

    /// The rows `C_i = Σ_j T_ij·G_j + r_i·H` for given blindings (one per row): what a
    /// commitment's opening is checked against. Nil if the counts differ or a row is the
    /// identity (which chosen blindings can make it).
    public static func commit(_ table: [Int64], columnCount: Int, blindings: [Scalar]) -> [CurvePoint]? {
        Hyrax.commit(table, columnCount: columnCount, blindings: blindings)
    }

    /// `Σ_i L_i·C_i` (one multi-scalar multiplication); nil if the shapes do not fit.
    public static func combineRows(_ rows: [CurvePoint], weights: [Scalar]) -> CurvePoint? {
        guard weights.count >= rows.count else { return nil }
        return CurvePoint.multiScalarMultiply(rows, Array(weights.prefix(rows.count)))
    }

    /// `Σ_i L_i·r_i`, the blinding of `combineRows`.
    public static func combineBlindings(_ blindings: [Scalar], weights: [Scalar]) -> Scalar {
        Multilinear.innerProduct(blindings, weights)
    }

    /// A zero-knowledge evaluation: the value commitment and the proof of dot product.
    public struct EvaluationProof: Sendable {
        /// `τ = Com(M̃(x, y); r_τ)`.
        public let valueCommitment: CurvePoint
        /// `M̃(x, y) = ⟨Σ L_i C_i, eq(y)⟩` on commitments.
        public let dotProduct: DotProductProof

        /// `τ ‖ dot product proof`.
        public func encode(to w: inout ProofWriter) {
            w.point(valueCommitment)
            dotProduct.encode(to: &w)
        }

        /// Reads what `encode` wrote for a table of `columnCount` columns.
        public init(from r: inout ProofReader, columnCount: Int) throws(ProofFormatError) {
            valueCommitment = try r.point()
            dotProduct = try DotProductProof(from: &r, length: columnCount)
        }

        init(valueCommitment: CurvePoint, dotProduct: DotProductProof) {
            self.valueCommitment = valueCommitment
            self.dotProduct = dotProduct
        }
    }

    /// Proves the value of the committed table at `point`; returns the proof, the value and
    /// `τ`'s blinding (for the caller's next proof about the value). `columnCount` must be a
    /// power of two; nil if the shapes do not fit.
    public static func proveEvaluation(_ table: [Int64], columnCount: Int, rows: [CurvePoint], blindings: [Scalar],
                                       at point: [Scalar], transcript: inout Transcript)
        -> (proof: EvaluationProof, value: Scalar, valueBlinding: Scalar)? {
        let columnVariables = Multilinear.variableCount(columnCount)
        guard columnCount == 1 << columnVariables, point.count >= columnVariables, blindings.count == rows.count else { return nil }
        let rowWeights = Multilinear.eqTable(Array(point.dropLast(columnVariables)))
        guard rowWeights.count >= rows.count else { return nil }
        let t = Hyrax.rowCombination(table, columnCount: columnCount, weights: rowWeights)
        let a = Multilinear.eqTable(Array(point.suffix(columnVariables)))
        let value = Multilinear.innerProduct(t, a)
        let rTau = Pedersen.randomScalar()
        guard let tau = Pedersen.commit(value, blinding: rTau) else { return nil }
        transcript.absorb(TranscriptLabel.zkEvaluationValueCommitment, tau.compressed)
        guard let proof = DotProductProof.prove(statement: statementBytes(rows, tau), publicVector: a, vector: t,
                                                vectorBlinding: combineBlindings(blindings, weights: rowWeights),
                                                valueBlinding: rTau, transcript: &transcript) else { return nil }
        return (EvaluationProof(valueCommitment: tau, dotProduct: proof), value, rTau)
    }

    /// Verifies an evaluation and returns `τ`, the commitment to the value at `point`.
    public static func verifyEvaluation(rows: [CurvePoint], columnCount: Int, at point: [Scalar], proof: EvaluationProof,
                                        transcript: inout Transcript) throws(ZKVerificationError) -> CurvePoint {
        try verifyEvaluation(rows: rows, columnCount: columnCount, at: point, proof: proof, transcript: &transcript,
                             equations: .immediate())
    }

    /// `verifyEvaluation` with the proof of dot product's equations added to `equations`.
    public static func verifyEvaluation(rows: [CurvePoint], columnCount: Int, at point: [Scalar], proof: EvaluationProof,
                                        transcript: inout Transcript, equations: EquationBatch) throws(ZKVerificationError) -> CurvePoint {
        let columnVariables = Multilinear.variableCount(columnCount)
        guard columnCount == 1 << columnVariables, columnCount <= Generators.countMax, point.count >= columnVariables,
              point.count - columnVariables <= rowVariableMax else {
            throw .shapeMismatch("column count \(columnCount) for a point of \(point.count) coordinates")
        }
        let rowWeights = Multilinear.eqTable(Array(point.dropLast(columnVariables)))
        guard rowWeights.count >= rows.count else { throw .shapeMismatch("\(rows.count) rows for \(rowWeights.count) row weights") }
        transcript.absorb(TranscriptLabel.zkEvaluationValueCommitment, proof.valueCommitment.compressed)
        try proof.dotProduct.verify(statement: statementBytes(rows, proof.valueCommitment), terms: rows,
                                    weights: Array(rowWeights.prefix(rows.count)), valueCommitment: proof.valueCommitment,
                                    publicVector: Multilinear.eqTable(Array(point.suffix(columnVariables))),
                                    transcript: &transcript, equations: equations)
        return proof.valueCommitment
    }

    static func statementBytes(_ rows: [CurvePoint], _ tau: CurvePoint) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity((rows.count + 1) * CurvePoint.compressedByteCount)
        for row in rows { bytes.append(contentsOf: row.compressed) }
        bytes.append(contentsOf: tau.compressed)
        return bytes
    }
}
