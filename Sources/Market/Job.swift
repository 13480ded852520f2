import Foundation
import Postgres

/// A job's state. Who moves a job in and out of each state:
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    /// Entered when a client creates the job, and again when a lock ends without a proof
    /// before the deadline (the worker's release, or the sweeper finding the lock expired).
    /// Stays open through the rounds of a re-auction (the sweeper starts each). Left by a
    /// worker's lock (Dutch) or the sweeper's award (sealed), the client's cancel, or the
    /// sweeper past the deadline or when the last round of the job's re-auction policy ends.
    case open
    /// Entered by a worker's lock or a sealed auction's award. Left by the lock holder's
    /// verified proof (→ fulfilled), its release (→ open), or the sweeper when the lock
    /// expires (→ open, or → expired past the deadline).
    case locked
    /// Final. Entered only by a verified proof from the lock holder.
    case fulfilled
    /// Final. Entered only by the client, while the job is open.
    case cancelled
    /// Final. Entered only by the sweeper: past the deadline, or (the event's `reason`
    /// `rounds_exhausted`) when the last round of the job's re-auction policy ended without a lock.
    case expired

    /// Whether no transition leaves this state.
    public var isFinal: Bool { self == .fulfilled || self == .cancelled || self == .expired }
}

/// A classifier's label on the wire: its class, a JSON number or a JSON string.
public enum OutputLabel: Sendable, Codable, Equatable {
    /// An integer class.
    case integer(Int64)
    /// A string class.
    case string(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Int64.self) { self = .integer(v) } else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .integer(let v): try c.encode(v)
        case .string(let s): try c.encode(s)
        }
    }
}

/// The output a verified proof vouches for.
public struct VerifiedOutput: Sendable, Codable, Equatable {
    /// The output tensor's shape.
    public let shape: [Int]
    /// The quantised integers the circuit computed.
    public let quantised: [Int64]
    /// The same, dequantised to floats.
    public let values: [Double]
    /// Input values that lay outside the model's input range and were clamped to it (nil
    /// for outputs recorded before clamps were counted).
    public let clampedInput: Int?
    /// Values the proven run clamped to the activation range inside the model: rescaled
    /// values of linear layers and products that left it.
    public let clampedInModel: Int?
    /// For a classifier, each item's label: the class its proven scores give
    /// (`classes[argmax(scores)]`, docs/PROTOCOL.md "Class labels"); derived from
    /// `quantised` and the model description, never signed. Nil for other models.
    public let labels: [OutputLabel]?

    /// For a batch (`shape` `[B, n]`, the items' outputs concatenated): each item's
    /// `clampedInput`, in item order; nil for one output.
    public let clampedInputByItem: [Int]?
    /// For a batch: each item's `clampedInModel`, in item order; nil for one output.
    public let clampedInModelByItem: [Int]?

    /// Bundles an output.
    public init(shape: [Int], quantised: [Int64], values: [Double], clampedInput: Int? = nil, clampedInModel: Int? = nil,
                clampedInputByItem: [Int]? = nil, clampedInModelByItem: [Int]? = nil, labels: [OutputLabel]? = nil) {
        self.shape = shape
        self.quantised = quantised
        self.values = values
        self.clampedInput = clampedInput
        self.clampedInModel = clampedInModel
        self.clampedInputByItem = clampedInputByItem
        self.clampedInModelByItem = clampedInModelByItem
        self.labels = labels
    }

    /// Items in this output: the batch size for a batch, else 1. A private proof's output has
    /// no clamp counts (it proves none), so its batch size is its shape's first dimension.
    public var items: Int {
        if let byItem = clampedInputByItem { return byItem.count }
        guard clampedInput == nil, clampedInModel == nil, shape.count == 2 else { return 1 }
        return max(1, shape[0])
    }

    /// Item `i` of a batch as an output of its own (shape `[1, n]`); the output itself for one item.
    public func item(_ i: Int) -> VerifiedOutput {
        let items = items
        guard items > 1, clampedInputByItem.map({ $0.count == items }) ?? true, clampedInModelByItem.map({ $0.count == items }) ?? true,
              quantised.count % items == 0, values.count == quantised.count, (0..<items).contains(i) else { return self }
        let n = quantised.count / items
        return VerifiedOutput(shape: [1, n], quantised: Array(quantised[(i * n)..<((i + 1) * n)]),
                              values: Array(values[(i * n)..<((i + 1) * n)]), clampedInput: clampedInputByItem?[i],
                              clampedInModel: clampedInModelByItem?[i], labels: labels.flatMap { $0.count == items ? [$0[i]] : nil })
    }

    /// The items of a batch, in order, joined into one output of shape `[B, n]` with each item's
    /// clamp counts (none when the items have none: a private proof's).
    public static func batch(_ items: [VerifiedOutput]) -> VerifiedOutput {
        let n = items.first?.quantised.count ?? 0
        guard items.contains(where: { $0.clampedInput != nil || $0.clampedInModel != nil }) else {
            return VerifiedOutput(shape: [items.count, n], quantised: items.flatMap(\.quantised), values: items.flatMap(\.values),
                                  labels: items.allSatisfy({ $0.labels != nil }) ? items.flatMap { $0.labels ?? [] } : nil)
        }
        let inputs = items.map { $0.clampedInput ?? 0 }, inModel = items.map { $0.clampedInModel ?? 0 }
        return VerifiedOutput(shape: [items.count, n], quantised: items.flatMap(\.quantised), values: items.flatMap(\.values),
                              clampedInput: inputs.reduce(0, +), clampedInModel: inModel.reduce(0, +),
                              clampedInputByItem: inputs, clampedInModelByItem: inModel,
                              labels: items.allSatisfy({ $0.labels != nil }) ? items.flatMap { $0.labels ?? [] } : nil)
    }

    /// Every clamped value, input and model together (0 when not counted).
    public var clampedTotal: Int { (clampedInput ?? 0) + (clampedInModel ?? 0) }

    /// The index of the largest value (the first among equals); nil if empty.
    public var argmax: Int? { quantised.indices.max { (quantised[$0], -$0) < (quantised[$1], -$1) } }
}

/// What a fulfilled batch job keeps on its own row: the item outputs are kept one row per
/// item, so reading the job stays as cheap as reading a single one.
public struct BatchSummary: Sendable, Codable, Equatable {
    /// Items proven.
    public let items: Int
    /// Each item's output shape (`[1, n]`).
    public let itemShape: [Int]
    /// Input values clamped, over all items (nil for a private proof's batch: it proves no counts).
    public let clampedInput: Int?
    /// Values clamped inside the model, over all items (nil for a private proof's batch).
    public let clampedInModel: Int?

    /// Sums up a batch's output.
    public init(_ output: VerifiedOutput) {
        items = output.items
        itemShape = [1, output.shape.last ?? 0]
        clampedInput = output.clampedInput
        clampedInModel = output.clampedInModel
    }
}

/// What a job does with an input the model's scales cannot hold.
public enum ClampPolicy: String, Sendable, Codable, CaseIterable {
    /// Clamp the values to the range and report how many were clamped with the output.
    case allow
    /// Refuse the job (`input_clamped`) when its quantised input clamps, and reject a proof
    /// of a run that clamped inside the model (reason `clamped_values`).
    case refuse
}

/// A job, as stored.
public struct Job: Sendable, Codable, Equatable {
    /// The id.
    public let id: UUID
    /// The client's account.
    public let clientAccount: UUID
    /// The model.
    public let modelID: String
    /// The input tensor.
    public let input: Tensor
    /// `input` as the row keeps it, when that is its wire form (`Tensor.wireJSON`, what the
    /// market has written since migration 0015); nil for an input kept as `jsonb` before, whose
    /// text has `jsonb`'s spaces. Responses splice it in rather than write the numbers again.
    public let inputWireJSON: String?
    /// `dutch` or `sealed`.
    public let auction: String
    /// Lowest price (Dutch start; sealed reserve).
    public let minPrice: Int64
    /// Highest price.
    public let maxPrice: Int64
    /// When the Dutch ramp or the current sealed window starts.
    public let biddingStart: Date
    /// Dutch ramp length.
    public let rampUpSeconds: Int
    /// Sealed window length.
    public let bidWindowSeconds: Int
    /// Lock length.
    public let lockTimeoutSeconds: Int
    /// Stake per lock.
    public let lockStake: Int64
    /// The fee rate fixed at creation.
    public let feeBasisPoints: Int
    /// Held from the client: `escrowedMaxPrice` plus the fee on it.
    public let escrow: Int64
    /// The highest price the job may ever pay (its escrow covers it): `maxPrice` for a job
    /// without a re-auction policy, else the ceiling of its last possible round; raised by
    /// `raiseMaxPrice`.
    public let escrowedMaxPrice: Int64
    /// The client's re-auction policy, if any.
    public let reauction: ReauctionPolicy?
    /// Re-auction rounds started so far (0 in the first round).
    public let reauctionRound: Int
    /// After this the job expires.
    public let deadline: Date
    /// The state.
    public let status: JobStatus
    /// Lock rounds so far.
    public let attempt: Int
    /// The worker holding (or last holding) the lock.
    public let lockedBy: UUID?
    /// The price of the current (or last) lock.
    public let lockPrice: Int64?
    /// When the current lock expires.
    public let lockExpiresAt: Date?
    /// Binds a proof to the current lock.
    public let nonce: String?
    /// The verified output, once fulfilled; nil for a batch (its outputs are read by item,
    /// `Market.outputs(of:)`, and summed up in `batchSummary`).
    public let output: VerifiedOutput?
    /// Inputs in the job: 1 for a single job, `B` for a batch (`input` then has shape `[B, …]`).
    public let batchItems: Int
    /// A fulfilled batch's summary (its item outputs are kept one row per item).
    public let batchSummary: BatchSummary?
    /// Proving time the worker reported.
    public let proofMilliseconds: Int?
    /// Verification time.
    public let verifyMilliseconds: Int?
    /// Created.
    public let createdAt: Date
    /// Last changed.
    public let updatedAt: Date
    /// Reached a final state.
    public let finishedAt: Date?
    /// Where each transition is POSTed, if the client asked.
    public let webhookURL: String?
    /// What the job does with values the model's scales cannot hold.
    public let clampPolicy: ClampPolicy
    /// The proof mode the job pays for: `public` (v1) or `private` (v2, zero knowledge).
    public let proofMode: ProvingMode
    /// Whether the proof hides the input behind a commitment (a private job only; see
    /// `Market+HiddenInput.swift`): its receipt and every view but its owner's leave the input out.
    public let hideInput: Bool
    /// A fulfilled hidden-input job's input commitment (PMZX bytes, public), as its proof names it.
    public let inputCommitment: [UInt8]?
    /// The secret webhook deliveries are signed with: only in the answer to the job's creation.
    public internal(set) var webhookSecret: String?

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        clientAccount = try row.decode("client_account")
        modelID = try row.decode("model_id")
        let stored = try row.decode("input", as: PostgresJSON.self)
        if let parsed = Tensor.parseStored(stored.text) {
            input = parsed
            // `Tensor.wireJSON` writes no space; `jsonb` writes one after every comma and colon.
            inputWireJSON = stored.text.utf8.contains(UInt8(ascii: " ")) ? nil : stored.text
        } else {
            input = try stored.decode(Tensor.self)
            inputWireJSON = nil
        }
        auction = try row.decode("auction")
        minPrice = try row.decode("min_price")
        maxPrice = try row.decode("max_price")
        biddingStart = try row.decode("bidding_start")
        rampUpSeconds = try row.decode("ramp_up_s")
        bidWindowSeconds = try row.decode("bid_window_s")
        lockTimeoutSeconds = try row.decode("lock_timeout_s")
        lockStake = try row.decode("lock_stake")
        feeBasisPoints = try row.decode("fee_bps")
        escrow = try row.decode("escrow")
        escrowedMaxPrice = try row.decode("escrowed_max_price")
        if let rounds = try row.decode("reauction_rounds_max", as: Int?.self),
           let step = try row.decode("reauction_step_bps", as: Int?.self) {
            reauction = ReauctionPolicy(maxRounds: rounds, priceStepBasisPoints: step)
        } else {
            reauction = nil
        }
        reauctionRound = try row.decode("reauction_round")
        deadline = try row.decode("deadline")
        status = try JobStatus(rawValue: row.decode("status")).orThrow("unknown job status")
        attempt = try row.decode("attempt")
        lockedBy = try row.decode("locked_by")
        lockPrice = try row.decode("lock_price")
        lockExpiresAt = try row.decode("lock_expires_at")
        nonce = try row.decode("nonce")
        batchItems = try row.decode("batch_items")
        let storedOutput = try row.decode("output", as: PostgresJSON?.self)
        if batchItems > 1 {
            output = nil
            batchSummary = try storedOutput.map { try $0.decode(BatchSummary.self) }
        } else {
            output = try storedOutput.map { try $0.decode(VerifiedOutput.self) }
            batchSummary = nil
        }
        proofMilliseconds = try row.decode("proof_ms")
        verifyMilliseconds = try row.decode("verify_ms")
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
        finishedAt = try row.decode("finished_at")
        webhookURL = try row.decode("webhook_url")
        clampPolicy = try ClampPolicy(rawValue: row.decode("clamp_policy")).orThrow("unknown clamp policy")
        proofMode = try ProvingMode(rawValue: row.decode("proof_mode")).orThrow("unknown proof mode")
        hideInput = try row.decode("hide_input")
        inputCommitment = try row.decode("input_commitment")
        webhookSecret = nil
    }

    /// The price a worker would get by locking now: the Dutch curve's value, the sealed
    /// maximum while bidding is open, nil if the job is not open or bidding has not started.
    public func currentPrice(at now: Date) -> Int64? {
        guard status == .open else { return nil }
        if auction == "dutch" {
            return DutchPrice.at(now, minPrice: minPrice, maxPrice: maxPrice, biddingStart: biddingStart, rampUpSeconds: rampUpSeconds)
        }
        return now >= biddingStart ? maxPrice : nil
    }

    /// When the current sealed window closes.
    public var bidWindowEnd: Date { biddingStart.addingTimeInterval(Double(bidWindowSeconds)) }

    /// When the current round ends if nobody locks: the Dutch ramp's end or the sealed window's.
    public var roundEnd: Date {
        auction == "dutch" ? biddingStart.addingTimeInterval(Double(rampUpSeconds)) : bidWindowEnd
    }
}

/// One entry in a job's timeline.
public struct JobEvent: Sendable, Codable, Equatable {
    /// Order within all events.
    public let id: Int64
    /// When.
    public let at: Date
    /// What happened (`created`, `locked`, `fulfilled`, …).
    public let kind: String
    /// Details as JSON text.
    public let detail: String

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        at = try row.decode("at")
        kind = try row.decode("kind")
        detail = try row.decode("detail", as: PostgresJSON.self).text
    }
}

/// The `NOTIFY` channel transitions are announced on; the payload is `<job id> <status>`.
public enum MarketNotifications {
    /// The channel name.
    public static let channel = "proofmarket_jobs"

    /// Splits a payload into job id and status.
    public static func parse(_ payload: String) -> (job: UUID, status: JobStatus)? {
        let parts = payload.split(separator: " ")
        guard parts.count == 2, let id = UUID(uuidString: String(parts[0])),
              let status = JobStatus(rawValue: String(parts[1])) else { return nil }
        return (id, status)
    }
}

extension Market {
    /// Records a transition's event and announces it, inside the transition's transaction.
    func record(_ job: UUID, _ kind: String, status: JobStatus, detail: [String: String] = [:], at now: Date,
                on c: PostgresConnection) async throws {
        let statement = try recording(job, kind, status: status, detail: detail, at: now)
        try await c.query(statement.sql, statement.parameters)
    }

    /// The statement `record` runs, for a caller that sends it with others (`Ledger.write`).
    /// Inside `Market.transaction` the notification is collected, to be sent after the commit;
    /// elsewhere the statement sends it itself, at its transaction's commit.
    func recording(_ job: UUID, _ kind: String, status: JobStatus, detail: [String: String] = [:],
                   at now: Date) throws -> PostgresStatement {
        let json = Self.jsonObject(detail)
        var payload = ["job_id": job.uuidString.lowercased(), "event": kind, "status": status.rawValue,
                       "at": "\(now.timeIntervalSince1970)"]
        for (key, value) in detail { payload["detail_" + key] = value }
        let body = Self.jsonObject(payload)
        let notification = "\(job.uuidString.lowercased()) \(status.rawValue)"
        let channel: PostgresValue
        if let pending = PendingNotifications.current {
            pending.append(notification)
            channel = .null
        } else {
            channel = .text(MarketNotifications.channel)
        }
        return PostgresStatement(JobEventQueries.jobEventRecord.sql, [
            .uuid(job), .timestamp(now), .text(kind), .jsonb(json), channel, .text(notification), .jsonb(body),
        ])
    }

    /// A JSON object of strings, keys sorted (what `JSONEncoder` with sorted keys writes, short
    /// of its optional escapes; three events a job cycle make it worth writing directly).
    static func jsonObject(_ fields: [String: String]) -> String {
        var out = "{"
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            appendJSONString(key, to: &out)
            out += ":"
            appendJSONString(fields[key] ?? "", to: &out)
        }
        return out + "}"
    }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped.
    private static func appendJSONString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
