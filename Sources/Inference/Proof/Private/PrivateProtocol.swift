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

    /// The layers' shapes for a batch; nil if a layer is not privately provable.
    static func shapes(_ spec: ModelSpec, items: Int) -> [PrivateLayerShape]? {
        var out: [PrivateLayerShape] = []
        for layer in spec.layers {
            guard let s = PrivateLayerShape(layer, items: items) else { return nil }
            out.append(s)
        }
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

    /// `Σ scalars_i · points_i`.
    static func combine(_ points: [CurvePoint], _ scalars: [Scalar]) -> CurvePoint? {
        CurvePoint.multiScalarMultiply(points, scalars)
    }
}
