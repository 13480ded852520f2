import ZKProof

/// The private verifier: replays the prover's transcript, decoding each message as it is
/// needed and checking every sub-proof (docs/PROTOCOL.md, "Private proofs (protocol v2)").
///
/// It returns the proven output and nothing else: no clamp counts, no trace facts.
///
/// Every group equation of the sub-proofs goes to one `EquationBatch` and is decided with the
/// others by one multi-scalar multiplication at the end (weights from the verifier's own
/// randomness); checks on scalars, counts and shapes stay immediate. Any failure — the
/// combined check or an immediate one — first looks for a recorded equation that does not
/// hold, so the error is the one the per-equation verifier throws: its first failed check.
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
    /// same order either way. `batched: false` checks each group equation as it comes (the
    /// per-equation verifier, whose verdicts and errors the batched one reproduces). Production
    /// code calls only the public `verify`.
    static func verify(commitment: PrivateCommitment, input: [Int64], proof: [UInt8], context: BindingContext,
                       challenges: ChallengeProgram?, batched: Bool = true) throws(ProofVerificationError) -> [Int64] {
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
        let equations = batched ? EquationBatch() : EquationBatch.immediate()
        do {
            let output: [Int64]
            do {
                output = try verify(commitment: commitment, shapes: shapes, last: last, input: input, context: context,
                                    challenges: challenges, equations, &r)
            } catch {
                // An equation recorded before this failure is checked before it by the
                // per-equation verifier: its failure is the one to report.
                if let earlier = equations.firstFailure() { throw earlier.error }
                throw error
            }
            try equations.verify()
            return output
        } catch let e as ProofVerificationError {
            throw e
        } catch let e as ProofFormatError {
            throw .malformedProof(e)
        } catch {
            throw .malformedProof(.invalidValue(field: "proof", offset: r.offset))
        }
    }

    /// Verifies a proof that hides its input (version 2): returns the proven output and the
    /// input commitment the proof names (its `id` is what a receipt shows). The batch size is
    /// read from the output's count. Never traps on untrusted bytes.
    public static func verifyHidingInput(commitment: PrivateCommitment, proof: [UInt8], context: BindingContext)
        throws(ProofVerificationError) -> (output: [Int64], inputCommitment: PrivateInputCommitment) {
        try verifyHidingInput(commitment: commitment, proof: proof, context: context, challenges: nil)
    }

    /// `verifyHidingInput` with programmed challenges (the simulator's seam, as for `verify`).
    static func verifyHidingInput(commitment: PrivateCommitment, proof: [UInt8], context: BindingContext,
                                  challenges: ChallengeProgram?, batched: Bool = true) throws(ProofVerificationError)
        -> (output: [Int64], inputCommitment: PrivateInputCommitment) {
        guard proof.count <= PrivateProofLimits.proofBytesMax else {
            throw .proofTooLarge(bytes: proof.count, limit: PrivateProofLimits.proofBytesMax)
        }
        let spec = commitment.spec
        guard let lastLayer = spec.layers.last, lastLayer.outputElements > 0, commitment.weightRows.count == spec.layers.count else {
            throw .privateCheckFailed(step: "statement", check: "the model has no private proof")
        }
        var r = ProofReader(proof)
        let equations = batched ? EquationBatch() : EquationBatch.immediate()
        do {
            let result: (output: [Int64], inputCommitment: PrivateInputCommitment)
            do {
                guard try r.raw(4) == PrivateProtocol.proofMagic else { throw ProofFormatError.badMagic(offset: 0) }
                let version = try r.u16()
                guard version == PrivateProtocol.hiddenInputVersion else { throw ProofFormatError.unsupportedVersion(version) }
                let at = r.offset
                let count = try r.count("output values", max: PrivateProofLimits.itemsMax * lastLayer.outputElements)
                guard count > 0, count % lastLayer.outputElements == 0 else {
                    throw ProofFormatError.invalidValue(field: "output count", offset: at)
                }
                let items = count / lastLayer.outputElements
                guard let shapes = PrivateProtocol.shapes(spec, items: items), let last = shapes.last,
                      let inputShape = PrivateLayerShape(input: spec, items: items) else {
                    throw ProofVerificationError.privateCheckFailed(step: "statement", check: "the model has no private proof for this batch")
                }
                try PrivateProofLength.check(proof.count, expected: PrivateProofLength.bytes(shapes, outputCount: count, hidden: inputShape))
                let output = try r.int64s(count)
                try r.expectCount("input commitment rows", inputShape.entries)
                let inputCommitment = PrivateInputCommitment(rows: try r.points(inputShape.entries))
                var t = PrivateProtocol.beginTranscript(commitment: commitment, context: context, inputCommitment: inputCommitment,
                                                        output: output)
                t.program = challenges
                try verifyBody(commitment: commitment, shapes: shapes, last: last, input: [], output: output,
                               hidden: (inputShape, inputCommitment.rows), &t, equations, &r)
                result = (output, inputCommitment)
            } catch {
                if let earlier = equations.firstFailure() { throw earlier.error }
                throw error
            }
            try equations.verify()
            return result
        } catch let e as ProofVerificationError {
            throw e
        } catch let e as ProofFormatError {
            throw .malformedProof(e)
        } catch {
            throw .malformedProof(.invalidValue(field: "proof", offset: r.offset))
        }
    }

    /// Checks that `opening` opens `inputCommitment` for `commitment`'s model: the values are
    /// an admissible input, and the rows recomputed from their table and the blindings are the
    /// commitment's. Returns the input. `input_opening_mismatch` when they differ.
    public static func openInput(_ opening: PrivateInputOpening, inputCommitment: PrivateInputCommitment,
                                 commitment: PrivateCommitment) throws(ProofVerificationError) -> [Int64] {
        let spec = commitment.spec
        do { try spec.validateInput(opening.input) } catch { throw .invalidInput(error) }
        guard let items = spec.batchSize(values: opening.input.count), let shape = PrivateLayerShape(input: spec, items: items),
              let table = shape.inputTable(opening.input), opening.blindings.count == shape.entries,
              inputCommitment.rows.count == shape.entries else {
            throw .inputOpeningMismatch
        }
        guard let rows = BlindedHyrax.commit(table, columnCount: shape.columnCount, blindings: opening.blindings.map(\.scalar)),
              PrivateInputCommitment(rows: rows) == inputCommitment else {
            throw .inputOpeningMismatch
        }
        return opening.input
    }

    static func verify(commitment: PrivateCommitment, shapes: [PrivateLayerShape], last: PrivateLayerShape, input: [Int64],
                       context: BindingContext, challenges: ChallengeProgram?, _ e: EquationBatch,
                       _ r: inout ProofReader) throws -> [Int64] {
        guard try r.raw(4) == PrivateProtocol.proofMagic else { throw ProofFormatError.badMagic(offset: 0) }
        let version = try r.u16()
        guard version == PrivateProtocol.version else { throw ProofFormatError.unsupportedVersion(version) }
        try PrivateProofLength.check(r.offset + r.remaining, expected: PrivateProofLength.bytes(shapes, outputCount: last.rows * last.columns, hidden: nil))
        try r.expectCount("output values", last.rows * last.columns)
        let output = try r.int64s(last.rows * last.columns)
        var t = PrivateProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        t.program = challenges
        try verifyBody(commitment: commitment, shapes: shapes, last: last, input: input, output: output, hidden: nil, &t, e, &r)
        return output
    }

    /// Everything after the statement: the bit tables, the hidden input's checks when there is
    /// one, each layer's checks (layer 0 reading the hidden input's table like a previous
    /// layer's), the output check, and that no byte is left.
    static func verifyBody(commitment: PrivateCommitment, shapes: [PrivateLayerShape], last: PrivateLayerShape, input: [Int64],
                           output: [Int64], hidden: (PrivateLayerShape, [CurvePoint])?, _ t: inout Transcript,
                           _ e: EquationBatch, _ r: inout ProofReader) throws {
        func table(_ name: String, _ s: PrivateLayerShape) throws -> [CurvePoint] {
            try r.expectCount("\(name) bit-table rows", s.entries)
            let rows = try r.points(s.entries)
            PrivateProtocol.absorbBitTable(rows, &t)
            return rows
        }
        // Each layer's table, after the tables of the pool it reads through.
        var bitRows: [[CurvePoint]] = [], poolRows: [(output: [CurvePoint], selection: [CurvePoint])?] = []
        for (k, s) in shapes.enumerated() {
            if let pool = s.pool {
                poolRows.append((try table("layer \(k) pool output", pool.output), try table("layer \(k) pool selection", pool.selection)))
            } else {
                poolRows.append(nil)
            }
            bitRows.append(try table("layer \(k)", s))
        }
        if let (inputShape, inputRows) = hidden {
            try verifyBooleanity("input", inputShape, inputRows, &t, e, &r)
            try verifyComplement("input", inputShape, inputRows, &t, e, &r)
        }
        for (k, s) in shapes.enumerated() {
            var previous = k == 0 ? hidden : (shapes[k - 1], bitRows[k - 1])
            if let pool = s.pool, let rows = poolRows[k], let before = previous {
                try verifyPool(k, pool, output: rows.output, selection: rows.selection, previous: before, &t, e, &r)
                previous = (pool.output, rows.output)
            }
            try verifyBooleanity("layer \(k)", s, bitRows[k], &t, e, &r)
            try verifyClamp(k, s, bitRows[k], &t, e, &r)
            try verifyComplement("layer \(k)", s, bitRows[k], &t, e, &r)
            try verifyLinear(k, s, bitRows[k], weightRows: commitment.weightRows[k], previous: previous, input: input, &t, e, &r)
        }
        let point = t.challenges(TranscriptLabel.privateChallengeOutputPoint, count: Multilinear.variableCount(last.entries))
        let weights = Multilinear.eqTable(point)
        try verifyOpened("output", "activation evaluation", last, bitRows[shapes.count - 1], rowWeights: weights,
                         last.clampVector, expected: PrivateProtocol.outputValue(output, weights: weights, last), &t, e, &r,
                         else: "the last activation is not the output")
        try r.finish()
    }

    /// Runs a zero-knowledge check whose equations go to `equations`, naming the step and
    /// check when it fails (now, or when the batch finds one of its equations failing).
    static func check<T>(_ step: String, _ what: String, _ equations: EquationBatch,
                         _ body: () throws(ZKVerificationError) -> T) throws(ProofVerificationError) -> T {
        let name = { (error: ZKVerificationError) -> ProofVerificationError in
            .privateCheckFailed(step: step, check: "\(what): \(error.description)")
        }
        do { return try equations.naming(name, body) } catch { throw name(error) }
    }

    /// `c = v·G + r·H` (a public value with a revealed blinding) as an equation of
    /// `equations`; `failure` is the error when it does not hold.
    static func opensTo(_ c: CurvePoint, value v: Scalar, blinding r: Scalar, _ equations: EquationBatch,
                        else failure: ProofVerificationError) throws(ProofVerificationError) {
        do {
            try equations.naming({ _ in failure }) { () throws(ZKVerificationError) in
                try equations.add([c, Pedersen.scalarGenerator, Pedersen.blindingBase], [-Scalar.one, v, r],
                                  failure: .equationFailed(proof: "opening to a public value", equation: 1))
            }
        } catch {
            throw failure
        }
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

    static func verifyBooleanity(_ table: String, _ s: PrivateLayerShape, _ rows: [CurvePoint], _ t: inout Transcript,
                                 _ e: EquationBatch, _ r: inout ProofReader) throws {
        let step = "\(table) booleanity"
        let m = Multilinear.variableCount(s.entries * s.columnCount)
        let tau = t.challenges(TranscriptLabel.privateChallengeBooleanity, count: m)
        let proof = try ZKSumCheck.Proof(from: &r, variableCount: m, degree: 3)
        let (point, final) = try check(step, "zero-check", e) { () throws(ZKVerificationError) in
            try ZKSumCheck.verify(proof, variableCount: m, degree: 3, claimCommitment: Pedersen.blindingBase, transcript: &t,
                                  equations: e)
        }
        let eInverse = try inverse(step, PrivateProtocol.eq(tau, point))
        let evaluation = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let product = try ProductProof(from: &r)
        let v = try check(step, "bit evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyEvaluation(rows: rows, columnCount: s.columnCount, at: point, proof: evaluation, transcript: &t,
                                              equations: e)
        }
        let y = try shifted(step, v, [(Pedersen.scalarGenerator, -.one)])
        let z = try scaled(step, final, eInverse)
        try check(step, "v·(v − 1)", e) { () throws(ZKVerificationError) in
            try product.verify(x: v, y: y, z: z, transcript: &t, equations: e)
        }
    }

    static func verifyClamp(_ k: Int, _ s: PrivateLayerShape, _ rows: [CurvePoint], _ t: inout Transcript,
                            _ e: EquationBatch, _ r: inout ProofReader) throws {
        try verifyZeroProduct("layer \(k) clamp high P·(D − A) = 0", TranscriptLabel.privateChallengeClampHigh, s, rows,
                              factorVector: s.positiveVector, complemented: true, &t, e, &r)
        try verifyZeroProduct("layer \(k) clamp low N·A = 0", TranscriptLabel.privateChallengeClampLow, s, rows,
                              factorVector: s.negativeVector, complemented: false, &t, e, &r)
    }

    /// The zero-check `Σ eq(τ, e)·F(e)·A(e) = 0` (`F·(D − A)` when `complemented`) of
    /// `PrivateProver.proveZeroProduct`.
    static func verifyZeroProduct(_ step: String, _ label: String, _ s: PrivateLayerShape, _ rows: [CurvePoint],
                                  factorVector: [Scalar], complemented: Bool, _ t: inout Transcript, _ e: EquationBatch,
                                  _ r: inout ProofReader) throws {
        let m = Multilinear.variableCount(s.entries)
        let d = Scalar(s.span)
        let tau = t.challenges(label, count: m)
        let proof = try ZKSumCheck.Proof(from: &r, variableCount: m, degree: 3)
        let (point, final) = try check(step, "zero-check", e) { () throws(ZKVerificationError) in
            try ZKSumCheck.verify(proof, variableCount: m, degree: 3, claimCommitment: Pedersen.blindingBase, transcript: &t,
                                  equations: e)
        }
        let eInverse = try inverse(step, PrivateProtocol.eq(tau, point))
        let weights = Multilinear.eqTable(point)
        let fe = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let ge = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let product = try ProductProof(from: &r)
        let f = try check(step, "overflow evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: rows, columnCount: s.columnCount, rowWeights: weights, publicVector: factorVector,
                                          proof: fe, transcript: &t, equations: e)
        }
        let g = try check(step, "activation evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: rows, columnCount: s.columnCount, rowWeights: weights, publicVector: s.clampVector,
                                          proof: ge, transcript: &t, equations: e)
        }
        let y = complemented ? try shifted(step, try scaled(step, g, -.one), [(Pedersen.scalarGenerator, d)]) : g
        let z = try scaled(step, final, eInverse)
        try check(step, "product", e) { () throws(ZKVerificationError) in
            try product.verify(x: f, y: y, z: z, transcript: &t, equations: e)
        }
    }

    /// A linear evaluation of `rows` that must open, with the blinding that follows it, to the
    /// public value `expected`; `failure` says what it means when it does not.
    static func verifyOpened(_ step: String, _ what: String, _ s: PrivateLayerShape, _ rows: [CurvePoint], rowWeights: [Scalar],
                             _ vector: [Scalar], expected: Scalar, _ t: inout Transcript, _ e: EquationBatch,
                             _ r: inout ProofReader, else failure: String) throws {
        let evaluation = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let tau = try check(step, what, e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: rows, columnCount: s.columnCount, rowWeights: rowWeights, publicVector: vector,
                                          proof: evaluation, transcript: &t, equations: e)
        }
        let blinding = try r.scalar()
        t.absorb(TranscriptLabel.privateOpeningBlinding, scalars: [blinding])
        try opensTo(tau, value: expected, blinding: blinding, e, else: .privateCheckFailed(step: step, check: failure))
    }

    /// `PrivateProver.provePool`'s checks, step names `layer k pool …`.
    static func verifyPool(_ k: Int, _ pool: PrivatePoolShape, output: [CurvePoint], selection: [CurvePoint],
                           previous: (PrivateLayerShape, [CurvePoint]), _ t: inout Transcript, _ e: EquationBatch,
                           _ r: inout ProofReader) throws {
        let s = pool.selection, (ps, previousRows) = previous
        try verifyBooleanity("layer \(k) pool output", pool.output, output, &t, e, &r)
        try verifyBooleanity("layer \(k) pool selection", s, selection, &t, e, &r)
        try verifyZeroProduct("layer \(k) pool selector S·δ = 0", TranscriptLabel.privateChallengePoolSelector, s, selection,
                              factorVector: pool.selectorVector, complemented: false, &t, e, &r)
        let rs = t.challenges(TranscriptLabel.privateChallengePoolSelection, count: Multilinear.variableCount(pool.output.entries))
        let (selectionWeights, windows) = PrivateProtocol.poolSelectionWeights(r: rs, pool)
        try verifyOpened("layer \(k) pool selection ΣS = 1", "evaluation", s, selection, rowWeights: selectionWeights,
                         pool.selectorVector, expected: windows, &t, e, &r, else: "a window does not select exactly one tap")
        let step = "layer \(k) pool difference m − a − δ = 0"
        let point = t.challenges(TranscriptLabel.privateChallengePoolDifference, count: Multilinear.variableCount(s.entries))
        let weights = PrivateProtocol.poolDifferenceWeights(r: point, pool, previous: ps)
        let me = try BlindedHyrax.EvaluationProof(from: &r, columnCount: pool.output.columnCount)
        let ae = try BlindedHyrax.EvaluationProof(from: &r, columnCount: ps.columnCount)
        let de = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let tauM = try check(step, "maximum evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: output, columnCount: pool.output.columnCount, rowWeights: weights.output,
                                          publicVector: pool.output.clampVector, proof: me, transcript: &t, equations: e)
        }
        let tauA = try check(step, "input activation evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: previousRows, columnCount: ps.columnCount, rowWeights: weights.previous,
                                          publicVector: ps.clampVector, proof: ae, transcript: &t, equations: e)
        }
        let tauD = try check(step, "difference evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: selection, columnCount: s.columnCount, rowWeights: weights.selection,
                                          publicVector: s.clampVector, proof: de, transcript: &t, equations: e)
        }
        let blinding = try r.scalar()
        t.absorb(TranscriptLabel.privateOpeningBlinding, scalars: [blinding])
        try opensTo(try shifted(step, tauM, [(tauA, -.one), (tauD, -.one)]), value: .zero, blinding: blinding, e,
                    else: .privateCheckFailed(step: step, check: "a maximum is not its tap plus the difference"))
    }

    static func verifyComplement(_ table: String, _ s: PrivateLayerShape, _ rows: [CurvePoint], _ t: inout Transcript,
                                 _ e: EquationBatch, _ r: inout ProofReader) throws {
        guard s.complementBits > 0 else { return }
        let point = t.challenges(TranscriptLabel.privateChallengeComplement, count: Multilinear.variableCount(s.entries))
        let weights = Multilinear.eqTable(point)
        try verifyOpened("\(table) complement A + C = D", "evaluation", s, rows, rowWeights: weights, s.spanVector,
                         expected: Scalar(s.span) * PrivateProtocol.realEntrySum(weights, s), &t, e, &r,
                         else: "the opened value is not D·ĩ")
    }

    static func verifyLinear(_ k: Int, _ s: PrivateLayerShape, _ rows: [CurvePoint], weightRows: [CurvePoint],
                             previous: (PrivateLayerShape, [CurvePoint])?, input: [Int64],
                             _ t: inout Transcript, _ e: EquationBatch, _ r: inout ProofReader) throws {
        let step = "layer \(k) linear Z = W·X + b"
        let rowVariables = Multilinear.variableCount(s.paddedRows)
        let linearPoint = t.challenges(TranscriptLabel.privateChallengeLinearPoint,
                                       count: rowVariables + Multilinear.variableCount(s.paddedColumns))
        let rp = Array(linearPoint.prefix(rowVariables)), q = Array(linearPoint.dropFirst(rowVariables))
        let ze = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.columnCount)
        let tauZ = try check(step, "pre-activation evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: rows, columnCount: s.columnCount, rowWeights: Multilinear.eqTable(linearPoint),
                                          publicVector: s.preActivationVector, proof: ze, transcript: &t, equations: e)
        }
        let eqR = Multilinear.eqTable(rp)
        let offset = s.preActivationOffset * PrivateLayerShape.prefixSum(eqR, s.rows)
            * PrivateLayerShape.prefixSum(Multilinear.eqTable(q), s.columns)
        let claim = try shifted(step, tauZ, [(Pedersen.scalarGenerator, offset)])
        guard let (ps, previousRows) = previous else {
            let dot = try DotProductProof(from: &r, length: s.weightColumns)
            try check(step, "product with the input", e) { () throws(ZKVerificationError) in
                try BlindedHyrax.verifyLinearAgainst(rows: weightRows, columnCount: s.weightColumns, rowWeights: eqR,
                                                     publicVector: PrivateProtocol.inputColumn(input, q: q, s),
                                                     valueCommitment: claim, proof: dot, transcript: &t, equations: e)
            }
            return
        }
        let m = Multilinear.variableCount(s.weightColumns)
        let proof = try ZKSumCheck.Proof(from: &r, variableCount: m, degree: 2)
        let (rho, final) = try check(step, "sum-check over the inner index", e) { () throws(ZKVerificationError) in
            try ZKSumCheck.verify(proof, variableCount: m, degree: 2, claimCommitment: claim, transcript: &t, equations: e)
        }
        let we = try BlindedHyrax.EvaluationProof(from: &r, columnCount: s.weightColumns)
        let ae = try BlindedHyrax.EvaluationProof(from: &r, columnCount: ps.columnCount)
        let product = try ProductProof(from: &r)
        let tauW = try check(step, "weight evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyEvaluation(rows: weightRows, columnCount: s.weightColumns, at: rp + rho, proof: we,
                                              transcript: &t, equations: e)
        }
        let (rowWeights, reads) = PrivateProtocol.activationWeights(rho: rho, q: q, layer: s, previous: ps)
        let tauA = try check(step, "input activation evaluation", e) { () throws(ZKVerificationError) in
            try BlindedHyrax.verifyLinear(rows: previousRows, columnCount: ps.columnCount, rowWeights: rowWeights,
                                          publicVector: ps.clampVector, proof: ae, transcript: &t, equations: e)
        }
        let constant = PrivateProtocol.activationConstant(rho: rho, q: q, reads: reads, layer: s, previous: ps)
        let y = try shifted(step, tauA, [(Pedersen.scalarGenerator, constant)])
        try check(step, "final product", e) { () throws(ZKVerificationError) in
            try product.verify(x: tauW, y: y, z: final, transcript: &t, equations: e)
        }
    }
}
