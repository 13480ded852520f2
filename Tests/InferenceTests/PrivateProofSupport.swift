import Foundation
@testable import Inference
import TestSupport
import ZKProof

/// Privately committed digits MLPs shared by the private proof tests (committed once each).
enum PrivateFixtures {
    struct Committed: Sendable {
        let model: QuantizedModel
        let commitment: PrivateCommitment
        let material: PrivateMaterial
    }

    /// The digits MLPs: 64→32→10 and 64→256→256→10.
    static let names = ["mlp_small", "mlp_large"]

    static let all: [String: Committed] = {
        var out: [String: Committed] = [:]
        for name in names {
            guard let model = try? Fixtures.model(name), let (c, m) = try? PrivateProver.commit(model) else { continue }
            out[name] = Committed(model: model, commitment: c, material: m)
        }
        return out
    }()

    /// Commits the fixtures (seconds in a debug build) off the concurrency pool; every private test
    /// starts with it, so none of them blocks a pool thread waiting for the one-time commit.
    static func ready() async throws {
        _ = try await OwnThread.run { all.count }
    }

    static func committed(_ name: String) throws -> Committed {
        guard let c = all[name] else { throw Fixtures.FixtureMissing(name: name) }
        return c
    }

    /// Test-set images `first..<first+count` concatenated, quantised for `model`.
    static func input(_ model: QuantizedModel, first: Int = 0, count: Int = 1) throws -> [Int64] {
        try (first..<(first + count)).flatMap { try model.quantizeInput(floats: Fixtures.sample.input($0)) }
    }

    static let context = BindingContext(jobID: "private-job", workerID: "private-worker", nonce: "private-nonce")
}

/// The byte-statistics test two sets of proofs must pass to look alike: the mean byte value
/// and a two-sample χ² over the 256 byte values (`histograms` count every byte after the public head).
enum ByteStatistics {
    /// 255 degrees of freedom; 400 is far past p = 10⁻⁶.
    static let chiSquareLimit = 400.0

    static func compare(_ a: [Double], _ b: [Double], means: (Double, Double)) -> (meansAgree: Bool, chiSquare: Double) {
        // Means of uniform bytes have standard error ≈ 73.9/√(bytes); allow six of them.
        let standardError = 73.9 / a.reduce(0, +).squareRoot()
        var chi = 0.0
        for v in 0..<256 {
            let s = a[v] + b[v]
            if s > 0 { chi += (a[v] - b[v]) * (a[v] - b[v]) / s }
        }
        return (abs(means.0 - means.1) < 6 * standardError, chi)
    }
}
