import ZKProof

/// Verifiable inference, protocol version 2: the trace in the clear, the weights committed,
/// a batch of `B` inputs of one model in one proof.
///
/// Statement: the commitment `C` of a registered model (digest, `ModelSpec`, row commitments),
/// a binding context, the quantised inputs `x` (`B` items concatenated) and the claimed
/// outputs `y = f(x)` (item by item) where `f` is the integer graph of `ModelSpec.evaluate`.
///
/// Protocol (non-interactive through `Transcript`; the order below is the transcript order):
/// 1. Absorb the statement: protocol version, model digest, model spec, commitment, context,
///    `x`, `y`.
/// 2. The prover sends every linear layer's pre-activation `Z_k` (`m × B·P`: the items'
///    `m × P` blocks side by side, item-major along the positions) and every product step's
///    `Z_j` (`B·T × m × n`, the items one after another); absorbed. The verifier runs the graph
///    on each item with those values (`ModelSpec.evaluate`), which recomputes every
///    non-linear step, every `X_k` and `y`; it checks `|Z| < 2^B` first. For each
///    tree-ensemble step `e` the prover sends, per item and tree, the path and the claimed
///    contents of each visited node (`TreeProof`); the verifier's run walks them on the step's
///    input (`TreeVerifier.walk`) and takes the step's output from the claimed leaves
///    (`TreeEnsembleSpec.finish`). After the trace, per step `e`: the paths absorbed
///    (`trace.tree-path`) and `α_e` drawn (`challenge.tree-claim-coefficient`).
/// 3. Challenges per layer: a row point `r_k ∈ F^ℓ_m` and a position point `q_k ∈ F^ℓ_(B·P)`;
///    per product step a point `(τ, ρ, σ)` over its batch, rows and columns.
/// 4. The prover sends `t_k = eq(r_k,hi)ᵀ·T_k` and `β_k = eq(r_k,hi')ᵀ·B_k`; absorbed (for
///    an element-wise layer only `β_k`).
/// 5. Element-wise layers: one batched sum-check (`SumCheck`) of the claims
///    `⟨w_k, u_k⟩ = Z̃_k(r_k, q_k) − b̃_k(r_k)·Σ_p eq(q_k, p)` (`elementwiseClaim`), then each
///    `t_k = eq(s_k,hi)ᵀ·T_k` at its sum-check point `s_k`, absorbed. Then per tree-ensemble
///    step `e`: the batched sum-check of its node and value tables' point claims (weighted by
///    powers of `α_e`, `TreeProtocol` step 4) and both row combinations, absorbed.
/// 6. Linear check per other layer: `Z̃_k(r_k, q_k) = Σ_j v_k[j] · X̃_k(j, q_k) + b̃_k(r_k) · Σ_p eq(q_k, p)`;
///    product check per product step:
///    `Z̃(τ, ρ, σ) = Σ_t eq(τ, t) Σ_j Ã_t(ρ, j) · B̃_t(j, σ)`, in time linear in `|A| + |B| + |Z|`.
/// 7. Challenges `ρ` (two per layer, then two per tree-ensemble step) and one batched Hyrax
///    check of every `t_k` and `β_k` and every tree table's combination.
///
/// Soundness (details in docs/PROTOCOL.md): integers are below `2^62` and the field order is
/// about `2^256`, so field equalities of `Z` are integer equalities. A false `Z` makes a
/// non-zero multilinear difference, fixed before its point is drawn; it vanishes there with
/// probability at most (its variables)/n.
enum InferenceProtocol {
    /// The protocol version, absorbed first and written in every proof.
    static let version: UInt16 = 2

    /// Step 1: a transcript with the whole statement absorbed.
    static func beginTranscript(commitment: ModelCommitment, context: BindingContext,
                                input: [Int64], output: [Int64]) -> Transcript {
        var t = Transcript(protocolLabel: TranscriptLabel.inferenceProtocol)
        t.absorb(TranscriptLabel.statementProtocolVersion, [UInt8(version >> 8), UInt8(version & 0xFF)])
        t.absorb(TranscriptLabel.statementModelDigest, commitment.modelDigest)
        t.absorb(TranscriptLabel.statementModelSpec, commitment.spec.encoded())
        t.absorb(TranscriptLabel.statementWeightCommitment, commitment.encoded)
        t.absorb(TranscriptLabel.statementBindingContext, context.encoded)
        t.absorb(TranscriptLabel.statementInput, integers: input)
        t.absorb(TranscriptLabel.statementOutput, integers: output)
        return t
    }

    /// Step 2: every pre-activation, layer by layer, then every product (the index is part
    /// of the message).
    static func absorbTrace(_ t: inout Transcript, _ preActivations: [[Int64]], products: [[Int64]]) {
        for (k, z) in preActivations.enumerated() {
            t.absorb(TranscriptLabel.tracePreActivation, integers: [Int64(k)] + z)
        }
        for (j, z) in products.enumerated() {
            t.absorb(TranscriptLabel.traceProduct, integers: [Int64(j)] + z)
        }
    }

    /// The random point of one layer.
    struct LayerPoint {
        /// `r_k`, over the rows of `Z_k` (and of `W_k`, `b_k`).
        let row: [Scalar]
        /// `q_k`, over the `B·P` positions of `Z_k` (empty when there is one).
        let position: [Scalar]
    }

    /// The random point of one product step.
    struct ProductPoint {
        /// `τ`, over the `B·T` matrices.
        let batch: [Scalar]
        /// `ρ`, over the `m` rows.
        let row: [Scalar]
        /// `σ`, over the `n` columns.
        let column: [Scalar]
    }

    /// Step 3, layers.
    static func drawPoints(_ t: inout Transcript, layout: CommitmentLayout, items: Int) -> [LayerPoint] {
        layout.layers.map { shape in
            LayerPoint(row: t.challenges(TranscriptLabel.challengeRowPoint, count: shape.rowPointVariables),
                       position: t.challenges(TranscriptLabel.challengePositionPoint,
                                              count: Multilinear.variableCount(items * shape.positions)))
        }
    }

    /// Step 3, products.
    static func drawProductPoints(_ t: inout Transcript, spec: ModelSpec, items: Int) -> [ProductPoint] {
        (0..<spec.productNodes.count).map { j in
            let d = spec.productDimensions(j)
            return ProductPoint(batch: t.challenges(TranscriptLabel.challengeProductPoint, count: Multilinear.variableCount(items * d.batch)),
                                row: t.challenges(TranscriptLabel.challengeProductPoint, count: Multilinear.variableCount(d.m)),
                                column: t.challenges(TranscriptLabel.challengeProductPoint, count: Multilinear.variableCount(d.n)))
        }
    }

    /// Step 4 (absorbing side): per layer `t_k` then `β_k`; an element-wise layer's `β_k` only
    /// (its `t_k` is opened at the sum-check point and absorbed after the sum-check, step 5).
    static func absorbCombinations(_ t: inout Transcript, layout: CommitmentLayout, weights: [[Scalar]], bias: [[Scalar]]) {
        for (k, (tk, bk)) in zip(weights, bias).enumerated() {
            if !(layout.layers[safe: k]?.elementwise ?? false) {
                t.absorb(TranscriptLabel.messageWeightCombination, scalars: tk)
            }
            t.absorb(TranscriptLabel.messageBiasCombination, scalars: bk)
        }
    }

    /// Step 5, the claim of one element-wise layer `Z[c, p] = w[c]·X[c, p] + b[c]` (`Z` and
    /// `X` both `C × B·P`, items side by side): `⟨w, u⟩ = v` with
    /// `u[c] = eq(r, c)·Σ_p eq(q, p)·X[c, p]` and `v = Z̃(r, q) − b̃(r)·Σ_(p<B·P) eq(q, p)`,
    /// both from clear integers, the layer's point and the opened `b̃(r)`. Linear in `|Z| + |X|`.
    static func elementwiseClaim(z: [Int64], x: [Int64], point: LayerPoint, bias: Scalar,
                                 rows: Int, positions p: Int) -> (weights: [Scalar], value: Scalar) {
        let eqR = Multilinear.eqTable(point.row), eqQ = Multilinear.eqTable(point.position)
        var u = [Scalar](repeating: .zero, count: rows)
        var claimed = Scalar.zero
        guard z.count == rows * p, x.count == rows * p, eqR.count >= rows, eqQ.count >= p else { return (u, .one) }
        for c in 0..<rows {
            var xc = Scalar.zero, zc = Scalar.zero
            for j in 0..<p {
                xc += eqQ[j] * Scalar(x[c * p + j])
                zc += eqQ[j] * Scalar(z[c * p + j])
            }
            u[c] = eqR[c] * xc
            claimed += eqR[c] * zc
        }
        let ones = eqQ.prefix(p).reduce(Scalar.zero, +)
        return (u, claimed - bias * ones)
    }

    /// Step 5, after the sum-check: each element-wise layer's weight combination at its table's
    /// sum-check point, in layer order.
    static func absorbTableCombinations(_ t: inout Transcript, layout: CommitmentLayout, weights: [[Scalar]]) {
        for k in layout.elementwiseLayers where k < weights.count {
            TableOpening.absorbCombination(&t, weights[k])
        }
    }

    /// Step 7: `ρ`, weight claim then bias claim for each layer.
    static func drawBatchCoefficients(_ t: inout Transcript, layerCount: Int, treeCount: Int = 0) -> [Scalar] {
        t.challenges(TranscriptLabel.challengeBatchCoefficient, count: 2 * layerCount + 2 * treeCount)
    }

    /// `eq(r_hi, ·)`: the row weights selecting committed rows of a table.
    static func rowWeights(_ point: [Scalar], _ table: CommitmentLayout.Table) -> [Scalar] {
        Multilinear.eqTable(Array(point.prefix(table.rowVariables)))
    }

    /// `v[j] = Σ_l eq(r_lo, l) · t[l·n̂ + j]`: `W̃(r, ·)` on the padded columns, from `t`.
    /// `t.count` must be the table width (the decoder guarantees it).
    static func foldWeights(_ t: [Scalar], point: [Scalar], shape: CommitmentLayout.Layer) -> [Scalar] {
        let low = Multilinear.eqTable(Array(point.dropFirst(shape.weights.rowVariables)))
        let n = shape.innerPadded
        var v = [Scalar](repeating: .zero, count: n)
        for (l, e) in low.enumerated() where (l + 1) * n <= t.count {
            for j in 0..<n { v[j] += e * t[l * n + j] }
        }
        return v
    }

    /// `b̃(r) = ⟨β, eq(r_lo', ·)⟩`.
    static func biasEvaluation(_ beta: [Scalar], point: [Scalar], shape: CommitmentLayout.Layer) -> Scalar {
        Multilinear.innerProduct(beta, Multilinear.eqTable(Array(point.dropFirst(shape.bias.rowVariables))))
    }

    /// The items' `m × P` blocks side by side: `Z[i, b·P + p] = Z_b[i, p]`.
    static func sideBySide(_ blocks: [[Int64]], rows: Int, positions: Int) -> [Int64] {
        if blocks.count == 1, let only = blocks.first { return only }
        var out = [Int64](repeating: 0, count: rows * positions * blocks.count)
        let width = positions * blocks.count
        for (b, block) in blocks.enumerated() where block.count == rows * positions {
            for i in 0..<rows {
                for p in 0..<positions { out[i * width + b * positions + p] = block[i * positions + p] }
            }
        }
        return out
    }

    /// Item `b`'s `m × P` block of a side-by-side matrix.
    static func block(_ z: [Int64], item b: Int, items: Int, rows: Int, positions: Int) -> [Int64] {
        if items == 1 { return z }
        var out = [Int64](repeating: 0, count: rows * positions)
        let width = positions * items
        for i in 0..<rows {
            for p in 0..<positions { out[i * positions + p] = z[i * width + b * positions + p] }
        }
        return out
    }

    /// The product check's two sides for one product step of a batch:
    /// `(Z̃(τ, ρ, σ), Σ_t eq(τ, t) Σ_j Ã_t(ρ, j) · B̃_t(j, σ))`, from the items' operands and
    /// `Z` (items one after another). Linear in the operands' and `Z`'s sizes.
    static func productCheck(_ d: ProductDimensions, point: ProductPoint, operands: [([Int64], [Int64])],
                             z: [Int64]) -> (claimed: Scalar, computed: Scalar) {
        let eqT = Multilinear.eqTable(point.batch), eqR = Multilinear.eqTable(point.row), eqS = Multilinear.eqTable(point.column)
        // Integer rows meet eq tables through prepared tables (see `Scalar.integerCombination`).
        let eqRPrepared = Multilinear.preparedForIntegers(eqR), eqSPrepared = Multilinear.preparedForIntegers(eqS)
        var claimed = Scalar.zero
        let total = operands.count * d.batch
        for t in 0..<total where (t + 1) * d.m * d.n <= z.count {
            var sum = Scalar.zero
            for i in 0..<d.m {
                let start = (t * d.m + i) * d.n
                sum += eqR[i] * Multilinear.innerProduct(z[start..<(start + d.n)], prepared: eqSPrepared)
            }
            claimed += eqT[t] * sum
        }
        var computed = Scalar.zero
        var column = [Int64](repeating: 0, count: d.m)
        for (item, (a, b)) in operands.enumerated() {
            for u in 0..<d.batch {
                let t = item * d.batch + u
                let aBase = (d.batchA == 1 ? 0 : u) * d.m * d.k, bBase = (d.batchB == 1 ? 0 : u) * d.k * d.n
                guard aBase + d.m * d.k <= a.count, bBase + d.k * d.n <= b.count else { continue }
                var sum = Scalar.zero
                for j in 0..<d.k {
                    for i in 0..<d.m { column[i] = a[aBase + i * d.k + j] }
                    let left = Multilinear.innerProduct(column[...], prepared: eqRPrepared)
                    let right = Multilinear.innerProduct(b[(bBase + j * d.n)..<(bBase + (j + 1) * d.n)], prepared: eqSPrepared)
                    sum += left * right
                }
                computed += eqT[t] * sum
            }
        }
        return (claimed, computed)
    }
}
