import Foundation
import Inference
import Market

extension ReceiptBundle {
    /// A hidden-input job's receipt: checked without the input. The signed input digest is the
    /// id of the input commitment the receipt carries, and the proof (a private one that hides
    /// its input) must name exactly that commitment; with `inputOpening`, the opening must open
    /// it. The output carries no clamp counts: nothing about the input is claimed but the proof's.
    func verifyHidingInput(_ commitmentBytes: [UInt8], inputCommitment hex: String, proof: [UInt8], nonce: String,
                           modelONNX: [UInt8]?, inputOpening: [UInt8]?) throws -> (output: [Int64], argmax: Int?) {
        let r = receipt
        guard let carried = Receipt.bytes(hex: hex.lowercased()), Receipt.commitmentDigest(carried) == r.inputDigest,
              r.inputCommitmentId.map({ $0.lowercased() == r.inputDigest }) ?? true else {
            throw Failure.inputCommitmentMismatch
        }
        let decoded = try Self.privateCommitment(commitmentBytes, modelID: r.modelId, modelONNX: modelONNX)
        let context = InferenceProofVerifier.context(jobID: r.jobId, workerID: r.workerId, nonce: nonce)
        let verified: (output: [Int64], inputCommitment: PrivateInputCommitment)
        do { verified = try PrivateVerifier.verifyHidingInput(commitment: decoded, proof: proof, context: context) } catch {
            throw Failure.proofInvalid("\(error)")
        }
        guard verified.inputCommitment.encoded == carried else { throw Failure.inputCommitmentMismatch }
        if let inputOpening {
            let opening: PrivateInputOpening
            do { opening = try PrivateInputOpening(decoding: inputOpening) } catch { throw Failure.inputOpeningMalformed("\(error)") }
            do { _ = try PrivateVerifier.openInput(opening, inputCommitment: verified.inputCommitment, commitment: decoded) } catch {
                throw Failure.inputOpeningMismatch
            }
        }
        guard r.output.clampedInput == nil, r.output.clampedInModel == nil, r.output.clampedInputByItem == nil,
              r.output.clampedInModelByItem == nil else {
            throw Failure.clampCountMismatch(claimed: "clamp counts of a hidden input", proven: "none (the input is hidden)")
        }
        return try checkPrivateOutput(verified.output, spec: decoded.spec)
    }
}
