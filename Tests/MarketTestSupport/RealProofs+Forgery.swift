import Foundation
@testable import Inference
import Market
@testable import ZKProof

extension RealProofs {
    /// A real proof whose layer-0 bias combination is moved along a direction its fold
    /// `eq(r_lo')` cancels: the trace, every linear check and every fold still hold, so only
    /// the final multi-scalar multiplication refuses it (`commitment_opening_failed`).
    public static func proveWithChangedOpening(jobID: UUID, workerID: UUID, nonce: String, input: Tensor) -> [UInt8] {
        let bytes = prove(jobID: jobID, workerID: workerID, nonce: nonce, input: input)
        let commitment = loaded.commitment
        let x = try! loaded.model.quantizeInput(floats: input.values, shape: input.shape)
        let context = InferenceProofVerifier.context(jobID: jobID, workerID: workerID, nonce: nonce)
        var proof = try! InferenceProof(decoding: bytes, layout: commitment.layout, spec: commitment.spec, items: 1)
        let run = try! commitment.spec.evaluate(x, linear: { k, _ in proof.preActivations[k] },
                                                product: { j, _, _ in proof.products[j] })
        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: x, output: run.output)
        InferenceProtocol.absorbTrace(&t, proof.preActivations, products: proof.products)
        let points = InferenceProtocol.drawPoints(&t, layout: commitment.layout, items: 1)
        let shape = commitment.layout.layers[0]
        let fold = Multilinear.eqTable(Array(points[0].row.dropFirst(shape.bias.rowVariables)))
        precondition(fold.count >= 2 && proof.biasCombinations[0].count >= 2, "layer 0's bias rows hold two entries or more")
        proof.biasCombinations[0][0] += fold[1]
        proof.biasCombinations[0][1] -= fold[0]
        return proof.encoded()
    }
}
