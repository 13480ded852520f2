import Foundation
import HTTPServer
import Inference
import Logging
import Market
import Synchronization

/// A prover node: registers, heartbeats, long-polls open jobs, decides with its
/// `WorkerPolicy`, locks or bids, fetches the model (cached by id) and the input, proves,
/// submits, and keeps a tally. Faults of the coordinator are retried with back-off and
/// jitter; a rejected proof is logged with its reason. `stop()` makes it take no new work,
/// finish what it holds, and return.
actor ProverNode {
    /// Settings of one node.
    struct Settings: Sendable {
        var name: String
        var policy: WorkerPolicy
        var concurrency: Int = 1
        /// Locks taken before the node stops taking work (nil: no limit). The node finishes
        /// what it holds and `run()` returns.
        var maxJobs: Int?
        var pollWaitSeconds: Double = 5
        var heartbeatSeconds: Double = 5
        /// Test-only: submit a forged proof (a valid proof for another input) to check that
        /// the coordinator refuses it. Never paid.
        var forgeProofs: Bool = false
        /// Test-only: wait this long after proving before submitting (so a test can kill a
        /// node while it holds a lock).
        var submitDelaySeconds: Double = 0
    }

    /// What the node did, for the summary on exit.
    struct Tally: Sendable {
        var locked = 0, bids = 0, proved = 0, paid = 0, rejected = 0, released = 0, skipped = 0
        var earned: Int64 = 0
    }

    private struct CachedModel {
        let model: QuantizedModel
        let commitment: ModelCommitment
        let workMACs: Int64
    }

    private let client: CoordinatorClient
    private let settings: Settings
    private let logger: Logger
    /// What `--metrics-port` serves.
    let metrics: WorkerMetrics
    /// Jobs counted as seen (forgotten in bulk past `seenJobsMax`, so a long run stays bounded).
    private var seen: Set<UUID> = []
    static let seenJobsMax = 100_000
    private var workerID: UUID?
    private var models: [String: CachedModel] = [:]
    private var inFlight: Set<UUID> = []
    /// Sealed jobs bid on, with the end of their bid window.
    private var bids: [UUID: Date] = [:]
    /// Refusals of a bid that say only what state the job or this worker is in now, with how
    /// long to wait before looking again: a later round, or this worker later, may differ.
    static let refusalsThatPass: [String: Double] = [
        "bid_window_closed": 1, "bidding_not_started": 1, "job_not_open": 1, "too_many_locks": 1,
        "worker_suspended": 10, "insufficient_balance": 10,
    ]
    /// Jobs this node has given up on (refused for good, or left by its policy); not considered again.
    private var done: Set<UUID> = []
    /// Jobs left because their maximum was below the floor, with that maximum: looked at again
    /// only once it rises (a re-auction round, or the client raising it).
    private var belowFloor: [UUID: Int64] = [:]
    private var notBefore: [UUID: Date] = [:]
    private var stopping = false
    private var secondsPerMegaMAC = 0.2
    private(set) var tally = Tally()

    init(client: CoordinatorClient, settings: Settings, logger: Logger, metrics: WorkerMetrics = WorkerMetrics()) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
    }

    /// The id the coordinator gave this node, once registered.
    var workerIDForReport: UUID? { workerID }
    /// The node's name.
    var name: String? { settings.name }

    /// Asks the node to stop taking work; `run()` returns once held jobs are done.
    func stop() { stopping = true }

    /// Whether `maxJobs` leaves room for one more lock attempt: locks taken and attempts in
    /// flight both count, so a node proving several at once never passes the limit.
    private var mayTakeAnother: Bool {
        guard let limit = settings.maxJobs else { return true }
        return tally.locked + inFlight.count < limit
    }

    /// Runs until `stop()`.
    func run() async throws {
        let id = try await withRetry("register") {
            try await self.client.call(.post, "/v1/workers", body: WireRegisterWorker(
                name: self.settings.name,
                capabilities: .init(maxWorkMacs: self.settings.policy.maxWorkMACs, operators: nil),
                minPricePerMmac: self.settings.policy.minPricePerMegaMAC, proofModes: ["public", "private"]), as: WireWorker.self).id
        }
        workerID = id
        metrics.record(.registered(id, name: settings.name, floor: settings.policy.minPricePerMegaMAC))
        logger.info("registered as worker \(id) (\(settings.name)), floor \(settings.policy.minPricePerMegaMAC) µc per million multiply-accumulates")
        let heartbeat = Task { [client, settings, metrics] in
            while !Task.isCancelled {
                // The answer carries the coordinator's count of this node's slashed locks.
                if let worker: WireWorker = try? await client.call(.post, "/v1/workers/\(id)/heartbeat"), let slashed = worker.jobsSlashed {
                    metrics.record(.slashedCount(slashed))
                }
                try? await Task.sleep(nanoseconds: UInt64(settings.heartbeatSeconds * 1e9))
            }
        }
        defer { heartbeat.cancel() }
        var backoff = 0.2
        while !stopping {
            do {
                // While a sealed award may be waiting to be claimed, look again at least every half second.
                let wait = bids.isEmpty ? settings.pollWaitSeconds : min(settings.pollWaitSeconds, 0.5)
                let page: WireOpenJobPage = try await client.call(
                    .get, "/v1/market/jobs?wait=\(wait)", timeoutSeconds: wait + 30)
                backoff = 0.2
                try await consider(page.jobs, worker: id)
                try await checkSealedWins(worker: id)
                if page.jobs.isEmpty || inFlight.count >= settings.concurrency {
                    try? await Task.sleep(nanoseconds: 100_000_000)
                }
            } catch let error as RemoteError where error.isTransient {
                logger.warning("coordinator unavailable, retrying in \(String(format: "%.1f", backoff)) s: \(error)")
                try? await Task.sleep(nanoseconds: UInt64(backoff * Double.random(in: 0.5...1.5) * 1e9))
                backoff = min(backoff * 2, 10)
            }
        }
        while !inFlight.isEmpty { try? await Task.sleep(nanoseconds: 100_000_000) }
    }

    private func consider(_ jobs: [WireOpenJob], worker: UUID) async throws {
        let now = Date()
        // A sealed round that ended with no award reopens with a new window: bid again in it.
        for job in jobs {
            if let end = bids[job.id], let newEnd = job.bidWindowEnd, newEnd > end.addingTimeInterval(0.01) { bids[job.id] = nil }
        }
        for job in jobs where !seen.contains(job.id) {
            if seen.count >= Self.seenJobsMax { seen.removeAll() }
            seen.insert(job.id)
            metrics.record(.seen)
        }
        for job in jobs where !inFlight.contains(job.id) && !done.contains(job.id) && bids[job.id] == nil && !stopping {
            if let later = notBefore[job.id], later > now { continue }
            if let seenMax = belowFloor[job.id], job.maxPrice <= seenMax { continue }
            let cached = try await model(job.modelId)
            let decision = settings.policy.decide(job: job, workMACs: job.work(modelMACs: cached.workMACs),
                                                  provingSecondsPerMegaMAC: secondsPerMegaMAC, now: now)
            logger.debug("job \(job.id.short): \(decision)")
            switch decision {
            case .lockNow:
                guard inFlight.count < settings.concurrency, mayTakeAnother else { return }
                inFlight.insert(job.id)
                Task { await self.lockAndProve(job.id, worker: worker, sealed: false) }
            case .waitUntil(let when):
                notBefore[job.id] = when
            case .bid(let price):
                do {
                    _ = try await client.send(.post, "/v1/jobs/\(job.id)/bids", body: WireBid(workerId: worker, price: price))
                    bids[job.id] = job.bidWindowEnd ?? now.addingTimeInterval(1)
                    tally.bids += 1
                    metrics.record(.bid)
                    logger.info("job \(job.id.short): bid \(price) µc (sealed)")
                } catch let error as RemoteError where error.code == "bid_already_placed" {
                    // A window restarted without an award (every bidder was at its lock limit,
                    // say) keeps the round's bids: ours still stands, so watch for the award.
                    bids[job.id] = job.bidWindowEnd ?? now.addingTimeInterval(1)
                    logger.info("job \(job.id.short): our bid stands in the restarted window")
                } catch let error as RemoteError where Self.refusalsThatPass[error.code ?? ""] != nil {
                    // The bid was refused for the present state (the window closed meanwhile, say;
                    // the sweeper then awards or restarts the round): look again later.
                    let wait = Self.refusalsThatPass[error.code ?? ""] ?? 1
                    notBefore[job.id] = now.addingTimeInterval(wait)
                    logger.info("job \(job.id.short): bid not taken now (\(error.code ?? "")); looking again in \(Int(wait)) s")
                } catch let error as RemoteError where !error.isTransient {
                    done.insert(job.id)
                    metrics.record(.skipped(error.code ?? "bid_refused"))
                    logger.info("job \(job.id.short): bid refused: \(error)")
                }
            case .skip(let reason):
                if reason == .priceBelowFloor {
                    if belowFloor.count >= Self.seenJobsMax { belowFloor.removeAll() }
                    belowFloor[job.id] = job.maxPrice
                } else {
                    done.insert(job.id)
                }
                tally.skipped += 1
                metrics.record(.skipped(reason.rawValue))
                logger.info("job \(job.id.short): skipped (\(reason.rawValue))")
            }
        }
    }

    /// A sealed auction is decided when its window closes (the coordinator's sweeper awards
    /// the lowest bid); a bidder then claims its lock with the same call as a Dutch lock,
    /// which hands a winner its award and refuses everyone else.
    private func checkSealedWins(worker: UUID) async throws {
        let now = Date()
        for (job, windowEnd) in bids where windowEnd.addingTimeInterval(0.3) <= now && !stopping {
            guard inFlight.count < settings.concurrency, mayTakeAnother else { return }
            if let later = notBefore[job], later > now { continue }
            inFlight.insert(job)
            Task { await self.lockAndProve(job, worker: worker, sealed: true) }
        }
    }

    private func lockAndProve(_ jobID: UUID, worker: UUID, sealed: Bool) async {
        defer { inFlight.remove(jobID) }
        let lock: WireLock
        do {
            lock = try await client.call(.post, "/v1/jobs/\(jobID)/lock", body: WireWorkerRef(workerId: worker))
            bids[jobID] = nil
        } catch let error as RemoteError where sealed && ["award_pending", "wrong_auction"].contains(error.code) {
            // The window has closed but the award is not made yet: ask again shortly.
            notBefore[jobID] = Date().addingTimeInterval(0.5)
            return
        } catch let error as RemoteError where !error.isTransient {
            // Lost, or the award expired: if the job comes back open (a new round), it is a new chance.
            logger.info("job \(jobID.short): \(sealed ? "auction lost" : "lock not taken"): \(error.code ?? "")")
            bids[jobID] = nil
            notBefore[jobID] = Date().addingTimeInterval(1)
            return
        } catch {
            notBefore[jobID] = Date().addingTimeInterval(1)
            return
        }
        tally.locked += 1
        metrics.record(.locked)
        if let limit = settings.maxJobs, tally.locked >= limit {
            stopping = true
            logger.info("job \(jobID.short): lock \(tally.locked) of --max-jobs \(limit); taking no more work")
        }
        logger.info("job \(jobID.short): locked at \(lock.price) µc, stake \(lock.stake) µc, proving…")
        do {
            let cached = try await model(lock.modelId)
            let context = InferenceProofVerifier.context(jobID: jobID, workerID: worker, nonce: lock.nonce)
            var input = try cached.model.quantizeInput(floats: lock.input.values, shape: lock.input.shape)
            if settings.forgeProofs, !input.isEmpty { input[0] = input[0] == 0 ? 1 : 0 }
            let started = Date()
            if lock.clampPolicy == "refuse" {
                // The job refuses clamped values: a run that clamps would be rejected, so it is not proven.
                let clamped = try cached.model.spec.quantizeInputCountingClamps(floats: lock.input.values, shape: lock.input.shape).clamped
                    + (try cached.model.runBatch(input).reduce(0) { $0 + $1.saturated })
                guard clamped == 0 else { throw ClampRefusal(count: clamped) }
            }
            let proof: [UInt8], opening: [UInt8]?
            if lock.proofMode == "private" {
                (proof, opening) = try await provePrivately(jobID, worker: worker, model: cached.model, input: input, context: context,
                                                            hideInput: lock.hideInput ?? false)
            } else {
                (proof, opening) = (try InferenceProver.prove(model: cached.model, commitment: cached.commitment, input: input, context: context).proof, nil)
            }
            let proveSeconds = Date().timeIntervalSince(started)
            let proveMs = Int(proveSeconds * 1000)
            tally.proved += 1
            metrics.record(.proved(seconds: proveSeconds))
            // A batch's work is the model's times its items.
            let work = Double(cached.workMACs) * Double(cached.model.spec.batchSize(values: input.count) ?? 1)
            secondsPerMegaMAC = 0.7 * secondsPerMegaMAC + 0.3 * max(0.001, Double(proveMs) / 1000 / max(1e-6, work / 1e6))
            logger.info("job \(jobID.short): proved in \(proveMs) ms (\(proof.count) bytes), submitting")
            if settings.submitDelaySeconds > 0 { try await Task.sleep(nanoseconds: UInt64(settings.submitDelaySeconds * 1e9)) }
            let settlement: WireSettlement = try await withRetry("submit proof") {
                try await self.client.call(.post, "/v1/jobs/\(jobID)/proof",
                                           body: WireProof(workerId: worker, proof: Data(proof).base64EncodedString(), proveMs: proveMs,
                                                           inputOpening: opening.map { Data($0).base64EncodedString() }))
            }
            tally.paid += 1
            tally.earned += settlement.workerPayment
            metrics.record(.paid(microcredits: settlement.workerPayment))
            logger.info("job \(jobID.short): paid \(settlement.workerPayment) µc (price \(settlement.price), fee \(settlement.fee)); output argmax \(settlement.output.argmax.map(String.init) ?? "-")")
        } catch let error as RemoteError {
            tally.rejected += 1
            metrics.record(.refused)
            logger.error("job \(jobID.short): proof refused: \(error)")
        } catch {
            logger.error("job \(jobID.short): cannot prove: \(error); releasing the lock")
            if (try? await client.send(.post, "/v1/jobs/\(jobID)/release", body: WireWorkerRef(workerId: worker))) != nil {
                tally.released += 1
                metrics.record(.released)
            }
        }
    }

    /// A private proof (protocol v2) of a locked job: its commitment and blinding material come
    /// from the coordinator, for the lock holder only, and must be the model's. With
    /// `hideInput`, the proof hides the input and comes with the opening of its commitment.
    private func provePrivately(_ jobID: UUID, worker: UUID, model: QuantizedModel, input: [Int64],
                                context: BindingContext, hideInput: Bool) async throws -> (proof: [UInt8], opening: [UInt8]?) {
        let grant: WirePrivateMaterial = try await withRetry("fetch private material") {
            try await self.client.call(.get, "/v1/jobs/\(jobID)/private-material?worker_id=\(worker)")
        }
        guard let commitmentBytes = Data(base64Encoded: grant.commitment), let materialBytes = Data(base64Encoded: grant.material) else {
            throw PrivateMaterialUnreadable(jobID: jobID)
        }
        let commitment = try PrivateCommitment(decoding: Array(commitmentBytes))
        let material = try PrivateMaterial(decoding: Array(materialBytes), for: commitment)
        let proven = try PrivateProver.prove(model: model, commitment: commitment, material: material, input: input, context: context,
                                             hideInput: hideInput)
        return (proven.proof, proven.opening?.encoded)
    }

    /// The model, fetched and committed once per id.
    private func model(_ id: String) async throws -> CachedModel {
        if let cached = models[id] { return cached }
        let info: WireModel = try await withRetry("fetch model") { try await self.client.call(.get, "/v1/models/\(id)") }
        let bytes = try await withRetry("download model") {
            try await self.client.send(.get, "/v1/models/\(id)/onnx", timeoutSeconds: 120).body
        }
        // The registered scales are in the model's commitment; without one, the default import.
        let registered = try info.commitment.flatMap(Receipt.bytes(hex:)).map { try ModelCommitment(decoding: $0) }
        let model = try registered.map { try ONNXImporter.importModel(bytes, matching: $0.spec) } ?? ONNXImporter.importModel(bytes)
        let commitment = try ModelCommitment.commit(model)
        let cached = CachedModel(model: model, commitment: commitment, workMACs: info.workMacs ?? 0)
        models[id] = cached
        return cached
    }

    /// Retries transient faults with exponential back-off and jitter, until stopped.
    private func withRetry<T: Sendable>(_ what: String, _ body: @Sendable () async throws -> T) async throws -> T {
        var delay = 0.2
        while true {
            do {
                return try await body()
            } catch let error as RemoteError where error.isTransient {
                logger.warning("\(what): \(error); retrying in \(String(format: "%.1f", delay)) s")
                try await Task.sleep(nanoseconds: UInt64(delay * Double.random(in: 0.5...1.5) * 1e9))
                delay = min(delay * 2, 10)
            }
        }
    }
}

/// A run of a `clamp_policy: refuse` job that clamped: the worker releases the lock.
struct ClampRefusal: Error, CustomStringConvertible {
    let count: Int
    var description: String { "clamped_values: the run clamps \(count) value(s) and the job refuses clamped values" }
}

/// The coordinator's private material for a job did not come as base64: the lock is released.
struct PrivateMaterialUnreadable: Error, CustomStringConvertible {
    let jobID: UUID
    var description: String { "private_material_invalid: the coordinator's private material for job \(jobID) is not base64" }
}

extension UUID {
    /// The first eight characters, for log lines.
    var short: String { String(uuidString.lowercased().prefix(8)) }
}
