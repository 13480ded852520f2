import Inference

/// Errors of the proof commands (`model`, `infer`, `prove`, `verify`) before any proof work, with stable codes.
enum ProofCommandError: Error, CustomStringConvertible {
    /// A file is missing or cannot be read.
    case unreadable(path: String)
    /// An output file cannot be written.
    case unwritable(path: String)
    /// A file is larger than the command accepts.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// The input JSON is not `{"shape": [...], "values": [...]}`.
    case badInput(path: String, detail: String)
    /// `--context` is not `JOB:WORKER:NONCE`.
    case badContext(String)
    /// `--refuse-clamped` and the run clamped values (in the input, inside the model).
    case clamped(input: Int, inModel: Int)
    /// `--private` without the files of `model commit --private`.
    case privateNeedsCommitment
    /// `--hide-input` without `--private`.
    case hideInputNeedsPrivate
    /// `verify` of a proof with a public input, without `--input`.
    case inputRequired
    /// `verify --input` on a hidden-input proof, without the opening that could show it is that input.
    case inputOpeningRequired
    /// `verify --input-opening` on a proof whose input is public.
    case inputNotHidden
    /// The opening opens the proof's input commitment, but to another input than `--input`.
    case openingInputDiffers
    /// The proof's mode is not the commitment's (a private proof needs the private commitment).
    case modeMismatch(proof: ProofMode, commitment: ProofMode)
    /// A proof-system error that carries its own stable code (private commitments and proofs).
    case coded(code: String, message: String)

    /// Stable code, printed first.
    var code: String {
        switch self {
        case .unreadable: "file_unreadable"
        case .unwritable: "file_unwritable"
        case .tooLarge: "file_too_large"
        case .badInput: "input_malformed"
        case .badContext: "context_malformed"
        case .clamped: "clamped_values"
        case .privateNeedsCommitment: "private_material_required"
        case .hideInputNeedsPrivate: "hide_input_requires_private"
        case .inputRequired: "input_required"
        case .inputOpeningRequired: "input_opening_required"
        case .inputNotHidden: "input_not_hidden"
        case .openingInputDiffers: "input_opening_differs"
        case .modeMismatch: "proof_mode_mismatch"
        case .coded(let code, _): code
        }
    }

    var description: String {
        switch self {
        case .unreadable(let path): "\(code): cannot read \(path)"
        case .unwritable(let path): "\(code): cannot write \(path)"
        case .tooLarge(let path, let bytes, let limit): "\(code): \(path) is \(bytes) bytes, the limit is \(limit)"
        case .badInput(let path, let detail): "\(code): \(path): \(detail)"
        case .badContext(let text): "\(code): context '\(text)' must be JOB:WORKER:NONCE"
        case .clamped(let input, let inModel):
            "\(code): \(input + inModel) value(s) would be clamped to the model's range (\(input) in the input, \(inModel) inside the model), and --refuse-clamped refuses them; choose scales that hold them (--fraction-bits auto --calibration FILE)"
        case .privateNeedsCommitment:
            "\(code): --private takes --commitment and --material together (the files `proofmarket model commit --private MODEL --out C --material-out M` writes), or neither for a fresh pair"
        case .coded(_, let message): "\(code): \(message)"
        case .hideInputNeedsPrivate: "\(code): --hide-input is for --private proofs (a public proof shows its trace, the input included)"
        case .inputRequired: "\(code): the proof's input is public: give it with --input"
        case .inputOpeningRequired: "\(code): the proof hides its input; --input is checked only against an opening: add --input-opening FILE (the prover's OUT.input-opening)"
        case .inputNotHidden: "\(code): the proof's input is public, it has no opening: give --input instead"
        case .openingInputDiffers: "\(code): the opening opens the proof's input commitment, to another input than --input"
        case .modeMismatch(let proof, let commitment):
            "\(code): the proof is a \(proof.rawValue) proof and the commitment a \(commitment.rawValue) one; a \(proof.rawValue) proof is checked against the model's \(proof.rawValue) commitment"
        }
    }
}

extension ProofCommandError {
    /// Runs `body`, giving the private proof system's errors their codes on the command line.
    static func withCodes<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PrivateProofError {
            throw ProofCommandError.coded(code: e.code, message: e.description)
        } catch let e as PrivateCommitment.Error {
            throw ProofCommandError.coded(code: e.code, message: e.description)
        } catch let e as PrivateInputOpening.Error {
            throw ProofCommandError.coded(code: e.code, message: e.description)
        }
    }
}
