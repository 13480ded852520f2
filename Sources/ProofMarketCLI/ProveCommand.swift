import ArgumentParser
import Inference

/// `proofmarket prove --model MODEL.onnx --input INPUT.json --context JOB:WORKER:NONCE --out PROOF`.
///
/// Imports and commits the model (or reads `--commitment` to skip committing), runs the exact
/// integer model, proves the run bound to the context, writes the proof and prints the output.
struct ProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Run a model on an input and prove the output, bound to a job context."
    )

    @Option(help: "Path to the ONNX model.")
    var model: String

    @Option(help: "Path to the input JSON: {\"shape\": [...], \"data\": [...]}.")
    var input: String

    @Option(help: "Binding context JOB:WORKER:NONCE.")
    var context: String

    @Option(help: "Where to write the proof.")
    var out: String

    @Option(help: "A commitment file from `model commit`, to skip re-committing the model.")
    var commitment: String?

    func run() throws {
        let context = try ContextArgument.parse(self.context)
        let m = try FileInput.model(model)
        let c = try commitment.map { try FileInput.commitment($0) } ?? ModelCommitment(committing: m)
        let x = try InputTensor.load(input).quantized(for: m.spec)
        let (y, proof) = try InferenceProver.prove(model: m, commitment: c, input: x, context: context)
        try FileOutput.write(proof, to: out)
        print(OutputFormat.line(m.spec, y))
        print("proof \(proof.count) bytes → \(out) (model \(c.modelID))")
    }
}

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

    @Option(help: "Path to the input JSON: {\"shape\": [...], \"data\": [...]}.")
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

/// Parsing of the `--context` argument.
enum ContextArgument {
    /// `JOB:WORKER:NONCE` as a `BindingContext`, or `context_malformed`.
    static func parse(_ text: String) throws -> BindingContext {
        do { return try BindingContext(parsing: text) } catch { throw ProofCommandError.badContext(text) }
    }
}
