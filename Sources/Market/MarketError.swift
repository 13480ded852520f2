import Postgres

/// An operating error of the market: a rule a request broke, named after that rule.
///
/// The `code` is stable once published (clients branch on it, the API turns it into the
/// problem `type`); `message` is for people and may change. Programmer errors are not
/// `MarketError`s: they trap or surface as database errors.
public struct MarketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule that was broken.
    public enum Code: String, Sendable, CaseIterable, Codable {
        // Authentication and roles.
        /// No key, or a key that matches nothing.
        case unauthenticated
        /// The key was revoked.
        case keyRevoked = "key_revoked"
        /// The key's role may not do this.
        case forbidden
        /// An admin key already exists; `admin bootstrap` refuses to make a second one.
        case adminExists = "admin_exists"
        /// The role does not fit the account's kind (a worker key on a client account).
        case roleMismatch = "role_mismatch"

        // Unknown things.
        /// No account with this id.
        case unknownAccount = "unknown_account"
        /// No job with this id (or not one the caller may see).
        case unknownJob = "unknown_job"
        /// No model with this id.
        case unknownModel = "unknown_model"
        /// No worker with this id (or not one of the caller's).
        case unknownWorker = "unknown_worker"

        // Input.
        /// Auction terms that cannot work (min above max, ramp longer than the lock timeout, …).
        case invalidTerms = "invalid_terms"
        /// A request value out of its range (an amount, a limit, a name).
        case invalidRequest = "invalid_request"
        /// The input tensor does not have the model's input shape.
        case inputShapeMismatch = "input_shape_mismatch"
        /// A model that takes token ids got a value that is not one of its ids (a fraction, a
        /// negative number, or an id past its embedding tables).
        case inputIDOutOfRange = "input_id_out_of_range"
        /// The job refuses clamped inputs and its quantised input would clamp; `reason` is the count.
        case inputClamped = "input_clamped"
        /// A batch job with more inputs than `batchInputsMax` (or none at all).
        case batchTooLarge = "batch_too_large"
        /// A batch of more than one input for a model whose steps mix items (not batchable).
        case batchNotSupported = "batch_not_supported"
        /// A batch whose proof could exceed `Market.proofBytesMax`: the model's stated
        /// `batch_inputs_max` is below the batch's size.
        case batchProofTooLarge = "batch_proof_too_large"
        /// Quantisation options that cannot be used (widths, fraction bits, calibration size).
        case invalidQuantization = "invalid_quantization"
        /// The model exists but is still processing or failed.
        case modelNotReady = "model_not_ready"
        /// A webhook URL whose host is an address webhooks may not reach (loopback, private,
        /// link-local, …); `reason` names which kind.
        case webhookURLDisallowed = "webhook_url_disallowed"
        /// The model file is larger than `Market.modelBytesMax`.
        case modelTooLarge = "model_too_large"
        /// The account has `importsPerAccountMax` model imports in progress.
        case tooManyImports = "too_many_imports"
        /// The coordinator's model import queue is full; try again later.
        case importBusy = "import_busy"
        /// The same `Idempotency-Key` was used before for a different request.
        case idempotencyKeyReused = "idempotency_key_reused"

        // Money.
        /// The account's available balance does not cover the amount.
        case insufficientBalance = "insufficient_balance"

        // Job life.
        /// The job is not open (already locked, finished or cancelled).
        case jobNotOpen = "job_not_open"
        /// The job is not locked (so there is no lock to prove against or release).
        case jobNotLocked = "job_not_locked"
        /// The job has no receipt: it is not fulfilled.
        case jobNotFulfilled = "job_not_fulfilled"
        /// The caller does not hold the job's lock.
        case notLockHolder = "not_lock_holder"
        /// The lock ran out before the request arrived.
        case lockExpired = "lock_expired"
        /// The job's deadline has passed.
        case deadlinePassed = "deadline_passed"
        /// A Dutch auction that has not started yet.
        case biddingNotStarted = "bidding_not_started"
        /// The request fits the other auction type (a bid on a Dutch job, a lock on a sealed one
        /// whose bid window is still open).
        case wrongAuction = "wrong_auction"
        /// A lock on a sealed job whose bid window has closed but whose award the sweeper has
        /// not made yet: ask again shortly (the winner then gets its lock, the others
        /// `job_not_open`).
        case awardPending = "award_pending"
        /// A sealed bid after its window closed.
        case bidWindowClosed = "bid_window_closed"
        /// A sealed bid above the job's maximum price or below its minimum.
        case bidOutOfRange = "bid_out_of_range"
        /// The worker already bid in this round.
        case bidAlreadyPlaced = "bid_already_placed"
        /// The worker holds as many locks as it may.
        case tooManyLocks = "too_many_locks"
        /// The worker is suspended by the circuit breaker after repeated slashes.
        case workerSuspended = "worker_suspended"
        /// The model is larger than the worker declared it can prove.
        case capabilityExceeded = "capability_exceeded"

        // Proofs.
        /// The proof did not verify; `reason` says why.
        case proofRejected = "proof_rejected"
        /// The proof is larger than `Market.proofBytesMax`: refused unread, not held against the worker.
        case proofTooLarge = "proof_too_large"
        /// Every verification thread is busy and the queue is full; try again shortly.
        case verifierBusy = "verifier_busy"

        // Private proofs.
        /// A private job for a model with a step that has no private proof; `reason` names the
        /// steps (comma-separated), which still prove in public mode.
        case privateUnsupportedOperator = "private_unsupported_operator"
        /// The worker (or this coordinator) does not prove the job's proof mode.
        case proofModeUnsupported = "proof_mode_unsupported"
        /// A private job's blinding material asked for by anyone but the worker holding its lock.
        case privateMaterialForbidden = "private_material_forbidden"
        /// Private material asked for a job that proves in public mode.
        case jobNotPrivate = "job_not_private"
        /// `hide_input` on a job that does not prove in private mode.
        case hideInputRequiresPrivate = "hide_input_requires_private"
        /// An input opening asked for a job that does not hide its input.
        case inputNotHidden = "input_not_hidden"
    }

    /// The rule that was broken.
    public let code: Code
    /// A sentence for people.
    public let message: String
    /// A machine-readable detail (the verifier's reason code, the offending field).
    public let reason: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, reason: String? = nil) {
        self.code = code
        self.message = message
        self.reason = reason
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}

extension PostgresError {
    /// True for the overdraft the balance CHECK refuses (SQLSTATE 23514 on `balances_non_negative`).
    var isOverdraft: Bool { sqlState == "23514" && constraint == "balances_non_negative" }
    /// True for a unique violation on the named constraint or index.
    func isUniqueViolation(_ name: String) -> Bool { sqlState == "23505" && constraint == name }
    /// True when a guarded transition found its row changed first (`pm_require`, migration 0016).
    var isLostRace: Bool { sqlState == "PM001" }
}
