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

    /// Stable code, printed first.
    var code: String {
        switch self {
        case .unreadable: "file_unreadable"
        case .unwritable: "file_unwritable"
        case .tooLarge: "file_too_large"
        case .badInput: "input_malformed"
        case .badContext: "context_malformed"
        case .clamped: "clamped_values"
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
        }
    }
}
