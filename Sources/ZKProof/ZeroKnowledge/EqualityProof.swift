/// Zero-knowledge proof that two scalar commitments `C_1 = Com(a; r_1)`, `C_2 = Com(a; r_2)`
/// hold the same value.
///
/// Math: `C_1 − C_2 = (r_1 − r_2)·H` exactly when the values agree (binding), so the prover
/// shows knowledge of the discrete log of `D = C_1 − C_2` to base `H` (Schnorr): it sends
/// `A = t·H`, and answers `z = t + c·(r_1 − r_2)`; the verifier checks `z·H − A − c·C_1 + c·C_2 = O`.
///
/// Transcript: absorb `C_1 ‖ C_2` (`zkStatementCommitments`), absorb `A` (`zkMessageEquality`),
/// draw `c` (`zkChallengeSigma`). Soundness: two answers for `c ≠ c'` give
/// `log_H D = (z − z')/(c − c')`; were the values different, that would be a discrete-log
/// relation between `G` and `H`.
public struct EqualityProof: Sendable {
    /// The first message `A`.
    public let nonceCommitment: CurvePoint
    /// `z`.
    public let response: Scalar

    /// Encoded size in bytes.
    public static let encodedByteCount = CurvePoint.compressedByteCount + Scalar.encodedByteCount

    init(nonceCommitment: CurvePoint, response: Scalar) {
        self.nonceCommitment = nonceCommitment
        self.response = response
    }

    /// Proves that `first = Com(a; r1)` and `second = Com(a; r2)` commit to the same `a`.
    public static func prove(first: CurvePoint, second: CurvePoint, firstBlinding r1: Scalar, secondBlinding r2: Scalar,
                             transcript: inout Transcript) -> EqualityProof? {
        let t = Pedersen.randomScalar()
        guard let nonce = FixedBaseTable.commit([], blinding: t) else { return nil }
        absorbStatement(first, second, &transcript)
        transcript.absorb(TranscriptLabel.zkMessageEquality, nonce.compressed)
        let c = transcript.challenge(TranscriptLabel.zkChallengeSigma)
        return EqualityProof(nonceCommitment: nonce, response: t + c * (r1 - r2))
    }

    /// Verifies the proof for the two commitments, replaying the prover's transcript steps.
    public func verify(first: CurvePoint, second: CurvePoint, transcript: inout Transcript) throws(ZKVerificationError) {
        try verify(first: first, second: second, transcript: &transcript, equations: .immediate())
    }

    /// `verify` with the verification equation added to `equations` (checked there, at once
    /// or with the batch).
    public func verify(first: CurvePoint, second: CurvePoint, transcript: inout Transcript,
                       equations: EquationBatch) throws(ZKVerificationError) {
        EqualityProof.absorbStatement(first, second, &transcript)
        transcript.absorb(TranscriptLabel.zkMessageEquality, nonceCommitment.compressed)
        let c = transcript.challenge(TranscriptLabel.zkChallengeSigma)
        let e = equation(first: first, second: second, challenge: c)
        try equations.add(e.points, e.scalars, failure: .equationFailed(proof: "equality", equation: 1))
    }

    /// The verification equation for a given challenge.
    func check(first: CurvePoint, second: CurvePoint, challenge c: Scalar) -> Bool {
        let e = equation(first: first, second: second, challenge: c)
        return CurvePoint.sumIsIdentity(e.points, e.scalars)
    }

    /// The verification equation's terms `Σ scalars_j·points_j = O`.
    func equation(first: CurvePoint, second: CurvePoint, challenge c: Scalar) -> (points: [CurvePoint], scalars: [Scalar]) {
        ([Pedersen.blindingBase, nonceCommitment, first, second], [response, -Scalar.one, -c, c])
    }

    static func absorbStatement(_ first: CurvePoint, _ second: CurvePoint, _ transcript: inout Transcript) {
        transcript.absorb(TranscriptLabel.zkStatementCommitments, first.compressed + second.compressed)
    }

    /// `A ‖ z`.
    public func encode(to w: inout ProofWriter) {
        w.point(nonceCommitment)
        w.scalar(response)
    }

    /// Reads what `encode` wrote; the point is validated.
    public init(from r: inout ProofReader) throws(ProofFormatError) {
        nonceCommitment = try r.point()
        response = try r.scalar()
    }
}
