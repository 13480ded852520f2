import Foundation
import Inference
@testable import Market
import Testing

/// A model whose input is token ids refuses, when a job is posted, any value that is not one
/// of its ids; other models are left to the shape check.
@Suite struct TokenInputTests {
    /// An embedding of 3 ids over a 5-row table of width 2, committed.
    static func tokenCommitment() throws -> [UInt8] {
        let input = try TensorInfo(shape: [1, 3], fractionBits: 0, lo: 0, hi: 4, name: "ids")
        let layer = QuantizedModel.LayerParameters(
            prepare: [], kind: .oneHot(vocabulary: 5, count: 3, fractionBits: 8), rows: 2,
            activation: try Activation(shift: 8, lo: -32768, hi: 32767), weights: (0..<10).map { Int64($0 * 7 % 5) - 2 },
            bias: [0, 0])
        let model = try QuantizedModel(config: .default, input: input,
                                       nodes: [GraphNode(op: .linear(layer: 0, shape: [1, 3, 2]), inputs: [0], name: "embed")],
                                       parameters: [layer], outputs: [1], batchable: false, integerInput: true)
        return try ModelCommitment(committing: model).encoded
    }

    @Test func idsOutsideTheVocabulary_AreRefusedWithTheirCode() throws {
        let commitment = try Self.tokenCommitment()
        try InferenceInputCheck.validateTokenIDs(Tensor(shape: [1, 3], values: [0, 4, 2]), commitment: commitment)
        for bad in [[0, 5, 2], [0, -1, 2], [0, 2.5, 1]] as [[Double]] {
            #expect {
                try InferenceInputCheck.validateTokenIDs(Tensor(shape: [1, 3], values: bad), commitment: commitment)
            } throws: { error in
                (error as? MarketError)?.code == .inputIDOutOfRange && "\(error)".contains("0…4")
            }
        }
    }

    @Test func floatModels_AreLeftToTheShapeCheck() throws {
        let input = try TensorInfo(shape: [1, 2], fractionBits: 8, lo: -32768, hi: 32767, name: "x")
        let layer = QuantizedModel.LayerParameters(prepare: [], kind: .dense, rows: 1,
                                                   activation: try Activation(shift: 8, lo: -32768, hi: 32767),
                                                   weights: [3, -2], bias: [0])
        let model = try QuantizedModel(config: .default, input: input,
                                       nodes: [GraphNode(op: .linear(layer: 0, shape: [1, 1]), inputs: [0], name: "fc")],
                                       parameters: [layer], outputs: [1], batchable: false)
        let commitment = try ModelCommitment(committing: model).encoded
        try InferenceInputCheck.validateTokenIDs(Tensor(shape: [1, 2], values: [0.25, 7.5]), commitment: commitment)
        try InferenceInputCheck.validateTokenIDs(Tensor(shape: [1, 2], values: [0.25, 7.5]), commitment: nil)
    }
}
