import Foundation
import HTTPServer
import Market

// The JSON shapes of the API. Keys are snake_case on the wire (JSONCoding converts), so
// property names here avoid acronyms in capitals (`modelId`, not `modelID`) to round-trip.

/// A tensor on the wire.
struct TensorBody: Codable, Sendable {
    var shape: [Int]
    var values: [Double]
    /// The tensor's wire form when it is at hand (`Job.inputWireJSON`), written as it is.
    var wire: String? = nil
    var tensor: Tensor { Tensor(shape: shape, values: values) }
    init(_ t: Tensor, wire: String? = nil) { shape = t.shape; values = t.values; self.wire = wire }

    enum CodingKeys: String, CodingKey { case shape, values }

    /// Written by hand into a response (`JSONFragments`): a batch's input is thousands of
    /// numbers, and `Tensor.wireJSON` writes the same bytes as `JSONEncoder` several times
    /// faster (`TensorBodyJSONTests` compares them), or the job's row already has them. Any
    /// other encoder gets the keyed form.
    func encode(to encoder: any Encoder) throws {
        if let fragments = encoder.userInfo[JSONFragments.key] as? JSONFragments {
            var c = encoder.singleValueContainer()
            let json: String
            do { json = try wire ?? tensor.wireJSON() } catch {
                throw EncodingError.invalidValue(values, .init(codingPath: encoder.codingPath, debugDescription: "\(error)"))
            }
            try c.encode(fragments.placeholder(for: Array(json.utf8)))
            return
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(shape, forKey: .shape)
        try c.encode(values, forKey: .values)
    }
}

/// `POST /v1/jobs`.
struct CreateJobBody: Codable, Sendable, ValidatedBody {
    var modelId: String
    /// One input, or a batch as one tensor whose first dimension is the batch.
    var input: TensorBody?
    /// A batch, item by item (exactly one of `input` and `inputs`).
    var inputs: [TensorBody]?
    var auction: String
    var minPrice: Int64?
    var maxPrice: Int64
    var biddingStart: Date?
    var rampUpS: Int?
    var bidWindowS: Int?
    var lockTimeoutS: Int
    var deadlineS: Int
    var lockStake: Int64
    var webhookUrl: String?
    var reauction: ReauctionBody?
    var clampPolicy: String?
    /// `public` (the default) or `private`.
    var proofMode: String?
    /// Hide the input behind a commitment in the proof and the receipt (`proof_mode` `private` only).
    var hideInput: Bool?

    /// The text fields are stored or looked up as sent; the terms are the market's to check.
    func validate() throws {
        try FieldRules.text(modelId, "field `model_id`")
        guard (input == nil) != (inputs == nil) else {
            throw MarketError(.invalidRequest, "give exactly one of `input` (one tensor) and `inputs` (a batch of tensors)")
        }
        if let webhookUrl { try FieldRules.text(webhookUrl, "field `webhook_url`") }
        if let clampPolicy, ClampPolicy(rawValue: clampPolicy) == nil {
            throw MarketError(.invalidRequest, "clamp_policy must be one of \(ClampPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let proofMode, ProvingMode(rawValue: proofMode) == nil {
            throw MarketError(.invalidRequest, "proof_mode must be one of \(ProvingMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func request() throws -> JobRequest {
        let terms: AuctionTerms
        switch auction {
        case "dutch":
            terms = .dutch(minPrice: minPrice ?? 0, maxPrice: maxPrice, biddingStart: biddingStart, rampUpSeconds: rampUpS ?? 0)
        case "sealed":
            guard let window = bidWindowS else { throw MarketError(.invalidTerms, "a sealed auction needs bid_window_s") }
            terms = .sealed(minPrice: minPrice ?? 0, maxPrice: maxPrice, bidWindowSeconds: window)
        default:
            throw MarketError(.invalidTerms, "auction must be 'dutch' or 'sealed'")
        }
        let jobTerms = JobTerms(auction: terms, lockTimeoutSeconds: lockTimeoutS, deadlineSeconds: deadlineS, lockStake: lockStake,
                                reauction: reauction.map { ReauctionPolicy(maxRounds: $0.maxRounds, priceStepBasisPoints: $0.priceStepBps) })
        let policy = clampPolicy.flatMap(ClampPolicy.init(rawValue:))
        var request = if let inputs {
            JobRequest(modelID: modelId, inputs: inputs.map(\.tensor), terms: jobTerms, webhookURL: webhookUrl, clampPolicy: policy)
        } else {
            JobRequest(modelID: modelId, input: (input ?? TensorBody(Tensor(shape: [], values: []))).tensor,
                       terms: jobTerms, webhookURL: webhookUrl, clampPolicy: policy)
        }
        request.proofMode = proofMode.flatMap(ProvingMode.init(rawValue:))
        request.hideInput = hideInput
        return request
    }
}

/// A re-auction policy on the wire (`CreateJob.reauction`, `Job.reauction`).
struct ReauctionBody: Codable, Sendable {
    var maxRounds: Int
    var priceStepBps: Int
}

/// `PATCH /v1/jobs/{id}`: the new maximum.
struct UpdateJobBody: Codable, Sendable, ValidatedBody {
    var maxPrice: Int64
    func validate() {}
}

/// An event in a job's timeline.
struct EventView: Codable, Sendable {
    var id: Int64
    var at: Date
    var kind: String
    var detail: [String: String]
    init(_ e: JobEvent) {
        id = e.id
        at = e.at
        kind = e.kind
        detail = (try? JSONDecoder().decode([String: String].self, from: Data(e.detail.utf8))) ?? [:]
    }
}

/// A job on the wire.
struct JobView: Codable, Sendable {
    var id: UUID
    var status: String
    var modelId: String
    var clientAccount: UUID
    var auction: String
    var minPrice: Int64
    var maxPrice: Int64
    var currentPrice: Int64?
    var biddingStart: Date
    var rampUpS: Int
    var bidWindowS: Int
    var lockTimeoutS: Int
    var lockStake: Int64
    var feeBps: Int
    var escrow: Int64
    var deadline: Date
    var attempt: Int
    var lockedBy: UUID?
    var lockPrice: Int64?
    var lockExpiresAt: Date?
    var output: OutputView?
    var proveMs: Int?
    var verifyMs: Int?
    var createdAt: Date
    var updatedAt: Date
    var finishedAt: Date?
    var events: [EventView]?
    var webhookUrl: String?
    var webhookSecret: String?
    /// Left out of a hidden-input job's view for anyone but its owner.
    var input: TensorBody?
    var escrowedMaxPrice: Int64
    var reauction: ReauctionView?
    var roundEndsAt: Date?
    var clampPolicy: String
    /// `public` or `private`.
    var proofMode: String
    /// Inputs in the job (1, or a batch's size).
    var batchItems: Int
    /// A fulfilled batch's summary; its outputs are paged by `GET /v1/jobs/{id}/outputs`.
    var batchOutput: BatchOutputView?
    /// Whether the proof hides the input.
    var hideInput: Bool
    /// A fulfilled hidden-input job's input commitment id (what its receipt names).
    var inputCommitmentId: String?

    /// A fulfilled batch on the wire: what the job row keeps.
    struct BatchOutputView: Codable, Sendable { var items: Int; var itemShape: [Int]; var clampedInput: Int?; var clampedInModel: Int? }

    /// A job's policy with the rounds it started so far.
    struct ReauctionView: Codable, Sendable { var maxRounds: Int; var priceStepBps: Int; var round: Int }

    /// The view `viewer` gets: a hidden-input job's input is shown to its owner alone.
    init(_ j: Job, now: Date, events: [JobEvent]? = nil, viewer: MarketPrincipal) {
        id = j.id; status = j.status.rawValue; modelId = j.modelID; clientAccount = j.clientAccount
        auction = j.auction; minPrice = j.minPrice; maxPrice = j.maxPrice; currentPrice = j.currentPrice(at: now)
        biddingStart = j.biddingStart; rampUpS = j.rampUpSeconds; bidWindowS = j.bidWindowSeconds
        lockTimeoutS = j.lockTimeoutSeconds; lockStake = j.lockStake; feeBps = j.feeBasisPoints; escrow = j.escrow
        deadline = j.deadline; attempt = j.attempt; lockedBy = j.lockedBy; lockPrice = j.lockPrice
        lockExpiresAt = j.lockExpiresAt; output = j.output.map(OutputView.init); proveMs = j.proofMilliseconds
        verifyMs = j.verifyMilliseconds; createdAt = j.createdAt; updatedAt = j.updatedAt; finishedAt = j.finishedAt
        self.events = events.map { $0.map(EventView.init) }
        webhookUrl = j.webhookURL
        webhookSecret = j.webhookSecret
        let owner = viewer.role == .client && viewer.accountID == j.clientAccount
        input = !j.hideInput || owner ? TensorBody(j.input, wire: j.inputWireJSON) : nil
        hideInput = j.hideInput
        inputCommitmentId = j.inputCommitment.map(Receipt.commitmentDigest)
        escrowedMaxPrice = j.escrowedMaxPrice
        reauction = j.reauction.map { ReauctionView(maxRounds: $0.maxRounds, priceStepBps: $0.priceStepBasisPoints, round: j.reauctionRound) }
        roundEndsAt = j.status == .open && j.reauction != nil ? j.roundEnd : nil
        clampPolicy = j.clampPolicy.rawValue
        proofMode = j.proofMode.rawValue
        batchItems = j.batchItems
        batchOutput = j.batchSummary.map {
            BatchOutputView(items: $0.items, itemShape: $0.itemShape, clampedInput: $0.clampedInput, clampedInModel: $0.clampedInModel)
        }
    }
}

/// A verified output.
struct OutputView: Codable, Sendable {
    var shape: [Int]
    var values: [Double]
    var quantised: [Int64]
    var argmax: Int?
    var clampedInput: Int?
    var clampedInModel: Int?
    /// A batch's per-item clamp counts (its outputs side by side, shape `[B, n]`).
    var clampedInputByItem: [Int]?
    var clampedInModelByItem: [Int]?
    var labels: [OutputLabel]?
    init(_ o: VerifiedOutput) {
        shape = o.shape; values = o.values; quantised = o.quantised
        // The argmax of a batch's side-by-side values means nothing; each item has its own.
        argmax = o.items > 1 ? nil : o.argmax
        clampedInput = o.clampedInput; clampedInModel = o.clampedInModel
        clampedInputByItem = o.clampedInputByItem; clampedInModelByItem = o.clampedInModelByItem
        labels = o.labels
    }
}

/// Bodies naming the worker node acting.
struct WorkerBody: Codable, Sendable, ValidatedBody {
    var workerId: UUID
    func validate() {}
}
struct BidBody: Codable, Sendable, ValidatedBody {
    var workerId: UUID; var price: Int64
    func validate() {}
}
/// `POST /v1/jobs/{id}/proof`. `prove_ms` is stored in an `INTEGER` column, so it is checked
/// here, before the proof is verified, not by the database after.
struct ProofBody: Codable, Sendable, ValidatedBody {
    var workerId: UUID; var proof: String; var proveMs: Int?
    /// A hidden-input proof's opening of its input commitment, base64.
    var inputOpening: String?
    func validate() throws {
        if let proveMs { try FieldRules.integer(proveMs, "field `prove_ms`", in: FieldRules.nonNegativeInt32) }
    }
}
/// `POST /v1/workers`.
struct RegisterWorkerBody: Codable, Sendable, ValidatedBody {
    struct Capabilities: Codable, Sendable { var maxWorkMacs: Int64?; var operators: [String]? }
    var name: String
    var capabilities: Capabilities?
    var minPricePerMmac: Int64?
    /// The proof modes the worker proves (`public`, `private`); absent: `public` only.
    var proofModes: [String]?

    /// The modes, checked.
    func modes() throws -> [ProvingMode]? { try ProofModesField.parse(proofModes) }

    /// The longest operator name a worker may list (ONNX's are a few letters).
    static let operatorCharactersMax = 100

    func validate() throws {
        try FieldRules.text(name, "field `name`")
        for (index, op) in (capabilities?.operators ?? []).enumerated() {
            try FieldRules.text(op, "field `capabilities.operators[\(index)]`")
            guard (1...Self.operatorCharactersMax).contains(op.unicodeScalars.count) else {
                throw FieldRules.invalid("field `capabilities.operators[\(index)]`", "must be 1 to \(Self.operatorCharactersMax) characters")
            }
        }
    }
}
/// `POST /v1/admin/accounts`.
struct CreateAccountBody: Codable, Sendable, ValidatedBody {
    var kind: String; var owner: String
    func validate() throws { try FieldRules.text(owner, "field `owner`") }
}
/// `POST /v1/admin/accounts/{id}/deposit`.
struct DepositBody: Codable, Sendable, ValidatedBody {
    var amount: Int64
    func validate() {}
}

/// A receipt on the wire: the market's `Receipt`, field for field, with its ids in the wire's
/// lower-case form (the form its signature covers) and its output shaped as every output is
/// (`Output`, whose `argmax`, like the receipt's, is not signed).
struct ReceiptView: Encodable, Sendable {
    var receiptVersion: Int; var jobId: UUID; var modelId: String; var commitmentDigest: String; var inputDigest: String
    var output: OutputView; var argmax: Int?; var proof: String; var proofDigest: String; var workerId: UUID
    var nonce: String; var coordinatorPublicKey: String; var signature: String; var proofMode: String
    /// A hidden-input job's input commitment: its id (the signed `input_digest`) and bytes (hex).
    var inputCommitmentId: String?; var inputCommitment: String?
    init(_ r: Receipt) {
        proofMode = r.proofMode.rawValue
        inputCommitmentId = r.inputCommitmentID; inputCommitment = r.inputCommitment
        receiptVersion = r.receiptVersion; jobId = r.jobID; modelId = r.modelID; commitmentDigest = r.commitmentDigest
        inputDigest = r.inputDigest; output = OutputView(r.output); argmax = r.argmax; proof = r.proof; proofDigest = r.proofDigest
        workerId = r.workerID; nonce = r.nonce; coordinatorPublicKey = r.coordinatorPublicKey; signature = r.signature
    }
}

/// `GET /v1/admin/stats`: the market's `MarketStats`, with its worker ids in the wire's form.
struct StatsView: Encodable, Sendable {
    struct WorkerLine: Encodable, Sendable {
        var id: UUID; var name: String; var fulfilled: Int64; var rejected: Int64; var released: Int64; var slashed: Int64
        var suspendedUntil: Date?
    }
    var jobsByStatus: [String: Int64]; var proveMilliseconds: [String: Double]; var verifyMilliseconds: [String: Double]
    var lockPricePerMegaMac: [String: Double]; var workers: [WorkerLine]; var largestWorkerShareLastDay: Double
    var fulfilledLastDay: Int64
    init(_ s: MarketStats) {
        jobsByStatus = s.jobsByStatus; proveMilliseconds = s.proveMilliseconds; verifyMilliseconds = s.verifyMilliseconds
        lockPricePerMegaMac = s.lockPricePerMegaMac; largestWorkerShareLastDay = s.largestWorkerShareLastDay
        fulfilledLastDay = s.fulfilledLastDay
        workers = s.workers.map {
            WorkerLine(id: $0.id, name: $0.name, fulfilled: $0.fulfilled, rejected: $0.rejected, released: $0.released,
                       slashed: $0.slashed, suspendedUntil: $0.suspendedUntil)
        }
    }
}
