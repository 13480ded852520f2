import ZKProof

/// The steps of a tree-ensemble step's proof that the prover and the verifier share, inside
/// the inference proof's transcript (`InferenceProtocol`): the step's tables `N` and `V` are
/// committed in the `ModelCommitment`, its input is the verifier's own, its output the
/// claimed leaves' (`TreeEnsembleSpec.finish`). Claim: each item's output of the step is
/// `TreeEnsemble.evaluate` of its input for the committed tables.
///
/// Transcript order (after the inference statement and trace):
/// 2. Per item `trace.tree-path`: the item index, then for every tree `L` and its steps'
///    integers (`TreeProof.integers`).
/// 3. `challenge.tree-claim-coefficient`: `α`.
/// 4. The batched sum-check (`SumCheck`) of `⟨N, u_N⟩ = v_N` and `⟨V, u_V⟩ = v_V`, where
///    the `m`-th point claim "entry `i` of table `T` is `c`" (in the order of `pointClaims`)
///    adds `α^(m+1)` to `u_T[i]` and `α^(m+1)·c` to `v_T`.
/// 5. `message.table-combination` twice: `t_N`, `t_V` at their sum-check points.
/// 6. Both combinations' claims join the inference proof's one batched Hyrax check.
enum TreeProtocol {
    /// The sum-check's public shape: the two tables, one claim each.
    static func shape(_ tables: CommitmentLayout.TreeTables) throws(SumCheckError) -> SumCheck.Shape {
        try SumCheck.Shape(tableEntries: [tables.node.entries, tables.value.entries], claimCounts: [1, 1])
    }

    /// Step 2, then step 3's `α`.
    static func absorbPaths(_ t: inout Transcript, _ paths: [[[TreeProof.Step]]]) -> Scalar {
        for (b, item) in paths.enumerated() {
            var integers: [Int64] = [Int64(b)]
            for path in item {
                integers.append(Int64(path.count))
                for step in path { integers += TreeProof.integers(step) }
            }
            t.absorb(TranscriptLabel.traceTreePath, integers: integers)
        }
        return t.challenge(TranscriptLabel.challengeTreeClaim)
    }

    /// The point claims the steps make, in order: for an internal node, entries `8·id + 0…5`
    /// of the node table are `0, feature, threshold, mode, true, false`; for a leaf, entry
    /// `8·id` is 1 and entries `targets·id + k` of the value table are its values. Ids must
    /// already be checked to lie in the tables.
    static func pointClaims(_ paths: [[[TreeProof.Step]]], targets: Int,
                            _ visit: (_ valueTable: Bool, _ index: Int, _ value: Int64) -> Void) {
        let f = TreeEnsemble.Node.fieldCount
        for item in paths {
            for path in item {
                for step in path {
                    let fields = step.node.fields
                    if step.node.isLeaf {
                        visit(false, step.id * f, 1)
                        for (k, v) in step.values.enumerated() { visit(true, step.id * targets + k, v) }
                    } else {
                        for j in 0..<6 { visit(false, step.id * f + j, fields[j]) }
                    }
                }
            }
        }
    }

    /// Step 4's weight vectors and claimed values: `(u_N, v_N, u_V, v_V)`.
    static func claims(_ paths: [[[TreeProof.Step]]], spec: TreeEnsembleSpec, tables: CommitmentLayout.TreeTables, alpha: Scalar)
        -> (nodeWeights: [Scalar], nodeValue: Scalar, valueWeights: [Scalar], valueValue: Scalar) {
        var uN = [Scalar](repeating: .zero, count: tables.node.entries)
        var uV = [Scalar](repeating: .zero, count: tables.value.entries)
        var vN = Scalar.zero, vV = Scalar.zero
        var power = alpha
        pointClaims(paths, targets: spec.targetCount) { valueTable, index, value in
            let c = power * Scalar(value)
            if valueTable {
                if index >= 0 && index < uV.count { uV[index] += power }
                vV += c
            } else {
                if index >= 0 && index < uN.count { uN[index] += power }
                vN += c
            }
            power = power * alpha
        }
        return (uN, vN, uV, vV)
    }

    /// Steps 4 and 5 for the prover: the batched sum-check of the claims `paths` make about
    /// `model`'s tables, and both row combinations at its points (absorbed). Nil when the
    /// tables do not fit `tables`.
    static func proveTables(_ paths: [[[TreeProof.Step]]], model: TreeEnsemble, tables: CommitmentLayout.TreeTables,
                            alpha: Scalar, transcript t: inout Transcript) -> TreeProof? {
        let claims = Self.claims(paths, spec: model.spec, tables: tables, alpha: alpha)
        let entries = [SumCheckProver.Table(entries: model.nodeTable.map { Scalar($0) }, weights: [claims.nodeWeights]),
                       SumCheckProver.Table(entries: model.values.map { Scalar($0) }, weights: [claims.valueWeights])]
        guard let sumCheck = try? SumCheckProver.prove(entries, transcript: &t), sumCheck.claims.count == 2,
              let tN = try? TableOpening.combination(model.nodeTable, layout: tables.node, point: sumCheck.claims[0].point),
              let tV = try? TableOpening.combination(model.values, layout: tables.value, point: sumCheck.claims[1].point)
        else { return nil }
        TableOpening.absorbCombination(&t, tN)
        TableOpening.absorbCombination(&t, tV)
        return TreeProof(paths: paths, sumCheck: sumCheck.proof, nodeCombination: tN, valueCombination: tV)
    }

    /// Steps 4 and 5 for the verifier: the claims from the (already walked) paths, the
    /// sum-check, both folds; returns the two Hyrax claims (node table, value table) for the
    /// final opening.
    static func checkTables(_ proof: TreeProof, spec: TreeEnsembleSpec, tables: CommitmentLayout.TreeTables,
                            nodeRows: [CurvePoint], valueRows: [CurvePoint], alpha: Scalar,
                            transcript t: inout Transcript) throws(TreeVerificationError) -> [Hyrax.Claim] {
        let claims = Self.claims(proof.paths, spec: spec, tables: tables, alpha: alpha)
        let opened: [Hyrax.Claim]
        do throws(SumCheckError) {
            let verified = try SumCheckVerifier.verify(
                shape: try shape(tables),
                claims: [[SumCheckVerifier.Claim(weights: claims.nodeWeights, value: claims.nodeValue)],
                         [SumCheckVerifier.Claim(weights: claims.valueWeights, value: claims.valueValue)]],
                proof: proof.sumCheck, transcript: &t)
            guard verified.claims.count == 2 else { throw SumCheckError.emptyBatch }
            opened = [try TableOpening.claim(rows: nodeRows, layout: tables.node, evaluation: verified.claims[0],
                                             combination: proof.nodeCombination),
                      try TableOpening.claim(rows: valueRows, layout: tables.value, evaluation: verified.claims[1],
                                             combination: proof.valueCombination)]
        } catch { throw .tableCheckFailed(error) }
        TableOpening.absorbCombination(&t, proof.nodeCombination)
        TableOpening.absorbCombination(&t, proof.valueCombination)
        return opened
    }

    /// The steps one item's input `x` takes through every tree of `model`, with the contents
    /// of each visited node (an honest prover's paths).
    static func steps(_ model: TreeEnsemble, _ x: [Int64]) -> [[TreeProof.Step]] {
        let targets = model.spec.targetCount
        return model.paths(x).map { ids in
            ids.map { id in
                let node = model.nodes[id]
                return TreeProof.Step(id: id, node: node.isLeaf ? .leaf : node,
                                      values: node.isLeaf ? Array(model.values[(id * targets)..<((id + 1) * targets)]) : [])
            }
        }
    }
}
