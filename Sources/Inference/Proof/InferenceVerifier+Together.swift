import ZKProof

/// A proof that passed every check but the final multi-scalar multiplication
/// (`InferenceVerifier.prepare`): not yet accepted.
public struct PreparedProof: Sendable {
    /// The output the proof vouches for, once its opening holds (the items' outputs concatenated).
    public let output: [Int64]
    /// How many values the proven run clamped to the activation range, all items together.
    public var saturated: Int { saturatedByItem.reduce(0, +) }
    /// How many values each item's run clamped, in item order.
    public let saturatedByItem: [Int]
    /// What the final multi-scalar multiplication checks: the proof's row-combination claims
    /// (a plain list of Hyrax claims) and the coefficients its transcript drew for them.
    public let opening: Hyrax.Opening

    /// Bundles the parts (the verifier makes these).
    init(output: [Int64], saturatedByItem: [Int], opening: Hyrax.Opening) {
        self.output = output
        self.saturatedByItem = saturatedByItem
        self.opening = opening
    }
}

/// The verdicts of `InferenceVerifier.verifyTogether`.
public struct TogetherVerdicts: Sendable {
    /// Per proof, in order: nil if it holds, else why not (`commitmentOpeningFailed`).
    public let errors: [ProofVerificationError?]
    /// Multi-scalar multiplications done: 1 when every proof held (or a lone proof), more
    /// when a failure was searched for.
    public let multiScalarMultiplications: Int
}

extension InferenceVerifier {
    /// Finishes several prepared proofs with one multi-scalar multiplication
    /// (`Hyrax.verifyCombined`: each proof's claims weighted by a fresh CSPRNG coefficient, the
    /// shared rows of one model merged). When that fails, the set is halved and each half
    /// checked again with fresh coefficients, down to single proofs, which are checked by
    /// their own opening; so a proof's verdict is the one `verify` would give, whatever the
    /// others are. With `f` failing proofs among `N`, at most `1 + 2f·⌈log₂ N⌉` multiplications.
    public static func verifyTogether(_ proofs: [PreparedProof]) -> TogetherVerdicts {
        var errors = [ProofVerificationError?](repeating: nil, count: proofs.count)
        var count = 0
        func settle(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            count += 1
            if range.count == 1 {
                if !proofs[range.lowerBound].opening.verify() { errors[range.lowerBound] = .commitmentOpeningFailed }
                return
            }
            switch Hyrax.verifyCombined(proofs[range].map(\.opening)) {
            case true?: return
            case false?:
                let middle = range.lowerBound + range.count / 2
                settle(range.lowerBound..<middle)
                settle(middle..<range.upperBound)
            case nil:
                // No randomness for the combination: each proof alone.
                count -= 1
                for i in range { settle(i..<(i + 1)) }
            }
        }
        settle(0..<proofs.count)
        return TogetherVerdicts(errors: errors, multiScalarMultiplications: count)
    }
}
