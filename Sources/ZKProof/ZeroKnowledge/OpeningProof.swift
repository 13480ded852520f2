/// Zero-knowledge proof of knowledge of an opening `(a, r)` of `C = a·G + r·H`.
///
/// Math (Schnorr/Okamoto): the prover picks `t_a, t_r` uniform and sends `A = t_a·G + t_r·H`;
/// with the challenge `c` it answers `z_a = t_a + c·a`, `z_r = t_r + c·r`. The verifier checks
///
///     z_a·G + z_r·H − A − c·C = O.
///
/// Transcript: absorb `C` (`zkStatementCommitments`), absorb `A` (`zkMessageOpening`), draw `c`
/// (`zkChallengeSigma`). Soundness: two accepting answers for one `A` and challenges `c ≠ c'`
/// give the opening `((z_a − z_a')/(c − c'), (z_r − z_r')/(c − c'))`. Zero knowledge: `A` and
/// the answers are uniform given `c` (see `simulate` in the tests and docs/PROTOCOL-zk.md).
public struct OpeningProof: Sendable {
    /// The first message `A`.
    public let nonceCommitment: CurvePoint
    /// `z_a`.
    public let valueResponse: Scalar
    /// `z_r`.
    public let blindingResponse: Scalar

    /// Encoded size in bytes.
    public static let encodedByteCount = CurvePoint.compressedByteCount + 2 * Scalar.encodedByteCount

    init(nonceCommitment: CurvePoint, valueResponse: Scalar, blindingResponse: Scalar) {
        self.nonceCommitment = nonceCommitment
        self.valueResponse = valueResponse
        self.blindingResponse = blindingResponse
    }

    /// Proves knowledge of `(a, r)` with `commitment = Com(a; r)`.
    public static func prove(commitment: CurvePoint, value a: Scalar, blinding r: Scalar,
                             transcript: inout Transcript) -> OpeningProof? {
        let ta = Pedersen.randomScalar(), tr = Pedersen.randomScalar()
        guard let nonce = Pedersen.commit(ta, blinding: tr) else { return nil }
        transcript.absorb(TranscriptLabel.zkStatementCommitments, commitment.compressed)
        transcript.absorb(TranscriptLabel.zkMessageOpening, nonce.compressed)
        let c = transcript.challenge(TranscriptLabel.zkChallengeSigma)
        return OpeningProof(nonceCommitment: nonce, valueResponse: ta + c * a, blindingResponse: tr + c * r)
    }

    /// Verifies the proof for `commitment`, replaying the prover's transcript steps.
    public func verify(commitment: CurvePoint, transcript: inout Transcript) throws(ZKVerificationError) {
        try verify(commitment: commitment, transcript: &transcript, equations: .immediate())
    }

    /// `verify` with the verification equation added to `equations` (checked there, at once
    /// or with the batch).
    public func verify(commitment: CurvePoint, transcript: inout Transcript, equations: EquationBatch) throws(ZKVerificationError) {
        transcript.absorb(TranscriptLabel.zkStatementCommitments, commitment.compressed)
        transcript.absorb(TranscriptLabel.zkMessageOpening, nonceCommitment.compressed)
        let c = transcript.challenge(TranscriptLabel.zkChallengeSigma)
        let e = equation(commitment: commitment, challenge: c)
        try equations.add(e.points, e.scalars, failure: .equationFailed(proof: "opening", equation: 1))
    }

    /// The verification equation for a given challenge (one multi-scalar multiplication).
    func check(commitment: CurvePoint, challenge c: Scalar) -> Bool {
        let e = equation(commitment: commitment, challenge: c)
        return CurvePoint.sumIsIdentity(e.points, e.scalars)
    }

    /// The verification equation's terms `Σ scalars_j·points_j = O`.
    func equation(commitment: CurvePoint, challenge c: Scalar) -> (points: [CurvePoint], scalars: [Scalar]) {
        ([Pedersen.scalarGenerator, Pedersen.blindingBase, nonceCommitment, commitment], [valueResponse, blindingResponse, -Scalar.one, -c])
    }

    /// `A ‖ z_a ‖ z_r`.
    public func encode(to w: inout ProofWriter) {
        w.point(nonceCommitment)
        w.scalar(valueResponse)
        w.scalar(blindingResponse)
    }

    /// Reads what `encode` wrote; the point is validated (on the curve, not infinity).
    public init(from r: inout ProofReader) throws(ProofFormatError) {
        nonceCommitment = try r.point()
        valueResponse = try r.scalar()
        blindingResponse = try r.scalar()
    }
}
