import ZKProof

/// Makes inference proofs (see `InferenceProtocol` for the protocol).
///
/// Cost: the integer inference of every item, one pass over every weight (`t_k`, one field
/// multiplication per non-zero weight) and a few dozen hashes. No elliptic-curve work at all.
public enum InferenceProver {
    /// Runs the model on a quantised input (one item, or `B` items concatenated for a
    /// batchable model) and proves the result for `context`.
    ///
    /// Returns the quantised output (the items' outputs concatenated) and the proof bytes.
    /// Throws when `commitment` is not this model's or the input is not admissible.
    public static func prove(model: QuantizedModel, commitment: ModelCommitment, input: [Int64],
                             context: BindingContext) throws(ProvingError) -> (output: [Int64], proof: [UInt8]) {
        let (output, proof, _) = try proveCountingClamps(model: model, commitment: commitment, input: input, context: context)
        return (output, proof)
    }

    /// `prove`, also returning how many values the run clamped to the activation range.
    public static func proveCountingClamps(model: QuantizedModel, commitment: ModelCommitment, input: [Int64],
                                           context: BindingContext) throws(ProvingError) -> (output: [Int64], proof: [UInt8], saturated: Int) {
        guard model.digest == commitment.modelDigest, model.spec == commitment.spec else { throw .commitmentMismatch }
        let traces: [InferenceTrace]
        do { traces = try model.runBatch(input) } catch { throw .invalidInput(error) }
        let layout = commitment.layout
        let preActivations = model.layers.indices.map { k in
            InferenceProtocol.sideBySide(traces.map { $0.layers[k].preActivation }, rows: layout.layers[k].rows,
                                         positions: layout.layers[k].positions)
        }
        let products = model.spec.productNodes.indices.map { j in traces.flatMap { $0.products[j] } }
        let output = traces.flatMap(\.output)
        let proof = proveTrace(model: model, commitment: commitment, input: input, preActivations: preActivations,
                               products: products, output: output, context: context)
        return (output, proof.encoded(), traces.reduce(0) { $0 + $1.saturated })
    }

    /// Follows the protocol for any claimed trace, true or not. `prove` passes the real one;
    /// soundness tests pass false ones, playing an adversarial prover that does every other
    /// step honestly.
    static func proveTrace(model: QuantizedModel, commitment: ModelCommitment, input: [Int64],
                           preActivations: [[Int64]], products: [[Int64]] = [], output: [Int64],
                           context: BindingContext) -> InferenceProof {
        let items = max(1, input.count / max(1, model.spec.inputElements))
        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        InferenceProtocol.absorbTrace(&t, preActivations, products: products)
        let points = InferenceProtocol.drawPoints(&t, layout: commitment.layout, items: items)
        _ = InferenceProtocol.drawProductPoints(&t, spec: model.spec, items: items)
        var weightCombinations: [[Scalar]] = []
        var biasCombinations: [[Scalar]] = []
        for (k, layer) in model.layers.enumerated() {
            let shape = commitment.layout.layers[k]
            let r = points[k].row
            weightCombinations.append(Hyrax.rowCombination(
                ModelCommitment.paddedWeights(layer, shape), columnCount: shape.weights.width,
                weights: InferenceProtocol.rowWeights(r, shape.weights)))
            biasCombinations.append(Hyrax.rowCombination(
                layer.bias, columnCount: shape.bias.width, weights: InferenceProtocol.rowWeights(r, shape.bias)))
        }
        return InferenceProof(preActivations: preActivations, products: products,
                              weightCombinations: weightCombinations, biasCombinations: biasCombinations)
    }
}
