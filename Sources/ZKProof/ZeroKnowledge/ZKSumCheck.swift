/// A zero-knowledge sum-check for `Σ_{b ∈ {0,1}^m} Π_k P_k(b)`, a product of `d ≤ 3`
/// multilinear polynomials given by their tables (Hyrax, Wahby et al. 2018, §4).
///
/// Math: the claim is a scalar commitment `C_0 = Com(S; r_0)`. Round `j` (from 0) binds the
/// variable `x_j`, the most significant index bit of the remaining tables (the order of
/// `Multilinear.eqTable`). The round polynomial `g_j(X) = Σ_b Π_k P_k(r_0…r_(j−1), X, b)` has
/// degree `≤ d` and coefficients `c_j = (c_j0, …, c_jd)`. The prover
///
/// 1. sends `K_j = Com(c_j; ρ_j)`, a vector commitment over `G_0 … G_d`;
/// 2. proves `g_j(0) + g_j(1) = ⟨(2, 1, …, 1), c_j⟩` equals the claim `C_j` with a
///    `DotProductProof` of `K_j` against `C_j`;
/// 3. receives `r_j`;
/// 4. sends `C_(j+1) = Com(g_j(r_j); s_(j+1))`;
/// 5. proves `C_(j+1)` holds `⟨(1, r_j, r_j², …, r_j^d), c_j⟩` with a second `DotProductProof`.
///
/// After `m` rounds the verifier holds the point `r` and the commitment `C_m` to
/// `Π_k P̃_k(r)`; the prover holds its opening.
///
/// Transcript: absorb `u64be(m) ‖ u64be(d)` (`zkSumcheckShape`) and `C_0`
/// (`zkStatementCommitments`); then per round `K_j` (`zkSumcheckCoefficientCommitment`), the sum
/// proof, `r_j` (`zkChallengeSumcheckRound`), `C_(j+1)` (`zkSumcheckEvaluationCommitment`), the
/// evaluation proof.
///
/// Soundness: the verifier does not finish the job. It returns `C_m` and `r`; the caller must
/// prove, on commitments, that `C_m` holds `Π_k P̃_k(r)` (for committed tables: evaluations
/// with `BlindedHyrax` and `ProductProof`s). A false claim survives a round only if the
/// extracted `g_j` agrees with the honest one at `r_j` (probability `≤ d/n`) or a Σ-protocol
/// is broken (probability `≤ 1/n` each, given binding).
public enum ZKSumCheck {
    /// The largest degree per variable (number of multiplied tables).
    public static let degreeMax = 3
    /// The most variables a statement may have.
    public static let variableMax = 32

    /// One round's messages.
    public struct Round: Sendable {
        /// `K_j`, the commitment to the round polynomial's coefficients.
        public let coefficientCommitment: CurvePoint
        /// `g_j(0) + g_j(1)` equals the previous claim.
        public let sumProof: DotProductProof
        /// `C_(j+1)`, the commitment to `g_j(r_j)`.
        public let evaluationCommitment: CurvePoint
        /// `C_(j+1)` holds `g_j(r_j)`.
        public let evaluationProof: DotProductProof
    }

    /// A whole proof: `m` rounds.
    public struct Proof: Sendable {
        /// The rounds in order.
        public let rounds: [Round]

        /// `u32 m ‖ per round: K_j ‖ sum proof ‖ C_(j+1) ‖ evaluation proof`.
        public func encode(to w: inout ProofWriter) {
            w.u32(UInt32(truncatingIfNeeded: rounds.count))
            for round in rounds {
                w.point(round.coefficientCommitment)
                round.sumProof.encode(to: &w)
                w.point(round.evaluationCommitment)
                round.evaluationProof.encode(to: &w)
            }
        }

        /// Reads what `encode` wrote for a statement of `variableCount` variables and `degree`.
        public init(from r: inout ProofReader, variableCount: Int, degree: Int) throws(ProofFormatError) {
            try r.expectCount("zk sum-check rounds", variableCount)
            var rounds: [Round] = []
            for _ in 0..<max(0, variableCount) {
                let k = try r.point()
                let sum = try DotProductProof(from: &r, length: degree + 1)
                let c = try r.point()
                let evaluation = try DotProductProof(from: &r, length: degree + 1)
                rounds.append(Round(coefficientCommitment: k, sumProof: sum, evaluationCommitment: c, evaluationProof: evaluation))
            }
            self.rounds = rounds
        }

        /// Decodes a whole byte string holding one proof (trailing bytes are refused).
        public init(decoding bytes: [UInt8], variableCount: Int, degree: Int) throws(ProofFormatError) {
            var r = ProofReader(bytes)
            try self.init(from: &r, variableCount: variableCount, degree: degree)
            try r.finish()
        }

        /// The encoding as one byte string.
        public var encoded: [UInt8] {
            var w = ProofWriter()
            encode(to: &w)
            return w.bytes
        }

        init(rounds: [Round]) { self.rounds = rounds }
    }

    /// What the prover ends with: the point, the final value `Π_k P̃_k(r)` and the blinding of
    /// its commitment `C_m` (the last round's evaluation commitment, or `C_0` when `m = 0`).
    public struct ProverResult: Sendable {
        /// The proof to send.
        public let proof: Proof
        /// The point `r`, one coordinate per round.
        public let point: [Scalar]
        /// `Π_k P̃_k(r)`.
        public let finalValue: Scalar
        /// The blinding of `finalCommitment`.
        public let finalBlinding: Scalar
        /// `C_m = Com(finalValue; finalBlinding)`, which the verifier also ends with.
        public let finalCommitment: CurvePoint
    }

    /// Proves the claim committed as `claimCommitment = Com(Σ_b Π_k tables[k][b]; claimBlinding)`.
    /// Tables are all of length `2^m`; `1 ≤ tables.count ≤ degreeMax`. Nil if the shapes do not
    /// fit or OpenSSL fails.
    public static func prove(tables: [[Scalar]], claimCommitment: CurvePoint, claimBlinding: Scalar,
                             transcript: inout Transcript) -> ProverResult? {
        let degree = tables.count
        guard degree >= 1, degree <= degreeMax, let size = tables.first?.count, size >= 1, size & (size - 1) == 0,
              tables.allSatisfy({ $0.count == size }) else { return nil }
        let m = size.trailingZeroBitCount
        guard m <= variableMax else { return nil }
        absorbStatement(variableCount: m, degree: degree, claim: claimCommitment, &transcript)
        var current = tables
        var claim = claimCommitment, claimR = claimBlinding
        var point: [Scalar] = [], rounds: [Round] = []
        let sumVector = sumWeights(degree)
        for _ in 0..<m {
            let coefficients = roundCoefficients(current)
            let rho = Pedersen.randomScalar()
            guard let k = Pedersen.commit(vector: coefficients, blinding: rho) else { return nil }
            transcript.absorb(TranscriptLabel.zkSumcheckCoefficientCommitment, k.compressed)
            guard let sumProof = DotProductProof.prove(vectorCommitment: k, valueCommitment: claim, publicVector: sumVector,
                                                       vector: coefficients, vectorBlinding: rho, valueBlinding: claimR,
                                                       transcript: &transcript) else { return nil }
            let r = transcript.challenge(TranscriptLabel.zkChallengeSumcheckRound)
            let powers = powerWeights(r, degree)
            let next = Multilinear.innerProduct(powers, coefficients)
            let s = Pedersen.randomScalar()
            guard let nextCommitment = Pedersen.commit(next, blinding: s) else { return nil }
            transcript.absorb(TranscriptLabel.zkSumcheckEvaluationCommitment, nextCommitment.compressed)
            guard let evaluationProof = DotProductProof.prove(vectorCommitment: k, valueCommitment: nextCommitment,
                                                              publicVector: powers, vector: coefficients, vectorBlinding: rho,
                                                              valueBlinding: s, transcript: &transcript) else { return nil }
            rounds.append(Round(coefficientCommitment: k, sumProof: sumProof, evaluationCommitment: nextCommitment,
                                evaluationProof: evaluationProof))
            point.append(r)
            current = current.map { fold($0, at: r) }
            claim = nextCommitment
            claimR = s
        }
        let finalValue = current.reduce(Scalar.one) { $0 * $1[0] }
        return ProverResult(proof: Proof(rounds: rounds), point: point, finalValue: finalValue, finalBlinding: claimR,
                            finalCommitment: claim)
    }

    /// Verifies the proof of the claim `claimCommitment` for `variableCount` variables and
    /// `degree`; returns the point `r` and the commitment `C_m` the caller must discharge.
    public static func verify(_ proof: Proof, variableCount m: Int, degree: Int, claimCommitment: CurvePoint,
                              transcript: inout Transcript) throws(ZKVerificationError) -> (point: [Scalar], finalCommitment: CurvePoint) {
        try verify(proof, variableCount: m, degree: degree, claimCommitment: claimCommitment, transcript: &transcript,
                   equations: .immediate())
    }

    /// `verify` with every round's equations added to `equations` (checked there, at once or
    /// with the batch); a failure is named by its round and sub-proof either way.
    public static func verify(_ proof: Proof, variableCount m: Int, degree: Int, claimCommitment: CurvePoint,
                              transcript: inout Transcript,
                              equations: EquationBatch) throws(ZKVerificationError) -> (point: [Scalar], finalCommitment: CurvePoint) {
        guard degree >= 1, degree <= degreeMax, m >= 0, m <= variableMax else {
            throw .shapeMismatch("degree \(degree), \(m) variables")
        }
        guard proof.rounds.count == m else { throw .shapeMismatch("\(proof.rounds.count) rounds for \(m) variables") }
        absorbStatement(variableCount: m, degree: degree, claim: claimCommitment, &transcript)
        var claim = claimCommitment
        var point: [Scalar] = []
        let sumVector = sumWeights(degree)
        for (j, round) in proof.rounds.enumerated() {
            transcript.absorb(TranscriptLabel.zkSumcheckCoefficientCommitment, round.coefficientCommitment.compressed)
            try equations.renaming({ .sumcheckRound(round: j, check: "g(0) + g(1) = claim", cause: $0.description) }) {
                () throws(ZKVerificationError) in
                try round.sumProof.verify(vectorCommitment: round.coefficientCommitment, valueCommitment: claim,
                                          publicVector: sumVector, transcript: &transcript, equations: equations)
            }
            let r = transcript.challenge(TranscriptLabel.zkChallengeSumcheckRound)
            transcript.absorb(TranscriptLabel.zkSumcheckEvaluationCommitment, round.evaluationCommitment.compressed)
            try equations.renaming({ .sumcheckRound(round: j, check: "next claim = g(r)", cause: $0.description) }) {
                () throws(ZKVerificationError) in
                try round.evaluationProof.verify(vectorCommitment: round.coefficientCommitment,
                                                 valueCommitment: round.evaluationCommitment,
                                                 publicVector: powerWeights(r, degree), transcript: &transcript,
                                                 equations: equations)
            }
            point.append(r)
            claim = round.evaluationCommitment
        }
        return (point, claim)
    }

    static func absorbStatement(variableCount m: Int, degree: Int, claim: CurvePoint, _ transcript: inout Transcript) {
        var w = ProofWriter()
        w.u64(UInt64(m))
        w.u64(UInt64(degree))
        transcript.absorb(TranscriptLabel.zkSumcheckShape, w.bytes)
        transcript.absorb(TranscriptLabel.zkStatementCommitments, claim.compressed)
    }

    /// `(2, 1, …, 1)`: `⟨·, c⟩ = g(0) + g(1)`.
    static func sumWeights(_ degree: Int) -> [Scalar] { [Scalar(UInt64(2))] + [Scalar](repeating: .one, count: degree) }

    /// `(1, r, …, r^d)`: `⟨·, c⟩ = g(r)`.
    static func powerWeights(_ r: Scalar, _ degree: Int) -> [Scalar] {
        var out = [Scalar.one]
        for _ in 0..<degree { out.append(out[out.count - 1] * r) }
        return out
    }

    /// The coefficients of `g(X) = Σ_b Π_k (lo_k(b) + X·(hi_k(b) − lo_k(b)))`, lowest first,
    /// `degree + 1` of them, for tables whose first half is `X = 0` and second half `X = 1`.
    static func roundCoefficients(_ tables: [[Scalar]]) -> [Scalar] {
        let half = tables[0].count / 2
        var total = [Scalar](repeating: .zero, count: tables.count + 1)
        for b in 0..<half {
            var product: [Scalar] = [.one]
            for t in tables {
                let lo = t[b], slope = t[half + b] - t[b]
                var next = [Scalar](repeating: .zero, count: product.count + 1)
                for (i, p) in product.enumerated() {
                    next[i] += p * lo
                    next[i + 1] += p * slope
                }
                product = next
            }
            for i in 0..<product.count { total[i] += product[i] }
        }
        return total
    }

    /// Binds the most significant variable to `r`: `lo + r·(hi − lo)`.
    static func fold(_ t: [Scalar], at r: Scalar) -> [Scalar] {
        let half = t.count / 2
        return (0..<half).map { t[$0] + r * (t[half + $0] - t[$0]) }
    }
}
