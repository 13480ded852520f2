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

    /// `Σ_{i<rows, p<items} L[i·P' + p]`: the extension of the real entries' indicator.
    static func realEntrySum(_ weights: [Scalar], _ s: PrivateLayerShape) -> Scalar {
        var total = Scalar.zero
        for i in 0..<s.rows { for p in 0..<s.items { total += weights[i * s.paddedItems + p] } }
        return total
    }

    /// The row weights on layer `k − 1`'s entries that evaluate its activation at `(ρ, q)`:
    /// `eq(ρ)_j·eq(q)_p` at entry `j·P' + p` for `j < inner`, `p < items`.
    static func activationWeights(rho: [Scalar], q: [Scalar], previous s: PrivateLayerShape) -> [Scalar] {
        let eqRho = Multilinear.eqTable(rho), eqQ = Multilinear.eqTable(q)
        var w = [Scalar](repeating: .zero, count: s.entries)
        for j in 0..<s.rows { for p in 0..<s.items { w[j * s.paddedItems + p] = eqRho[j] * eqQ[p] } }
        return w
    }

    /// The constant part of `X̃'(ρ, q)` for a hidden input: `lo·Σ_{j<inner} eq(ρ)_j·Σ_{p<items} eq(q)_p`
    /// for the offsets, plus `eq(ρ)_inner·Σ_{p<items} eq(q)_p` for the bias row of ones.
    static func activationConstant(rho: [Scalar], q: [Scalar], previous s: PrivateLayerShape, inner: Int) -> Scalar {
        let eqRho = Multilinear.eqTable(rho), eqQ = Multilinear.eqTable(q)
        let items = PrivateLayerShape.prefixSum(eqQ, s.items)
        return Scalar(s.lo) * PrivateLayerShape.prefixSum(eqRho, inner) * items + eqRho[inner] * items
    }

    /// The public input's column vector `X̃'(·, q)` (length `weightColumns`): `Σ_p eq(q)_p·x_p[j]`
    /// for `j < inner`, `Σ_p eq(q)_p` at `j = inner` (the bias), zero after.
    static func inputColumn(_ input: [Int64], q: [Scalar], _ s: PrivateLayerShape) -> [Scalar] {
        let eqQ = Multilinear.eqTable(q)
        var v = [Scalar](repeating: .zero, count: s.weightColumns)
        for p in 0..<s.items {
            for j in 0..<s.inner { v[j] += eqQ[p] * Scalar(input[p * s.inner + j]) }
            v[s.inner] += eqQ[p]
        }
        return v
    }

    /// `Σ_{i<rows, p<items} L[i·P' + p]·(y[p·rows + i] − lo)`: the last layer's `Ã` the output implies.
    static func outputValue(_ output: [Int64], weights: [Scalar], _ s: PrivateLayerShape) -> Scalar {
        var total = Scalar.zero
        for i in 0..<s.rows {
            for p in 0..<s.items { total += weights[i * s.paddedItems + p] * (Scalar(output[p * s.rows + i]) - Scalar(s.lo)) }
        }
        return total
    }

    /// `Σ scalars_i · points_i`.
    static func combine(_ points: [CurvePoint], _ scalars: [Scalar]) -> CurvePoint? {
        CurvePoint.multiScalarMultiply(points, scalars)
    }
}
