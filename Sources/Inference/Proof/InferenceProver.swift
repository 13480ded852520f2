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
        let treePaths = model.trees.indices.map { e in
            traces.map { trace in TreeProtocol.steps(model.trees[e], trace.treeInputs[e]) }
        }
        let proof = proveTrace(model: model, commitment: commitment, input: input, preActivations: preActivations,
                               products: products, treePaths: treePaths, output: output, context: context)
        return (output, proof.encoded(), traces.reduce(0) { $0 + $1.saturated })
    }

    /// Follows the protocol for any claimed trace, true or not. `prove` passes the real one;
    /// soundness tests pass false ones, playing an adversarial prover that does every other
    /// step honestly.
    static func proveTrace(model: QuantizedModel, commitment: ModelCommitment, input: [Int64],
                           preActivations: [[Int64]], products: [[Int64]] = [], treePaths: [[[[TreeProof.Step]]]] = [],
                           output: [Int64], context: BindingContext) -> InferenceProof {
        let items = max(1, input.count / max(1, model.spec.inputElements))
        let layout = commitment.layout
        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        InferenceProtocol.absorbTrace(&t, preActivations, products: products)
        let alphas = treePaths.map { TreeProtocol.absorbPaths(&t, $0) }
        let points = InferenceProtocol.drawPoints(&t, layout: layout, items: items)
        _ = InferenceProtocol.drawProductPoints(&t, spec: model.spec, items: items)
        var weightCombinations: [[Scalar]] = []
        var biasCombinations: [[Scalar]] = []
        for (k, layer) in model.layers.enumerated() {
            let shape = layout.layers[k]
            let r = points[k].row
            // An element-wise layer's weights are opened after the sum-check, at its point.
            weightCombinations.append(shape.elementwise ? [] : Hyrax.rowCombination(
                ModelCommitment.paddedWeights(layer, shape), columnCount: shape.weights.width,
                weights: InferenceProtocol.rowWeights(r, shape.weights)))
            biasCombinations.append(Hyrax.rowCombination(
                layer.bias, columnCount: shape.bias.width, weights: InferenceProtocol.rowWeights(r, shape.bias)))
        }
        InferenceProtocol.absorbCombinations(&t, layout: layout, weights: weightCombinations, bias: biasCombinations)
        var sumCheck: SumCheckProof?
        if layout.sumCheckShape != nil {
            sumCheck = proveElementwise(model: model, layout: layout, input: input, items: items, points: points,
                                        preActivations: preActivations, products: products,
                                        biasCombinations: biasCombinations, weightCombinations: &weightCombinations,
                                        transcript: &t)
        }
        var trees: [TreeProof] = []
        for (e, paths) in treePaths.enumerated() where e < model.trees.count && e < layout.trees.count {
            guard let tree = TreeProtocol.proveTables(paths, model: model.trees[e], tables: layout.trees[e], alpha: alphas[e],
                                                      transcript: &t) else { break }
            trees.append(tree)
        }
        return InferenceProof(preActivations: preActivations, products: products,
                              weightCombinations: weightCombinations, biasCombinations: biasCombinations, sumCheck: sumCheck,
                              trees: trees)
    }

    /// Step 5 for the element-wise layers: the claims from the (claimed) trace, one batched
    /// sum-check over the weight vectors, and each vector's row combination at its point.
    private static func proveElementwise(model: QuantizedModel, layout: CommitmentLayout, input: [Int64], items: Int,
                                         points: [InferenceProtocol.LayerPoint], preActivations: [[Int64]],
                                         products: [[Int64]], biasCombinations: [[Scalar]],
                                         weightCombinations: inout [[Scalar]], transcript t: inout Transcript) -> SumCheckProof? {
        // The columns follow from the claimed trace exactly as the verifier recomputes them.
        let spec = model.spec, n = spec.inputElements
        var columns: [[[Int64]]] = []
        for b in 0..<items {
            let item = Array(input[(b * n)..<min(input.count, (b + 1) * n)])
            let zs = layout.layers.indices.map { k in
                InferenceProtocol.block(preActivations[k], item: b, items: items, rows: layout.layers[k].rows,
                                        positions: layout.layers[k].positions)
            }
            let ps = spec.productNodes.indices.map { j in
                let size = spec.tensors[spec.productNodes[j] + 1].elements
                return Array(products[j][(b * size)..<min(products[j].count, (b + 1) * size)])
            }
            guard let run = try? spec.evaluate(item, linear: { k, _ in zs[k] }, product: { j, _, _ in ps[j] },
                                               tree: { e, x throws(InferenceError) in try model.trees[e].evaluate(x) }) else { return nil }
            columns.append(run.columns)
        }
        var tables: [SumCheckProver.Table] = []
        for k in layout.elementwiseLayers {
            let shape = layout.layers[k]
            let x = InferenceProtocol.sideBySide(columns.map { $0[k] }, rows: shape.rows, positions: shape.positions)
            let bias = InferenceProtocol.biasEvaluation(biasCombinations[k], point: points[k].row, shape: shape)
            let claim = InferenceProtocol.elementwiseClaim(z: preActivations[k], x: x, point: points[k], bias: bias,
                                                           rows: shape.rows, positions: shape.positions * items)
            tables.append(SumCheckProver.Table(entries: model.layers[k].weights.map { Scalar($0) }, weights: [claim.weights]))
        }
        guard let output = try? SumCheckProver.prove(tables, transcript: &t) else { return nil }
        for (i, k) in layout.elementwiseLayers.enumerated() {
            guard let opening = layout.layers[k].weightOpening,
                  let combination = try? TableOpening.combination(model.layers[k].weights, layout: opening,
                                                                  point: output.claims[i].point) else { return nil }
            weightCombinations[k] = combination
        }
        InferenceProtocol.absorbTableCombinations(&t, layout: layout, weights: weightCombinations)
        return output.proof
    }
}
