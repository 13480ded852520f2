import Foundation
import HTTPServer
import Inference
import Market

/// A receipt with everything needed to check it without asking the coordinator again: the
/// model's commitment and the job's input (none for a job that hides its input: its receipt
/// carries the input commitment instead, `ReceiptBundle+HiddenInput.swift`).
/// `verify(pinnedKey:modelONNX:inputOpening:)` checks that the
/// coordinator's pinned key signed the receipt, that the commitment is the one it signed for
/// the model (and, given the ONNX file, the one that file commits to), the digests, and the
/// proof itself against the commitment, so a client need not trust the coordinator's word for
/// the output.
struct ReceiptBundle: Codable {
    var receipt: WireReceipt
    /// The model's commitment (hex), as `GET /v1/models/{id}` gives it.
    var commitment: String
    /// The job's input, as posted; nil for a job that hides its input.
    var input: WireTensor?

    /// Why a receipt does not hold; each names its stable code.
    enum Failure: Error, CustomStringConvertible {
        case unsupportedVersion(Int), untrustedKey(signedBy: String, pinned: String), badSignature
        case inputDigestMismatch, proofDigestMismatch, commitmentUnreadable(String)
        case modelMismatch(String), modelFileMismatch(String), proofInvalid(String), outputMismatch, missingNonce
        case clampCountMismatch(claimed: String, proven: String)
        case inputMissing, inputNotHidden, inputCommitmentMismatch, inputOpeningMalformed(String), inputOpeningMismatch

        var description: String {
            switch self {
            case .unsupportedVersion(let v):
                return "the receipt is version \(v); only version \(Receipt.version) receipts, which sign the model's commitment, are checked: fetch it again with `client jobs receipt` (receipt_version_unsupported)"
            case .untrustedKey(let signer, let pinned):
                return "the receipt names the key \(signer), not the coordinator's pinned key \(pinned) (coordinator_key_mismatch)"
            case .badSignature: return "the coordinator's signature does not match the receipt (signature_invalid)"
            case .inputDigestMismatch: return "the input is not the one the receipt names (input_digest_mismatch)"
            case .proofDigestMismatch: return "the proof is not the one the receipt names (proof_digest_mismatch)"
            case .commitmentUnreadable(let why): return "the model commitment cannot be read: \(why) (commitment_invalid)"
            case .modelMismatch(let model): return "the commitment is not the one the coordinator signed for model \(model) (model_mismatch)"
            case .modelFileMismatch(let why): return "the model file is not the receipt's model: \(why) (model_file_mismatch)"
            case .proofInvalid(let why): return "the proof does not verify: \(why) (proof_invalid)"
            case .outputMismatch: return "the proof's output differs from the receipt's (output_mismatch)"
            case .missingNonce: return "the receipt does not carry its lock nonce (nonce_missing)"
            case .clampCountMismatch(let claimed, let proven):
                return "the receipt's clamp counts (\(claimed)) are not the proven run's (\(proven)) (clamp_count_mismatch)"
            case .inputMissing: return "the bundle carries no input and the receipt names no input commitment (input_required)"
            case .inputNotHidden: return "the receipt's job does not hide its input; it has no input opening to check (input_not_hidden)"
            case .inputCommitmentMismatch:
                return "the input commitment is not the one the receipt signs or the proof names (input_commitment_mismatch)"
            case .inputOpeningMalformed(let why): return "the input opening cannot be read: \(why) (input_opening_malformed)"
            case .inputOpeningMismatch: return "the input opening does not open the receipt's input commitment (input_opening_mismatch)"
            }
        }
    }

    /// Fetches a fulfilled job's receipt, its model's commitment and its input.
    static func fetch(client: CoordinatorClient, jobID: String) async throws -> ReceiptBundle {
        let receipt: WireReceipt = try await client.call(.get, "/v1/jobs/\(jobID)/receipt")
        let model: WireModel = try await client.call(.get, "/v1/models/\(receipt.modelId)")
        // A hidden input stays out of the bundle (which is made to be published), even for its owner.
        struct JobInput: Decodable { var input: WireTensor? }
        let job: JobInput = receipt.inputCommitment == nil ? try await client.call(.get, "/v1/jobs/\(jobID)") : JobInput(input: nil)
        // A private proof is checked against the model's private commitment, which the receipt signs.
        let proof = Data(base64Encoded: receipt.proof).map(Array.init) ?? []
        let isPrivate = ProofFormat.mode(of: proof) == .private
        guard let commitment = isPrivate ? model.privateCommitment?.bytes : model.commitment else {
            throw RemoteError.invalidAnswer(path: "/v1/models", detail: isPrivate ? "no private commitment" : "no commitment")
        }
        return ReceiptBundle(receipt: receipt, commitment: commitment, input: job.input)
    }

    /// Checks everything against the coordinator's `pinnedKey` (never the key the receipt
    /// names) and, if given, the model's ONNX bytes and a hidden input's opening; returns the
    /// verified quantised output and its argmax.
    func verify(pinnedKey: [UInt8], modelONNX: [UInt8]? = nil, inputOpening: [UInt8]? = nil) throws -> (output: [Int64], argmax: Int?) {
        let r = receipt
        let version = r.receiptVersion ?? 1
        guard version == Receipt.version, let commitmentDigest = r.commitmentDigest else { throw Failure.unsupportedVersion(version) }
        let pinned = KnownCoordinators.hex(pinnedKey)
        guard r.coordinatorPublicKey.lowercased() == pinned else { throw Failure.untrustedKey(signedBy: r.coordinatorPublicKey, pinned: pinned) }
        let output = VerifiedOutput(shape: r.output.shape, quantised: r.output.quantised, values: r.output.values)
        let message = Receipt.message(jobID: r.jobId, modelID: r.modelId, commitmentDigest: commitmentDigest, inputDigest: r.inputDigest,
                                      output: output, proofDigest: r.proofDigest, workerID: r.workerId, nonce: r.nonce ?? "")
        guard let signature = Receipt.bytes(hex: r.signature),
              CoordinatorKey.verify(publicKey: pinnedKey, message: message, signature: signature) else { throw Failure.badSignature }
        // The signature covers the commitment's digest: only the commitment the coordinator
        // registered for this model id passes, so a proof of another model cannot.
        guard let commitmentBytes = Receipt.bytes(hex: commitment.lowercased()) else { throw Failure.commitmentUnreadable("not hex") }
        guard Receipt.commitmentDigest(commitmentBytes) == commitmentDigest else { throw Failure.modelMismatch(r.modelId) }
        guard let proof = Data(base64Encoded: r.proof).map(Array.init) else { throw Failure.proofDigestMismatch }
        guard Receipt.proofDigest(proof) == r.proofDigest else { throw Failure.proofDigestMismatch }
        guard let nonce = r.nonce else { throw Failure.missingNonce }
        if let hidden = r.inputCommitment {
            return try verifyHidingInput(commitmentBytes, inputCommitment: hidden, proof: proof, nonce: nonce, modelONNX: modelONNX,
                                         inputOpening: inputOpening)
        }
        guard inputOpening == nil else { throw Failure.inputNotHidden }
        guard let input else { throw Failure.inputMissing }
        guard (try? Receipt.inputDigest(Tensor(shape: input.shape, values: input.values))) == r.inputDigest else {
            throw Failure.inputDigestMismatch
        }
        // The proof's own bytes say its mode (the receipt's `proof_mode` is not signed).
        if ProofFormat.mode(of: proof) == .private {
            return try verifyPrivate(commitmentBytes, input: input, proof: proof, nonce: nonce, modelONNX: modelONNX)
        }
        let decoded: ModelCommitment
        do { decoded = try ModelCommitment(decoding: commitmentBytes) } catch { throw Failure.commitmentUnreadable("\(error)") }
        if let modelONNX { try Self.checkModelFile(modelONNX, modelID: r.modelId, commitment: decoded) }
        let quantised: [Int64], clampedInput: Int
        do { (quantised, clampedInput) = try decoded.spec.quantizeInputCountingClamps(floats: input.values, shape: input.shape) } catch {
            throw Failure.proofInvalid("input: \(error)")
        }
        let context = InferenceProofVerifier.context(jobID: r.jobId, workerID: r.workerId, nonce: nonce)
        let verified: [Int64], inModelByItem: [Int]
        do {
            (verified, inModelByItem) = try InferenceVerifier.verifyCountingClampsByItem(commitment: decoded, input: quantised, proof: proof, context: context)
        } catch {
            throw Failure.proofInvalid("\(error)")
        }
        let clampedInModel = inModelByItem.reduce(0, +)
        guard verified == r.output.quantised else { throw Failure.outputMismatch }
        // A batch's outputs are signed side by side as `[B, n]`: the shape must be the proven batch's.
        let items = inModelByItem.count
        guard items == 1 || r.output.shape == [items, verified.count / items] else { throw Failure.outputMismatch }
        if items > 1 {
            // Each item's counts, like the totals, must be the proven run's.
            let n = decoded.spec.inputElements
            let inputByItem = (0..<items).map { i in
                (try? decoded.spec.quantizeInputCountingClamps(floats: Array(input.values[(i * n)..<((i + 1) * n)]),
                                                              shape: decoded.spec.inputShape).clamped) ?? -1
            }
            let claimedInput = r.output.clampedInputByItem ?? inputByItem, claimedInModel = r.output.clampedInModelByItem ?? inModelByItem
            guard claimedInput == inputByItem, claimedInModel == inModelByItem else {
                throw Failure.clampCountMismatch(claimed: "by item \(claimedInput) input, \(claimedInModel) in the model",
                                                 proven: "by item \(inputByItem) input, \(inModelByItem) in the model")
            }
        }
        // The clamp counts are not signed either: they are the proven run's, and a receipt naming others is refused.
        let claimed = (r.output.clampedInput ?? clampedInput, r.output.clampedInModel ?? clampedInModel)
        guard claimed == (clampedInput, clampedInModel) else {
            throw Failure.clampCountMismatch(claimed: "\(claimed.0) input, \(claimed.1) in the model",
                                             proven: "\(clampedInput) input, \(clampedInModel) in the model")
        }
        // The argmax is not signed: it is the verified output's, and a receipt naming another is refused.
        // A batch has no single argmax (each item has its own, `client jobs outputs`).
        let argmax = items > 1 ? nil : VerifiedOutput(shape: r.output.shape, quantised: verified, values: r.output.values).argmax
        guard r.argmax == nil || r.argmax == argmax else { throw Failure.outputMismatch }
        return (verified, argmax)
    }

    /// A private proof's receipt: the signed commitment is the model's hiding one, and the proof
    /// reveals the output alone (of one input or a batch; no clamp counts inside the model are
    /// proven, so a receipt claiming some is refused).
    private func verifyPrivate(_ commitmentBytes: [UInt8], input: WireTensor, proof: [UInt8], nonce: String,
                               modelONNX: [UInt8]?) throws -> (output: [Int64], argmax: Int?) {
        let r = receipt
        let decoded = try Self.privateCommitment(commitmentBytes, modelID: r.modelId, modelONNX: modelONNX)
        let quantised: [Int64], clampedInput: Int
        do { (quantised, clampedInput) = try decoded.spec.quantizeInputCountingClamps(floats: input.values, shape: input.shape) } catch {
            throw Failure.proofInvalid("input: \(error)")
        }
        let context = InferenceProofVerifier.context(jobID: r.jobId, workerID: r.workerId, nonce: nonce)
        let verified: [Int64]
        do { verified = try PrivateVerifier.verify(commitment: decoded, input: quantised, proof: proof, context: context) } catch {
            throw Failure.proofInvalid("\(error)")
        }
        guard r.output.clampedInModel == nil, r.output.clampedInModelByItem == nil, r.output.clampedInputByItem == nil,
              r.output.clampedInput == nil || r.output.clampedInput == clampedInput else {
            throw Failure.clampCountMismatch(claimed: "\(r.output.clampedInput.map(String.init) ?? "-") input, \(r.output.clampedInModel.map(String.init) ?? "-") in the model",
                                             proven: "\(clampedInput) input, none proven in the model (private proof)")
        }
        return try checkPrivateOutput(verified, spec: decoded.spec)
    }

    /// A private proof's output against the receipt's: the same values, shaped `[B, n]` for
    /// the proven batch, and an argmax (one item only) that is the output's.
    func checkPrivateOutput(_ verified: [Int64], spec: ModelSpec) throws -> (output: [Int64], argmax: Int?) {
        let r = receipt
        guard verified == r.output.quantised, spec.outputElements > 0, verified.count % spec.outputElements == 0 else {
            throw Failure.outputMismatch
        }
        let items = verified.count / spec.outputElements
        guard r.output.shape == [items, spec.outputElements] else { throw Failure.outputMismatch }
        let argmax = items > 1 ? nil : VerifiedOutput(shape: r.output.shape, quantised: verified, values: r.output.values).argmax
        guard r.argmax == nil || r.argmax == argmax else { throw Failure.outputMismatch }
        return (verified, argmax)
    }

    /// The model's hiding commitment, decoded; given the ONNX file, checked to be the model the
    /// id digests (a hiding commitment cannot be recomputed from the file).
    static func privateCommitment(_ bytes: [UInt8], modelID: String, modelONNX: [UInt8]?) throws -> PrivateCommitment {
        let decoded: PrivateCommitment
        do { decoded = try PrivateCommitment(decoding: bytes) } catch { throw Failure.commitmentUnreadable("\(error)") }
        if let modelONNX {
            let digest = InferenceModelImporter().digest(of: modelONNX)
            do { _ = try ONNXImporter.importModel(modelONNX, matching: decoded.spec) } catch {
                throw Failure.modelFileMismatch("it does not import with the registered quantisation: \(error)")
            }
            guard digest == modelID || decoded.spec.config != .default else {
                throw Failure.modelFileMismatch("its digest is \(digest), the receipt's model is \(modelID)")
            }
        }
        return decoded
    }

    /// The ONNX file is the receipt's model: its digest is the model id, and importing it with
    /// the quantisation the model was registered with (the one in its commitment) commits to
    /// exactly the signed commitment.
    private static func checkModelFile(_ onnx: [UInt8], modelID: String, commitment: ModelCommitment) throws {
        // A model registered with quantisation options has an id that also digests them; its
        // file is then bound by the commitment alone (the signature ties that to the id).
        let plan = ScalePlan(spec: commitment.spec)
        let defaultScales = commitment.spec.config == .default
            && ([plan.inputFractionBits] + plan.layerFractionBits).allSatisfy { $0 == QuantizationConfig.default.activationFractionBits }
        let digest = InferenceModelImporter().digest(of: onnx)
        guard digest == modelID || !defaultScales else {
            throw Failure.modelFileMismatch("its digest is \(digest), the receipt's model is \(modelID)")
        }
        let recomputed: ModelCommitment
        do { recomputed = try ModelCommitment.commit(try ONNXImporter.importModel(onnx, matching: commitment.spec)) } catch {
            throw Failure.modelFileMismatch("it does not import: \(error)")
        }
        guard recomputed.encoded == commitment.encoded else {
            throw Failure.modelFileMismatch("its commitment differs from the one the coordinator signed")
        }
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    static func read(from path: String) throws -> ReceiptBundle {
        let bytes = try FileInput.read(path, limit: 64 << 20)
        return try JSONCoding.decoder.decode(ReceiptBundle.self, from: Data(bytes))
    }
}
