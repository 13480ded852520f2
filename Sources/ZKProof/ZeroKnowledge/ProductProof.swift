/// Zero-knowledge proof that three scalar commitments `X = Com(x; r_x)`, `Y = Com(y; r_y)`,
/// `Z = Com(z; r_z)` satisfy `z = x·y` (Hyrax, after Wahby et al. 2018, §A).
///
/// Math: the prover picks `b_1 … b_5` uniform and sends
///
///     α = b_1·G + b_2·H,   β = b_3·G + b_4·H,   δ = b_1·Y + b_5·H;
///
/// with the challenge `c` it answers `z_1 = b_1 + c·x`, `z_2 = b_2 + c·r_x`, `z_3 = b_3 + c·y`,
/// `z_4 = b_4 + c·r_y`, `z_5 = b_5 + c·(r_z − x·r_y)`. The verifier checks
///
///     (1) z_1·G + z_2·H = α + c·X
///     (2) z_3·G + z_4·H = β + c·Y
///     (3) z_1·Y + z_5·H = δ + c·Z.
///
/// Equation (3) holds because `z_1·Y = b_1·Y + c·x·y·G + c·x·r_y·H`: `Z` must commit to `x·y`
/// with the blinding `r_z`, which `z_5` accounts for.
///
/// Transcript: absorb `X ‖ Y ‖ Z` (`zkStatementCommitments`), absorb `α ‖ β ‖ δ`
/// (`zkMessageProduct`), draw `c` (`zkChallengeSigma`). Soundness: two accepting answers for
/// `c ≠ c'` give openings `x, y` of `X, Y` from (1), (2), and from (3) `Z = x·Y + s·H`, i.e.
/// `Z = Com(x·y; s + x·r_y)`.
public struct ProductProof: Sendable {
    /// `α`, `β`, `δ`.
    public let alpha: CurvePoint, beta: CurvePoint, delta: CurvePoint
    /// `z_1 … z_5`.
    public let responses: [Scalar]

    /// Encoded size in bytes.
    public static let encodedByteCount = 3 * CurvePoint.compressedByteCount + 5 * Scalar.encodedByteCount

    init(alpha: CurvePoint, beta: CurvePoint, delta: CurvePoint, responses: [Scalar]) {
        self.alpha = alpha
        self.beta = beta
        self.delta = delta
        self.responses = responses
    }

    /// Proves `z = x·y` for `X = Com(x; rx)`, `Y = Com(y; ry)`, `Z = Com(z; rz)`.
    public static func prove(x: CurvePoint, y: CurvePoint, z: CurvePoint,
                             xValue: Scalar, xBlinding rx: Scalar, yValue: Scalar, yBlinding ry: Scalar, zBlinding rz: Scalar,
                             transcript: inout Transcript) -> ProductProof? {
        let b = Pedersen.randomScalars(5)
        guard let alpha = Pedersen.commit(b[0], blinding: b[1]),
              let beta = Pedersen.commit(b[2], blinding: b[3]),
              let delta = CurvePoint.multiScalarMultiply([y, Pedersen.blindingBase], [b[0], b[4]]) else { return nil }
        absorbStatement(x, y, z, &transcript)
        transcript.absorb(TranscriptLabel.zkMessageProduct, alpha.compressed + beta.compressed + delta.compressed)
        let c = transcript.challenge(TranscriptLabel.zkChallengeSigma)
        let responses = [b[0] + c * xValue, b[1] + c * rx, b[2] + c * yValue, b[3] + c * ry, b[4] + c * (rz - xValue * ry)]
        return ProductProof(alpha: alpha, beta: beta, delta: delta, responses: responses)
    }

    /// Verifies the proof for `X, Y, Z`, replaying the prover's transcript steps.
    public func verify(x: CurvePoint, y: CurvePoint, z: CurvePoint, transcript: inout Transcript) throws(ZKVerificationError) {
        try verify(x: x, y: y, z: z, transcript: &transcript, equations: .immediate())
    }

    /// `verify` with the three equations added to `equations` in order (checked there, at
    /// once or with the batch).
    public func verify(x: CurvePoint, y: CurvePoint, z: CurvePoint, transcript: inout Transcript,
                       equations: EquationBatch) throws(ZKVerificationError) {
        ProductProof.absorbStatement(x, y, z, &transcript)
        transcript.absorb(TranscriptLabel.zkMessageProduct, alpha.compressed + beta.compressed + delta.compressed)
        let c = transcript.challenge(TranscriptLabel.zkChallengeSigma)
        guard let terms = self.equations(x: x, y: y, z: z, challenge: c) else { throw .equationFailed(proof: "product", equation: 1) }
        for (i, e) in terms.enumerated() {
            try equations.add(e.points, e.scalars, failure: .equationFailed(proof: "product", equation: i + 1))
        }
    }

    /// The first equation that fails for a given challenge, nil if all three hold.
    func failedEquation(x: CurvePoint, y: CurvePoint, z: CurvePoint, challenge c: Scalar) -> Int? {
        guard let terms = equations(x: x, y: y, z: z, challenge: c) else { return 1 }
        return terms.firstIndex { !CurvePoint.sumIsIdentity($0.points, $0.scalars) }.map { $0 + 1 }
    }

    /// Equations (1), (2), (3) as terms `Σ scalars_j·points_j = O`; nil if there are not five responses.
    func equations(x: CurvePoint, y: CurvePoint, z: CurvePoint, challenge c: Scalar) -> [(points: [CurvePoint], scalars: [Scalar])]? {
        guard responses.count == 5 else { return nil }
        let g = Pedersen.scalarGenerator, h = Pedersen.blindingBase, minusOne = -Scalar.one
        return [([g, h, alpha, x], [responses[0], responses[1], minusOne, -c]),
                ([g, h, beta, y], [responses[2], responses[3], minusOne, -c]),
                ([y, h, delta, z], [responses[0], responses[4], minusOne, -c])]
    }

    static func absorbStatement(_ x: CurvePoint, _ y: CurvePoint, _ z: CurvePoint, _ transcript: inout Transcript) {
        transcript.absorb(TranscriptLabel.zkStatementCommitments, x.compressed + y.compressed + z.compressed)
    }

    /// `α ‖ β ‖ δ ‖ z_1 … z_5`.
    public func encode(to w: inout ProofWriter) {
        w.point(alpha)
        w.point(beta)
        w.point(delta)
        w.scalars(responses)
    }

    /// Reads what `encode` wrote; points are validated.
    public init(from r: inout ProofReader) throws(ProofFormatError) {
        alpha = try r.point()
        beta = try r.point()
        delta = try r.point()
        responses = try r.scalars(5)
    }
}
