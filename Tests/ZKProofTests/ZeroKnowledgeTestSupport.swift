@testable import ZKProof

/// Shared helpers of the zero-knowledge suites.
enum ZK {
    static func scalar(_ rng: inout SeededRandom) -> Scalar { Scalar(wideBigEndian: rng.bytes(64)) }
    static func scalars(_ count: Int, _ rng: inout SeededRandom) -> [Scalar] { (0..<count).map { _ in scalar(&rng) } }

    /// A transcript in the state a caller leaves it in: its own statement absorbed.
    static func transcript() -> Transcript {
        var t = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        t.absorb(TranscriptLabel.testMessage, Array("zk statement".utf8))
        return t
    }

    static func commit(_ a: Scalar, _ r: Scalar) -> CurvePoint {
        guard let c = Pedersen.commit(a, blinding: r) else { preconditionFailure("OpenSSL failed") }
        return c
    }

    static func commit(vector v: [Scalar], _ r: Scalar) -> CurvePoint {
        guard let c = Pedersen.commit(vector: v, blinding: r) else { preconditionFailure("OpenSSL failed") }
        return c
    }

    /// A different valid point: `p + G`.
    static func moved(_ p: CurvePoint) -> CurvePoint { p.adding(Pedersen.scalarGenerator) }

    /// A uniformly random point nobody knows an opening of (hash-to-curve of a test label).
    static func unknownPoint(_ i: UInt32) -> CurvePoint { Generators.hashToCurve(label: "zk-test.unknown-point", index: i) }
}
