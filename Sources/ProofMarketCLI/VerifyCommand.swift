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

    @Option(help: "Path to the input JSON: {\"shape\": [...], \"values\": [...]}. Not needed for a proof that hides its input (then checked only with --input-opening).")
    var input: String?

    @Option(name: .customLong("input-opening"),
            help: "For a proof that hides its input: the opening `prove --hide-input` wrote (OUT.input-opening); checks that it opens the proof's input commitment, and with --input that it is that input.")
    var inputOpening: String?

    @Option(help: "The proof file written by `prove`.")
    var proof: String

    @Option(help: "Binding context JOB:WORKER:NONCE; must be the one the proof was made for.")
    var context: String

    func run() throws {
        do {
            let context = try ContextArgument.parse(self.context)
            let c = try FileInput.anyCommitment(commitment)
            // One byte past the limit is read so the verifier itself reports `proof_too_large`.
            let bytes = try FileInput.read(proof, limit: max(ProofLimits.proofBytesMax, PrivateProofLimits.proofBytesMax) + 1)
            // The proof's magic names its mode; the commitment must be of the same mode.
            let mode = ProofFormat.mode(of: bytes) ?? .public
            if ProofFormat.hidesInput(bytes), case .private(let c) = c { return try verifyHidingInput(c, bytes, context) }
            guard inputOpening == nil else { throw ProofCommandError.inputNotHidden }
            guard let input else { throw ProofCommandError.inputRequired }
            let x = try InputTensor.load(input).quantized(for: c.spec)
            let y: [Int64]
            switch c {
            case .public(let c) where mode == .public:
                y = try InferenceVerifier.verify(commitment: c, input: x, proof: bytes, context: context)
            case .private(let c) where mode == .private:
                y = try PrivateVerifier.verify(commitment: c, input: x, proof: bytes, context: context)
            default:
                throw ProofCommandError.modeMismatch(proof: mode, commitment: c.mode)
            }
            print(OutputFormat.line(c.spec, y))
            print("VALID \(mode.rawValue)")
        } catch let error as ProofVerificationError {
            print("INVALID \(error.code): \(error)")
            throw ExitCode.failure
        } catch let error as ProofCommandError {
            print("INVALID \(error)")
            throw ExitCode.failure
        } catch {
            print("INVALID \(error)")
            throw ExitCode.failure
        }
    }

    /// A private proof that hides its input: verified without it; prints the input commitment's
    /// id and, given the opening, checks that it opens that commitment (and is `--input`).
    private func verifyHidingInput(_ c: PrivateCommitment, _ bytes: [UInt8], _ context: BindingContext) throws {
        let expected = try input.map { try InputTensor.load($0).quantized(for: c.spec) }
        guard expected == nil || inputOpening != nil else { throw ProofCommandError.inputOpeningRequired }
        let (y, inputCommitment) = try PrivateVerifier.verifyHidingInput(commitment: c, proof: bytes, context: context)
        var opened = false
        if let inputOpening {
            let opening = try ProofCommandError.withCodes {
                try PrivateInputOpening(decoding: FileInput.read(inputOpening, limit: PrivateInputOpening.bytesMax))
            }
            let x = try PrivateVerifier.openInput(opening, inputCommitment: inputCommitment, commitment: c)
            if let expected, expected != x { throw ProofCommandError.openingInputDiffers }
            opened = true
        }
        print(OutputFormat.line(c.spec, y))
        print("input commitment \(inputCommitment.id)")
        print(opened ? "VALID private hidden input, opening checked" : "VALID private hidden input")
    }
}
