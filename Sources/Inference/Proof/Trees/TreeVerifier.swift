import ZKProof

/// Checks tree-ensemble proofs against a tree commitment (see `TreeProtocol`).
///
/// Every count comes from the commitment and the input's length. Order: size limit → input →
/// decoding → the walks (root, each comparison against the claimed node, each next id the
/// selected child, the last step a leaf and no step after one) → the output from the claimed
/// leaves → transcript → the sum-check binding every claimed content to the tables → the
/// row-combination folds → the one multi-scalar multiplication last. Nothing here traps on
/// proof bytes: failures are `TreeVerificationError`s.
public enum TreeVerifier {
    /// Verifies `proof` for `input` (`B` items concatenated) under `context`; returns the
    /// proven outputs (items concatenated).
    public static func verify(commitment: TreeCommitment, input: [Int64], proof: [UInt8],
                              context: BindingContext) throws(TreeVerificationError) -> [Int64] {
        let (output, claims, coefficients) = try verifyDeferringOpening(commitment: commitment, input: input, proof: proof,
                                                                        context: context)
        guard Hyrax.verifyBatch(claims, coefficients: coefficients) else { throw .commitmentOpeningFailed }
        return output
    }

    /// Verifies and also requires the proven output to equal `expectedOutput`.
    public static func verify(commitment: TreeCommitment, input: [Int64], expectedOutput: [Int64], proof: [UInt8],
                              context: BindingContext) throws(TreeVerificationError) {
        let output = try verify(commitment: commitment, input: input, proof: proof, context: context)
        guard output.count == expectedOutput.count else { throw .outputMismatch(index: -1) }
        if let i = output.indices.first(where: { output[$0] != expectedOutput[$0] }) { throw .outputMismatch(index: i) }
    }

    /// Every check but the final multi-scalar multiplication: returns the output and the two
    /// commitment claims with their batch coefficients, for `Hyrax.verifyBatch` (alone, or
    /// appended to another proof's claims).
    public static func verifyDeferringOpening(commitment: TreeCommitment, input: [Int64], proof bytes: [UInt8],
                                              context: BindingContext) throws(TreeVerificationError)
        -> (output: [Int64], claims: [Hyrax.Claim], coefficients: [Scalar]) {
        guard bytes.count <= ProofLimits.proofBytesMax else {
            throw .proofTooLarge(bytes: bytes.count, limit: ProofLimits.proofBytesMax)
        }
        let spec = commitment.spec
        let f = spec.featureCount
        guard !input.isEmpty, input.count % f == 0, input.count / f <= InferenceLimits.batchItemsMax else {
            throw .invalidInput(.inputShapeMismatch(expected: [1, f], actual: [input.count]))
        }
        let items = input.count / f
        for b in 0..<items {
            do { try spec.validateInput(Array(input[(b * f)..<((b + 1) * f)])) } catch { throw .invalidInput(error) }
        }
        let proof: TreeProof
        do { proof = try TreeProof(decoding: bytes, commitment: commitment, items: items) } catch { throw .malformedProof(error) }
        guard proof.paths.count == items else {
            throw .malformedProof(.countMismatch(field: "items", expected: items, actual: proof.paths.count, offset: 0))
        }
        var output: [Int64] = []
        for (b, item) in proof.paths.enumerated() {
            let x = Array(input[(b * f)..<((b + 1) * f)])
            let leaves = try walk(item, spec: spec, x: x, item: b)
            do { output += try spec.finish(leafValues: leaves) } catch {
                if case .traceMismatch(let tree, _, _) = error { throw .leafOutOfBound(item: b, tree: tree) }
                throw .leafOutOfBound(item: b, tree: -1)
            }
        }
        var t = TreeProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: output)
        let alpha = TreeProtocol.absorbPaths(&t, proof.paths)
        let claims = TreeProtocol.claims(proof.paths, commitment: commitment, alpha: alpha)
        let verified: SumCheckVerifier.Verified
        let opened: [Hyrax.Claim]
        do throws(SumCheckError) {
            let shape = try TreeProtocol.shape(commitment)
            verified = try SumCheckVerifier.verify(
                shape: shape, claims: [[SumCheckVerifier.Claim(weights: claims.nodeWeights, value: claims.nodeValue)],
                                       [SumCheckVerifier.Claim(weights: claims.valueWeights, value: claims.valueValue)]],
                proof: proof.sumCheck, transcript: &t)
            guard verified.claims.count == 2 else { throw SumCheckError.emptyBatch }
            opened = [try TableOpening.claim(rows: commitment.nodeRows, layout: commitment.nodeLayout,
                                             evaluation: verified.claims[0], combination: proof.nodeCombination),
                      try TableOpening.claim(rows: commitment.valueRows, layout: commitment.valueLayout,
                                             evaluation: verified.claims[1], combination: proof.valueCombination)]
        } catch { throw .tableCheckFailed(error) }
        TableOpening.absorbCombination(&t, proof.nodeCombination)
        TableOpening.absorbCombination(&t, proof.valueCombination)
        let rho = t.challenges(TranscriptLabel.challengeBatchCoefficient, count: 2)
        return (output, opened, rho)
    }

    /// One item's walks: checks every path and returns each tree's claimed leaf values.
    static func walk(_ item: [[TreeProof.Step]], spec: TreeEnsembleSpec, x: [Int64],
                     item b: Int) throws(TreeVerificationError) -> [[Int64]] {
        guard item.count == spec.trees.count else { throw .malformedProof(.countMismatch(field: "trees", expected: spec.trees.count, actual: item.count, offset: 0)) }
        var leaves: [[Int64]] = []
        for (t, (tree, path)) in zip(spec.trees, item).enumerated() {
            guard let first = path.first, first.id == tree.start else { throw .pathRoot(item: b, tree: t) }
            let inside = tree.start..<(tree.start + tree.count)
            for (s, step) in path.enumerated() {
                let last = s == path.count - 1
                if step.node.isLeaf {
                    guard last else { throw .pathPastLeaf(item: b, tree: t, step: s + 1) }
                    guard step.values.count == spec.targetCount else { throw .nodeInvalid(item: b, tree: t, step: s) }
                    leaves.append(step.values)
                    break
                }
                guard !last else { throw .pathIncomplete(item: b, tree: t) }
                let node = step.node
                guard node.feature >= 0, node.feature < x.count, inside.contains(node.trueChild), inside.contains(node.falseChild) else {
                    throw .nodeInvalid(item: b, tree: t, step: s)
                }
                let next = node.holds(x[node.feature]) ? node.trueChild : node.falseChild
                guard path[s + 1].id == next else { throw .branchMismatch(item: b, tree: t, step: s + 1) }
            }
        }
        return leaves
    }
}
