import Foundation
import Inference
import Market

/// The digits MLP fixture (64 → 32 → 10) imported, quantised and committed once per test
/// process, and real proofs made with the inference prover for a lock. Shared by the market
/// and API tests.
public enum RealProofs {
    /// The fixture, loaded.
    public struct Loaded: @unchecked Sendable {
        public let onnx: [UInt8]
        public let model: QuantizedModel
        public let commitment: ModelCommitment
        public let facts: ModelFacts
        public let samples: [[Double]]
    }

    /// Loaded once per process.
    public static let loaded: Loaded = {
        let onnxURL = Bundle.module.url(forResource: "mlp_small", withExtension: "onnx", subdirectory: "Fixtures")!
        let onnx = Array(try! Data(contentsOf: onnxURL))
        let importer = InferenceModelImporter()
        let model = try! importer.quantizedModel(onnx)
        let commitment = try! ModelCommitment.commit(model)
        let facts = try! importer.importModel(onnx)
        struct Sample: Decodable { let pixelScale: Double; let pixels: [[Double]] }
        let sampleURL = Bundle.module.url(forResource: "digits_sample", withExtension: "json", subdirectory: "Fixtures")!
        let sample = try! JSONDecoder().decode(Sample.self, from: Data(contentsOf: sampleURL))
        return Loaded(onnx: onnx, model: model, commitment: commitment, facts: facts,
                      samples: sample.pixels.prefix(32).map { $0.map { $0 * sample.pixelScale } })
    }()

    /// Input tensor number `i` of the sample (shape [1, 64]).
    public static func input(_ i: Int = 0) -> Tensor {
        Tensor(shape: loaded.facts.inputShape, values: loaded.samples[i % loaded.samples.count])
    }

    /// A real proof of the model on `input`, bound to this job, worker and lock nonce.
    public static func prove(jobID: UUID, workerID: UUID, nonce: String, input: Tensor) -> [UInt8] {
        let x = try! loaded.model.quantizeInput(floats: input.values, shape: input.shape)
        let context = InferenceProofVerifier.context(jobID: jobID, workerID: workerID, nonce: nonce)
        return try! InferenceProver.prove(model: loaded.model, commitment: loaded.commitment, input: x, context: context).proof
    }

    /// The output the model computes on `input`, as the verifier reports it.
    public static func output(for input: Tensor) -> VerifiedOutput {
        let (x, clamped) = try! loaded.model.spec.quantizeInputCountingClamps(floats: input.values, shape: input.shape)
        let run = try! loaded.model.run(x)
        return VerifiedOutput(shape: [1, run.output.count], quantised: run.output, values: loaded.model.dequantizeOutput(run.output),
                              clampedInput: clamped, clampedInModel: run.saturated)
    }
}
