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
    /// Tables are all of length `2^m`; `1 ≤ tables.count ≤ degreeMax`. `firstRound`, when given,
    /// is the first round's coefficients as the caller computed them more cheaply from what it
    /// knows of the tables (it must equal `roundCoefficients(tables)`; `booleanityFirstRound`).
    /// Nil if the shapes do not fit or OpenSSL fails.
    public static func prove(tables: [[Scalar]], claimCommitment: CurvePoint, claimBlinding: Scalar,
                             firstRound: [Scalar]? = nil, transcript: inout Transcript) -> ProverResult? {
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
        for round in 0..<m {
            let coefficients: [Scalar]
            if round == 0, let firstRound, firstRound.count == degree + 1 {
                coefficients = firstRound
            } else {
                coefficients = roundCoefficients(current)
            }
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
        guard let first = tables.first else { return [] }
        let half = first.count / 2
        var total = [Scalar](repeating: .zero, count: tables.count + 1)
        // One product polynomial, multiplied in place by each table's line (the prover's inner
        // loop: no array is made per entry).
        var product = [Scalar](repeating: .zero, count: tables.count + 1)
        product.withUnsafeMutableBufferPointer { p in
            total.withUnsafeMutableBufferPointer { total in
                for b in 0..<half {
                    p[0] = first[b]
                    p[1] = first[half + b] - first[b]
                    var degree = 1
                    for t in tables.dropFirst() {
                        let lo = t[b], slope = t[half + b] - t[b]
                        // (p_0 + … + p_d·X^d)·(lo + slope·X), highest coefficient first.
                        p[degree + 1] = p[degree] * slope
                        var i = degree
                        while i > 0 {
                            p[i] = p[i] * lo + p[i - 1] * slope
                            i -= 1
                        }
                        p[0] = p[0] * lo
                        degree += 1
                    }
                    for i in 0...degree { total[i] += p[i] }
                }
            }
        }
        return total
    }

    /// `roundCoefficients([eq, c, c − 1])` for a table `c` of bits, with additions only: a pair
    /// `(c_lo, c_hi)` of equal bits adds nothing, and a pair of different bits adds
    /// `(e_lo + X·(e_hi − e_lo))·(X² − X)`. So the sum is `(S_0 + S_1·X)·(X² − X)` with
    /// `S_0 = Σ e_lo`, `S_1 = Σ (e_hi − e_lo)` over the pairs that differ. Nil unless every
    /// entry of `bits` is 0 or 1 and the lengths are one power of two.
    public static func booleanityFirstRound(eq: [Scalar], bits: [Int64]) -> [Scalar]? {
        let size = eq.count, half = size / 2
        guard size >= 2, size & (size - 1) == 0, bits.count == size else { return nil }
        var s0 = Scalar.zero, s1 = Scalar.zero
        for b in 0..<half {
            let lo = bits[b], hi = bits[half + b]
            guard lo == 0 || lo == 1, hi == 0 || hi == 1 else { return nil }
            if lo != hi {
                s0 += eq[b]
                s1 += eq[half + b] - eq[b]
            }
        }
        return [.zero, .zero - s0, s0 - s1, s1]
    }

    /// Binds the most significant variable to `r`: `lo + r·(hi − lo)`.
    static func fold(_ t: [Scalar], at r: Scalar) -> [Scalar] {
        let half = t.count / 2
        return (0..<half).map { t[$0] + r * (t[half + $0] - t[$0]) }
    }
}
