import ZKProof

/// The private prover (docs/PROTOCOL.md, "Private proofs (protocol v2)").
///
/// It runs the model, writes each layer's pre-activations as a bit table, commits each table
/// with blinded Hyrax rows, and proves with zero-knowledge sum-checks and Σ-protocols that
/// the bits are bits, that they spell the rescale and clamp of `Z`, that `Z = [W | b]·[X; 1]`
/// with `X` the previous layer's activation (or the public input), and that the last
/// activation is the public output.
public enum PrivateProver {
    /// A fresh hiding commitment (new blindings every call: two commitments of one model differ).
    public static func commit(_ model: QuantizedModel) throws(PrivateProofError)
        -> (commitment: PrivateCommitment, material: PrivateMaterial) {
        let unsupported = PrivateReadiness.unsupportedOperators(model.spec)
        guard unsupported.isEmpty else { throw .unsupportedOperator(unsupported.joined(separator: ", ")) }
        guard let shapes = PrivateProtocol.shapes(model.spec, items: 1) else { throw .unsupportedOperator("Gemm") }
        var rows: [[CurvePoint]] = [], blindings: [[Blinding]] = []
        for (layer, shape) in zip(model.layers, shapes) {
            let table = PrivateCommitment.weightTable(layer, columns: shape.weightColumns)
            guard let c = BlindedHyrax.commit(table, columnCount: shape.weightColumns) else { throw .groupOperationFailed }
            rows.append(c.rows)
            blindings.append(c.blindings.map { Blinding(scalar: $0) })
        }
        let commitment = PrivateCommitment(spec: model.spec, weightRows: rows)
        return (commitment, PrivateMaterial(commitmentDigest: SHA256Digest.hash(commitment.encoded), blindings: blindings))
    }

    /// `input` is one item or B items concatenated, as for public proofs.
    public static func prove(model: QuantizedModel, commitment: PrivateCommitment, material: PrivateMaterial,
                             input: [Int64], context: BindingContext) throws(PrivateProofError)
        -> (output: [Int64], proof: [UInt8]) {
        let unsupported = PrivateReadiness.unsupportedOperators(model.spec)
        guard unsupported.isEmpty else { throw .unsupportedOperator(unsupported.joined(separator: ", ")) }
        guard model.spec == commitment.spec, material.commitmentDigest == SHA256Digest.hash(commitment.encoded) else {
            throw .materialMismatch
        }
        let traces: [InferenceTrace]
        do { traces = try model.runBatch(input) } catch { throw .invalidInput(error) }
        guard let shapes = PrivateProtocol.shapes(model.spec, items: traces.count) else { throw .unsupportedOperator("Gemm") }
        let tables = try bitTables(shapes, traces)
        let pools = try poolTables(shapes, traces, spec: model.spec)
        let output = traces.flatMap(\.output)
        guard let proof = proveTables(model: model, commitment: commitment, material: material, shapes: shapes,
                                      tables: tables, pools: pools, input: input, output: output, context: context) else {
            throw .groupOperationFailed
        }
        return (output, proof)
    }

    /// `prove`, or with `hideInput` a proof that names a commitment to the input in place of
    /// the input (version 2; docs/PROTOCOL.md, "Hidden input"), and the opening of that
    /// commitment (nil when the input is public).
    public static func prove(model: QuantizedModel, commitment: PrivateCommitment, material: PrivateMaterial,
                             input: [Int64], context: BindingContext, hideInput: Bool) throws(PrivateProofError)
        -> (output: [Int64], proof: [UInt8], opening: PrivateInputOpening?) {
        guard hideInput else {
            let (output, proof) = try prove(model: model, commitment: commitment, material: material, input: input, context: context)
            return (output, proof, nil)
        }
        let unsupported = PrivateReadiness.unsupportedOperators(model.spec)
        guard unsupported.isEmpty else { throw .unsupportedOperator(unsupported.joined(separator: ", ")) }
        guard model.spec == commitment.spec, material.commitmentDigest == SHA256Digest.hash(commitment.encoded) else {
            throw .materialMismatch
        }
        let traces: [InferenceTrace]
        do { traces = try model.runBatch(input) } catch { throw .invalidInput(error) }
        guard let shapes = PrivateProtocol.shapes(model.spec, items: traces.count),
              let inputShape = PrivateLayerShape(input: model.spec, items: traces.count) else { throw .unsupportedOperator("Gemm") }
        guard let inputTable = inputShape.inputTable(input) else { throw .witnessOutOfBound(layer: -1) }
        let tables = try bitTables(shapes, traces)
        let pools = try poolTables(shapes, traces, spec: model.spec)
        let output = traces.flatMap(\.output)
        guard let c = BlindedHyrax.commit(inputTable, columnCount: inputShape.columnCount),
              let proof = proveTables(model: model, commitment: commitment, material: material, shapes: shapes, tables: tables,
                                      pools: pools, input: input, output: output, context: context,
                                      hidden: LayerWitness(shape: inputShape, table: inputTable, rows: c.rows, blindings: c.blindings))
        else { throw .groupOperationFailed }
        return (output, proof, PrivateInputOpening(input: input, blindings: c.blindings.map { Blinding(scalar: $0) }))
    }

    /// Each layer's bit table from the batch's traces.
    static func bitTables(_ shapes: [PrivateLayerShape], _ traces: [InferenceTrace]) throws(PrivateProofError) -> [[Int64]] {
        var tables: [[Int64]] = []
        for (k, shape) in shapes.enumerated() {
            guard let table = shape.bitTable(shape.preActivations(traces, layer: k)) else { throw .witnessOutOfBound(layer: k) }
            tables.append(table)
        }
        return tables
    }

    /// Follows the protocol for any bit tables, true or not: `prove` passes the real ones;
    /// soundness tests pass false ones, playing a prover that does every other step honestly.
    static func proveTables(model: QuantizedModel, commitment: PrivateCommitment, material: PrivateMaterial,
                            shapes: [PrivateLayerShape], tables: [[Int64]], pools: [PoolTables?]? = nil, input: [Int64],
                            output: [Int64], context: BindingContext, hidden: LayerWitness? = nil) -> [UInt8]? {
        var w = ProofWriter()
        w.raw(PrivateProtocol.proofMagic)
        w.u16(hidden == nil ? PrivateProtocol.version : PrivateProtocol.hiddenInputVersion)
        w.int64Array(output)
        var t: Transcript
        if let hidden {
            // The input table's rows are the input commitment: sent after `y`, absorbed as the statement.
            w.u32(UInt32(hidden.rows.count))
            for p in hidden.rows { w.point(p) }
            t = PrivateProtocol.beginTranscript(commitment: commitment, context: context,
                                                inputCommitment: PrivateInputCommitment(rows: hidden.rows), output: output)
        } else {
            t = PrivateProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        }
        // Each layer's table, after the tables of the pool it reads through.
        func committed(_ shape: PrivateLayerShape, _ table: [Int64]) -> LayerWitness? {
            guard let c = BlindedHyrax.commit(table, columnCount: shape.columnCount) else { return nil }
            PrivateProtocol.absorbBitTable(c.rows, &t)
            w.u32(UInt32(c.rows.count))
            for p in c.rows { w.point(p) }
            return LayerWitness(shape: shape, table: table, rows: c.rows, blindings: c.blindings)
        }
        var witness: [LayerWitness] = [], poolWitness: [(output: LayerWitness, selection: LayerWitness)?] = []
        for (k, (shape, table)) in zip(shapes, tables).enumerated() {
            var pool: (output: LayerWitness, selection: LayerWitness)?
            if let ps = shape.pool {
                guard let pt = pools?[k], let o = committed(ps.output, pt.output), let d = committed(ps.selection, pt.selection)
                else { return nil }
                pool = (o, d)
            }
            guard let layer = committed(shape, table) else { return nil }
            witness.append(layer)
            poolWitness.append(pool)
        }
        if let hidden {
            guard proveBooleanity(hidden, &t, &w), proveComplement(hidden, &t, &w) else { return nil }
        }
        for k in shapes.indices {
            let weights = WeightWitness(table: PrivateCommitment.weightTable(model.layers[k], columns: shapes[k].weightColumns),
                                        shape: shapes[k], rows: commitment.weightRows[k],
                                        blindings: material.blindings[k].map(\.scalar))
            var previous = k == 0 ? hidden : witness[k - 1]
            if let pool = poolWitness[k], let ps = shapes[k].pool, let before = previous {
                guard provePool(ps, output: pool.output, selection: pool.selection, previous: before, &t, &w) else { return nil }
                previous = pool.output
            }
            guard proveBooleanity(witness[k], &t, &w),
                  proveClamp(witness[k], &t, &w),
                  proveComplement(witness[k], &t, &w),
                  proveLinear(witness[k], weights: weights, previous: previous, input: input, &t, &w)
            else { return nil }
        }
        guard let last = witness.last else { return nil }
        let r = t.challenges(TranscriptLabel.privateChallengeOutputPoint, count: Multilinear.variableCount(last.shape.entries))
        guard proveOpened(last, rowWeights: Multilinear.eqTable(r), last.shape.clampVector, &t, &w) else { return nil }
        return w.bytes
    }

    /// A max pool's two tables (docs/PROTOCOL.md, "Max pooling").
    struct PoolTables {
        let output: [Int64]
        let selection: [Int64]
    }

    /// The pool tables of each layer that reads through a max pool (nil for the others), from
    /// the previous layer's activations.
    static func poolTables(_ shapes: [PrivateLayerShape], _ traces: [InferenceTrace], spec: ModelSpec)
        throws(PrivateProofError) -> [PoolTables?] {
        var out: [PoolTables?] = []
        for (k, shape) in shapes.enumerated() {
            guard let pool = shape.pool else { out.append(nil); continue }
            let activation = traces.flatMap { spec.layers[k - 1].activate($0.layers[k - 1].preActivation) }
            guard let (o, d) = pool.tables(activation) else { throw .witnessOutOfBound(layer: k) }
            out.append(PoolTables(output: o, selection: d))
        }
        return out
    }

    /// One layer's committed bit table and what opening it needs.
    struct LayerWitness {
        let shape: PrivateLayerShape
        let table: [Int64]
        let rows: [CurvePoint]
        let blindings: [Scalar]

        func linear(rowWeights: [Scalar], _ a: [Scalar], _ t: inout Transcript)
            -> (proof: BlindedHyrax.EvaluationProof, value: Scalar, valueBlinding: Scalar)? {
            BlindedHyrax.proveLinear(table, columnCount: shape.columnCount, rows: rows, blindings: blindings,
                                     rowWeights: rowWeights, publicVector: a, transcript: &t)
        }
    }

    /// One layer's committed `[W | b]` table.
    struct WeightWitness {
        let table: [Int64]
        let shape: PrivateLayerShape
        let rows: [CurvePoint]
        let blindings: [Scalar]
    }

    /// `Σ eq(τ, x)·T(x)·(T(x) − 1) = 0` over every cell, then `C_m = e·v·(v − 1)` for `v = T̃(ρ)`.
    static func proveBooleanity(_ l: LayerWitness, _ t: inout Transcript, _ w: inout ProofWriter) -> Bool {
        let m = Multilinear.variableCount(l.shape.entries * l.shape.columnCount)
        let tau = t.challenges(TranscriptLabel.privateChallengeBooleanity, count: m)
        let cells = l.table.map { Scalar($0) }
        let eq = Multilinear.eqTable(tau)
        guard let sc = ZKSumCheck.prove(tables: [eq, cells, cells.map { $0 - .one }], claimCommitment: Pedersen.blindingBase,
                                        claimBlinding: .one, firstRound: ZKSumCheck.booleanityFirstRound(eq: eq, bits: l.table),
                                        transcript: &t) else { return false }
        sc.proof.encode(to: &w)
        guard let eInverse = PrivateProtocol.eq(tau, sc.point).inverse(),
              let ev = BlindedHyrax.proveEvaluation(l.table, columnCount: l.shape.columnCount, rows: l.rows,
                                                    blindings: l.blindings, at: sc.point, transcript: &t),
              let y = PrivateProtocol.combine([ev.proof.valueCommitment, Pedersen.scalarGenerator], [.one, -.one]),
              let z = PrivateProtocol.combine([sc.finalCommitment], [eInverse]),
              let product = ProductProof.prove(x: ev.proof.valueCommitment, y: y, z: z, xValue: ev.value, xBlinding: ev.valueBlinding,
                                               yValue: ev.value - .one, yBlinding: ev.valueBlinding,
                                               zBlinding: sc.finalBlinding * eInverse, transcript: &t) else { return false }
        ev.proof.encode(to: &w)
        product.encode(to: &w)
        return true
    }

    /// `Σ eq(τ', e)·P(e)·(D − A(e)) = 0` and `Σ eq(τ'', e)·N(e)·A(e) = 0` over the entries.
    static func proveClamp(_ l: LayerWitness, _ t: inout Transcript, _ w: inout ProofWriter) -> Bool {
        let s = l.shape
        return proveZeroProduct(l, TranscriptLabel.privateChallengeClampHigh,
                                factor: s.groupValues(l.table, start: s.positiveStart, bits: s.overflowBits),
                                factorVector: s.positiveVector, complemented: true, &t, &w)
            && proveZeroProduct(l, TranscriptLabel.privateChallengeClampLow,
                                factor: s.groupValues(l.table, start: s.negativeStart, bits: s.overflowBits),
                                factorVector: s.negativeVector, complemented: false, &t, &w)
    }

    /// `Σ eq(τ, e)·F(e)·A(e) = 0` (or `F·(D − A)` when `complemented`) over the entries, `F` the
    /// group of `factorVector`: a ZK zero-check, then linear evaluations of `F̃` and `Ã` at its
    /// point and a product proof.
    static func proveZeroProduct(_ l: LayerWitness, _ label: String, factor: [Scalar], factorVector: [Scalar], complemented: Bool,
                                 _ t: inout Transcript, _ w: inout ProofWriter) -> Bool {
        let s = l.shape
        let a = s.groupValues(l.table, start: s.clampStart, bits: s.clampBits)
        let d = Scalar(s.span)
        let tau = t.challenges(label, count: Multilinear.variableCount(s.entries))
        guard let sc = ZKSumCheck.prove(tables: [Multilinear.eqTable(tau), factor, complemented ? a.map { d - $0 } : a],
                                        claimCommitment: Pedersen.blindingBase, claimBlinding: .one, transcript: &t) else { return false }
        sc.proof.encode(to: &w)
        let weights = Multilinear.eqTable(sc.point)
        guard let eInverse = PrivateProtocol.eq(tau, sc.point).inverse(),
              let f = l.linear(rowWeights: weights, factorVector, &t),
              let g = l.linear(rowWeights: weights, s.clampVector, &t) else { return false }
        // The second factor is `D − Ã` for the high side, `Ã` for the low side.
        let y = complemented ? PrivateProtocol.combine([Pedersen.scalarGenerator, g.proof.valueCommitment], [d, -.one])
                             : g.proof.valueCommitment
        guard let y, let z = PrivateProtocol.combine([sc.finalCommitment], [eInverse]),
              let product = ProductProof.prove(x: f.proof.valueCommitment, y: y, z: z, xValue: f.value, xBlinding: f.valueBlinding,
                                               yValue: complemented ? d - g.value : g.value,
                                               yBlinding: complemented ? -g.valueBlinding : g.valueBlinding,
                                               zBlinding: sc.finalBlinding * eInverse, transcript: &t) else { return false }
        f.proof.encode(to: &w)
        g.proof.encode(to: &w)
        product.encode(to: &w)
        return true
    }

    /// A linear evaluation whose value is public, then its blinding (absorbed and sent).
    static func proveOpened(_ l: LayerWitness, rowWeights: [Scalar], _ vector: [Scalar], _ t: inout Transcript,
                            _ w: inout ProofWriter) -> Bool {
        guard let c = l.linear(rowWeights: rowWeights, vector, &t) else { return false }
        c.proof.encode(to: &w)
        t.absorb(TranscriptLabel.privateOpeningBlinding, scalars: [c.valueBlinding])
        w.scalar(c.valueBlinding)
        return true
    }

    /// A max pool's checks: both tables' booleanity, `S·δ = 0`, `Σ_u S = 1` per window (opened),
    /// and `m − a − δ = 0` on every tap (`τ_m − τ_a − τ_δ` opened to 0).
    static func provePool(_ pool: PrivatePoolShape, output o: LayerWitness, selection d: LayerWitness, previous p: LayerWitness,
                          _ t: inout Transcript, _ w: inout ProofWriter) -> Bool {
        let s = pool.selection
        guard proveBooleanity(o, &t, &w), proveBooleanity(d, &t, &w),
              proveZeroProduct(d, TranscriptLabel.privateChallengePoolSelector,
                               factor: s.groupValues(d.table, start: pool.selectorColumn, bits: 1),
                               factorVector: pool.selectorVector, complemented: false, &t, &w) else { return false }
        let r = t.challenges(TranscriptLabel.privateChallengePoolSelection, count: Multilinear.variableCount(pool.output.entries))
        guard proveOpened(d, rowWeights: PrivateProtocol.poolSelectionWeights(r: r, pool).weights, pool.selectorVector, &t, &w)
        else { return false }
        let point = t.challenges(TranscriptLabel.privateChallengePoolDifference, count: Multilinear.variableCount(s.entries))
        let weights = PrivateProtocol.poolDifferenceWeights(r: point, pool, previous: p.shape)
        guard let m = o.linear(rowWeights: weights.output, pool.output.clampVector, &t),
              let a = p.linear(rowWeights: weights.previous, p.shape.clampVector, &t),
              let delta = d.linear(rowWeights: weights.selection, s.clampVector, &t) else { return false }
        m.proof.encode(to: &w)
        a.proof.encode(to: &w)
        delta.proof.encode(to: &w)
        let blinding = m.valueBlinding - a.valueBlinding - delta.valueBlinding
        t.absorb(TranscriptLabel.privateOpeningBlinding, scalars: [blinding])
        w.scalar(blinding)
        return true
    }

    /// `Ã + C̃ = D·ĩ` at a random point, the value opened (it is public).
    static func proveComplement(_ l: LayerWitness, _ t: inout Transcript, _ w: inout ProofWriter) -> Bool {
        guard l.shape.complementBits > 0 else { return true }
        let r = t.challenges(TranscriptLabel.privateChallengeComplement, count: Multilinear.variableCount(l.shape.entries))
        return proveOpened(l, rowWeights: Multilinear.eqTable(r), l.shape.spanVector, &t, &w)
    }

    /// `Z̃(r, q) = Σ_j W̃'(r, j)·X̃'(j, q)`: one dot product against the public input for the
    /// first layer, a sum-check and a product of two evaluations for the others.
    static func proveLinear(_ l: LayerWitness, weights: WeightWitness, previous: LayerWitness?, input: [Int64],
                            _ t: inout Transcript, _ w: inout ProofWriter) -> Bool {
        let s = l.shape
        let rowVariables = Multilinear.variableCount(s.paddedRows)
        let point = t.challenges(TranscriptLabel.privateChallengeLinearPoint,
                                 count: rowVariables + Multilinear.variableCount(s.paddedColumns))
        let r = Array(point.prefix(rowVariables)), q = Array(point.dropFirst(rowVariables))
        guard let ez = l.linear(rowWeights: Multilinear.eqTable(point), s.preActivationVector, &t) else { return false }
        ez.proof.encode(to: &w)
        let eqR = Multilinear.eqTable(r)
        let offset = s.preActivationOffset * PrivateLayerShape.prefixSum(eqR, s.rows)
            * PrivateLayerShape.prefixSum(Multilinear.eqTable(q), s.columns)
        guard let claim = PrivateProtocol.combine([ez.proof.valueCommitment, Pedersen.scalarGenerator], [.one, offset]) else { return false }
        guard let p = previous else {
            guard let dot = BlindedHyrax.proveLinearAgainst(weights.table, columnCount: s.weightColumns, rows: weights.rows,
                                                            blindings: weights.blindings, rowWeights: eqR,
                                                            publicVector: PrivateProtocol.inputColumn(input, q: q, s),
                                                            valueCommitment: claim, valueBlinding: ez.valueBlinding,
                                                            transcript: &t) else { return false }
            dot.encode(to: &w)
            return true
        }
        let wr = Hyrax.rowCombination(weights.table, columnCount: s.weightColumns, weights: eqR)
        let ps = p.shape
        let activations = ps.groupValues(p.table, start: ps.clampStart, bits: ps.clampBits)
        let x = PrivateProtocol.columnVector(q: q, s) { n, item in Scalar(ps.lo) + activations[ps.entry(n, item: item)] }
        guard let sc = ZKSumCheck.prove(tables: [wr, x], claimCommitment: claim, claimBlinding: ez.valueBlinding,
                                        transcript: &t) else { return false }
        sc.proof.encode(to: &w)
        let (rowWeights, reads) = PrivateProtocol.activationWeights(rho: sc.point, q: q, layer: s, previous: ps)
        guard let ew = BlindedHyrax.proveEvaluation(weights.table, columnCount: s.weightColumns, rows: weights.rows,
                                                    blindings: weights.blindings, at: r + sc.point, transcript: &t),
              let ea = p.linear(rowWeights: rowWeights, ps.clampVector, &t)
        else { return false }
        let constant = PrivateProtocol.activationConstant(rho: sc.point, q: q, reads: reads, layer: s, previous: ps)
        guard let y = PrivateProtocol.combine([ea.proof.valueCommitment, Pedersen.scalarGenerator], [.one, constant]),
              let product = ProductProof.prove(x: ew.proof.valueCommitment, y: y, z: sc.finalCommitment, xValue: ew.value,
                                               xBlinding: ew.valueBlinding, yValue: ea.value + constant, yBlinding: ea.valueBlinding,
                                               zBlinding: sc.finalBlinding, transcript: &t) else { return false }
        ew.proof.encode(to: &w)
        ea.proof.encode(to: &w)
        product.encode(to: &w)
        return true
    }
}
