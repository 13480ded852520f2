import Foundation

/// The market's tunable rules and limits. Units are last in every name.
public struct MarketConfiguration: Sendable {
    /// The platform fee in basis points of the price, taken from the worker's payment.
    public var feeBasisPoints: Int = 250
    /// The share of a slashed stake paid to the job's client, in basis points; the rest goes to `platform_slashed`.
    public var slashToClientBasisPoints: Int = 5_000
    /// The share of the stake lost when a worker releases a lock itself, in basis points (smaller than expiry's 100 %).
    public var releasePenaltyBasisPoints: Int = 2_000
    /// The most locks one worker may hold at once.
    public var locksPerWorkerMax: Int = 4
    /// Slashes in a row that trip a worker's circuit breaker.
    public var breakerSlashesInARowMax: Int = 3
    /// How long a tripped worker stays suspended.
    public var breakerSuspensionSeconds: Int = 600
    /// Threads verifying proofs at once (default: one per core).
    public var verificationThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Proofs waiting for a verification thread before new ones are refused with `verifier_busy`.
    public var verificationQueueMax: Int = 64
    /// Proofs of one model verified together at most (`VerificationBatcher`): their final
    /// multi-scalar multiplications become one.
    public var verificationBatchProofsMax: Int = VerificationBatcher.batchProofsMaxDefault
    /// How long the first waiting proof of a model waits for others before its batch starts,
    /// in milliseconds (proofs arriving while a batch of the model runs join the next one anyway).
    public var verificationBatchWindowMilliseconds: Int = VerificationBatcher.windowMillisecondsDefault
    /// Proof submissions reading their lock or recording their verdict at once (the wait for
    /// and the verification itself, bounded by the `VerificationBatcher`, hold no slot);
    /// the rest wait their turn in arrival order (at most `verificationQueueMax` of them, then
    /// `verifier_busy`). Settling is the heaviest step of a job, so under load the queue forms
    /// at proof submission (here and in the batcher), and creating and locking jobs stay quick.
    /// Default: one more than the cores, so a settlement waiting for the database does not
    /// leave a core idle.
    public var settlementsConcurrentMax: Int = ProcessInfo.processInfo.activeProcessorCount + 1
    /// How long after a proof's arrival the sweeper leaves its lock alone, expired or not,
    /// while the proof waits for or undergoes verification. A proof is judged by when it
    /// arrived, not by how long our own queue took; this bound only matters if the coordinator
    /// that received the proof died before deciding: the lock is then slashed once it lapses.
    public var proofVerifyGraceSeconds: Int = 120
    /// How long a key found valid is trusted again without looking it up (a busy worker or
    /// client sends many requests a second with one key). A key revoked through this market is
    /// refused at once; one revoked by another coordinator on the same database, within this
    /// time. 0 looks every key up.
    public var authenticationCacheSeconds: Double = 2
    /// Threads importing uploaded models (never the verification threads; they run at a lower priority).
    public var importThreads: Int = 1
    /// Imports waiting for an import thread; past them, uploads are refused with `import_busy`.
    public var importsQueuedMax: Int = 4
    /// Imports one account may have in flight (running or waiting) in one coordinator; past
    /// them its uploads are refused with `too_many_imports`.
    public var importsPerAccountMax: Int = 2
    /// A model still `processing` this long after its upload was accepted was cut off (its
    /// coordinator stopped): the sweeper marks it `failed` and a new upload of its bytes
    /// imports it again. Far above the longest import plus its wait in the queue.
    public var modelImportStaleSeconds: Int = 600
    /// Jobs the sweeper handles per kind of work in one `runOnce()`.
    public var sweepBatchMax: Int = 256

    /// Whether webhooks may go to loopback, private, link-local and other non-public addresses
    /// (`WebhookAddress`). Off by default: a client's URL must not reach the coordinator's own
    /// network. For receivers on the same machine or network (and tests), `serve --webhook-allow-private`.
    public var webhookPrivateAddressesAllowed = false

    /// The highest price or stake a job may name, in micro-credits (10⁶ credits).
    public var amountMicrosMax: Int64 = 1_000_000_000_000
    /// The longest lock timeout.
    public var lockTimeoutSecondsMax: Int = 86_400
    /// The longest time from the start of bidding to the deadline.
    public var deadlineSecondsMax: Int = 7 * 86_400
    /// The longest sealed-bid window.
    public var bidWindowSecondsMax: Int = 3_600
    /// How far in the future bidding may start.
    public var biddingStartDelaySecondsMax: Int = 86_400
    /// The most items in one list page.
    public var pageItemsMax: Int = 500
    /// The stored input bytes one page of `GET /v1/jobs` may carry: a page ends early (with a
    /// `next_cursor`) once its jobs' inputs reach this, so that a page of large batches stays
    /// bounded; a page always holds at least one job.
    public var jobPageInputBytesMax: Int = 8 << 20
    /// The most inputs one batch job may carry (never above the proof system's
    /// `InferenceLimits.batchItemsMax`, which a larger value does not raise).
    public var batchInputsMax: Int = 4_096
    /// The most item outputs in one page of `GET /v1/jobs/{id}/outputs`.
    public var outputPageItemsMax: Int = 1_000
    /// The most re-auction rounds a job's policy may ask for.
    public var reauctionRoundsMax: Int = 20

    /// How far back a price quote looks for fulfilled jobs.
    public var quoteWindowSeconds: Int = 86_400
    /// The most fulfilled jobs (the newest) a quote reads.
    public var quoteJobsMax: Int = 1_000
    /// The largest `batch` a quote prices (inputs per job).
    public var quoteBatchMax: Int = 4_096
    /// A worker whose last heartbeat is at most this old counts as active in a quote.
    public var workerActiveSeconds: Int = 120
    /// The price per million multiply-accumulates a quote suggests from when there is neither a
    /// recent fulfilled job nor an active worker's floor: the worker's default floor.
    public var quoteDefaultPricePerMegaMAC: Int64 = 1_000_000
    /// The work of a private proof against a public one's, in percent (400: four times): a
    /// private job's work is its model's multiply-accumulates × batch × this ÷ 100, for quotes
    /// and for the workers' declared limits. The private prover commits to every intermediate
    /// tensor and proves each step with blinded sum-checks and Σ-protocols, so its work grows
    /// with the model's like the public prover's, by a larger constant. `serve --private-work-factor-percent`.
    public var privateWorkFactorPercent: Int = 400
    /// The bounds `privateWorkFactorPercent` is kept in (a private proof is never cheaper than a public one).
    public static let privateWorkFactorPercentRange = 100...10_000

    /// One worker's share of the last day's fulfilled jobs above which the admin views warn, in
    /// basis points (60 %): one prover holding most of the capacity is the market's best-known
    /// failure mode (its outage, or its prices, become everyone's). `serve --worker-share-warning-percent`.
    public var workerShareWarningBasisPoints: Int = 6_000

    /// The defaults.
    public init() {}

    /// `amount × bps / 10 000`, rounded down, without overflow for any amount up to `Int64.max`.
    public static func share(_ amount: Int64, basisPoints: Int) -> Int64 {
        let (high, low) = amount.multipliedFullWidth(by: Int64(basisPoints))
        return Int64(10_000).dividingFullWidth((high, low)).quotient
    }
}
