import Foundation
import Inference
import Market
import Testing

/// A classifier's verified output carries its labels: the coordinator's verifier computes
/// them from the proven scores and the committed class list, the same rule the CLI uses.
@Suite struct ClassifierOutputTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("InferenceTests/Fixtures/sklearn/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func verifiedClassifierOutput_CarriesTheLabelOfItsScores() throws {
        let model = try ONNXImporter.importModel(try Self.fixture("logreg_multinomial.nozipmap.onnx"))
        let commitment = try ModelCommitment.commit(model)
        let job = UUID(), worker = UUID()
        let context = InferenceProofVerifier.context(jobID: job, workerID: worker, nonce: "n1")
        // Two iris flowers: a setosa and a virginica, proven as one batch.
        let rows: [Double] = [5.1, 3.5, 1.4, 0.2, 6.9, 3.1, 5.8, 2.3]
        let x = try model.quantizeInput(floats: rows, shape: [2, 4])
        let proof = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: context).proof
        let request = VerificationRequest(jobID: job, workerID: worker, nonce: "n1", modelID: "m", commitment: commitment.encoded,
                                          input: Tensor(shape: [2, 4], values: rows), proof: proof)
        guard case .valid(let output) = InferenceProofVerifier().verify(request) else {
            Issue.record("the proof was rejected")
            return
        }
        #expect(output.labels == [.string("setosa"), .string("virginica")])
        // The labels survive the stored JSON form, and a model without classes has none.
        let stored = try JSONDecoder().decode(VerifiedOutput.self, from: JSONEncoder().encode(output))
        #expect(stored == output)
        let regressor = try ONNXImporter.importModel(try Self.fixture("ridge.onnx"))
        #expect(regressor.spec.labels == nil)
    }
}
