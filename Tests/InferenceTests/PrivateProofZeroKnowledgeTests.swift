import Foundation
@testable import Inference
import Testing
import TestSupport
import ZKProof

/// Executed checks that private proofs reveal nothing beyond the statement.
@Suite struct PrivateProofZeroKnowledgeTests {
    /// The public head of a proof: magic, version, the output list; then the first row count.
    static func publicHeadBytes(_ c: PrivateFixtures.Committed, items: Int) -> Int {
        let last = c.model.spec.layers[c.model.spec.layers.count - 1]
        return 4 + 2 + 4 + 8 * last.rows * items + 4
    }

    @Test func twoProofsOfOneStatement_ShareNoFieldElementOrPoint() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let (a, b) = try await OwnThread.run { () -> ([UInt8], [UInt8]) in
            let input = try PrivateFixtures.input(c.model, first: 7)
            let a = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material, input: input,
                                            context: PrivateFixtures.context).proof
            let b = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material, input: input,
                                            context: PrivateFixtures.context).proof
            return (a, b)
        }
        #expect(a.count == b.count)
        let head = Self.publicHeadBytes(c, items: 1)
        var windows = Set<Data>()
        for i in head..<(b.count - 31) { windows.insert(Data(b[i..<(i + 32)])) }
        var shared = 0
        for i in head..<(a.count - 31) where windows.contains(Data(a[i..<(i + 32)])) { shared += 1 }
        #expect(shared == 0, "\(shared) 32-byte windows repeat between two proofs of one statement")
    }

    /// A second weight set with the same output on the test input: one weight of layer 0 moved.
    static func twin(_ model: QuantizedModel, input: [Int64]) throws -> QuantizedModel? {
        let output = try model.run(input).output
        for index in 0..<min(64, model.layers[0].weights.count) {
            var parameters = model.layers.map {
                QuantizedModel.LayerParameters(prepare: $0.spec.prepare, kind: $0.spec.kind, rows: $0.spec.rows,
                                               activation: $0.spec.activation, weights: $0.weights, bias: $0.bias)
            }
            parameters[0].weights[index] += 1
            guard let other = try? QuantizedModel(config: model.spec.config, inputShape: model.spec.inputShape, layers: parameters),
                  other.spec == model.spec, try other.run(input).output == output else { continue }
            return other
        }
        return nil
    }

    struct TwinMissing: Error {}

    @Test func proofsForTwoWeightSets_AreNotToldApartByByteStatistics() async throws {
        try await PrivateFixtures.ready()
        let (histograms, means, outputsAgree) = try await OwnThread.run { () -> ([[Double]], [Double], Bool) in
            let c = try PrivateFixtures.committed("mlp_small")
            let input = try PrivateFixtures.input(c.model, first: 9)
            guard let other = try Self.twin(c.model, input: input) else { throw TwinMissing() }
            let (oc, om) = try PrivateProver.commit(other)
            let head = Self.publicHeadBytes(c, items: 1)
            let expected = try c.model.run(input).output
            let count = 64
            var histograms = [[Double]](repeating: [Double](repeating: 0, count: 256), count: 2)
            var means = [Double](repeating: 0, count: 2)
            var outputsAgree = true
            for (g, (model, commitment, material)) in [(c.model, c.commitment, c.material), (other, oc, om)].enumerated() {
                for n in 0..<count {
                    let context = BindingContext(jobID: "zk-\(n)", workerID: "w", nonce: "n")
                    let (out, proof) = try PrivateProver.prove(model: model, commitment: commitment, material: material,
                                                               input: input, context: context)
                    outputsAgree = outputsAgree && out == expected
                    for byte in proof[head...] { histograms[g][Int(byte)] += 1 }
                    means[g] += proof[head...].reduce(0.0) { $0 + Double($1) } / Double(proof.count - head)
                }
                means[g] /= Double(count)
            }
            return (histograms, means, outputsAgree)
        }
        #expect(outputsAgree, "both weight sets give the same output on the test input")
        let verdict = ByteStatistics.compare(histograms[0], histograms[1], means: (means[0], means[1]))
        #expect(verdict.meansAgree, "means \(means)")
        #expect(verdict.chiSquare < ByteStatistics.chiSquareLimit, "χ² = \(verdict.chiSquare)")
    }
}
