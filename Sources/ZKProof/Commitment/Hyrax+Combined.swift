import COpenSSL

/// The openings of several proofs checked by one multi-scalar multiplication.
///
/// Math: proof `p` brings claims `(C_pc, L_pc, t_pc)` and its own batching coefficients
/// `ρ_pc` (from its transcript); its single check is `E_p = O` with
///
///     E_p = Σ_c ρ_pc (Σ_i L_pc,i · C_pc,i − Σ_j t_pc,j · G_j − (Σ_i L_pc,i) · H).
///
/// The combined check draws `γ_p` uniformly from the operating system's CSPRNG (never from
/// a transcript: a prover must not be able to predict or steer them) and tests
/// `Σ_p γ_p · E_p = O`, one multi-scalar multiplication. Points that are the same object
/// (the rows of one decoded commitment, shared by every proof of that model) have their
/// scalars added first, so proofs of one model cost one MSM over that model's rows, the
/// generators and `H`, whatever their number.
///
/// Soundness: if some `E_p ≠ O`, the sum `Σ_p γ_p E_p` is a linear form in the `γ`, fixed
/// before they are drawn, with a non-zero coefficient; it vanishes for at most a `1/n`
/// fraction of `γ_p` (the others fixed). So a combined pass means every proof passes its own
/// check except with probability `≤ 1/n`. A combined failure says only that some proof
/// fails: the caller finds which by checking parts (each with fresh `γ`), and a single proof
/// by its own check (`verifyBatch`), so a proof's verdict never depends on the others'.
extension Hyrax {
    /// One proof's claims with the coefficients its transcript drew for them.
    public struct Opening: Sendable {
        /// The claims (`Claim`), in the proof's order.
        public var claims: [Claim]
        /// One coefficient `ρ_c` per claim.
        public var coefficients: [Scalar]

        /// Bundles a proof's claims and coefficients.
        public init(claims: [Claim], coefficients: [Scalar]) {
            self.claims = claims
            self.coefficients = coefficients
        }

        /// This proof checked alone (`verifyBatch` with its own coefficients).
        public func verify() -> Bool { Hyrax.verifyBatch(claims, coefficients: coefficients) }
    }

    /// `count` scalars uniform modulo `n` from OpenSSL's CSPRNG (64 random bytes each,
    /// reduced: bias `< 2^-256`); nil if the generator fails.
    public static func freshCoefficients(count: Int) -> [Scalar]? {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: 64 * count)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { return nil }
        return (0..<count).map { Scalar(wideBigEndian: bytes[(64 * $0)..<(64 * $0 + 64)]) }
    }

    /// Checks `Σ_p γ_p · E_p = O` with `γ` fresh from the CSPRNG. Returns nil when no
    /// randomness could be had (the caller then checks each opening alone), false when the
    /// shapes do not fit or the sum is not the identity.
    public static func verifyCombined(_ openings: [Opening]) -> Bool? {
        guard let gamma = freshCoefficients(count: openings.count) else { return nil }
        return verifyCombined(openings, weights: gamma)
    }

    /// `Σ_p γ_p · E_p = O` for the given `γ` (`weights`, one per opening). Only for weights
    /// the provers cannot know in advance; `verifyCombined(_:)` draws them.
    static func verifyCombined(_ openings: [Opening], weights gamma: [Scalar]) -> Bool {
        guard let (points, scalars) = combinedTerms(openings, weights: gamma),
              let sum = CurvePoint.multiScalarMultiply(points, scalars) else { return false }
        return sum.isInfinity
    }

    /// The points of the combined multi-scalar multiplication: every distinct row point, the
    /// generators the widest combination needs and `H`. Proofs of one model give the count of
    /// one proof, whatever their number.
    public static func combinedPointCount(_ openings: [Opening]) -> Int {
        combinedTerms(openings, weights: openings.map { _ in Scalar(UInt64(1)) })?.points.count ?? 0
    }

    /// The merged points and scalars of `Σ_p γ_p · E_p`; nil when the shapes do not fit.
    static func combinedTerms(_ openings: [Opening], weights gamma: [Scalar]) -> (points: [CurvePoint], scalars: [Scalar])? {
        guard openings.count == gamma.count else { return nil }
        var width = 0
        for opening in openings {
            guard opening.claims.count == opening.coefficients.count else { return nil }
            for claim in opening.claims {
                guard claim.rowWeights.count >= claim.rows.count else { return nil }
                width = max(width, claim.combination.count)
            }
        }
        guard width <= Generators.countMax else { return nil }
        var points: [CurvePoint] = []
        var scalars: [Scalar] = []
        var slot: [ObjectIdentifier: Int] = [:]
        var gCoefficients = [Scalar](repeating: .zero, count: width)
        var hCoefficient = Scalar.zero
        for (opening, g) in zip(openings, gamma) {
            for (claim, rho) in zip(opening.claims, opening.coefficients) {
                let scale = g * rho
                for (i, c) in claim.rows.enumerated() {
                    let weight = scale * claim.rowWeights[i]
                    hCoefficient += weight
                    if let k = slot[ObjectIdentifier(c)] {
                        scalars[k] += weight
                    } else {
                        slot[ObjectIdentifier(c)] = points.count
                        points.append(c)
                        scalars.append(weight)
                    }
                }
                for (j, t) in claim.combination.enumerated() { gCoefficients[j] += scale * t }
            }
        }
        points.append(contentsOf: Generators.shared.g(count: width))
        scalars.append(contentsOf: gCoefficients.map { -$0 })
        points.append(Generators.shared.h)
        scalars.append(-hCoefficient)
        return (points, scalars)
    }
}
