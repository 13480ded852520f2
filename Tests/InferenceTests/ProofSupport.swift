import Foundation
@testable import Inference
import ZKProof

/// Committed fixtures shared by the proof tests (committing is the slow part, so once each).
enum ProofFixtures {
    struct Committed: Sendable {
        let model: QuantizedModel
        let commitment: ModelCommitment
    }

    /// Every fixture proven in the tests: the trained ones and the operator-coverage model.
    static let names = Fixtures.trainedModels + ["ops_cover"]

    /// Each of `names`, imported with the default quantisation and committed.
    static let all: [String: Committed] = {
        var out: [String: Committed] = [:]
        for name in names {
            guard let model = try? Fixtures.model(name), let commitment = try? ModelCommitment(committing: model) else { continue }
            out[name] = Committed(model: model, commitment: commitment)
        }
        return out
    }()

    static func committed(_ name: String) throws -> Committed {
        guard let c = all[name] else { throw Fixtures.FixtureMissing(name: name) }
        return c
    }

    /// Test-set image `i` quantised for `model`.
    static func input(_ model: QuantizedModel, _ i: Int) throws -> [Int64] {
        try model.quantizeInput(floats: Fixtures.sample.input(i))
    }

    static let context = BindingContext(jobID: "job-42", workerID: "worker-7", nonce: "n-0f3a")
}

/// A valid proof and everything it was made from, for tests that tamper with one part.
struct ProvenCase {
    let name: String
    let model: QuantizedModel
    let commitment: ModelCommitment
    let input: [Int64]
    let output: [Int64]
    let proof: [UInt8]
    let context: BindingContext

    init(_ name: String, sample: Int = 0, context: BindingContext = ProofFixtures.context,
         input explicitInput: [Int64]? = nil) throws {
        let c = try ProofFixtures.committed(name)
        self.name = name
        model = c.model
        commitment = c.commitment
        input = try explicitInput ?? ProofFixtures.input(c.model, sample)
        self.context = context
        (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: input, context: context)
    }

    /// Verifies `bytes` in place of the proof (same commitment, input and context by default).
    func verify(_ bytes: [UInt8], input: [Int64]? = nil, context: BindingContext? = nil,
                commitment: ModelCommitment? = nil) throws(ProofVerificationError) -> [Int64] {
        try InferenceVerifier.verify(commitment: commitment ?? self.commitment, input: input ?? self.input,
                                     proof: bytes, context: context ?? self.context)
    }

    /// The decoded proof, to tamper with typed parts.
    func decoded() throws -> InferenceProof {
        try InferenceProof(decoding: proof, layout: commitment.layout, spec: commitment.spec, items: 1)
    }

    /// The error verifying `bytes` raises, or nil if it was accepted.
    func rejection(_ bytes: [UInt8], input: [Int64]? = nil, context: BindingContext? = nil,
                   commitment: ModelCommitment? = nil) -> ProofVerificationError? {
        do {
            _ = try verify(bytes, input: input, context: context, commitment: commitment)
            return nil
        } catch {
            return error
        }
    }
}

extension ProvenCase {
    /// The challenges a verifier derives for `proof` (as the protocol defines them).
    func challenges(_ proof: InferenceProof) throws -> (points: [InferenceProtocol.LayerPoint], rho: [Scalar]) {
        let run = try commitment.spec.evaluate(input, linear: { k, _ in proof.preActivations[k] },
                                               product: { j, _, _ in proof.products[j] })
        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: run.output)
        InferenceProtocol.absorbTrace(&t, proof.preActivations, products: proof.products)
        let points = InferenceProtocol.drawPoints(&t, layout: commitment.layout, items: 1)
        _ = InferenceProtocol.drawProductPoints(&t, spec: commitment.spec, items: 1)
        InferenceProtocol.absorbCombinations(&t, layout: commitment.layout, weights: proof.weightCombinations,
                                             bias: proof.biasCombinations)
        return (points, InferenceProtocol.drawBatchCoefficients(&t, layerCount: commitment.spec.layers.count))
    }

    /// The trace an adversary gets by running the model but replacing layer `k`'s
    /// pre-activation with `tamper(z)` and continuing honestly from the resulting activation.
    func adversarialTrace(layer k: Int, tamper: ([Int64]) -> [Int64]) throws -> (z: [[Int64]], output: [Int64]) {
        let run = try model.spec.evaluate(input, linear: { i, x in
            let z = model.layers[i].preActivation(columns: x)
            return i == k ? tamper(z) : z
        }, product: { j, a, b in model.spec.product(j, a, b) })
        return (run.preActivations, run.output)
    }

    /// The trace an adversary gets by multiplying layer `k`'s weights with columns other than
    /// the graph's (`tamper` changes them) and continuing honestly.
    func adversarialColumns(layer k: Int, tamper: (inout [Int64]) -> Void) throws -> (z: [[Int64]], output: [Int64]) {
        let run = try model.spec.evaluate(input, linear: { i, x in
            var columns = x
            if i == k { tamper(&columns) }
            return model.layers[i].preActivation(columns: columns)
        }, product: { j, a, b in model.spec.product(j, a, b) })
        return (run.preActivations, run.output)
    }

    /// An adversarial prover: follows the protocol honestly on a false trace.
    func proveFalseTrace(_ z: [[Int64]], output: [Int64]) -> [UInt8] {
        InferenceProver.proveTrace(model: model, commitment: commitment, input: input, preActivations: z,
                                   output: output, context: context).encoded()
    }
}

/// Whether `error` is a failed linear check of layer `k`.
func isLinearCheckFailure(_ error: ProofVerificationError?, layer k: Int) -> Bool {
    if case .linearCheckFailed(let layer, _, _) = error { return layer == k }
    return false
}
