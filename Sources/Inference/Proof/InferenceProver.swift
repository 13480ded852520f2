import ZKProof

/// Makes v1 inference proofs (see `InferenceProtocol` for the protocol).
///
/// Cost: one integer inference, one pass over every weight (`t_k`, one field multiplication
/// per non-zero weight) and a few dozen hashes. No elliptic-curve work at all.
public enum InferenceProver {
    /// Runs the model on a quantised input and proves the result for `context`.
    ///
    /// Returns the quantised output and the proof bytes. Throws when `commitment` is not this
    /// model's or the input is not admissible.
    public static func prove(model: QuantizedModel, commitment: ModelCommitment, input: [Int64],
                             context: BindingContext) throws(ProvingError) -> (output: [Int64], proof: [UInt8]) {
        guard model.digest == commitment.modelDigest, model.spec == commitment.spec else { throw .commitmentMismatch }
        let trace: InferenceTrace
        do { trace = try model.run(input) } catch { throw .invalidInput(error) }
        let proof = proveTrace(model: model, commitment: commitment, input: input,
                               preActivations: trace.layers.map(\.preActivation), output: trace.output, context: context)
        return (trace.output, proof.encoded())
    }

    /// Follows the protocol for any claimed trace, true or not. `prove` passes the real one;
    /// soundness tests pass false ones, playing an adversarial prover that does every other
    /// step honestly.
    static func proveTrace(model: QuantizedModel, commitment: ModelCommitment, input: [Int64],
                           preActivations: [[Int64]], output: [Int64], context: BindingContext) -> InferenceProof {
        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        InferenceProtocol.absorbTrace(&t, preActivations)
        let points = InferenceProtocol.drawPoints(&t, layout: commitment.layout)
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
        return InferenceProof(preActivations: preActivations, weightCombinations: weightCombinations,
                              biasCombinations: biasCombinations)
    }
}
