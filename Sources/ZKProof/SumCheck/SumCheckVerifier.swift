/// The verifier of `SumCheck`: checks the rounds of a (batched) proof of `v_kj = ⟨P_k, u_kj⟩`
/// knowing only the weights `u_kj`, the values `v_kj` and the messages.
///
/// Work: three multiplications per round, `N_k` per extra claim to combine the weights, and
/// one fold of each table's combined weights (`2^(n_k) − 1` multiplications) — linear in the
/// weights it is given, counted in `Verified.fieldMultiplications`.
///
/// Soundness: a returned `Verified` does **not** mean the claims hold. It means they hold if
/// every `P̃_k(s_k) = c_k` in `Verified.claims` does; the caller must open each against the
/// table's commitment (`TableOpening.claim`, then `Hyrax.verifyBatch` with coefficients drawn
/// after the combinations are absorbed) and must have fixed the weights before this ran.
public enum SumCheckVerifier {
    /// One claim as the verifier knows it.
    public struct Claim: Sendable {
        /// `u`, computed by the verifier itself (as long as the table).
        public let weights: [Scalar]
        /// `v`, the claimed `⟨P, u⟩`.
        public let value: Scalar

        /// A claim `⟨P, weights⟩ = value`.
        public init(weights: [Scalar], value: Scalar) {
            self.weights = weights
            self.value = value
        }
    }

    /// A proof whose rounds all passed.
    public struct Verified: Sendable {
        /// Per table, `P̃_k(s_k) = c_k`: the caller must discharge these.
        public let claims: [SumCheck.EvaluationClaim]
        /// Field multiplications the verification took (transcript hashing aside).
        public let fieldMultiplications: Int
    }

    /// Verifies a batch: `claims[k]` are table `k`'s claims, in the order the prover had them.
    public static func verify(shape: SumCheck.Shape, claims: [[Claim]], proof: SumCheckProof,
                              transcript: inout Transcript) throws(SumCheckError) -> Verified {
        guard claims.count == shape.tableCount else {
            throw .lengthMismatch(field: "claim lists", table: 0, expected: shape.tableCount, actual: claims.count)
        }
        for (k, tableClaims) in claims.enumerated() {
            guard tableClaims.count == shape.claimCounts[k] else {
                throw .lengthMismatch(field: "claims", table: k, expected: shape.claimCounts[k], actual: tableClaims.count)
            }
            for c in tableClaims where c.weights.count != shape.tableEntries[k] {
                throw .lengthMismatch(field: "weights", table: k, expected: shape.tableEntries[k], actual: c.weights.count)
            }
        }
        let n = shape.variableCount
        guard proof.rounds.count == n else { throw .proofShapeMismatch(field: "rounds", expected: n, actual: proof.rounds.count) }
        guard proof.evaluations.count == shape.tableCount else {
            throw .proofShapeMismatch(field: "evaluations", expected: shape.tableCount, actual: proof.evaluations.count)
        }

        var work = FieldWork()
        SumCheckProtocol.absorbStatement(&transcript, shape: shape, values: claims.map { $0.map(\.value) })
        let rho = SumCheckProtocol.drawCoefficients(&transcript, shape: shape)
        var claim = Scalar.zero
        for (tableClaims, coefficients) in zip(claims, rho) {
            for (c, r) in zip(tableClaims, coefficients) { claim += r == .one ? c.value : work.multiply(r, c.value) }
        }

        var point: [Scalar] = []
        point.reserveCapacity(n)
        for (j, g) in proof.rounds.enumerated() {
            let sum = g.atZero + g.atOne
            guard sum == claim else { throw .roundSumMismatch(round: j, expected: claim, actual: sum) }
            let r = SumCheckProtocol.round(&transcript, g)
            claim = SumCheckProtocol.evaluate(g, at: r, work: &work)
            point.append(r)
        }
        SumCheckProtocol.absorbEvaluations(&transcript, proof.evaluations)

        // P̃_cat(s) from the claimed evaluations, W̃_cat(s) from the verifier's own weights.
        var tableAtPoint = Scalar.zero
        var weightsAtPoint = Scalar.zero
        for k in 0..<shape.tableCount {
            let sel = SumCheckProtocol.selector(shape, table: k, point: point, work: &work)
            let combined = SumCheckProtocol.combine(claims[k].map(\.weights), coefficients: rho[k],
                                                    entries: shape.tableEntries[k], work: &work)
            let w = SumCheckProtocol.evaluateByFolding(combined, at: SumCheckProtocol.tablePoint(shape, table: k, point: point),
                                                       work: &work)
            tableAtPoint += work.multiply(sel, proof.evaluations[k])
            weightsAtPoint += work.multiply(sel, w)
        }
        let product = work.multiply(tableAtPoint, weightsAtPoint)
        guard product == claim else { throw .finalCheckFailed(expected: claim, actual: product) }

        let results = proof.evaluations.enumerated().map { k, c in
            SumCheck.EvaluationClaim(table: k, point: SumCheckProtocol.tablePoint(shape, table: k, point: point), value: c)
        }
        return Verified(claims: results, fieldMultiplications: work.multiplications)
    }

    /// Verifies one claim `⟨P, weights⟩ = value` on one table of `weights.count` entries.
    public static func verify(weights: [Scalar], value: Scalar, proof: SumCheckProof,
                              transcript: inout Transcript) throws(SumCheckError) -> Verified {
        try verify(shape: SumCheck.Shape(entries: weights.count), claims: [[Claim(weights: weights, value: value)]],
                   proof: proof, transcript: &transcript)
    }
}
