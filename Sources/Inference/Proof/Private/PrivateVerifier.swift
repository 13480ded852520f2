import ZKProof

/// The private verifier: replays the prover's transcript, decoding each message as it is
/// needed and checking every sub-proof (docs/PROTOCOL.md, "Private proofs (protocol v2)").
///
/// It returns the proven output and nothing else: no clamp counts, no trace facts.
public enum PrivateVerifier {
    /// Returns the proven output. Never traps on untrusted bytes.
    public static func verify(commitment: PrivateCommitment, input: [Int64], proof: [UInt8],
                              context: BindingContext) throws(ProofVerificationError) -> [Int64] {
        try verify(commitment: commitment, input: input, proof: proof, context: context, challenges: nil)
    }

    /// `verify` with its challenges taken from `challenges` when given (the seam a
    /// zero-knowledge simulator programs; see `ChallengeProgram`), the Fiat–Shamir values when
    /// nil. Every challenge of the verifier, its sub-proofs' included, is drawn from the one
    /// transcript that carries the program; the transcript absorbs the same messages in the
    /// same order either way. Production code calls only the public `verify`.
    static func verify(commitment: PrivateCommitment, input: [Int64], proof: [UInt8], context: BindingContext,
                       challenges: ChallengeProgram?) throws(ProofVerificationError) -> [Int64] {
        guard proof.count <= PrivateProofLimits.proofBytesMax else {
            throw .proofTooLarge(bytes: proof.count, limit: PrivateProofLimits.proofBytesMax)
        }
        let spec = commitment.spec
        do { try spec.validateInput(input) } catch { throw .invalidInput(error) }
        guard let items = spec.batchSize(values: input.count), let shapes = PrivateProtocol.shapes(spec, items: items),
              let last = shapes.last, shapes.count == commitment.weightRows.count else {
            throw .privateCheckFailed(step: "statement", check: "the model has no private proof for this batch")
        }
        var r = ProofReader(proof)
        do {
            return try verify(commitment: commitment, shapes: shapes, last: last, input: input, context: context,
                              challenges: challenges, &r)
        } catch let e as ProofVerificationError {
            throw e
        } catch let e as ProofFormatError {
            throw .malformedProof(e)
        } catch {
            throw .malformedProof(.invalidValue(field: "proof", offset: r.offset))
        }
    }

    static func verify(commitment: PrivateCommitment, shapes: [PrivateLayerShape], last: PrivateLayerShape, input: [Int64],
                       context: BindingContext, challenges: ChallengeProgram?, _ r: inout ProofReader) throws -> [Int64] {
        guard try r.raw(4) == PrivateProtocol.proofMagic else { throw ProofFormatError.badMagic(offset: 0) }
        let version = try r.u16()
        guard version == PrivateProtocol.version else { throw ProofFormatError.unsupportedVersion(version) }
        try r.expectCount("output values", last.rows * last.items)
        let output = try r.int64s(last.rows * last.items)
        var t = PrivateProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        t.program = challenges
        var bitRows: [[CurvePoint]] = []
        for (k, s) in shapes.enumerated() {
            try r.expectCount("layer \(k) bit-table rows", s.entries)
            let rows = try r.points(s.entries)
            PrivateProtocol.absorbBitTable(rows, &t)
            bitRows.append(rows)
        }
        for (k, s) in shapes.enumerated() {
            try verifyBooleanity(k, s, bitRows[k], &t, &r)
            try verifyClamp(k, s, bitRows[k], &t, &r)
            try verifyComplement(k, s, bitRows[k], &t, &r)
            try verifyLinear(k, s, bitRows[k], weightRows: commitment.weightRows[k],
                             previous: k == 0 ? nil : (shapes[k - 1], bitRows[k - 1]), input: input, &t, &r)
        }
        let point = t.challenges(TranscriptLabel.privateChallengeOutputPoint, count: Multilinear.variableCount(last.entries))
        let weights = Multilinear.eqTable(point)
        let evaluation = try BlindedHyrax.EvaluationProof(from: &r, columnCount: last.columnCount)
        let tau = try check("output", "activation evaluation") { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: bitRows[shapes.count - 1], columnCount: last.columnCount, rowWeights: weights,
                                          publicVector: last.clampVector, proof: evaluation, transcript: &t)
        }
        let blinding = try r.scalar()
        t.absorb(TranscriptLabel.privateOpeningBlinding, scalars: [blinding])
        guard PrivateProtocol.opensTo(tau, value: PrivateProtocol.outputValue(output, weights: weights, last), blinding: blinding) else {
            throw ProofVerificationError.privateCheckFailed(step: "output", check: "the last activation is not the output")
        }
        try r.finish()
        return output
    }

    /// Runs a zero-knowledge check, naming the step and check when it fails.
    static func check<T>(_ step: String, _ what: String, _ body: () throws(ZKVerificationError) -> T) throws(ProofVerificationError) -> T {
        do { return try body() } catch { throw .privateCheckFailed(step: step, check: "\(what): \(error.description)") }
    }

    static func shifted(_ step: String, _ c: CurvePoint, _ scalars: [(CurvePoint, Scalar)]) throws(ProofVerificationError) -> CurvePoint {
        guard let p = PrivateProtocol.combine([c] + scalars.map(\.0), [.one] + scalars.map(\.1)) else {
            throw .privateCheckFailed(step: step, check: "a group operation failed")
        }
        return p
    }

    static func scaled(_ step: String, _ c: CurvePoint, _ k: Scalar) throws(ProofVerificationError) -> CurvePoint {
        guard let p = PrivateProtocol.combine([c], [k]) else { throw .privateCheckFailed(step: step, check: "a group operation failed") }
        return p
    }

    static func inverse(_ step: String, _ x: Scalar) throws(ProofVerificationError) -> Scalar {
        guard let i = x.inverse() else { throw .privateCheckFailed(step: step, check: "the zero-check point has eq = 0") }
        return i
    }

    static func verifyBooleanity(_ k: Int, _ s: PrivateLayerShape, _ rows: [CurvePoint], _ t: inout Transcript,
                                 _ r: inout ProofReader) throws {
        let step = "layer \(k) booleanity"
        let m = Multilinear.variableCount(s.entries * s.columnCount)
        let tau = t.challenges(TranscriptLabel.privateChallengeBooleanity, count: m)
        let proof = try ZKSumCheck.Proof(from: &r, variableCount: m, degree: 3)
        let (point, final) = try check(step, "zero-check") { () throws(ZKVerificationError) in
            try ZKSumCheck.verify(proof, variableCount: m, degree: 3, claimCommitment: Pedersen.blindingBase, transcript: &t)
        }
        let eInverse = try inverse(step, PrivateProtocol.eq(tau, point))
        let evaluation = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let product = try ProductProof(from: &r)
        let v = try check(step, "bit evaluation") { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyEvaluation(rows: rows, columnCount: s.columnCount, at: point, proof: evaluation, transcript: &t)
        }
        let y = try shifted(step, v, [(Pedersen.scalarGenerator, -.one)])
        let z = try scaled(step, final, eInverse)
        try check(step, "v·(v − 1)") { () throws(ZKVerificationError) in try product.verify(x: v, y: y, z: z, transcript: &t) }
    }

    static func verifyClamp(_ k: Int, _ s: PrivateLayerShape, _ rows: [CurvePoint], _ t: inout Transcript,
                            _ r: inout ProofReader) throws {
        let m = Multilinear.variableCount(s.entries)
        let d = Scalar(s.span)
        for (label, name, factorVector, complemented) in [
            (TranscriptLabel.privateChallengeClampHigh, "clamp high P·(D − A) = 0", s.positiveVector, true),
            (TranscriptLabel.privateChallengeClampLow, "clamp low N·A = 0", s.negativeVector, false),
        ] {
            let step = "layer \(k) \(name)"
            let tau = t.challenges(label, count: m)
            let proof = try ZKSumCheck.Proof(from: &r, variableCount: m, degree: 3)
            let (point, final) = try check(step, "zero-check") { () throws(ZKVerificationError) in
                try ZKSumCheck.verify(proof, variableCount: m, degree: 3, claimCommitment: Pedersen.blindingBase, transcript: &t)
            }
            let eInverse = try inverse(step, PrivateProtocol.eq(tau, point))
            let weights = Multilinear.eqTable(point)
            let fe = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
            let ge = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
            let product = try ProductProof(from: &r)
            let f = try check(step, "overflow evaluation") { () throws(ZKVerificationError) in
                try BlindedHyrax.verifyLinear(rows: rows, columnCount: s.columnCount, rowWeights: weights, publicVector: factorVector,
                                              proof: fe, transcript: &t)
            }
            let g = try check(step, "activation evaluation") { () throws(ZKVerificationError) in
                try BlindedHyrax.verifyLinear(rows: rows, columnCount: s.columnCount, rowWeights: weights, publicVector: s.clampVector,
                                              proof: ge, transcript: &t)
            }
            let y = complemented ? try shifted(step, try scaled(step, g, -.one), [(Pedersen.scalarGenerator, d)]) : g
            let z = try scaled(step, final, eInverse)
            try check(step, "product") { () throws(ZKVerificationError) in try product.verify(x: f, y: y, z: z, transcript: &t) }
        }
    }

    static func verifyComplement(_ k: Int, _ s: PrivateLayerShape, _ rows: [CurvePoint], _ t: inout Transcript,
                                 _ r: inout ProofReader) throws {
        guard s.complementBits > 0 else { return }
        let step = "layer \(k) complement A + C = D"
        let point = t.challenges(TranscriptLabel.privateChallengeComplement, count: Multilinear.variableCount(s.entries))
        let weights = Multilinear.eqTable(point)
        let evaluation = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let tau = try check(step, "evaluation") { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: rows, columnCount: s.columnCount, rowWeights: weights, publicVector: s.spanVector,
                                          proof: evaluation, transcript: &t)
        }
        let blinding = try r.scalar()
        t.absorb(TranscriptLabel.privateOpeningBlinding, scalars: [blinding])
        let expected = Scalar(s.span) * PrivateProtocol.realEntrySum(weights, s)
        guard PrivateProtocol.opensTo(tau, value: expected, blinding: blinding) else {
            throw ProofVerificationError.privateCheckFailed(step: step, check: "the opened value is not D·ĩ")
        }
    }

    static func verifyLinear(_ k: Int, _ s: PrivateLayerShape, _ rows: [CurvePoint], weightRows: [CurvePoint],
                             previous: (PrivateLayerShape, [CurvePoint])?, input: [Int64],
                             _ t: inout Transcript, _ r: inout ProofReader) throws {
        let step = "layer \(k) linear Z = W·X + b"
        let rowVariables = Multilinear.variableCount(s.paddedRows)
        let linearPoint = t.challenges(TranscriptLabel.privateChallengeLinearPoint,
                                       count: rowVariables + Multilinear.variableCount(s.paddedItems))
        let rp = Array(linearPoint.prefix(rowVariables)), q = Array(linearPoint.dropFirst(rowVariables))
        let ze = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let tauZ = try check(step, "pre-activation evaluation") { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: rows, columnCount: s.columnCount, rowWeights: Multilinear.eqTable(linearPoint),
                                          publicVector: s.preActivationVector, proof: ze, transcript: &t)
        }
        let eqR = Multilinear.eqTable(rp)
        let offset = s.preActivationOffset * PrivateLayerShape.prefixSum(eqR, s.rows)
            * PrivateLayerShape.prefixSum(Multilinear.eqTable(q), s.items)
        let claim = try shifted(step, tauZ, [(Pedersen.scalarGenerator, offset)])
        guard let (ps, previousRows) = previous else {
            let dot = try DotProductProof(from: &r, length: s.weightColumns)
            try check(step, "product with the input") { () throws(ZKVerificationError) in
                try BlindedHyrax.verifyLinearAgainst(rows: weightRows, columnCount: s.weightColumns, rowWeights: eqR,
                                                     publicVector: PrivateProtocol.inputColumn(input, q: q, s),
                                                     valueCommitment: claim, proof: dot, transcript: &t)
            }
            return
        }
        let m = Multilinear.variableCount(s.weightColumns)
        let proof = try ZKSumCheck.Proof(from: &r, variableCount: m, degree: 2)
        let (rho, final) = try check(step, "sum-check over the inner index") { () throws(ZKVerificationError) in
            try ZKSumCheck.verify(proof, variableCount: m, degree: 2, claimCommitment: claim, transcript: &t)
        }
        let we = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.weightColumns)
        let ae = try BlindedHyrax.EvaluationProof(from: &r, columnCount: ps.columnCount)
        let product = try ProductProof(from: &r)
        let tauW = try check(step, "weight evaluation") { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyEvaluation(rows: weightRows, columnCount: s.weightColumns, at: rp + rho, proof: we, transcript: &t)
        }
        let tauA = try check(step, "input activation evaluation") { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: previousRows, columnCount: ps.columnCount,
                                          rowWeights: PrivateProtocol.activationWeights(rho: rho, q: q, previous: ps),
                                          publicVector: ps.clampVector, proof: ae, transcript: &t)
        }
        let constant = PrivateProtocol.activationConstant(rho: rho, q: q, previous: ps, inner: s.inner)
        let y = try shifted(step, tauA, [(Pedersen.scalarGenerator, constant)])
        try check(step, "final product") { () throws(ZKVerificationError) in try product.verify(x: tauW, y: y, z: final, transcript: &t) }
    }
}
