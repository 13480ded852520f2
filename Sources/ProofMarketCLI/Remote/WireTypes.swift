import Foundation

// The JSON shapes of openapi/openapi.yaml as a client reads and writes them. Keys are
// snake_case on the wire; JSONCoding converts, so names avoid capitalised acronyms.

/// A tensor of floats.
struct WireTensor: Codable, Sendable {
    var shape: [Int]
    var values: [Double]
}

/// A verified output.
struct WireOutput: Codable, Sendable {
    var shape: [Int]
    var values: [Double]
    var quantised: [Int64]
    var argmax: Int?
    var clampedInput: Int?
    var clampedInModel: Int?
    /// A batch's per-item clamp counts (its outputs side by side, shape `[B, n]`).
    var clampedInputByItem: [Int]? = nil
    var clampedInModelByItem: [Int]? = nil
}

/// One item of `GET /v1/jobs/{id}/outputs`.
struct WireItemOutput: Codable, Sendable {
    var index: Int
    var output: WireOutput
}

/// A page of a job's item outputs.
struct WireOutputPage: Codable, Sendable {
    var jobId: UUID
    var batchItems: Int
    var outputs: [WireItemOutput]
    var nextCursor: String?
}

/// A registered model.
struct WireModel: Codable, Sendable {
    var id: String
    var name: String
    var status: String
    var failure: String?
    var inputShape: [Int]?
    var outputShape: [Int]?
    var operators: [String]?
    var commitment: String?
    var workMacs: Int64?
    var batchInputsMax: Int? = nil
    /// Whether private jobs of it are taken (absent from coordinators before private proofs).
    var privateReady: Bool? = nil
    /// The public part of its private commitment, once made.
    var privateCommitment: WirePrivateCommitment? = nil
}

/// A model's private commitment as its page shows it: id and bytes (hex).
struct WirePrivateCommitment: Codable, Sendable { var id: String; var bytes: String }

/// `GET /v1/jobs/{id}/private-material`: the commitment and its blinding material (base64).
struct WirePrivateMaterial: Codable, Sendable {
    var jobId: UUID; var modelId: String; var commitmentId: String; var commitment: String; var material: String
}

/// `POST /v1/jobs`.
struct WireCreateJob: Codable, Sendable {
    var modelId: String
    /// One input (nil for a batch).
    var input: WireTensor?
    /// A batch, item by item (nil for one input).
    var inputs: [WireTensor]? = nil
    var auction: String
    var minPrice: Int64?
    var maxPrice: Int64
    var rampUpS: Int?
    var bidWindowS: Int?
    var lockTimeoutS: Int
    var deadlineS: Int
    var lockStake: Int64
    var reauction: WireReauction?
    var clampPolicy: String?
    /// `public` or `private` (nil: the coordinator's default, public).
    var proofMode: String? = nil
    /// Hide the input behind a commitment (private jobs only; nil: no).
    var hideInput: Bool? = nil
}

/// `POST /v1/models` with quantisation options.
struct WireModelUpload: Codable, Sendable {
    var onnx: String
    var quantisation: Quantisation

    struct Quantisation: Codable, Sendable {
        var activationBits: Int
        var fractionBits: FractionBits
        var calibration: [[Double]]
    }

    /// A number of bits or `"auto"`.
    enum FractionBits: Codable, Sendable {
        case bits(Int)
        case auto
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            self = (try? c.decode(String.self)) == "auto" ? .auto : .bits(try c.decode(Int.self))
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .bits(let n): try c.encode(n)
            case .auto: try c.encode("auto")
            }
        }
    }
}

/// One event of a job's timeline.
struct WireEvent: Codable, Sendable {
    var id: Int64
    var at: Date
    var kind: String
    var detail: [String: String]
}

/// A job.
struct WireJob: Codable, Sendable {
    var id: UUID
    var status: String
    var modelId: String
    var auction: String
    var minPrice: Int64
    var maxPrice: Int64
    var currentPrice: Int64?
    var lockTimeoutS: Int
    var lockStake: Int64
    var escrow: Int64
    var deadline: Date
    var attempt: Int
    var lockedBy: UUID?
    var lockPrice: Int64?
    var output: WireOutput?
    var proveMs: Int?
    var verifyMs: Int?
    var createdAt: Date
    var finishedAt: Date?
    var events: [WireEvent]?
    /// Inputs in the job (absent from coordinators before batches: 1).
    var batchItems: Int? = nil

    /// Whether no further transition can happen.
    var isFinal: Bool { ["fulfilled", "cancelled", "expired"].contains(status) }
}

/// A page of jobs.
struct WireJobPage: Codable, Sendable {
    var jobs: [WireJob]
    var nextCursor: String?
}

/// An open job as the market lists it to workers.
struct WireOpenJob: Codable, Sendable {
    var id: UUID
    var modelId: String
    var auction: String
    var currentPrice: Int64?
    var minPrice: Int64?
    var maxPrice: Int64
    var lockStake: Int64
    var lockTimeoutS: Int
    var deadline: Date
    var biddingStart: Date?
    var rampUpS: Int?
    var bidWindowEnd: Date?
    /// Inputs in the job (absent from coordinators before batches: 1); its work is the model's times this.
    var batchItems: Int? = nil
    /// `public` or `private` (absent from coordinators before private proofs: public).
    var proofMode: String? = nil

    /// The job's work: the model's multiply-accumulates times the batch, saturating.
    func work(modelMACs: Int64) -> Int64 {
        let (total, overflow) = modelMACs.multipliedReportingOverflow(by: Int64(max(1, batchItems ?? 1)))
        return overflow ? .max : total
    }
}

/// A page of open jobs.
struct WireOpenJobPage: Codable, Sendable {
    var jobs: [WireOpenJob]
}

/// A worker's registration.
struct WireRegisterWorker: Codable, Sendable {
    struct Capabilities: Codable, Sendable {
        var maxWorkMacs: Int64?
        var operators: [String]?
    }
    var name: String
    var capabilities: Capabilities?
    var minPricePerMmac: Int64?
    /// The proof modes the node proves.
    var proofModes: [String]? = nil
}

/// A registered worker.
struct WireWorker: Codable, Sendable {
    var id: UUID
    var accountId: UUID
    var name: String
    var jobsSlashed: Int64?
    var minPricePerMmac: Int64?
}

/// `GET /v1/market/quote`, as `client jobs submit` reads it.
struct WireQuote: Codable, Sendable {
    struct Percentiles: Codable, Sendable { var p10: Int64; var p50: Int64; var p90: Int64 }
    struct Suggestion: Codable, Sendable {
        var auction: String; var minPrice: Int64; var maxPrice: Int64; var rampUpS: Int?; var bidWindowS: Int?
        var maxPricePerMmac: Int64; var workersCleared: Int; var basis: String
    }
    var modelId: String
    var jobMacs: Int64
    var workFactorPercent: Int? = nil
    var jobs: Int
    var pricePerMmac: Percentiles?
    var workersActive: Int
    var suggested: Suggestion
}

/// A re-auction policy, as `client jobs submit --reauction-rounds` posts it.
struct WireReauction: Codable, Sendable { var maxRounds: Int; var priceStepBps: Int }

/// Bodies naming the worker node acting.
struct WireWorkerRef: Codable, Sendable { var workerId: UUID }
struct WireBid: Codable, Sendable { var workerId: UUID; var price: Int64 }
struct WireProof: Codable, Sendable {
    var workerId: UUID; var proof: String; var proveMs: Int?
    /// A hidden-input proof's opening of its input commitment, base64.
    var inputOpening: String? = nil
}

/// A hidden-input job's input opening, for its owner.
struct WireInputOpening: Codable, Sendable { var jobId: UUID; var inputCommitmentId: String; var opening: String }

/// A lock the worker now holds.
struct WireLock: Codable, Sendable {
    var jobId: UUID
    var workerId: UUID
    var attempt: Int
    var price: Int64
    var stake: Int64
    var expiresAt: Date
    var nonce: String
    var modelId: String
    var input: WireTensor
    var clampPolicy: String?
    /// `public` or `private` (absent from coordinators before private proofs: public).
    var proofMode: String? = nil
    /// Prove with the input hidden and submit its opening (absent from coordinators before hidden inputs: no).
    var hideInput: Bool? = nil
}

/// What a verified proof paid.
struct WireSettlement: Codable, Sendable {
    var jobId: UUID
    var price: Int64
    var fee: Int64
    var workerPayment: Int64
    var clientRefund: Int64
    var output: WireOutput
}

/// A signed receipt.
struct WireReceipt: Codable, Sendable {
    /// Absent from version 1 receipts.
    var receiptVersion: Int?
    var jobId: UUID
    var modelId: String
    /// The signed digest of the model's commitment (version 2 on).
    var commitmentDigest: String?
    var inputDigest: String
    var output: WireOutput
    var argmax: Int?
    var proof: String
    var proofDigest: String
    var workerId: UUID
    var nonce: String?
    var coordinatorPublicKey: String
    var signature: String
    /// The proof's mode as the coordinator states it (not signed; `receipt verify` reads the proof's own).
    var proofMode: String? = nil
    /// A hidden-input job's input commitment: its id (equal to the signed `input_digest`) and bytes (hex).
    var inputCommitmentId: String? = nil
    var inputCommitment: String? = nil
}

/// An account made by an admin, with its first key (shown once).
struct WireCreatedAccount: Codable, Sendable {
    var id: UUID
    var kind: String
    var owner: String
    var apiKey: String
    var apiKeyId: UUID
}

/// An account's balance.
struct WireAccountBalance: Codable, Sendable {
    var id: UUID
    var kind: String
    var owner: String
    var available: Int64
    var held: Int64
}

/// A ledger entry.
struct WireLedgerEntry: Codable, Sendable {
    var id: Int64
    var at: Date
    var debitAccount: UUID
    var debitBucket: String
    var creditAccount: UUID
    var creditBucket: String
    var amount: Int64
    var kind: String
    var jobId: UUID?
}

/// A page of the ledger.
struct WireLedgerPage: Codable, Sendable {
    var entries: [WireLedgerEntry]
    var nextCursor: String?
}

/// The ledger auditor's report.
struct WireLedgerReport: Codable, Sendable {
    var intact: Bool
    var balanceSum: Int64
    var negativeAccounts: Int
    var replayMismatches: [UUID]
    var chainBreaks: [Int64]
    var entries: Int
}
