import Foundation
import HTTPServer
import Inference
import Market

/// A receipt with everything needed to check it without asking the coordinator again: the
/// model's commitment and the job's input. `verify()` checks the coordinator's Ed25519
/// signature, the digests, and the proof itself against the commitment, so a client need not
/// trust the coordinator's word for the output.
struct ReceiptBundle: Codable {
    var receipt: WireReceipt
    /// The model's commitment (hex), as `GET /v1/models/{id}` gives it.
    var commitment: String
    /// The job's input, as posted.
    var input: WireTensor

    /// Why a receipt does not hold.
    enum Failure: Error, CustomStringConvertible {
        case badSignature, inputDigestMismatch, proofDigestMismatch, commitmentUnreadable(String)
        case modelMismatch, proofInvalid(String), outputMismatch, missingNonce

        var description: String {
            switch self {
            case .badSignature: return "the coordinator's signature does not match the receipt (signature_invalid)"
            case .inputDigestMismatch: return "the input is not the one the receipt names (input_digest_mismatch)"
            case .proofDigestMismatch: return "the proof is not the one the receipt names (proof_digest_mismatch)"
            case .commitmentUnreadable(let why): return "the model commitment cannot be read: \(why) (commitment_invalid)"
            case .modelMismatch: return "the commitment is not the receipt's model (model_mismatch)"
            case .proofInvalid(let why): return "the proof does not verify: \(why) (proof_invalid)"
            case .outputMismatch: return "the proof's output differs from the receipt's (output_mismatch)"
            case .missingNonce: return "the receipt does not carry its lock nonce (nonce_missing)"
            }
        }
    }

    /// Fetches a fulfilled job's receipt, its model's commitment and its input.
    static func fetch(client: CoordinatorClient, jobID: String) async throws -> ReceiptBundle {
        let receipt: WireReceipt = try await client.call(.get, "/v1/jobs/\(jobID)/receipt")
        let model: WireModel = try await client.call(.get, "/v1/models/\(receipt.modelId)")
        struct JobInput: Decodable { var input: WireTensor }
        let job: JobInput = try await client.call(.get, "/v1/jobs/\(jobID)")
        guard let commitment = model.commitment else { throw RemoteError.invalidAnswer(path: "/v1/models", detail: "no commitment") }
        return ReceiptBundle(receipt: receipt, commitment: commitment, input: job.input)
    }

    /// Checks everything; returns the verified quantised output.
    func verify() throws -> [Int64] {
        let r = receipt
        let output = VerifiedOutput(shape: r.output.shape, quantised: r.output.quantised, values: r.output.values)
        let message = Receipt.message(jobID: r.jobId, modelID: r.modelId, inputDigest: r.inputDigest, output: output,
                                             proofDigest: r.proofDigest, workerID: r.workerId, nonce: r.nonce ?? "")
        guard let key = Receipt.bytes(hex: r.coordinatorPublicKey), let signature = Receipt.bytes(hex: r.signature),
              CoordinatorKey.verify(publicKey: key, message: message, signature: signature) else { throw Failure.badSignature }
        guard (try? Receipt.inputDigest(Tensor(shape: input.shape, values: input.values))) == r.inputDigest else {
            throw Failure.inputDigestMismatch
        }
        guard let proof = Data(base64Encoded: r.proof).map(Array.init) else { throw Failure.proofDigestMismatch }
        guard Receipt.proofDigest(proof) == r.proofDigest else { throw Failure.proofDigestMismatch }
        guard let commitmentBytes = Receipt.bytes(hex: commitment) else { throw Failure.commitmentUnreadable("not hex") }
        let decoded: ModelCommitment
        do { decoded = try ModelCommitment(decoding: commitmentBytes) } catch { throw Failure.commitmentUnreadable("\(error)") }
        guard let nonce = r.nonce else { throw Failure.missingNonce }
        let quantised: [Int64]
        do { quantised = try decoded.spec.quantizeInput(floats: input.values, shape: input.shape) } catch {
            throw Failure.proofInvalid("input: \(error)")
        }
        let context = InferenceProofVerifier.context(jobID: r.jobId, workerID: r.workerId, nonce: nonce)
        let verified: [Int64]
        do { verified = try InferenceVerifier.verify(commitment: decoded, input: quantised, proof: proof, context: context) } catch {
            throw Failure.proofInvalid("\(error)")
        }
        guard verified == r.output.quantised else { throw Failure.outputMismatch }
        return verified
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
