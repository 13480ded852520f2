import Testing
@testable import Inference
import ZKProof

/// The commitment layout: counts, the choice of row width, and its limits.
@Suite struct ProofLayoutTests {
    static func denseModel(rows: Int, inner: Int) throws -> QuantizedModel {
        let activation = try Activation(shift: 8, lo: -32768, hi: 32767)
        return try QuantizedModel(config: .default, inputShape: [1, inner], layers: [
            .init(prepare: [], kind: .dense, rows: rows, activation: activation,
                  weights: (0..<(rows * inner)).map { Int64($0 % 5) - 2 }, bias: [Int64](repeating: 3, count: rows)),
        ])
    }

    @Test func largeMLPLayoutCounts() throws {
        let c = try ProofFixtures.committed("mlp_large").commitment
        let layout = c.layout
        #expect(layout.columnVariables == 8)
        #expect(layout.layers.map(\.weights.rowCount) == [64, 256, 10])
        #expect(layout.layers.map(\.bias.rowCount) == [16, 16, 3])
        #expect(layout.verifierPointCount == 622)
        #expect(c.weightRows.map(\.count) == [64, 256, 10])
        // The choice is the cheapest admissible one.
        for other in 8...12 {
            guard let candidate = CommitmentLayout(spec: c.spec, columnVariables: other) else { continue }
            #expect(candidate.verifierPointCount >= layout.verifierPointCount)
        }
    }

    @Test func rowWeightsCoverEveryCommittedRow() throws {
        for name in ProofFixtures.names {
            let layout = try ProofFixtures.committed(name).commitment.layout
            for shape in layout.layers {
                #expect(1 << shape.weights.rowVariables >= shape.weights.rowCount)
                #expect(1 << shape.bias.rowVariables >= shape.bias.rowCount)
                #expect(shape.weights.rowVariables <= shape.rowPointVariables)
                #expect(shape.weights.width % shape.innerPadded == 0)
            }
        }
    }

    @Test func innerDimensionAtTheGeneratorLimit_HasALayout() throws {
        let model = try Self.denseModel(rows: 1, inner: 1 << CommitmentLayout.columnVariablesMax)
        let layout = try #require(CommitmentLayout.choose(for: model.spec))
        #expect(layout.layers[0].weights.width == 1 << CommitmentLayout.columnVariablesMax)
        #expect(layout.verifierPointCount == 1 + 1 + (1 << CommitmentLayout.columnVariablesMax) + 1)
    }

    /// One wide layer no longer widens the others: a 2048-wide dense layer after a narrow one
    /// leaves the narrow one's row combination at its own width.
    @Test func wideLayer_DoesNotWidenTheOthers() throws {
        let activation = try Activation(shift: 8, lo: -32768, hi: 32767)
        let model = try QuantizedModel(config: .default, inputShape: [1, 16], layers: [
            .init(prepare: [], kind: .dense, rows: 2048, activation: activation,
                  weights: (0..<(2048 * 16)).map { Int64($0 % 3) - 1 }, bias: [Int64](repeating: 0, count: 2048)),
            .init(prepare: [], kind: .dense, rows: 2, activation: activation,
                  weights: (0..<(2 * 2048)).map { Int64($0 % 5) - 2 }, bias: [0, 0]),
        ])
        let narrowest = try #require(CommitmentLayout(spec: model.spec, columnVariables: 0))
        #expect(narrowest.layers.map(\.weights.width) == [16, 2048])
        let chosen = try #require(CommitmentLayout.choose(for: model.spec))
        #expect(chosen.layers[0].weights.width <= 1 << chosen.columnVariables || chosen.layers[0].weights.width == 16)
        #expect(chosen.layers[1].weights.width == 2048)
    }

    @Test func innerDimensionPastTheGeneratorLimit_IsRefused() throws {
        let model = try Self.denseModel(rows: 1, inner: (1 << CommitmentLayout.columnVariablesMax) + 1)
        #expect(CommitmentLayout.choose(for: model.spec) == nil)
        #expect(throws: ModelCommitment.Error.layerTooWide) { _ = try ModelCommitment.commit(model) }
    }

    @Test func proofAtTheSizeLimit_IsDecodedNotRefusedForSize() throws {
        let c = try ProvenCase("mlp_small")
        let atLimit = [UInt8](repeating: 0, count: ProofLimits.proofBytesMax)
        if case .malformedProof = c.rejection(atLimit) {} else { Issue.record("a proof at the size limit must reach the decoder") }
    }
}
