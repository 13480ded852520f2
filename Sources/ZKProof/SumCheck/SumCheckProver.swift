/// The prover of `SumCheck`: proves `v_kj = ⟨P_k, u_kj⟩` for tables it holds in full.
///
/// Work: `4` multiplications per pair and round over the concatenation — `≈ 4·2^n` in all —
/// plus `N` per claim for the values and the weight combination, plus one evaluation per
/// table when the batch has several (`2^(n_k) + N_k`).
public enum SumCheckProver {
    /// One table and the weight vectors `u_kj` of its claims (each as long as the table).
    public struct Table: Sendable {
        /// `P_k`.
        public let entries: [Scalar]
        /// `u_k0, u_k1, …`.
        public let weights: [[Scalar]]

        /// A table with its claims' weight vectors.
        public init(entries: [Scalar], weights: [[Scalar]]) {
            self.entries = entries
            self.weights = weights
        }
    }

    /// What the prover hands on.
    public struct Output: Sendable {
        /// The batch's shape (what the verifier derives from public sizes).
        public let shape: SumCheck.Shape
        /// `v_kj = ⟨P_k, u_kj⟩`, as absorbed.
        public let values: [[Scalar]]
        /// The messages.
        public let proof: SumCheckProof
        /// Per table, the point `s_k` and `c_k = P̃_k(s_k)` still to be opened against its
        /// commitment (`TableOpening.combination`).
        public let claims: [SumCheck.EvaluationClaim]
    }

    /// Proves a batch; the transcript must already hold everything the weights depend on.
    public static func prove(_ tables: [Table], transcript: inout Transcript) throws(SumCheckError) -> Output {
        let shape = try SumCheck.Shape(tableEntries: tables.map(\.entries.count), claimCounts: tables.map(\.weights.count))
        for (k, table) in tables.enumerated() {
            for u in table.weights where u.count != table.entries.count {
                throw .lengthMismatch(field: "weights", table: k, expected: table.entries.count, actual: u.count)
            }
        }
        var work = FieldWork()
        let values = tables.map { table in table.weights.map { Multilinear.innerProduct(table.entries, $0) } }
        SumCheckProtocol.absorbStatement(&transcript, shape: shape, values: values)
        let rho = SumCheckProtocol.drawCoefficients(&transcript, shape: shape)

        // The concatenation, up to the last entry of the last block (later entries are zero).
        var length = 0
        for k in 0..<shape.tableCount { length = max(length, shape.offsets[k] + shape.tableEntries[k]) }
        var p = [Scalar](repeating: .zero, count: length)
        var w = [Scalar](repeating: .zero, count: length)
        for (k, table) in tables.enumerated() {
            let o = shape.offsets[k]
            let combined = SumCheckProtocol.combine(table.weights, coefficients: rho[k], entries: table.entries.count, work: &work)
            for i in 0..<table.entries.count {
                p[o + i] = table.entries[i]
                w[o + i] = combined[i]
            }
        }

        let n = shape.variableCount
        var rounds: [SumCheckProof.Round] = []
        var point: [Scalar] = []
        // The running claim `a_j`, true by construction: it starts as the prover's own values.
        var claim = zip(values, rho).reduce(Scalar.zero) { sum, e in
            zip(e.0, e.1).reduce(sum) { $0 + $1.0 * $1.1 }
        }
        for j in 0..<n {
            let h = 1 << (n - 1 - j)
            let message = roundMessage(p, w, length: length, half: h, claim: claim)
            let r = SumCheckProtocol.round(&transcript, message)
            claim = SumCheckProtocol.evaluate(message, at: r, work: &work)
            var wLength = length
            SumCheckProtocol.fold(&p, length: &length, half: h, r: r, work: &work)
            SumCheckProtocol.fold(&w, length: &wLength, half: h, r: r, work: &work)
            rounds.append(message)
            point.append(r)
        }

        // One table: the fold has left P̃(s) in place. Several: each block's own extension
        // at its suffix point (the fold mixed the blocks through the selector variables).
        let evaluations: [Scalar] = tables.count == 1 && length > 0
            ? [p[0]]
            : tables.enumerated().map { k, table in
                SumCheckProtocol.evaluateByFolding(table.entries, at: SumCheckProtocol.tablePoint(shape, table: k, point: point), work: &work)
            }
        SumCheckProtocol.absorbEvaluations(&transcript, evaluations)
        let claims = evaluations.enumerated().map { k, c in
            SumCheck.EvaluationClaim(table: k, point: SumCheckProtocol.tablePoint(shape, table: k, point: point), value: c)
        }
        return Output(shape: shape, values: values, proof: SumCheckProof(rounds: rounds, evaluations: evaluations), claims: claims)
    }

    /// Proves one claim `⟨P, u⟩` on one table.
    public static func prove(table: [Scalar], weights: [Scalar], transcript: inout Transcript) throws(SumCheckError) -> Output {
        try prove([Table(entries: table, weights: [weights])], transcript: &transcript)
    }

    /// `g(0) = Σ p_lo·w_lo` and `g(2) = Σ (2p_hi − p_lo)·(2w_hi − w_lo)` over the pairs
    /// `(i, i + h)`, entries at or past `length` being zero; `g(1) = a_j − g(0)` from the
    /// running claim, which saves a fifth of the prover's multiplications (an honest
    /// prover's claim is the true sum, so this is the same value as `Σ p_hi·w_hi`).
    static func roundMessage(_ p: [Scalar], _ w: [Scalar], length: Int, half h: Int, claim: Scalar) -> SumCheckProof.Round {
        let full = max(0, min(length - h, h))
        let partial = min(length, h)
        var g0 = Scalar.zero, g2 = Scalar.zero
        p.withUnsafeBufferPointer { p in
            w.withUnsafeBufferPointer { w in
                for i in 0..<full {
                    let pl = p[i], ph = p[i + h], wl = w[i], wh = w[i + h]
                    g0 += pl * wl
                    g2 += (ph + ph - pl) * (wh + wh - wl)
                }
                // Missing high halves: g(2) gains (−p_lo)·(−w_lo), the same as g(0).
                for i in full..<partial {
                    let x = p[i] * w[i]
                    g0 += x
                    g2 += x
                }
            }
        }
        return SumCheckProof.Round(atZero: g0, atOne: claim - g0, atTwo: g2)
    }
}
