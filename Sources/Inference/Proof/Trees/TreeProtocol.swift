import ZKProof

/// The steps of the tree-ensemble proof that the prover and the verifier share.
///
/// Statement: a tree commitment `C` (description, node table `N`, value table `V`), a binding
/// context, the quantised inputs `x` (`B` items) and the claimed outputs `y`. Claim:
/// `y_b = f(x_b)` for the committed ensemble (`TreeEnsemble.evaluate`).
///
/// Transcript order:
/// 1. `statement.protocol-version`, `statement.model-digest`, `statement.model-spec` (the
///    description), `statement.tree-commitment`, `statement.binding-context`,
///    `statement.input`, `statement.output`.
/// 2. Per item `trace.tree-path`: the item index, then for every tree `L` and its steps'
///    integers (`TreeProof.integers`).
/// 3. `challenge.tree-claim-coefficient`: `α`.
/// 4. The batched sum-check (`SumCheck`) of `⟨N, u_N⟩ = v_N` and `⟨V, u_V⟩ = v_V`, where
///    the `m`-th point claim "entry `i` of table `T` is `c`" (in the order of `pointClaims`)
///    adds `α^(m+1)` to `u_T[i]` and `α^(m+1)·c` to `v_T`.
/// 5. `message.table-combination` twice: `t_N`, `t_V` at their sum-check points.
/// 6. `challenge.batch-coefficient` × 2, and one batched Hyrax check of both combinations.
enum TreeProtocol {
    /// The protocol version, absorbed first.
    static let version: UInt16 = 1

    /// The sum-check's public shape: the two tables, one claim each.
    static func shape(_ commitment: TreeCommitment) throws(SumCheckError) -> SumCheck.Shape {
        try SumCheck.Shape(tableEntries: [commitment.nodeLayout.entries, commitment.valueLayout.entries], claimCounts: [1, 1])
    }

    /// Step 1.
    static func beginTranscript(commitment: TreeCommitment, context: BindingContext, input: [Int64], output: [Int64]) -> Transcript {
        var t = Transcript(protocolLabel: TranscriptLabel.treeProtocol)
        t.absorb(TranscriptLabel.statementProtocolVersion, [UInt8(version >> 8), UInt8(version & 0xFF)])
        t.absorb(TranscriptLabel.statementModelDigest, commitment.modelDigest)
        t.absorb(TranscriptLabel.statementModelSpec, commitment.spec.encoded())
        t.absorb(TranscriptLabel.statementTreeCommitment, commitment.encoded)
        t.absorb(TranscriptLabel.statementBindingContext, context.encoded)
        t.absorb(TranscriptLabel.statementInput, integers: input)
        t.absorb(TranscriptLabel.statementOutput, integers: output)
        return t
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
    static func claims(_ paths: [[[TreeProof.Step]]], commitment: TreeCommitment, alpha: Scalar)
        -> (nodeWeights: [Scalar], nodeValue: Scalar, valueWeights: [Scalar], valueValue: Scalar) {
        var uN = [Scalar](repeating: .zero, count: commitment.nodeLayout.entries)
        var uV = [Scalar](repeating: .zero, count: commitment.valueLayout.entries)
        var vN = Scalar.zero, vV = Scalar.zero
        var power = alpha
        pointClaims(paths, targets: commitment.spec.targetCount) { valueTable, index, value in
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
}
