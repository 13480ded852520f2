import COpenSSL
import Foundation
import Market

/// A stand-in `ProofVerifier` for the market's own tests, until the inference verifier is in main:
/// a "proof" is the output plus a SHA-256 tag over the commitment, the lock's binding (job,
/// worker, nonce) and the input, so it checks the same properties the market relies on — a
/// proof for another lock, job, worker or input is rejected — without the proof system.
struct BindingCheckVerifier: ProofVerifier {
    /// The output this "model" computes: the sum of the input and its negation, quantised at 2⁸.
    static func output(for input: Tensor) -> VerifiedOutput {
        let sum = input.values.reduce(0, +)
        let q = [Int64((sum * 256).rounded()), Int64((-sum * 256).rounded())]
        return VerifiedOutput(shape: [1, 2], quantised: q, values: q.map { Double($0) / 256 })
    }

    static func tag(jobID: UUID, workerID: UUID, nonce: String, commitment: [UInt8], input: Tensor) -> [UInt8] {
        var bytes = commitment
        bytes += Array("\(jobID.uuidString)|\(workerID.uuidString)|\(nonce)|\(input.shape)|\(input.values)".utf8)
        var digest = [UInt8](repeating: 0, count: 32)
        _ = SHA256(bytes, bytes.count, &digest)
        return digest
    }

    static func prove(jobID: UUID, workerID: UUID, nonce: String, commitment: [UInt8], input: Tensor) -> [UInt8] {
        let out = try! JSONEncoder().encode(output(for: input))
        return tag(jobID: jobID, workerID: workerID, nonce: nonce, commitment: commitment, input: input) + Array(out)
    }

    func verify(_ r: VerificationRequest) -> VerificationOutcome {
        guard r.proof.count > 32, let output = try? JSONDecoder().decode(VerifiedOutput.self, from: Data(r.proof[32...])) else {
            return .rejected(reason: "malformed_proof", message: "the proof could not be decoded")
        }
        let expected = Self.tag(jobID: r.jobID, workerID: r.workerID, nonce: r.nonce, commitment: r.commitment, input: r.input)
        guard Array(r.proof[..<32]) == expected else {
            return .rejected(reason: "wrong_binding", message: "the proof is not bound to this job, worker and lock")
        }
        guard output == Self.output(for: r.input) else {
            return .rejected(reason: "wrong_output", message: "the claimed output is not the model's output")
        }
        return .valid(output)
    }
}
