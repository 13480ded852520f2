import Foundation
import Inference
import Postgres

// Batch jobs: one job carrying `B` inputs of a batchable model, proven together in one proof
// (docs/PROTOCOL.md, "Statement": the input is the items concatenated). A batch is escrowed,
// locked, staked, slashed and settled as one job; only its work, its input and its outputs
// have `B` parts.
//
// A client gives a batch in one of two forms:
// - `inputs`: a list of `B` tensors, each of the model's input shape (its leading batch
//   dimension of 1 may be left out); unambiguous, whatever the model's shape;
// - `input`: one tensor of shape `[B] + inputShape[1...]`. A model's input shape always has a
//   batch dimension of 1 first (the spec reads a symbolic or fixed first ONNX dimension as 1),
//   so a first dimension above 1 is a batch; a tensor with an extra leading dimension is not
//   read as one and is refused with `input_shape_mismatch`.
//
// Limits, checked in this order when the job is posted: `inputs` holds 1 to `batchInputsMax`
// tensors (`batch_too_large` otherwise); a model that is not batchable takes one input
// (`batch_not_supported`); the batch holds at most `Tensor.valuesMax` values
// (`input_shape_mismatch`); and the batch stays within the model's `batchInputsMax`, the
// largest batch whose every possible proof fits `Market.proofBytesMax` (and so the proof
// upload limit derived from it): `batch_proof_too_large` names it.

extension JobRequest {
    /// A batch given item by item: `inputs` are `B` tensors of the model's input shape.
    public init(modelID: String, inputs: [Tensor], terms: JobTerms, webhookURL: String? = nil, clampPolicy: ClampPolicy? = nil) {
        self.init(modelID: modelID, input: Tensor(shape: [], values: []), terms: terms, webhookURL: webhookURL, clampPolicy: clampPolicy)
        self.inputs = inputs
    }
}

/// A page of a job's item outputs.
public struct OutputPage: Sendable, Equatable {
    /// The items, in order: (item index, its output of shape `[1, n]`).
    public let items: [(index: Int, output: VerifiedOutput)]
    /// The batch's size.
    public let batchItems: Int
    /// The index to pass for the next page; nil at the end.
    public let nextItem: Int?

    public static func == (a: OutputPage, b: OutputPage) -> Bool {
        a.batchItems == b.batchItems && a.nextItem == b.nextItem
            && a.items.map(\.index) == b.items.map(\.index) && a.items.map(\.output) == b.items.map(\.output)
    }
}

/// What a model allows in one job, derived from its commitment once per process.
struct BatchLimits: Sendable {
    /// Whether its steps keep items apart.
    let batchable: Bool
    /// The largest batch whose every proof fits `Market.proofBytesMax`.
    let proofItemsMax: Int
    /// Values in one item.
    let itemValues: Int

    private static let cache = BoundedCache<String, BatchLimits>(capacity: 64)

    static func of(_ model: Model) throws -> BatchLimits {
        if let hit = cache[model.id] { return hit }
        let commitment = try ModelCommitment(decoding: model.commitment ?? [])
        let limits = BatchLimits(batchable: commitment.spec.batchable, proofItemsMax: commitment.batchItemsMax,
                                 itemValues: commitment.spec.inputElements)
        cache.keep(limits, for: model.id)
        return limits
    }
}

extension InputClamps {
    /// Each item's count of input values its quantisation clamps (`items` items of `input`).
    static func byItem(_ input: Tensor, spec: ModelSpec, items: Int) -> [Int] {
        let n = spec.inputElements
        guard items > 0, input.values.count == n * items else { return [Int](repeating: 0, count: max(0, items)) }
        return (0..<items).map { i in
            let slice = Array(input.values[(i * n)..<((i + 1) * n)])
            return (try? spec.quantizeInputCountingClamps(floats: slice, shape: spec.inputShape).clamped) ?? 0
        }
    }
}

extension Market {
    /// The largest batch a job of `model` may carry: the configured `batchInputsMax`, the
    /// proof system's, the most whose proof always fits `proofBytesMax`, and the most that stay
    /// within `Tensor.valuesMax`; 1 for a model that is not batchable.
    public func batchInputsMax(of model: Model) throws -> Int {
        let limits = try BatchLimits.of(model)
        guard limits.batchable else { return 1 }
        return max(1, min(configuration.batchInputsMax, InferenceLimits.batchItemsMax, limits.proofItemsMax,
                          Tensor.valuesMax / max(1, limits.itemValues)))
    }

    /// The job's input as one tensor (a batch's items concatenated) and its item count, checked
    /// against the model and the batch limits (see the top of this file).
    func batchInput(_ request: JobRequest, model: Model, inputShape: [Int]) throws -> (input: Tensor, items: Int) {
        let itemShape = Array(inputShape.dropFirst())
        let input: Tensor
        if let items = request.inputs {
            guard !items.isEmpty else { throw MarketError(.batchTooLarge, "inputs is empty; a batch holds 1 to \(configuration.batchInputsMax) inputs") }
            guard items.count <= configuration.batchInputsMax else {
                throw MarketError(.batchTooLarge, "the batch has \(items.count) inputs; at most \(configuration.batchInputsMax) are accepted",
                                  reason: "\(configuration.batchInputsMax)")
            }
            let limits = try BatchLimits.of(model)
            guard items.count == 1 || limits.batchable else {
                throw MarketError(.batchNotSupported, "model \(model.id) mixes the items of a batch (it is not batchable); it takes one input per job")
            }
            let (total, overflow) = items.count.multipliedReportingOverflow(by: limits.itemValues)
            guard !overflow, total <= Tensor.valuesMax else {
                throw MarketError(.inputShapeMismatch, "the batch has \(items.count) inputs of \(limits.itemValues) values; at most \(Tensor.valuesMax) values are accepted in all")
            }
            var values: [Double] = []
            values.reserveCapacity(total)
            for (i, item) in items.enumerated() {
                guard item.shape == inputShape || item.shape == itemShape, item.values.count == limits.itemValues else {
                    throw MarketError(.inputShapeMismatch, "inputs[\(i)] has shape \(item.shape) and \(item.values.count) values; the model takes inputs of shape \(inputShape)")
                }
                values += item.values
            }
            input = Tensor(shape: [items.count] + itemShape, values: values)
        } else {
            input = request.input
        }
        let items = input.shape.first ?? 0
        guard input.shape != inputShape, items > 1, input.shape.count == inputShape.count,
              Array(input.shape.dropFirst()) == itemShape else {
            try input.validate(against: inputShape)
            return (input, 1)
        }
        guard items <= configuration.batchInputsMax else {
            throw MarketError(.batchTooLarge, "the batch has \(items) inputs; at most \(configuration.batchInputsMax) are accepted",
                              reason: "\(configuration.batchInputsMax)")
        }
        guard try BatchLimits.of(model).batchable else {
            throw MarketError(.batchNotSupported, "model \(model.id) mixes the items of a batch (it is not batchable); it takes one input per job")
        }
        try input.validate(against: input.shape)
        let modelMax = try batchInputsMax(of: model)
        guard items <= modelMax else {
            throw MarketError(.batchProofTooLarge, "a proof of \(items) inputs of model \(model.id) could exceed \(Self.proofBytesMax) bytes; the model takes at most \(modelMax) inputs per job (its batch_inputs_max)",
                              reason: "\(modelMax)")
        }
        return (input, items)
    }

    /// A job's item outputs from item `start` on, at most `limit` (bounded by
    /// `outputPageItemsMax`); a single job's output is its item 0. Only a fulfilled job has outputs.
    public func outputs(of id: UUID, by principal: Principal, from start: Int = 0, limit: Int = 100) async throws -> OutputPage {
        let job = try await job(id, by: principal)
        guard job.status == .fulfilled else {
            throw MarketError(.jobNotFulfilled, "job \(id) is \(job.status.rawValue); only a fulfilled job has outputs")
        }
        guard start >= 0 else { throw MarketError(.invalidRequest, "cursor must be an item index of 0 or more") }
        let limit = max(1, min(limit, configuration.outputPageItemsMax))
        if job.batchItems == 1 {
            let output = try job.output.orThrow("fulfilled job \(id) has no output")
            return OutputPage(items: start == 0 ? [(0, output)] : [], batchItems: 1, nextItem: nil)
        }
        let rows = try await pool.query(JobQueries.jobOutputsPage.sql, [.uuid(id), .int(Int64(start)), .int(Int64(limit))]).rows
        let items = try rows.map { row in
            (index: try row.decode("item", as: Int.self), output: try row.decode("output", as: PostgresJSON.self).decode(VerifiedOutput.self))
        }
        let next = (items.last.map { $0.index + 1 }).flatMap { $0 < job.batchItems ? $0 : nil }
        return OutputPage(items: items, batchItems: job.batchItems, nextItem: next)
    }

    /// The whole verified output of a fulfilled job: a batch's items joined in order.
    func fulfilledOutput(of job: Job, on c: PostgresConnection? = nil) async throws -> VerifiedOutput? {
        if job.batchItems == 1 { return job.output }
        guard job.status == .fulfilled else { return nil }
        let statement = JobQueries.jobOutputsPage
        let parameters: [PostgresValue] = [.uuid(job.id), .int(0), .int(Int64(job.batchItems))]
        let rows = if let c { try await c.query(statement.sql, parameters).rows } else { try await pool.query(statement.sql, parameters).rows }
        let items = try rows.map { try $0.decode("output", as: PostgresJSON.self).decode(VerifiedOutput.self) }
        guard items.count == job.batchItems else { return nil }
        return VerifiedOutput.batch(items)
    }

    /// The statements that store a verified batch: the summary for the job row and one row per item.
    func batchOutputRows(_ jobID: UUID, _ output: VerifiedOutput) throws -> (summary: String, items: PostgresStatement) {
        let encoder = JSONEncoder()
        let summary = String(decoding: try encoder.encode(BatchSummary(output)), as: UTF8.self)
        let items = String(decoding: try encoder.encode((0..<output.items).map { output.item($0) }), as: UTF8.self)
        return (summary, PostgresStatement(JobQueries.jobOutputsInsert.sql, [.uuid(jobID), .jsonb(items)]))
    }
}
