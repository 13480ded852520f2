import Foundation
import Inference
import Postgres

// Private proofs in the market (docs/PROTOCOL.md, protocol v2).
//
// A job asks for `proof_mode` `public` (the default) or `private`. A private job:
// - is refused when posted unless its model is private-ready: every step has a private proof
//   (`private_unsupported_operator` names the ones that do not), the coordinator has a private
//   proof system (`proof_mode_unsupported`), and it has `clamp_policy` `allow` (a private proof
//   reveals no clamp counts, so `refuse` could not be enforced);
// - may be a batch, proven in one private proof, of at most the smaller of `batchInputsMax`
//   and `PrivateProofLimits.itemsMax` inputs (`batch_too_large` past it), on top of the limits
//   every batch has (`Market+Batch.swift`); it is priced with the private work factor times
//   its items, as a public batch with its items;
// - may hide its input (`hide_input`, `Market+HiddenInput.swift`);
// - is locked only by a worker that advertises `private` in its proof modes (`proof_mode_unsupported`);
// - has the model's hiding commitment, made once per model (at import, or at the first private
//   job under a guarded update: the first commitment stored is the model's for good), whose
//   public part is on the model's page and whose blinding material is given only to the
//   worker holding the job's lock (`privateMaterial`), never in receipts, events or public reads;
// - is verified with `PrivateProofSystem.verify` on the verification pool, straight (the
//   `VerificationBatcher` gathers public proofs only), with the same settlement as a public
//   proof; its output carries no clamp counts (a batch's is `[B, n]`, paged by item as a public batch's).

/// What the worker holding a private job's lock gets to prove it: the model's commitment and
/// its blinding material.
public struct PrivateMaterialGrant: Sendable, Equatable {
    /// The job.
    public let jobID: UUID
    /// The model.
    public let modelID: String
    /// The commitment's id.
    public let commitmentID: String
    /// The commitment's public part.
    public let commitment: [UInt8]
    /// The blinding material (secret).
    public let material: [UInt8]
}

extension Market {
    /// The work factor of a job of `mode`, in percent of a public proof's.
    func workFactorPercent(_ mode: ProvingMode) -> Int {
        mode == .private
            ? min(max(configuration.privateWorkFactorPercent, MarketConfiguration.privateWorkFactorPercentRange.lowerBound),
                  MarketConfiguration.privateWorkFactorPercentRange.upperBound)
            : 100
    }

    /// Each step of a ready model with whether it has a private proof: as stored at import, or
    /// (for a model imported without a private proof system) derived from its commitment's
    /// description. Nil without a private proof system or before the model is ready.
    public func privateOperators(of model: Model) -> [PrivateOperator]? {
        if let stored = model.privateOperators, !stored.isEmpty { return stored }
        guard let privateProofs, model.status == .ready, let spec = try? PrivateModeSpecs.spec(of: model) else { return nil }
        return privateProofs.operators(spec)
    }

    /// Checks that a private job of `model` can be posted, making the model's private
    /// commitment first if it has none yet (see the top of this file).
    func requirePrivateReady(_ model: Model, items: Int, hideInput: Bool, clampPolicy: ClampPolicy) async throws {
        guard let privateProofs else {
            throw MarketError(.proofModeUnsupported, "this coordinator has no private proof system; post the job with proof_mode public")
        }
        let spec = try PrivateModeSpecs.spec(of: model)
        let unsupported = privateProofs.unsupportedOperators(spec)
        guard unsupported.isEmpty else {
            throw MarketError(.privateUnsupportedOperator,
                              "model \(model.id) has steps with no private proof yet: \(unsupported.joined(separator: ", ")); they prove in public mode",
                              reason: unsupported.joined(separator: ","))
        }
        let itemsMax = min(configuration.batchInputsMax, PrivateProofLimits.itemsMax)
        guard items <= itemsMax else {
            throw MarketError(.batchTooLarge, "the batch has \(items) inputs; a private proof covers at most \(itemsMax)",
                              reason: "\(itemsMax)")
        }
        // A proof the submission limit would refuse could never settle the job: its worker
        // would lose the lock for nothing.
        guard let bytes = PrivateReadiness.proofBytes(spec, items: items, hideInput: hideInput), bytes <= Self.proofBytesMax else {
            let fitting = Self.largestFitting(below: items) { n in
                PrivateReadiness.proofBytes(spec, items: n, hideInput: hideInput).map { $0 <= Self.proofBytesMax } ?? false
            }
            throw MarketError(.batchProofTooLarge, "a private proof of \(items) inputs of model \(model.id) has more than \(Self.proofBytesMax) bytes; post at most \(fitting) inputs per private job",
                              reason: "\(fitting)")
        }
        guard clampPolicy == .allow else {
            throw MarketError(.invalidRequest, "clamp_policy refuse needs proof_mode public: a private proof reveals no clamp counts")
        }
        if model.privateCommitment == nil { _ = try await ensurePrivateCommitment(model) }
    }

    /// The largest `n < limit` for which `fits(n)` holds, 0 if none; `fits` holds for every
    /// count below one for which it holds (a proof grows with its batch). Binary search: a
    /// refused request costs a logarithmic number of checks.
    static func largestFitting(below limit: Int, _ fits: (Int) -> Bool) -> Int {
        var low = 0, high = limit   // fits(low) (or low = 0), !fits(high)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if fits(middle) { low = middle } else { high = middle }
        }
        return low
    }

    /// The model's private commitment, made now if it has none: imported again with its
    /// registered scales and committed on the import threads, then stored with a guarded update
    /// (whoever stores first wins; a loser's commitment and material are dropped unused).
    func ensurePrivateCommitment(_ model: Model) async throws -> String {
        if let id = model.privateCommitmentID { return id }
        guard let privateProofs else {
            throw MarketError(.proofModeUnsupported, "this coordinator has no private proof system")
        }
        let onnx = try await modelONNX(model.id)
        let spec = try PrivateModeSpecs.spec(of: model)
        let made = try await modelImports.pool.run { () -> Result<PrivateModelCommitment, Error> in
            Result {
                let quantised = try ONNXImporter.importModel(onnx, matching: spec)
                return try privateProofs.commit(quantised)
            }
        }.get()
        let facts = ModelFacts(inputShape: model.inputShape ?? [], outputShape: model.outputShape ?? [], operators: model.operators ?? [],
                               quantisationJSON: model.quantisation ?? "{}", commitment: model.commitment ?? [], workMacs: model.workMacs ?? 0,
                               privateOperators: privateProofs.operators(spec), privateCommitment: made)
        let stored = try await pool.transaction(.readCommitted) { c in try await self.storePrivateParts(id: model.id, facts: facts, on: c) }
        _ = try await withPrivateCommitment(model.id)
        return try stored.orThrow("model \(model.id) is not ready")
    }

    /// The model, read again from the database if the copy kept in memory has no private
    /// commitment (a ready model gains one once, possibly in another replica).
    public func withPrivateCommitment(_ id: String) async throws -> Model {
        let kept = try await model(id)
        guard kept.privateCommitment == nil else { return kept }
        guard let row = try await pool.query(ModelQueries.modelByID.sql, [.text(id)]).first else {
            throw MarketError(.unknownModel, "no model \(id)")
        }
        let fresh = try Model(row: row)
        if fresh.status == .ready { readyModels.keep(fresh, for: id) }
        return fresh
    }

    /// Stores a ready model's private parts: the steps' readiness, and, for a private-ready
    /// model, its commitment (kept only if the model has none) with its material. Returns the
    /// model's commitment id (nil if it has none).
    @discardableResult
    func storePrivateParts(id: String, facts: ModelFacts, on c: PostgresConnection) async throws -> String? {
        guard !facts.privateOperators.isEmpty else { return nil }
        let operators = String(decoding: try JSONEncoder().encode(facts.privateOperators), as: UTF8.self)
        let made = facts.privateCommitment
        let row = try await c.run(ModelQueries.modelSetPrivateParts, [
            .text(id), .jsonb(operators), made.map { .bytea($0.encoded) } ?? .null, made.map { .text($0.id) } ?? .null,
        ]).first
        let kept: String? = try row?.decode("private_commitment_id")
        if let made, kept == made.id {
            try await c.run(ModelQueries.modelPrivateMaterialInsert, [.text(id), .text(made.id), .bytea(made.material)])
        }
        return kept
    }

    /// `storePrivateParts` in a transaction of its own.
    func storePrivateParts(id: String, facts: ModelFacts) async throws {
        try await pool.transaction(.readCommitted) { c in _ = try await self.storePrivateParts(id: id, facts: facts, on: c) }
    }

    /// Throws `proof_mode_unsupported` unless `worker` proves `job`'s mode.
    func requireProves(_ job: Job, worker: Worker) throws {
        guard worker.capabilities.proves(job.proofMode) else {
            throw MarketError(.proofModeUnsupported,
                              "job \(job.id) asks for a \(job.proofMode.rawValue) proof; worker \(worker.id) proves \((worker.capabilities.proofModes ?? [.public]).map(\.rawValue).joined(separator: ", ")) only")
        }
    }

    /// A private job's commitment and blinding material, for the worker holding its lock only:
    /// any other worker (of any account) gets `private_material_forbidden`, a public job
    /// `job_not_private`, other roles `forbidden`.
    public func privateMaterial(of jobID: UUID, by principal: Principal, worker workerID: UUID) async throws -> PrivateMaterialGrant {
        try principal.require(.worker)
        let worker = try await worker(workerID, by: principal)
        guard let row = try await pool.query(JobQueries.jobByID.sql, [.uuid(jobID)]).first else {
            throw MarketError(.unknownJob, "no job \(jobID)")
        }
        let job = try Job(row: row)
        guard job.status == .locked, job.lockedBy == worker.id, let expiry = job.lockExpiresAt, expiry > clock.now() else {
            throw MarketError(.privateMaterialForbidden, "only the worker holding the live lock of job \(jobID) may read its private material")
        }
        guard job.proofMode == .private else {
            throw MarketError(.jobNotPrivate, "job \(jobID) proves in public mode; it has no private material")
        }
        let model = try await withPrivateCommitment(job.modelID)
        guard let commitment = model.privateCommitment, let commitmentID = model.privateCommitmentID,
              let stored = try await pool.query(ModelQueries.modelPrivateMaterial.sql, [.text(model.id)]).first,
              try stored.decode("commitment_id", as: String.self) == commitmentID else {
            throw MarketError(.modelNotReady, "model \(model.id) has no private commitment yet")
        }
        return PrivateMaterialGrant(jobID: jobID, modelID: model.id, commitmentID: commitmentID, commitment: commitment,
                                    material: try stored.decode("material"))
    }

    /// Verifies a private job's proof on the verification pool (never batched), as the
    /// public path does: the outcome, with an output that carries no clamp counts. A
    /// hidden-input job's proof is checked with its opening (`Market+HiddenInput.swift`); the
    /// verified commitment and opening come back to be stored with the fulfilment.
    func verifyPrivate(_ request: VerificationRequest, model: Model, hideInput: Bool) async throws
        -> (outcome: VerificationOutcome, hidden: HiddenInputRecord?) {
        guard let privateProofs else {
            return (.rejected(reason: "verifier_unavailable", message: "this coordinator has no private proof system"), nil)
        }
        guard let commitment = model.privateCommitment else {
            return (.rejected(reason: "commitment_invalid", message: "model \(model.id) has no private commitment"), nil)
        }
        let spec: ModelSpec
        do { spec = try PrivateModeSpecs.spec(of: model) } catch {
            return (.rejected(reason: "commitment_invalid", message: "the model's stored commitment does not decode: \(error)"), nil)
        }
        return try await verificationPool.run {
            guard privateProofs.mode(of: request.proof) == .private else {
                return (.rejected(reason: "wrong_proof_mode", message: "the job asks for a private proof; this proof is not one"), nil)
            }
            let input: [Int64]
            do {
                input = try spec.quantizeInputCountingClamps(floats: request.input.values, shape: request.input.shape).values
            } catch let error as InferenceError {
                return (.rejected(reason: "input_invalid", message: "the job's input does not fit the model: \(error.code)"), nil)
            } catch {
                return (.rejected(reason: "input_invalid", message: "the job's input does not fit the model: \(error)"), nil)
            }
            let context = InferenceProofVerifier.context(jobID: request.jobID, workerID: request.workerID, nonce: request.nonce)
            if hideInput {
                return Self.checkHidingInput(privateProofs, commitment: commitment, request: request, input: input,
                                             context: context, spec: spec)
            }
            switch privateProofs.verify(commitment: commitment, input: input, proof: request.proof, context: context) {
            case .failure(let failure):
                return (.rejected(reason: failure.code, message: "the proof does not verify: \(failure.message)"), nil)
            case .success(let output):
                return (.valid(PrivateModeSpecs.output(output, spec: spec)), nil)
            }
        }
    }
}

/// Model descriptions decoded from public commitments, by model id, for the private paths.
enum PrivateModeSpecs {
    private static let specs = BoundedCache<String, ModelSpec>(capacity: 64)

    /// The registered description of a ready model.
    static func spec(of model: Model) throws -> ModelSpec {
        if let hit = specs[model.id] { return hit }
        guard let bytes = model.commitment else { throw MarketError(.modelNotReady, "model \(model.id) has no commitment yet") }
        let spec = try ModelCommitment(decoding: bytes).spec
        specs.keep(spec, for: model.id)
        return spec
    }

    /// A private proof's output as the market keeps it: values and labels, no clamp counts;
    /// shape `[B, n]` for a batch of `B` items (`[1, n]` for one).
    static func output(_ quantised: [Int64], spec: ModelSpec) -> VerifiedOutput {
        let n = max(1, spec.outputElements)
        let items = quantised.count % n == 0 ? max(1, quantised.count / n) : 1
        let labels = spec.labels == nil ? nil : spec.labels(forOutput: quantised).map { label -> OutputLabel in
            switch label {
            case .integer(let v): .integer(v)
            case .string(let s): .string(s)
            }
        }
        return VerifiedOutput(shape: [items, quantised.count / items], quantised: quantised, values: spec.dequantizeOutput(quantised), labels: labels)
    }
}
