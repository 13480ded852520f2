import ZKProof

/// What the private prover and verifier share: the statement, the per-layer shapes, and the
/// public vectors and constants each check is computed with (docs/PROTOCOL.md, "Private
/// proofs (protocol v2)").
enum PrivateProtocol {
    /// The four magic bytes of a private proof.
    static let proofMagic: [UInt8] = Array("PMZK".utf8)
    /// The private proof format's version, absorbed first.
    static let version: UInt16 = 1
    /// The version of a proof that hides its input (the same format with the input
    /// commitment after `y`; docs/PROTOCOL.md, "Hidden input").
    static let hiddenInputVersion: UInt16 = 2

    /// A transcript that has absorbed the statement: version, commitment, context, input, output.
    static func beginTranscript(commitment: PrivateCommitment, context: BindingContext, input: [Int64],
                                output: [Int64]) -> Transcript {
        var t = Transcript(protocolLabel: TranscriptLabel.privateInferenceProtocol)
        t.absorb(TranscriptLabel.statementProtocolVersion, [UInt8(version >> 8), UInt8(version & 0xFF)])
        t.absorb(TranscriptLabel.privateStatementCommitment, commitment.encoded)
        t.absorb(TranscriptLabel.statementBindingContext, context.encoded)
        t.absorb(TranscriptLabel.statementInput, integers: input)
        t.absorb(TranscriptLabel.statementOutput, integers: output)
        return t
    }

    /// A transcript that has absorbed a hidden-input statement: version 2, commitment,
    /// context, the input commitment's bytes in place of the input, output.
    static func beginTranscript(commitment: PrivateCommitment, context: BindingContext, inputCommitment: PrivateInputCommitment,
                                output: [Int64]) -> Transcript {
        var t = Transcript(protocolLabel: TranscriptLabel.privateInferenceProtocol)
        t.absorb(TranscriptLabel.statementProtocolVersion, [UInt8(hiddenInputVersion >> 8), UInt8(hiddenInputVersion & 0xFF)])
        t.absorb(TranscriptLabel.privateStatementCommitment, commitment.encoded)
        t.absorb(TranscriptLabel.statementBindingContext, context.encoded)
        t.absorb(TranscriptLabel.privateStatementInputCommitment, inputCommitment.encoded)
        t.absorb(TranscriptLabel.statementOutput, integers: output)
        return t
    }

    /// The layers' shapes for a batch, each with the max pool it reads through; nil if a layer
    /// or pool is not privately provable (a pool must sit between two layers, one per gap).
    static func shapes(_ spec: ModelSpec, items: Int) -> [PrivateLayerShape]? {
        var out: [PrivateLayerShape] = [], pending: PrivatePoolShape?
        for (i, node) in spec.nodes.enumerated() {
            switch node.op {
            case .linear(let k, _):
                guard k == out.count, k < spec.layers.count, var s = PrivateLayerShape(spec.layers[k], items: items) else { return nil }
                s.pool = pending
                pending = nil
                out.append(s)
            case .pool(let p):
                guard pending == nil, let previous = out.last, node.inputs == [i], i + 1 < spec.tensors.count,
                      let pool = PrivatePoolShape(p, input: spec.tensors[node.inputs[0]].shape, output: spec.tensors[i + 1].shape,
                                                  previous: previous) else { return nil }
                pending = pool
            case .reshape: continue
            default: return nil
            }
        }
        guard pending == nil, out.count == spec.layers.count else { return nil }
        return out
    }

    /// Absorbs one layer's bit-table rows.
    static func absorbBitTable(_ rows: [CurvePoint], _ t: inout Transcript) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * CurvePoint.compressedByteCount)
        for p in rows { bytes.append(contentsOf: p.compressed) }
        t.absorb(TranscriptLabel.privateBitTable, bytes)
    }

    /// `eq(a, b) = Π_i (a_i·b_i + (1 − a_i)(1 − b_i))`.
    static func eq(_ a: [Scalar], _ b: [Scalar]) -> Scalar {
        var out = Scalar.one
        for (x, y) in zip(a, b) { out *= x * y + (Scalar.one - x) * (Scalar.one - y) }
        return out
    }

    /// `Σ_{i<rows, q<columns} L[i·Q' + q]`: the extension of the real entries' indicator.
    static func realEntrySum(_ weights: [Scalar], _ s: PrivateLayerShape) -> Scalar {
        var total = Scalar.zero
        for i in 0..<s.rows { for q in 0..<s.columns { total += weights[i * s.paddedColumns + q] } }
        return total
    }

    /// Visits every cell of layer `s`'s `X` that reads its input, `(j, item, element read,
    /// eq(ρ)_j·eq(q)_(item·positions + t))`, skipping padding: O(inner·positions·items).
    static func forEachRead(rho eqRho: [Scalar], q eqQ: [Scalar], _ s: PrivateLayerShape,
                            _ body: (_ j: Int, _ item: Int, _ element: Int, _ weight: Scalar) -> Void) {
        for j in 0..<s.inner {
            for t in 0..<s.positions {
                let n = s.reads[j * s.positions + t]
                guard n >= 0 else { continue }
                for p in 0..<s.items { body(j, p, n, eqRho[j] * eqQ[p * s.positions + t]) }
            }
        }
    }

    /// The row weights on the previous table's entries that evaluate layer `s`'s `X` at
    /// `(ρ, q)`: entry `previous.entry(n, p)` gets `Σ eq(ρ)_j·eq(q)_(p·positions + t)` over the
    /// cells `(j, t)` that read element `n` (the im2col map transposed; a reshape between the
    /// layers keeps element numbers), and the sum of all those weights (the real reads, which
    /// each add `lo`).
    static func activationWeights(rho: [Scalar], q: [Scalar], layer s: PrivateLayerShape,
                                  previous ps: PrivateLayerShape) -> (weights: [Scalar], reads: Scalar) {
        var w = [Scalar](repeating: .zero, count: ps.entries)
        var reads = Scalar.zero
        forEachRead(rho: Multilinear.eqTable(rho), q: Multilinear.eqTable(q), s) { _, p, n, weight in
            w[ps.entry(n, item: p)] += weight
            reads += weight
        }
        return (w, reads)
    }

    /// The constant part of `X̃'(ρ, q)`: `lo·(the real reads' weight)` for the offsets, plus
    /// `eq(ρ)_inner·Σ_{q<columns} eq(q)_q` for the bias row of ones.
    static func activationConstant(rho: [Scalar], q: [Scalar], reads: Scalar, layer s: PrivateLayerShape,
                                   previous ps: PrivateLayerShape) -> Scalar {
        let eqRho = Multilinear.eqTable(rho)
        return Scalar(ps.lo) * reads + eqRho[s.inner] * PrivateLayerShape.prefixSum(Multilinear.eqTable(q), s.columns)
    }

    /// `X̃'(·, q)` (length `weightColumns`) of layer `s` whose input element `n` of item `p`
    /// is `value(n, p)`: `Σ eq(q)·X[j, ·]` for `j < inner` (padding reads 0), `Σ_{q<columns} eq(q)`
    /// at `j = inner` (the bias), zero after.
    static func columnVector(q: [Scalar], _ s: PrivateLayerShape, value: (_ element: Int, _ item: Int) -> Scalar) -> [Scalar] {
        let eqQ = Multilinear.eqTable(q)
        var v = [Scalar](repeating: .zero, count: s.weightColumns)
        forEachRead(rho: [Scalar](repeating: .one, count: s.inner), q: eqQ, s) { j, p, n, weight in
            v[j] += weight * value(n, p)
        }
        v[s.inner] = PrivateLayerShape.prefixSum(eqQ, s.columns)
        return v
    }

    /// The public input's `X̃'(·, q)`: `columnVector` over `x_p[n]`.
    static func inputColumn(_ input: [Int64], q: [Scalar], _ s: PrivateLayerShape) -> [Scalar] {
        columnVector(q: q, s) { n, p in Scalar(input[p * s.inputElements + n]) }
    }

    /// `Σ_{n, p} L[entry(n, p)]·(y_p[n] − lo)`: the last layer's `Ã` the output implies
    /// (`y` item-major, each item the last layer's `rows·positions` output elements).
    static func outputValue(_ output: [Int64], weights: [Scalar], _ s: PrivateLayerShape) -> Scalar {
        var total = Scalar.zero
        let elements = s.rows * s.positions
        for p in 0..<s.items {
            for n in 0..<elements {
                total += weights[s.entry(n, item: p)] * (Scalar(output[p * elements + n]) - Scalar(s.lo))
            }
        }
        return total
    }

    /// The selection check's row weights on a pool's selection entries for a point `r` over
    /// the output entries: `eq(r)_w` on every tap of window `w` that reads the input; and the
    /// value they must give with the selector vector, `Σ` of `eq(r)` over the real windows.
    static func poolSelectionWeights(r: [Scalar], _ pool: PrivatePoolShape) -> (weights: [Scalar], expected: Scalar) {
        let eqR = Multilinear.eqTable(r)
        var w = [Scalar](repeating: .zero, count: pool.selection.entries)
        pool.forEachTap { o, p, u, _ in w[pool.selectionEntry(o, item: p, tap: u)] = eqR[pool.output.entry(o, item: p)] }
        return (w, realEntrySum(eqR, pool.output))
    }

    /// The difference check's row weights for a point `r` over the selection entries: `eq(r)`
    /// on the taps that read the input (selection table), their sums per window (output
    /// table), and on the entry each tap reads (previous table), so that
    /// `Σ_taps eq(r)·(m − a − δ)` is `τ_m − τ_a − τ_δ` (the offsets `lo` cancel).
    static func poolDifferenceWeights(r: [Scalar], _ pool: PrivatePoolShape, previous ps: PrivateLayerShape)
        -> (selection: [Scalar], output: [Scalar], previous: [Scalar]) {
        let eqR = Multilinear.eqTable(r)
        var ws = [Scalar](repeating: .zero, count: pool.selection.entries)
        var wo = [Scalar](repeating: .zero, count: pool.output.entries)
        var wp = [Scalar](repeating: .zero, count: ps.entries)
        pool.forEachTap { o, p, u, n in
            let e = pool.selectionEntry(o, item: p, tap: u)
            ws[e] = eqR[e]
            wo[pool.output.entry(o, item: p)] += eqR[e]
            wp[ps.entry(n, item: p)] += eqR[e]
        }
        return (ws, wo, wp)
    }

    /// `Σ scalars_i · points_i`.
    static func combine(_ points: [CurvePoint], _ scalars: [Scalar]) -> CurvePoint? {
        CurvePoint.multiScalarMultiply(points, scalars)
    }
}
