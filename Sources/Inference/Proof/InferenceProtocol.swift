import ZKProof

/// Verifiable inference v1: the trace in the clear, the weights committed.
///
/// Statement: the commitment `C` of a registered model (digest, `ModelSpec`, row commitments),
/// a binding context, a quantised input `x` and the claimed output `y = f(x)` where `f` is the
/// integer network of `QuantizedModel.run`.
///
/// Protocol (non-interactive through `Transcript`; the order below is the transcript order):
/// 1. Absorb the statement: protocol version, model digest, model spec, commitment, context,
///    `x`, `y`.
/// 2. The prover sends every layer's pre-activation `Z_k` (`m × P`, integers); absorbed.
///    The verifier recomputes everything non-linear from them with the engine's own
///    functions: `X_k = columns(a_(k−1))` (im2col for a convolution), `a_k = activate(Z_k)`,
///    and `y = a_last`; it checks `|Z_k| < 2^B_k`.
/// 3. Challenges per layer: a row point `r_k ∈ F^ℓ_m` and, for a convolution, a position point
///    `q_k ∈ F^ℓ_P`.
/// 4. The prover sends `t_k = eq(r_k,hi)ᵀ·T_k` (weight table, see `CommitmentLayout`) and
///    `β_k = eq(r_k,hi')ᵀ·B_k` (bias table); absorbed. The verifier derives
///    `v_k = W̃_k(r_k, ·)` by folding `t_k` with `eq(r_k,lo)` and `b̃_k(r_k) = ⟨β_k, eq(r_k,lo')⟩`.
/// 5. Linear check per layer, the matrix product at a random point:
///    `Z̃_k(r_k, q_k) = Σ_j v_k[j] · X̃_k(j, q_k) + b̃_k(r_k) · Σ_(p<P) eq(q_k, p)`.
/// 6. Challenges `ρ` (two per layer) and one batched Hyrax check that every `t_k` and `β_k` is
///    the claimed row combination of the committed rows (`Hyrax.verifyBatch`).
///
/// Soundness (details and the bound in docs/PROTOCOL.md): integers are below `2^62` and the
/// field order is about `2^256`, so field equalities of `Z` are integer equalities. If some
/// `Z_k ≠ W_k·X_k + b_k·1ᵀ`, the difference is a non-zero multilinear polynomial and step 5
/// passes with probability at most `(ℓ_m + ℓ_P)/n` over `r_k, q_k` — provided `v_k` and
/// `b̃_k(r_k)` are the true ones, which step 6 enforces except with probability `1/n` or a
/// discrete-log break. Per proof the error is below `(Σ_k (ℓ_m + ℓ_P) + 1)/n < 2^-240`
/// against one query, times the number of hash queries of a Fiat–Shamir attacker.
enum InferenceProtocol {
    /// The protocol version, absorbed first and written in every proof.
    static let version: UInt16 = 1

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

    /// Step 2: every pre-activation, layer by layer (the layer index is part of the message).
    static func absorbTrace(_ t: inout Transcript, _ preActivations: [[Int64]]) {
        for (k, z) in preActivations.enumerated() {
            t.absorb(TranscriptLabel.tracePreActivation, integers: [Int64(k)] + z)
        }
    }

    /// The random point of one layer.
    struct LayerPoint {
        /// `r_k`, over the rows of `Z_k` (and of `W_k`, `b_k`).
        let row: [Scalar]
        /// `q_k`, over the positions of `Z_k` (empty for a dense layer).
        let position: [Scalar]
    }

    /// Step 3.
    static func drawPoints(_ t: inout Transcript, layout: CommitmentLayout) -> [LayerPoint] {
        layout.layers.map { shape in
            LayerPoint(row: t.challenges(TranscriptLabel.challengeRowPoint, count: shape.rowPointVariables),
                       position: t.challenges(TranscriptLabel.challengePositionPoint, count: shape.positionPointVariables))
        }
    }

    /// Step 4 (absorbing side).
    static func absorbCombinations(_ t: inout Transcript, weights: [[Scalar]], bias: [[Scalar]]) {
        for (tk, bk) in zip(weights, bias) {
            t.absorb(TranscriptLabel.messageWeightCombination, scalars: tk)
            t.absorb(TranscriptLabel.messageBiasCombination, scalars: bk)
        }
    }

    /// Step 6: `ρ`, weight claim then bias claim for each layer.
    static func drawBatchCoefficients(_ t: inout Transcript, layerCount: Int) -> [Scalar] {
        t.challenges(TranscriptLabel.challengeBatchCoefficient, count: 2 * layerCount)
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
}
