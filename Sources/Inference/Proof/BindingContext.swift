import ZKProof

/// Who a proof is for: the job, the worker and a fresh nonce chosen by the coordinator.
///
/// The context is part of the statement, absorbed before the first challenge, so a proof made
/// for one job, worker or nonce fails for any other (no replay). Its command-line form is
/// `JOB:WORKER:NONCE`.
public struct BindingContext: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The coordinator's job id.
    public let jobID: String
    /// The worker the job was leased to.
    public let workerID: String
    /// A fresh value chosen by the coordinator for this job.
    public let nonce: String

    /// Why a string is not a binding context.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Not exactly three `:`-separated parts.
        case wrongPartCount(Int)
        /// A part is empty.
        case emptyPart(String)
        /// A part is longer than `ProofLimits.contextFieldBytesMax` bytes.
        case partTooLong(String)

        /// A sentence a person can act on.
        public var description: String {
            switch self {
            case .wrongPartCount(let n): "a context is JOB:WORKER:NONCE, got \(n) part(s)"
            case .emptyPart(let name): "the \(name) part of the context is empty"
            case .partTooLong(let name): "the \(name) part of the context exceeds \(ProofLimits.contextFieldBytesMax) bytes"
            }
        }
    }

    /// Builds a context from its parts (any strings up to the length limit; may contain `:`).
    public init(jobID: String, workerID: String, nonce: String) {
        self.jobID = jobID
        self.workerID = workerID
        self.nonce = nonce
    }

    /// Parses `JOB:WORKER:NONCE`; each part non-empty, without `:`, at most
    /// `ProofLimits.contextFieldBytesMax` bytes.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { throw .wrongPartCount(parts.count) }
        for (name, part) in zip(["job", "worker", "nonce"], parts) {
            guard !part.isEmpty else { throw .emptyPart(name) }
            guard part.utf8.count <= ProofLimits.contextFieldBytesMax else { throw .partTooLong(name) }
        }
        self.init(jobID: parts[0], workerID: parts[1], nonce: parts[2])
    }

    /// `JOB:WORKER:NONCE`.
    public var description: String { "\(jobID):\(workerID):\(nonce)" }

    /// The bytes absorbed into the transcript: each part as u32 length then UTF-8, so no two
    /// different contexts encode alike (even with `:` inside a part).
    public var encoded: [UInt8] {
        var w = ProofWriter()
        for part in [jobID, workerID, nonce] { w.byteString(Array(part.utf8)) }
        return w.bytes
    }
}
