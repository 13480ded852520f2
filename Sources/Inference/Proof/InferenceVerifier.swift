import ZKProof

/// Checks v1 inference proofs against a model commitment (see `InferenceProtocol`).
///
/// Every count comes from the commitment. Cheap checks run first — size, decoding, the clear
/// trace, bounds, the per-layer linear checks — and the one multi-scalar multiplication last.
/// Nothing here traps on any proof bytes: failures are `ProofVerificationError`s.
public enum InferenceVerifier {
    /// Verifies `proof` for `input` under `context`; returns the proven quantised output.
    public static func verify(commitment: ModelCommitment, input: [Int64], proof: [UInt8],
                              context: BindingContext) throws(ProofVerificationError) -> [Int64] {
        guard proof.count <= ProofLimits.proofBytesMax else {
            throw .proofTooLarge(bytes: proof.count, limit: ProofLimits.proofBytesMax)
        }
        do { try commitment.spec.validateInput(input) } catch { throw .invalidInput(error) }
        let decoded: InferenceProof
        do { decoded = try InferenceProof(decoding: proof, layout: commitment.layout) } catch { throw .malformedProof(error) }
        return try verify(commitment: commitment, input: input, proof: decoded, context: context)
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
        let layout = commitment.layout
        let layers = commitment.spec.layers
        guard proof.preActivations.count == layers.count, layout.layers.count == layers.count else {
            throw .malformedProof(.countMismatch(field: "layers", expected: layers.count,
                                                 actual: proof.preActivations.count, offset: 0))
        }
        // The decoder already fixed every length from the layout; re-check here so that this
        // entry point cannot index out of range whatever it is handed.
        for (k, shape) in layout.layers.enumerated() {
            let lengths = [(proof.preActivations[k].count, shape.rows * shape.positions, "pre-activations"),
                           (proof.weightCombinations[safe: k]?.count ?? -1, shape.weights.width, "weight combination"),
                           (proof.biasCombinations[safe: k]?.count ?? -1, shape.bias.width, "bias combination")]
            for (actual, expected, field) in lengths where actual != expected {
                throw .malformedProof(.countMismatch(field: "layer \(k) \(field)", expected: expected, actual: actual, offset: 0))
            }
        }
        // The clear trace: columns and activations through the engine's own functions.
        var columns: [[Int64]] = []
        var incoming = input
        for (k, layer) in layers.enumerated() {
            let z = proof.preActivations[k]
            // |z| < 2^B without computing |Int64.min|, which would trap.
            let limit = Int64(1) << Int64(layer.accumulatorBits)
            if let i = z.firstIndex(where: { $0 <= -limit || $0 >= limit }) {
                throw .preActivationOutOfBound(layer: k, index: i, bits: layer.accumulatorBits)
            }
            let x: [Int64]
            do { x = try layer.columns(incoming) } catch { throw .traceRejected(layer: k, reason: error) }
            guard x.count == layer.inner * layer.positions else {
                throw .traceRejected(layer: k, reason: .shapeMismatch(detail: "columns of layer \(k) have \(x.count) values"))
            }
            columns.append(x)
            incoming = layer.activate(z)
        }
        let output = incoming

        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        InferenceProtocol.absorbTrace(&t, proof.preActivations)
        let points = InferenceProtocol.drawPoints(&t, layout: layout)
        InferenceProtocol.absorbCombinations(&t, weights: proof.weightCombinations, bias: proof.biasCombinations)
        let rho = InferenceProtocol.drawBatchCoefficients(&t, layerCount: layers.count)

        // Linear checks, layer by layer.
        for (k, shape) in layout.layers.enumerated() {
            let r = points[k].row
            let eqQ = Multilinear.eqTable(points[k].position)
            let eqR = Multilinear.eqTable(r)
            let v = InferenceProtocol.foldWeights(proof.weightCombinations[k], point: r, shape: shape)
            let bias = InferenceProtocol.biasEvaluation(proof.biasCombinations[k], point: r, shape: shape)
            let z = proof.preActivations[k], x = columns[k]
            let p = shape.positions
            // Z̃(r, q) = Σ_i eq(r, i) Σ_p Z[i, p] eq(q, p).
            var expected = Scalar.zero
            for i in 0..<shape.rows {
                expected += eqR[i] * Multilinear.innerProduct(Array(z[(i * p)..<((i + 1) * p)]), eqQ)
            }
            // Σ_j v[j] · X̃(j, q) + b̃(r) · Σ_(p<P) eq(q, p).
            var actual = Scalar.zero
            for j in 0..<shape.inner {
                actual += v[j] * Multilinear.innerProduct(Array(x[(j * p)..<((j + 1) * p)]), eqQ)
            }
            actual += bias * eqQ.prefix(p).reduce(Scalar.zero, +)
            guard expected == actual else { throw .linearCheckFailed(layer: k, expected: expected, actual: actual) }
        }

        // One batched opening of every weight and bias claim.
        var claims: [Hyrax.Claim] = []
        for (k, shape) in layout.layers.enumerated() {
            let r = points[k].row
            claims.append(Hyrax.Claim(rows: commitment.weightRows[k], rowWeights: InferenceProtocol.rowWeights(r, shape.weights),
                                      combination: proof.weightCombinations[k]))
            claims.append(Hyrax.Claim(rows: commitment.biasRows[k], rowWeights: InferenceProtocol.rowWeights(r, shape.bias),
                                      combination: proof.biasCombinations[k]))
        }
        guard Hyrax.verifyBatch(claims, coefficients: rho) else { throw .commitmentOpeningFailed }
        return output
    }
}

extension Array {
    /// The element at `index`, or nil when out of range.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
