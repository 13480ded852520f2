/// Why a zero-knowledge proof was refused. Each case names the check that failed.
public enum ZKVerificationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The proof's shape does not fit the statement (a vector length, a count).
    case shapeMismatch(String)
    /// A verification equation of a Σ-protocol does not hold (`proof` names the protocol,
    /// `equation` which of its equations, counting from 1).
    case equationFailed(proof: String, equation: Int)
    /// Sum-check round `round` (from 0): its sum or evaluation sub-proof failed.
    case sumcheckRound(round: Int, check: String, cause: String)
    /// OpenSSL failed a group operation (never read as acceptance).
    case groupOperationFailed

    /// A sentence naming the failed check.
    public var description: String {
        switch self {
        case .shapeMismatch(let what): "proof shape does not fit the statement: \(what)"
        case .equationFailed(let proof, let equation): "\(proof): verification equation \(equation) does not hold"
        case .sumcheckRound(let round, let check, let cause): "zk sum-check round \(round), \(check): \(cause)"
        case .groupOperationFailed: "a group operation failed"
        }
    }
}

extension CurvePoint {
    /// `Σ scalars[i]·points[i] = O`, false if OpenSSL fails.
    static func sumIsIdentity(_ points: [CurvePoint], _ scalars: [Scalar]) -> Bool {
        guard let sum = multiScalarMultiply(points, scalars) else { return false }
        return sum.isInfinity
    }
}
