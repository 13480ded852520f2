/// Hyrax's zero-knowledge proof of dot product (Wahby et al. 2018, §A, "proof of dot product").
///
/// Statement: a vector commitment `ξ = Com(x; r_ξ) = Σ x_j·G_j + r_ξ·H`, a scalar commitment
/// `τ = Com(y; r_τ) = y·G + r_τ·H` and a public vector `a` of the same length `n`; claim
/// `y = ⟨a, x⟩`. Nothing else about `x` or `y` is revealed.
///
/// Math: the prover picks `d ∈ F^n`, `r_δ`, `r_β` uniform and sends `δ = Com(d; r_δ)`,
/// `β = Com(⟨a, d⟩; r_β)`; with the challenge `c` it answers `z = c·x + d`,
/// `z_δ = c·r_ξ + r_δ`, `z_β = c·r_τ + r_β`. The verifier checks
///
///     (1) c·ξ + δ = Com(z; z_δ)          (2) c·τ + β = Com(⟨a, z⟩; z_β).
///
/// `ξ` may be given as a linear combination `Σ_i w_i·P_i` of points (the rows of a Hyrax
/// commitment weighted by `eq`): equation (1) is then one multi-scalar multiplication over the
/// `P_i`, the `n` generators, `H` and `δ`, without forming `ξ` first.
///
/// Transcript: absorb `ξ ‖ τ` (`zkStatementCommitments`; `ξ` as its compressed point), absorb
/// `a` (`zkStatementPublicVector`), absorb `δ ‖ β` (`zkMessageDotProduct`), draw `c`
/// (`zkChallengeSigma`). Soundness: two accepting answers for `c ≠ c'` give
/// `x = (z − z')/(c − c')` opening `ξ` by (1) and then, by (2), `τ` opens to `⟨a, x⟩`.
public struct DotProductProof: Sendable {
    /// `δ` and `β`.
    public let delta: CurvePoint, beta: CurvePoint
    /// `z` (length `n`).
    public let response: [Scalar]
    /// `z_δ` and `z_β`.
    public let deltaBlindingResponse: Scalar, betaBlindingResponse: Scalar

    /// Encoded size for length `n`: two points, a u32 count, `n + 2` field elements.
    public static func encodedByteCount(length n: Int) -> Int {
        2 * CurvePoint.compressedByteCount + 4 + (n + 2) * Scalar.encodedByteCount
    }

    init(delta: CurvePoint, beta: CurvePoint, response: [Scalar], deltaBlindingResponse: Scalar, betaBlindingResponse: Scalar) {
        self.delta = delta
        self.beta = beta
        self.response = response
        self.deltaBlindingResponse = deltaBlindingResponse
        self.betaBlindingResponse = betaBlindingResponse
    }

    /// Proves `y = ⟨a, x⟩` for `vectorCommitment = Com(x; rx)` and `valueCommitment = Com(y; ry)`.
    /// `x.count == a.count ≤ Generators.countMax`; nil otherwise or if OpenSSL fails.
    public static func prove(vectorCommitment: CurvePoint, valueCommitment: CurvePoint, publicVector a: [Scalar],
                             vector x: [Scalar], vectorBlinding rx: Scalar, valueBlinding ry: Scalar,
                             transcript: inout Transcript) -> DotProductProof? {
        prove(statement: vectorCommitment.compressed + valueCommitment.compressed, publicVector: a, vector: x,
              vectorBlinding: rx, valueBlinding: ry, transcript: &transcript)
    }

    /// `prove` with the statement's commitments given as the bytes to absorb (`ξ` may be
    /// replaced by the points it is combined from).
    static func prove(statement: [UInt8], publicVector a: [Scalar], vector x: [Scalar], vectorBlinding rx: Scalar,
                      valueBlinding ry: Scalar, transcript: inout Transcript) -> DotProductProof? {
        guard x.count == a.count, a.count <= Generators.countMax else { return nil }
        let d = Pedersen.randomScalars(x.count)
        let rDelta = Pedersen.randomScalar(), rBeta = Pedersen.randomScalar()
        guard let delta = Pedersen.commit(vector: d, blinding: rDelta),
              let beta = Pedersen.commit(Multilinear.innerProduct(a, d), blinding: rBeta) else { return nil }
        absorbStatement(statement, a, &transcript)
        transcript.absorb(TranscriptLabel.zkMessageDotProduct, delta.compressed + beta.compressed)
        let c = transcript.challenge(TranscriptLabel.zkChallengeSigma)
        return DotProductProof(delta: delta, beta: beta, response: zip(x, d).map { c * $0 + $1 },
                               deltaBlindingResponse: c * rx + rDelta, betaBlindingResponse: c * ry + rBeta)
    }

    /// Verifies the proof, replaying the prover's transcript steps.
    public func verify(vectorCommitment: CurvePoint, valueCommitment: CurvePoint, publicVector a: [Scalar],
                       transcript: inout Transcript) throws(ZKVerificationError) {
        try verify(statement: vectorCommitment.compressed + valueCommitment.compressed, terms: [vectorCommitment], weights: [.one],
                   valueCommitment: valueCommitment, publicVector: a, transcript: &transcript, equations: .immediate())
    }

    /// `verify` with the two equations added to `equations` in order (checked there, at once
    /// or with the batch).
    public func verify(vectorCommitment: CurvePoint, valueCommitment: CurvePoint, publicVector a: [Scalar],
                       transcript: inout Transcript, equations: EquationBatch) throws(ZKVerificationError) {
        try verify(statement: vectorCommitment.compressed + valueCommitment.compressed, terms: [vectorCommitment], weights: [.one],
                   valueCommitment: valueCommitment, publicVector: a, transcript: &transcript, equations: equations)
    }

    /// Verifies the proof with `ξ = Σ weights_i · terms_i`, absorbing `statement` (the bytes
    /// the prover absorbed) in place of `ξ ‖ τ`; the equations go to `equations`.
    func verify(statement: [UInt8], terms: [CurvePoint], weights: [Scalar], valueCommitment: CurvePoint,
                publicVector a: [Scalar], transcript: inout Transcript, equations: EquationBatch) throws(ZKVerificationError) {
        guard response.count == a.count else { throw .shapeMismatch("dot product length \(response.count), statement \(a.count)") }
        DotProductProof.absorbStatement(statement, a, &transcript)
        transcript.absorb(TranscriptLabel.zkMessageDotProduct, delta.compressed + beta.compressed)
        let c = transcript.challenge(TranscriptLabel.zkChallengeSigma)
        guard let both = self.equations(terms: terms, weights: weights, valueCommitment: valueCommitment, publicVector: a,
                                        challenge: c) else { throw .equationFailed(proof: "dot product", equation: 1) }
        for (i, e) in both.enumerated() {
            try equations.add(e.points, e.scalars, failure: .equationFailed(proof: "dot product", equation: i + 1))
        }
    }

    /// The first equation that fails for a given challenge, nil if both hold.
    func failedEquation(terms: [CurvePoint], weights: [Scalar], valueCommitment: CurvePoint, publicVector a: [Scalar],
                        challenge c: Scalar) -> Int? {
        guard let both = equations(terms: terms, weights: weights, valueCommitment: valueCommitment, publicVector: a, challenge: c) else {
            return 1
        }
        return both.firstIndex { !CurvePoint.sumIsIdentity($0.points, $0.scalars) }.map { $0 + 1 }
    }

    /// Equations (1) and (2) as terms `Σ scalars_j·points_j = O`; nil if the shapes do not fit.
    func equations(terms: [CurvePoint], weights: [Scalar], valueCommitment: CurvePoint, publicVector a: [Scalar],
                   challenge c: Scalar) -> [(points: [CurvePoint], scalars: [Scalar])]? {
        guard response.count == a.count, a.count <= Generators.countMax, terms.count == weights.count else { return nil }
        var points = terms + [delta]
        var scalars = weights.map { c * $0 } + [.one]
        points.append(contentsOf: Generators.shared.g(count: response.count))
        scalars.append(contentsOf: response.map { -$0 })
        points.append(Pedersen.blindingBase)
        scalars.append(-deltaBlindingResponse)
        let az = Multilinear.innerProduct(a, response)
        return [(points, scalars),
                ([valueCommitment, beta, Pedersen.scalarGenerator, Pedersen.blindingBase], [c, .one, -az, -betaBlindingResponse])]
    }

    static func absorbStatement(_ statement: [UInt8], _ a: [Scalar], _ transcript: inout Transcript) {
        transcript.absorb(TranscriptLabel.zkStatementCommitments, statement)
        transcript.absorb(TranscriptLabel.zkStatementPublicVector, scalars: a)
    }

    /// `δ ‖ β ‖ u32 n ‖ z_1 … z_n ‖ z_δ ‖ z_β`.
    public func encode(to w: inout ProofWriter) {
        w.point(delta)
        w.point(beta)
        w.u32(UInt32(truncatingIfNeeded: response.count))
        w.scalars(response)
        w.scalar(deltaBlindingResponse)
        w.scalar(betaBlindingResponse)
    }

    /// Reads what `encode` wrote; `length` comes from the statement (the count must equal it).
    public init(from r: inout ProofReader, length: Int) throws(ProofFormatError) {
        delta = try r.point()
        beta = try r.point()
        try r.expectCount("dot product length", length)
        response = try r.scalars(length)
        deltaBlindingResponse = try r.scalar()
        betaBlindingResponse = try r.scalar()
    }
}
