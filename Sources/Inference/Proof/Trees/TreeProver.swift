import ZKProof

/// Makes tree-ensemble proofs (see `TreeProtocol`).
///
/// Cost: the walks (at most `depth + 1` nodes per item and tree), a sum-check over both
/// tables (`≈ 4·(2^n_N + 2^n_V)` field multiplications) and two row combinations (one pass
/// over each table). No elliptic-curve work.
public enum TreeProver {
    /// Runs the ensemble on a quantised input (`B` items of `featureCount` values) and proves
    /// the result for `context`; returns the outputs (items concatenated) and the proof bytes.
    public static func prove(model: TreeEnsemble, commitment: TreeCommitment, input: [Int64],
                             context: BindingContext) throws(ProvingError) -> (output: [Int64], proof: [UInt8]) {
        guard model.spec == commitment.spec, TreeCommitment.digest(model) == commitment.modelDigest else {
            throw .commitmentMismatch
        }
        let f = model.spec.featureCount
        guard !input.isEmpty, input.count % f == 0, input.count / f <= InferenceLimits.batchItemsMax else {
            throw .invalidInput(.inputShapeMismatch(expected: [1, f], actual: [input.count]))
        }
        var output: [Int64] = []
        var paths: [[[TreeProof.Step]]] = []
        for b in 0..<(input.count / f) {
            let x = Array(input[(b * f)..<((b + 1) * f)])
            do { output += try model.evaluate(x) } catch { throw .invalidInput(error) }
            paths.append(model.paths(x).map { ids in
                ids.map { id in
                    let node = model.nodes[id]
                    let t = model.spec.targetCount
                    return TreeProof.Step(id: id, node: node.isLeaf ? .leaf : node,
                                          values: node.isLeaf ? Array(model.values[(id * t)..<((id + 1) * t)]) : [])
                }
            })
        }
        guard let proof = proveClaims(model: model, commitment: commitment, input: input, output: output,
                                      paths: paths, context: context) else { throw .commitmentMismatch }
        return (output, proof.encoded())
    }

    /// Follows the protocol for any claimed paths, true or not (soundness tests pass false
    /// ones, playing a prover that does every other step honestly). Nil when the tables do not
    /// fit the commitment's layouts.
    static func proveClaims(model: TreeEnsemble, commitment: TreeCommitment, input: [Int64], output: [Int64],
                            paths: [[[TreeProof.Step]]], context: BindingContext) -> TreeProof? {
        var t = TreeProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        let alpha = TreeProtocol.absorbPaths(&t, paths)
        let claims = TreeProtocol.claims(paths, commitment: commitment, alpha: alpha)
        let tables = [SumCheckProver.Table(entries: model.nodeTable.map { Scalar($0) }, weights: [claims.nodeWeights]),
                      SumCheckProver.Table(entries: model.values.map { Scalar($0) }, weights: [claims.valueWeights])]
        guard let sumCheck = try? SumCheckProver.prove(tables, transcript: &t), sumCheck.claims.count == 2,
              let tN = try? TableOpening.combination(model.nodeTable, layout: commitment.nodeLayout, point: sumCheck.claims[0].point),
              let tV = try? TableOpening.combination(model.values, layout: commitment.valueLayout, point: sumCheck.claims[1].point)
        else { return nil }
        TableOpening.absorbCombination(&t, tN)
        TableOpening.absorbCombination(&t, tV)
        return TreeProof(paths: paths, sumCheck: sumCheck.proof, nodeCombination: tN, valueCombination: tV)
    }
}
