@testable import Inference
@testable import ZKProof

/// The zero-knowledge simulator of a whole private proof (docs/PROTOCOL.md, "Private proofs
/// (protocol v2)", zero-knowledge argument).
///
/// It knows the statement only: the commitment's public part (spec and weight rows), the
/// input and a claimed output, true or not. No weights, activations or blindings. It programs
/// the random oracle: it picks every challenge itself, in the verifier's order, and returns
/// them as a `ChallengeProgram` for `PrivateVerifier.verify(…, challenges:)`. The binding
/// context is not needed: with every challenge programmed no transcript hash is read.
///
/// Method, as for each Σ-protocol alone: every commitment the prover would send as a fresh
/// hiding commitment (bit-table rows, value commitments `τ`, sum-check `K_j` and `C_(j+1)`) is
/// a fresh uniform point, except the two `τ` whose blinding the proof reveals (complement and
/// output), which are `Com(public value; uniform)`. Each Σ-protocol's challenge and responses
/// are uniform and its first messages are solved from the verification equations. Honest
/// proofs have the same distribution, element by element.
struct PrivateProofSimulator {
    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    /// The proof bytes and the challenges they are accepted with.
    struct Simulated: Sendable {
        let proof: [UInt8]
        let challenges: ChallengeProgram
    }

    private var programmed: [Scalar] = []
    private var w = ProofWriter()

    /// Simulates a proof that `commitment`'s model maps `input` to `output`.
    static func simulate(commitment: PrivateCommitment, input: [Int64], output: [Int64]) throws -> Simulated {
        guard let items = commitment.spec.batchSize(values: input.count) else { throw Failed(description: "the statement has no private proof") }
        return try simulate(commitment: commitment, items: items, input: input, hidden: false, output: output)
    }

    /// Simulates a hidden-input proof (version 2) of `items` items with output `output`: it
    /// knows no input at all; the input commitment is fresh uniform rows, as honest ones are.
    static func simulateHidingInput(commitment: PrivateCommitment, items: Int, output: [Int64]) throws -> Simulated {
        try simulate(commitment: commitment, items: items, input: [], hidden: true, output: output)
    }

    static func simulate(commitment: PrivateCommitment, items: Int, input: [Int64], hidden: Bool, output: [Int64]) throws -> Simulated {
        let spec = commitment.spec
        guard let shapes = PrivateProtocol.shapes(spec, items: items), let inputShape = PrivateLayerShape(input: spec, items: items),
              let last = shapes.last, shapes.count == commitment.weightRows.count, output.count == last.rows * last.columns else {
            throw Failed(description: "the statement has no private proof")
        }
        var s = PrivateProofSimulator()
        s.w.raw(PrivateProtocol.proofMagic)
        s.w.u16(hidden ? PrivateProtocol.hiddenInputVersion : PrivateProtocol.version)
        s.w.int64Array(output)
        var inputRows: [CurvePoint] = []
        if hidden {
            inputRows = try (0..<inputShape.entries).map { _ in try uniformPoint() }
            s.w.u32(UInt32(inputRows.count))
            for p in inputRows { s.w.point(p) }
        }
        func table(_ shape: PrivateLayerShape) throws -> [CurvePoint] {
            let rows = try (0..<shape.entries).map { _ in try uniformPoint() }
            s.w.u32(UInt32(rows.count))
            for p in rows { s.w.point(p) }
            return rows
        }
        var bitRows: [[CurvePoint]] = [], poolRows: [(output: [CurvePoint], selection: [CurvePoint])?] = []
        for shape in shapes {
            if let pool = shape.pool { poolRows.append((try table(pool.output), try table(pool.selection))) } else { poolRows.append(nil) }
            bitRows.append(try table(shape))
        }
        if hidden {
            try s.booleanity(inputShape, inputRows)
            try s.complement(inputShape, inputRows)
        }
        for (k, shape) in shapes.enumerated() {
            var previous = k == 0 ? (hidden ? (inputShape, inputRows) : nil) : (shapes[k - 1], bitRows[k - 1])
            if let pool = shape.pool, let rows = poolRows[k], let before = previous {
                try s.pool(pool, output: rows.output, selection: rows.selection, previous: before)
                previous = (pool.output, rows.output)
            }
            try s.booleanity(shape, bitRows[k])
            try s.clamp(shape, bitRows[k])
            try s.complement(shape, bitRows[k])
            try s.linear(shape, bitRows[k], weightRows: commitment.weightRows[k], previous: previous, input: input)
        }
        let point = s.challenges(Multilinear.variableCount(last.entries))
        let weights = Multilinear.eqTable(point)
        try s.opened(last, bitRows[shapes.count - 1], rowWeights: weights, publicVector: last.clampVector,
                     value: PrivateProtocol.outputValue(output, weights: weights, last))
        return Simulated(proof: s.w.bytes, challenges: ChallengeProgram(s.programmed))
    }

    // MARK: The steps, in the verifier's order

    mutating func booleanity(_ shape: PrivateLayerShape, _ rows: [CurvePoint]) throws {
        let m = Multilinear.variableCount(shape.entries * shape.columnCount)
        let tau = challenges(m)
        let (point, final) = try sumCheck(variableCount: m, degree: 3, claim: Pedersen.blindingBase)
        let eInverse = try Self.inverse(PrivateProtocol.eq(tau, point))
        let columnVariables = Multilinear.variableCount(shape.columnCount)
        let v = try evaluation(rows, rowWeights: Multilinear.eqTable(Array(point.dropLast(columnVariables))),
                               publicVector: Multilinear.eqTable(Array(point.suffix(columnVariables))))
        try product(x: v, y: try Self.msm([v, Pedersen.scalarGenerator], [.one, -.one]), z: try Self.msm([final], [eInverse]))
    }

    mutating func clamp(_ shape: PrivateLayerShape, _ rows: [CurvePoint]) throws {
        try zeroProduct(shape, rows, factorVector: shape.positiveVector, complemented: true)
        try zeroProduct(shape, rows, factorVector: shape.negativeVector, complemented: false)
    }

    mutating func zeroProduct(_ shape: PrivateLayerShape, _ rows: [CurvePoint], factorVector: [Scalar], complemented: Bool) throws {
        let m = Multilinear.variableCount(shape.entries)
        let tau = challenges(m)
        let (point, final) = try sumCheck(variableCount: m, degree: 3, claim: Pedersen.blindingBase)
        let eInverse = try Self.inverse(PrivateProtocol.eq(tau, point))
        let weights = Multilinear.eqTable(point)
        let f = try evaluation(rows, rowWeights: weights, publicVector: factorVector)
        let g = try evaluation(rows, rowWeights: weights, publicVector: shape.clampVector)
        let y = complemented ? try Self.msm([g, Pedersen.scalarGenerator], [-.one, Scalar(shape.span)]) : g
        try product(x: f, y: y, z: try Self.msm([final], [eInverse]))
    }

    mutating func pool(_ pool: PrivatePoolShape, output: [CurvePoint], selection: [CurvePoint],
                       previous: (PrivateLayerShape, [CurvePoint])) throws {
        let s = pool.selection, (ps, previousRows) = previous
        try booleanity(pool.output, output)
        try booleanity(s, selection)
        try zeroProduct(s, selection, factorVector: pool.selectorVector, complemented: false)
        let (selectionWeights, windows) = PrivateProtocol.poolSelectionWeights(r: challenges(Multilinear.variableCount(pool.output.entries)), pool)
        try opened(s, selection, rowWeights: selectionWeights, publicVector: pool.selectorVector, value: windows)
        let weights = PrivateProtocol.poolDifferenceWeights(r: challenges(Multilinear.variableCount(s.entries)), pool, previous: ps)
        // τ_m and τ_a uniform; τ_δ = τ_m − τ_a − Com(0; b) so that the difference opens to 0 with `b`.
        let tauM = try evaluation(output, rowWeights: weights.output, publicVector: pool.output.clampVector)
        let tauA = try evaluation(previousRows, rowWeights: weights.previous, publicVector: ps.clampVector)
        let blinding = Pedersen.randomScalar()
        let tauD = try Self.msm([tauM, tauA, Pedersen.blindingBase], [.one, -.one, -blinding])
        let proof = try simulatedDotProduct(terms: selection, weights: Array(weights.selection.prefix(selection.count)), value: tauD,
                                            publicVector: s.clampVector)
        BlindedHyrax.EvaluationProof(valueCommitment: tauD, dotProduct: proof).encode(to: &w)
        w.scalar(blinding)
    }

    mutating func complement(_ shape: PrivateLayerShape, _ rows: [CurvePoint]) throws {
        guard shape.complementBits > 0 else { return }
        let weights = Multilinear.eqTable(challenges(Multilinear.variableCount(shape.entries)))
        try opened(shape, rows, rowWeights: weights, publicVector: shape.spanVector,
                   value: Scalar(shape.span) * PrivateProtocol.realEntrySum(weights, shape))
    }

    mutating func linear(_ shape: PrivateLayerShape, _ rows: [CurvePoint], weightRows: [CurvePoint],
                         previous: (PrivateLayerShape, [CurvePoint])?, input: [Int64]) throws {
        let rowVariables = Multilinear.variableCount(shape.paddedRows)
        let linearPoint = challenges(rowVariables + Multilinear.variableCount(shape.paddedColumns))
        let rp = Array(linearPoint.prefix(rowVariables)), q = Array(linearPoint.dropFirst(rowVariables))
        let tauZ = try evaluation(rows, rowWeights: Multilinear.eqTable(linearPoint), publicVector: shape.preActivationVector)
        let eqR = Multilinear.eqTable(rp)
        let offset = shape.preActivationOffset * PrivateLayerShape.prefixSum(eqR, shape.rows)
            * PrivateLayerShape.prefixSum(Multilinear.eqTable(q), shape.columns)
        let claim = try Self.msm([tauZ, Pedersen.scalarGenerator], [.one, offset])
        guard let (ps, previousRows) = previous else {
            dotProduct(try simulatedDotProduct(terms: weightRows, weights: Array(eqR.prefix(weightRows.count)), value: claim,
                                               publicVector: PrivateProtocol.inputColumn(input, q: q, shape)))
            return
        }
        let (rho, final) = try sumCheck(variableCount: Multilinear.variableCount(shape.weightColumns), degree: 2, claim: claim)
        let tauW = try evaluation(weightRows, rowWeights: eqR, publicVector: Multilinear.eqTable(rho))
        let (rowWeights, reads) = PrivateProtocol.activationWeights(rho: rho, q: q, layer: shape, previous: ps)
        let tauA = try evaluation(previousRows, rowWeights: rowWeights, publicVector: ps.clampVector)
        let constant = PrivateProtocol.activationConstant(rho: rho, q: q, reads: reads, layer: shape, previous: ps)
        try product(x: tauW, y: try Self.msm([tauA, Pedersen.scalarGenerator], [.one, constant]), z: final)
    }

    // MARK: Sub-proofs

    /// A zero-knowledge sum-check from its claim alone: per round `K_j` and `C_(j+1)` fresh
    /// uniform points, both proofs of dot product simulated, `r_j` programmed between them.
    mutating func sumCheck(variableCount m: Int, degree: Int, claim: CurvePoint) throws -> (point: [Scalar], final: CurvePoint) {
        var rounds: [ZKSumCheck.Round] = [], point: [Scalar] = [], current = claim
        for _ in 0..<m {
            let k = try Self.uniformPoint()
            let sum = try simulatedDotProduct(terms: [k], weights: [.one], value: current, publicVector: ZKSumCheck.sumWeights(degree))
            let r = challenge()
            let next = try Self.uniformPoint()
            let evaluation = try simulatedDotProduct(terms: [k], weights: [.one], value: next,
                                                     publicVector: ZKSumCheck.powerWeights(r, degree))
            rounds.append(ZKSumCheck.Round(coefficientCommitment: k, sumProof: sum, evaluationCommitment: next, evaluationProof: evaluation))
            point.append(r)
            current = next
        }
        ZKSumCheck.Proof(rounds: rounds).encode(to: &w)
        return (point, current)
    }

    /// A `BlindedHyrax` evaluation with a fresh uniform `τ`; returns `τ`.
    mutating func evaluation(_ rows: [CurvePoint], rowWeights: [Scalar], publicVector: [Scalar]) throws -> CurvePoint {
        let tau = try Self.uniformPoint()
        let proof = try simulatedDotProduct(terms: rows, weights: Array(rowWeights.prefix(rows.count)), value: tau,
                                            publicVector: publicVector)
        BlindedHyrax.EvaluationProof(valueCommitment: tau, dotProduct: proof).encode(to: &w)
        return tau
    }

    /// An evaluation whose value is public and whose blinding is revealed: `τ = Com(value; b)`, `b` uniform.
    mutating func opened(_ shape: PrivateLayerShape, _ rows: [CurvePoint], rowWeights: [Scalar], publicVector: [Scalar],
                         value: Scalar) throws {
        let blinding = Pedersen.randomScalar()
        guard let tau = Pedersen.commit(value, blinding: blinding) else { throw Failed(description: "OpenSSL failed") }
        let proof = try simulatedDotProduct(terms: rows, weights: Array(rowWeights.prefix(rows.count)), value: tau,
                                            publicVector: publicVector)
        BlindedHyrax.EvaluationProof(valueCommitment: tau, dotProduct: proof).encode(to: &w)
        w.scalar(blinding)
    }

    /// `δ = Com(z; z_δ) − c·Σ weights_i·terms_i` and `β = Com(⟨a, z⟩; z_β) − c·τ` for uniform `c, z, z_δ, z_β`.
    mutating func simulatedDotProduct(terms: [CurvePoint], weights: [Scalar], value tau: CurvePoint,
                                      publicVector a: [Scalar]) throws -> DotProductProof {
        let c = challenge(), z = Pedersen.randomScalars(a.count)
        let zDelta = Pedersen.randomScalar(), zBeta = Pedersen.randomScalar()
        let delta = try Self.msm(Generators.shared.g(count: a.count) + [Pedersen.blindingBase] + terms,
                                 z + [zDelta] + weights.map { -c * $0 })
        let beta = try Self.msm([Pedersen.scalarGenerator, Pedersen.blindingBase, tau], [Multilinear.innerProduct(a, z), zBeta, -c])
        return DotProductProof(delta: delta, beta: beta, response: z, deltaBlindingResponse: zDelta, betaBlindingResponse: zBeta)
    }

    mutating func dotProduct(_ proof: DotProductProof) { proof.encode(to: &w) }

    /// `α = z_1·G + z_2·H − c·X`, `β = z_3·G + z_4·H − c·Y`, `δ = z_1·Y + z_5·H − c·Z` for uniform `c, z`.
    mutating func product(x: CurvePoint, y: CurvePoint, z: CurvePoint) throws {
        let c = challenge(), r = Pedersen.randomScalars(5)
        let g = Pedersen.scalarGenerator, h = Pedersen.blindingBase
        ProductProof(alpha: try Self.msm([g, h, x], [r[0], r[1], -c]), beta: try Self.msm([g, h, y], [r[2], r[3], -c]),
                     delta: try Self.msm([y, h, z], [r[0], r[4], -c]), responses: r).encode(to: &w)
    }

    // MARK: The programmed oracle and the group

    mutating func challenge() -> Scalar {
        let c = Pedersen.randomScalar()
        programmed.append(c)
        return c
    }

    mutating func challenges(_ count: Int) -> [Scalar] { (0..<count).map { _ in challenge() } }

    /// `u·H` for a uniform `u`: a uniform point, distributed as every hiding commitment is.
    static func uniformPoint() throws -> CurvePoint { try msm([Pedersen.blindingBase], [Pedersen.randomScalar()]) }

    static func msm(_ points: [CurvePoint], _ scalars: [Scalar]) throws -> CurvePoint {
        guard let p = CurvePoint.multiScalarMultiply(points, scalars) else { throw Failed(description: "OpenSSL failed") }
        return p
    }

    static func inverse(_ x: Scalar) throws -> Scalar {
        guard let i = x.inverse() else { throw Failed(description: "eq(τ, ρ) = 0") }
        return i
    }
}
