import ArgumentParser
import Inference

/// `proofmarket verify --commitment C --input INPUT.json --proof PROOF --context JOB:WORKER:NONCE`.
///
/// Prints the proven output and `VALID` (exit 0), or `INVALID` with the reason (exit 1).
/// Whatever stops acceptance — unreadable files, a malformed commitment, a wrong proof — is
/// reported the same way, since in each case nothing was proven.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a proof against a model commitment, an input and a job context."
    )

    @Option(help: "The commitment file written by `model commit`.")
    var commitment: String

    @Option(help: "Path to the input JSON: {\"shape\": [...], \"values\": [...]}.")
    var input: String

    @Option(help: "The proof file written by `prove`.")
    var proof: String

    @Option(help: "Binding context JOB:WORKER:NONCE; must be the one the proof was made for.")
    var context: String

    func run() throws {
        do {
            let context = try ContextArgument.parse(self.context)
            let c = try FileInput.commitment(commitment)
            let x = try InputTensor.load(input).quantized(for: c.spec)
            // One byte past the limit is read so the verifier itself reports `proof_too_large`.
            let bytes = try FileInput.read(proof, limit: ProofLimits.proofBytesMax + 1)
            let y = try InferenceVerifier.verify(commitment: c, input: x, proof: bytes, context: context)
            print(OutputFormat.line(c.spec, y))
            print("VALID")
        } catch let error as ProofVerificationError {
            print("INVALID \(error.code): \(error)")
            throw ExitCode.failure
        } catch {
            print("INVALID \(error)")
            throw ExitCode.failure
        }
    }
}
