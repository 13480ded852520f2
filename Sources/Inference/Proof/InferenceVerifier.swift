import ZKProof

/// Checks inference proofs against a model commitment (see `InferenceProtocol`).
///
/// Every count comes from the commitment and the statement's input length. Cheap checks run
/// first — size, decoding, bounds, the clear trace, the per-layer linear checks and the
/// product checks — and the one multi-scalar multiplication last. Nothing here traps on any
/// proof bytes: failures are `ProofVerificationError`s.
public enum InferenceVerifier {
    /// Multiply-accumulates of a linear check below which it runs on one thread.
    static let parallelWorkMin = 1 << 16

    /// Verifies `proof` for `input` (one item, or `B` items concatenated) under `context`;
    /// returns the proven quantised output (the items' outputs concatenated).
    public static func verify(commitment: ModelCommitment, input: [Int64], proof: [UInt8],
                              context: BindingContext) throws(ProofVerificationError) -> [Int64] {
        try verifyCountingClamps(commitment: commitment, input: input, proof: proof, context: context).output
    }

    /// `verify`, also returning how many values the proven run clamped to the activation range
    /// (its rescales that left the range; the clear trace makes them public).
    public static func verifyCountingClamps(commitment: ModelCommitment, input: [Int64], proof: [UInt8],
                                            context: BindingContext) throws(ProofVerificationError) -> (output: [Int64], saturated: Int) {
        let prepared = try prepare(commitment: commitment, input: input, proof: proof, context: context)
        guard prepared.opening.verify() else { throw .commitmentOpeningFailed }
        return (prepared.output, prepared.saturated)
    }

    /// `verifyCountingClamps` with the clamp count of each item of the batch, in item order.
    public static func verifyCountingClampsByItem(commitment: ModelCommitment, input: [Int64], proof: [UInt8],
                                                  context: BindingContext) throws(ProofVerificationError) -> (output: [Int64], saturated: [Int]) {
        let prepared = try prepare(commitment: commitment, input: input, proof: proof, context: context)
        guard prepared.opening.verify() else { throw .commitmentOpeningFailed }
        return (prepared.output, prepared.saturatedByItem)
    }

    /// Runs every check of `verifyCountingClamps` but the final multi-scalar multiplication
    /// and returns what that one would check (`PreparedProof.opening`). The proof is not yet
    /// accepted: pass it to `verifyTogether` (or check `opening.verify()`).
    public static func prepare(commitment: ModelCommitment, input: [Int64], proof: [UInt8],
                               context: BindingContext) throws(ProofVerificationError) -> PreparedProof {
        guard proof.count <= ProofLimits.proofBytesMax else {
            throw .proofTooLarge(bytes: proof.count, limit: ProofLimits.proofBytesMax)
        }
        do { try commitment.spec.validateInput(input) } catch { throw .invalidInput(error) }
        let items = commitment.spec.batchSize(values: input.count) ?? 1
        let decoded: InferenceProof
        do {
            decoded = try InferenceProof(decoding: proof, layout: commitment.layout, spec: commitment.spec, items: items)
        } catch { throw .malformedProof(error) }
        return try prepare(commitment: commitment, input: input, proof: decoded, context: context)
    }

    /// Verifies and also requires the proven output to equal `expectedOutput`.
    public static func verify(commitment: ModelCommitment, input: [Int64], expectedOutput: [Int64],
                              proof: [UInt8], context: BindingContext) throws(ProofVerificationError) {
        let output = try verify(commitment: commitment, input: input, proof: proof, context: context)
        guard output.count == expectedOutput.count else { throw .outputMismatch(index: -1) }
        if let i = output.indices.first(where: { output[$0] != expectedOutput[$0] }) { throw .outputMismatch(index: i) }
    }

    /// The checks after decoding (the decoder already matched every length to the layout).
    static func verify(commitment: ModelCommitment, input: [Int64], proof: InferenceProof,
                       context: BindingContext) throws(ProofVerificationError) -> [Int64] {
        try verifyCounting(commitment: commitment, input: input, proof: proof, context: context).output
    }

    /// The checks after decoding, returning the output and the run's clamp count.
    static func verifyCounting(commitment: ModelCommitment, input: [Int64], proof: InferenceProof,
                               context: BindingContext) throws(ProofVerificationError) -> (output: [Int64], saturated: Int) {
        let prepared = try prepare(commitment: commitment, input: input, proof: proof, context: context)
        guard prepared.opening.verify() else { throw .commitmentOpeningFailed }
        return (prepared.output, prepared.saturated)
    }

    /// Every check after decoding but the multi-scalar multiplication: returns the output, the
    /// clamp count and the opening claims still to be checked.
    static func prepare(commitment: ModelCommitment, input: [Int64], proof: InferenceProof,
                        context: BindingContext) throws(ProofVerificationError) -> PreparedProof {
        let layout = commitment.layout
        let spec = commitment.spec
        let layers = spec.layers
        do { try spec.validateInput(input) } catch { throw .invalidInput(error) }
        guard let items = spec.batchSize(values: input.count) else {
            throw .invalidInput(.inputShapeMismatch(expected: spec.inputShape, actual: [input.count]))
        }
        guard proof.preActivations.count == layers.count, layout.layers.count == layers.count,
              proof.products.count == spec.productNodes.count else {
            throw .malformedProof(.countMismatch(field: "layers", expected: layers.count,
                                                 actual: proof.preActivations.count, offset: 0))
        }
        // The decoder already fixed every length from the layout; re-check here so that this
        // entry point cannot index out of range whatever it is handed.
        for (k, shape) in layout.layers.enumerated() {
            let lengths = [(proof.preActivations[k].count, shape.rows * shape.positions * items, "pre-activations"),
                           (proof.weightCombinations[safe: k]?.count ?? -1, shape.weights.width, "weight combination"),
                           (proof.biasCombinations[safe: k]?.count ?? -1, shape.bias.width, "bias combination")]
            for (actual, expected, field) in lengths where actual != expected {
                throw .malformedProof(.countMismatch(field: "layer \(k) \(field)", expected: expected, actual: actual, offset: 0))
            }
        }
        for j in spec.productNodes.indices {
            let expected = spec.tensors[spec.productNodes[j] + 1].elements * items
            guard proof.products[j].count == expected else {
                throw .malformedProof(.countMismatch(field: "product \(j)", expected: expected, actual: proof.products[j].count, offset: 0))
            }
        }
        // Bounds first: |Z| < 2^B for every claim, so that field equalities are integer ones.
        for (k, layer) in layers.enumerated() {
            let limit = Int64(1) << Int64(layer.accumulatorBits)
            if let i = proof.preActivations[k].firstIndex(where: { $0 <= -limit || $0 >= limit }) {
                throw .preActivationOutOfBound(layer: k, index: i, bits: layer.accumulatorBits)
            }
        }
        for (j, bits) in spec.productBits.enumerated() {
            let limit = Int64(1) << Int64(bits)
            if let i = proof.products[j].firstIndex(where: { $0 <= -limit || $0 >= limit }) {
                throw .preActivationOutOfBound(layer: layers.count + j, index: i, bits: bits)
            }
        }
        // The clear trace, item by item (the items on two threads), through the engine's own
        // graph evaluation.
        let n = spec.inputElements
        let treeSpecs = spec.treeEnsembles
        guard proof.trees.count == treeSpecs.count, layout.trees.count == treeSpecs.count,
              proof.trees.allSatisfy({ $0.paths.count == items }) else {
            throw .malformedProof(.countMismatch(field: "tree-ensemble steps", expected: treeSpecs.count, actual: proof.trees.count, offset: 0))
        }
        let evaluated = Parallel.map(items) { b -> Result<GraphRun, ProofVerificationError> in
            let item = Array(input[(b * n)..<((b + 1) * n)])
            let zs = layout.layers.indices.map { k in
                InferenceProtocol.block(proof.preActivations[k], item: b, items: items, rows: layout.layers[k].rows,
                                        positions: layout.layers[k].positions)
            }
            let products = spec.productNodes.indices.map { j in
                let size = spec.tensors[spec.productNodes[j] + 1].elements
                return Array(proof.products[j][(b * size)..<((b + 1) * size)])
            }
            // A tree step's output comes from the claimed leaves once its paths are walked.
            var treeFailure: ProofVerificationError?
            let walk = { (e: Int, x: [Int64]) throws(InferenceError) -> [Int64] in
                guard e < treeSpecs.count, e < proof.trees.count, b < proof.trees[e].paths.count else {
                    throw .traceMismatch(layer: e, step: "tree step", index: b)
                }
                do throws(TreeVerificationError) {
                    let leaves = try TreeVerifier.walk(proof.trees[e].paths[b], spec: treeSpecs[e], x: x, item: b)
                    do throws(InferenceError) { return try treeSpecs[e].finish(leafValues: leaves) } catch {
                        if case .traceMismatch(let tree, _, _) = error { throw TreeVerificationError.leafOutOfBound(item: b, tree: tree) }
                        throw TreeVerificationError.leafOutOfBound(item: b, tree: -1)
                    }
                } catch {
                    treeFailure = .treeRejected(step: e, error)
                    throw .traceMismatch(layer: e, step: "tree path", index: b)
                }
            }
            do throws(InferenceError) {
                return .success(try spec.evaluate(item, linear: { k, _ in zs[k] }, product: { j, _, _ in products[j] },
                                                  tree: walk))
            } catch {
                return .failure(treeFailure ?? .traceRejected(layer: -1, reason: error))
            }
        }
        var runs: [GraphRun] = []
        runs.reserveCapacity(items)
        for result in evaluated {
            switch result {
            case .success(let run): runs.append(run)
            case .failure(let error): throw error
            }
        }
        guard runs.count == items else { throw .traceRejected(layer: -1, reason: .shapeMismatch(detail: "batch of \(items) evaluated as \(runs.count)")) }
        let output = runs.flatMap(\.output)

        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        InferenceProtocol.absorbTrace(&t, proof.preActivations, products: proof.products)
        let alphas = proof.trees.map { TreeProtocol.absorbPaths(&t, $0.paths) }
        let points = InferenceProtocol.drawPoints(&t, layout: layout, items: items)
        let productPoints = InferenceProtocol.drawProductPoints(&t, spec: spec, items: items)
        InferenceProtocol.absorbCombinations(&t, layout: layout, weights: proof.weightCombinations, bias: proof.biasCombinations)
        let openings = try verifyElementwise(commitment: commitment, proof: proof, runs: runs, items: items, points: points,
                                             transcript: &t)
        var treeClaims: [Hyrax.Claim] = []
        for (e, tree) in proof.trees.enumerated() {
            do throws(TreeVerificationError) {
                treeClaims += try TreeProtocol.checkTables(tree, spec: treeSpecs[e], tables: layout.trees[e],
                                                           nodeRows: commitment.treeRows[e].node, valueRows: commitment.treeRows[e].value,
                                                           alpha: alphas[e], transcript: &t)
            } catch { throw .treeRejected(step: e, error) }
        }
        let rho = InferenceProtocol.drawBatchCoefficients(&t, layerCount: layers.count, treeCount: proof.trees.count)

        // Linear checks, layer by layer, over all items' positions at once (element-wise
        // layers were checked by the sum-check).
        for (k, shape) in layout.layers.enumerated() where !shape.elementwise {
            let r = points[k].row
            let eqR = Multilinear.eqTable(r)
            let v = InferenceProtocol.foldWeights(proof.weightCombinations[k], point: r, shape: shape)
            let bias = InferenceProtocol.biasEvaluation(proof.biasCombinations[k], point: r, shape: shape)
            let z = proof.preActivations[k]
            let p = shape.positions * items
            // eq(q, ·) is combined with every row of Z and of X: built prepared for integer rows.
            let eqQPrepared = Multilinear.preparedEqTable(points[k].position)
            let positions = shape.positions
            let rows = shape.rows, inner = shape.inner
            // The items' X side by side (X[j, b·P + p] = X_b[j, p]): one inner product per row
            // j over all B·P positions, rather than B short ones (per-item call overhead).
            let x = InferenceProtocol.sideBySide(runs.map { $0.columns[k] }, rows: inner, positions: positions)
            // Each thread takes every other row of Z and of X; the two sums are added after.
            let parts = Parallel.map(rows * inner * p > Self.parallelWorkMin ? Parallel.workers : 1) { w -> (Scalar, Scalar) in
                let stride = rows * inner * p > Self.parallelWorkMin ? Parallel.workers : 1
                // Z̃(r, q) = Σ_i eq(r, i) Σ_p Z[i, p] eq(q, p).
                var expected = Scalar.zero
                for i in Swift.stride(from: w, to: rows, by: stride) {
                    expected += eqR[i] * Multilinear.innerProduct(z[(i * p)..<((i + 1) * p)], prepared: eqQPrepared)
                }
                // Σ_j v[j] · X̃(j, q).
                var actual = Scalar.zero
                if x.count == inner * p {
                    for j in Swift.stride(from: w, to: inner, by: stride) {
                        actual += v[j] * Multilinear.innerProduct(x[(j * p)..<((j + 1) * p)], prepared: eqQPrepared)
                    }
                }
                return (expected, actual)
            }
            let expected = parts.reduce(Scalar.zero) { $0 + $1.0 }
            // … + b̃(r) · Σ_(p<B·P) eq(q, p).
            var actual = parts.reduce(Scalar.zero) { $0 + $1.1 }
            actual += bias * Multilinear.unprepared(eqQPrepared.prefix(p).reduce(Scalar.zero, +))
            guard expected == actual else { throw .linearCheckFailed(layer: k, expected: expected, actual: actual) }
        }
        // Product checks: Z = A·B at a random point, linear in the operands.
        for j in spec.productNodes.indices {
            let (claimed, computed) = InferenceProtocol.productCheck(
                spec.productDimensions(j), point: productPoints[j], operands: runs.map { $0.productOperands[j] },
                z: proof.products[j])
            guard claimed == computed else { throw .linearCheckFailed(layer: layers.count + j, expected: claimed, actual: computed) }
        }

        // One batched opening of every weight and bias claim.
        var claims: [Hyrax.Claim] = []
        for (k, shape) in layout.layers.enumerated() {
            let r = points[k].row
            if let opening = openings[k] {
                claims.append(opening)
            } else {
                claims.append(Hyrax.Claim(rows: commitment.weightRows[k], rowWeights: InferenceProtocol.rowWeights(r, shape.weights),
                                          combination: proof.weightCombinations[k]))
            }
            claims.append(Hyrax.Claim(rows: commitment.biasRows[k], rowWeights: InferenceProtocol.rowWeights(r, shape.bias),
                                      combination: proof.biasCombinations[k]))
        }
        claims += treeClaims
        return PreparedProof(output: output, saturatedByItem: runs.map(\.saturated),
                             opening: Hyrax.Opening(claims: claims, coefficients: rho))
    }
}

extension InferenceVerifier {
    /// Step 5 for the element-wise layers: computes each claim `⟨w_k, u_k⟩ = v_k` from the
    /// clear trace, verifies the one batched sum-check, checks that each `t_k` folds to the
    /// claimed `w̃_k(s_k)`, and absorbs the `t_k`. Returns, per layer, the commitment claim
    /// of its weight vector (nil for the other layers), for the batched opening.
    static func verifyElementwise(commitment: ModelCommitment, proof: InferenceProof, runs: [GraphRun], items: Int,
                                  points: [InferenceProtocol.LayerPoint],
                                  transcript t: inout Transcript) throws(ProofVerificationError) -> [Hyrax.Claim?] {
        let layout = commitment.layout
        var openings = [Hyrax.Claim?](repeating: nil, count: layout.layers.count)
        guard let shape = layout.sumCheckShape else { return openings }
        guard let sumCheck = proof.sumCheck else {
            throw .malformedProof(.countMismatch(field: "sum-check", expected: 1, actual: 0, offset: 0))
        }
        var claims: [[SumCheckVerifier.Claim]] = []
        for k in layout.elementwiseLayers {
            let layer = layout.layers[k]
            let x = InferenceProtocol.sideBySide(runs.map { $0.columns[k] }, rows: layer.rows, positions: layer.positions)
            let bias = InferenceProtocol.biasEvaluation(proof.biasCombinations[k], point: points[k].row, shape: layer)
            let claim = InferenceProtocol.elementwiseClaim(z: proof.preActivations[k], x: x, point: points[k], bias: bias,
                                                           rows: layer.rows, positions: layer.positions * items)
            claims.append([SumCheckVerifier.Claim(weights: claim.weights, value: claim.value)])
        }
        let verified: SumCheckVerifier.Verified
        do {
            verified = try SumCheckVerifier.verify(shape: shape, claims: claims, proof: sumCheck, transcript: &t)
        } catch { throw .elementwiseCheckFailed(error) }
        for (i, k) in layout.elementwiseLayers.enumerated() {
            guard let opening = layout.layers[k].weightOpening, i < verified.claims.count else {
                throw .elementwiseCheckFailed(.invalidLayout(entries: layout.layers[k].rows, columnVariables: layout.layers[k].weights.columnVariables))
            }
            do {
                openings[k] = try TableOpening.claim(rows: commitment.weightRows[k], layout: opening, evaluation: verified.claims[i],
                                                     combination: proof.weightCombinations[k])
            } catch { throw .elementwiseCheckFailed(error) }
        }
        InferenceProtocol.absorbTableCombinations(&t, layout: layout, weights: proof.weightCombinations)
        return openings
    }
}

extension Array {
    /// The element at `index`, or nil when out of range.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
