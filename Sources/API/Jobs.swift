import Foundation
import HTTPServer
import Market

extension MarketAPI {
    /// Client routes: post, read, list, raise the maximum, cancel, receipt, events; and the worker's lock, bids,
    /// input, proof and release on a job.
    func addJobRoutes(_ router: Router) {
        router.post("/v1/jobs", bodyBytesMax: limits.jobBodyBytesMax) { request, _ in
            let p = try await principal(request)
            let body = try body(request, as: CreateJobBody.self)
            let job = try await market.createJob(by: p, try body.request(), idempotencyKey: idempotencyKey(request))
            return try .json(JobView(job, now: market.clock.now(), viewer: p), status: .created)
        }
        router.get("/v1/jobs") { request, _ in
            let p = try await principal(request)
            let status = try statusQuery(request)
            var cursor: JobCursor?
            if let token = request.query("cursor") {
                guard let c = JobCursor(token: token) else { throw MarketError(.invalidRequest, "cursor is malformed") }
                // A well-formed cursor whose time no job can have (PostgreSQL could not even hold it).
                guard FieldRules.cursorTimes.contains(c.createdAt) else {
                    throw FieldRules.invalid("query parameter `cursor`", "its time is outside the years 1970 to 9999; pass a next_cursor as given")
                }
                cursor = c
            }
            let page = try await market.jobs(by: p, status: status, after: cursor, limit: try limit(request, default: 50))
            let now = market.clock.now()
            struct Page: Encodable { let jobs: [JobView]; let nextCursor: String? }
            return try .json(Page(jobs: page.jobs.map { JobView($0, now: now, viewer: p) }, nextCursor: page.nextCursor?.token))
        }
        router.get("/v1/jobs/{id}") { request, _ in
            let p = try await principal(request)
            let id = try uuid(request, "id", unknown: .unknownJob)
            let wait = try waitSeconds(request)
            let status = try statusQuery(request)
            var job = try await market.job(id, by: p)
            if wait > 0 {
                let seen = status ?? job.status
                job = try await market.waitForChange(id, from: seen, timeoutSeconds: wait, by: p, watcher: watcher)
            }
            let events = try await market.events(of: id, by: p)
            return try .json(JobView(job, now: market.clock.now(), events: events, viewer: p))
        }
        router.delete("/v1/jobs/{id}") { request, _ in
            let p = try await principal(request)
            let job = try await market.cancel(try uuid(request, "id", unknown: .unknownJob), by: p)
            return try .json(JobView(job, now: market.clock.now(), viewer: p))
        }
        router.on(.patch, "/v1/jobs/{id}", bodyBytesMax: limits.jsonBodyBytesMax) { request, _ in
            let p = try await principal(request)
            let id = try uuid(request, "id", unknown: .unknownJob)
            let body = try body(request, as: UpdateJobBody.self)
            let job = try await market.raiseMaxPrice(id, to: body.maxPrice, by: p, idempotencyKey: idempotencyKey(request))
            return try .json(JobView(job, now: market.clock.now(), viewer: p))
        }
        router.get("/v1/jobs/{id}/receipt") { request, _ in
            let p = try await principal(request)
            return try .json(ReceiptView(try await market.receipt(of: try uuid(request, "id", unknown: .unknownJob), by: p)))
        }
        router.get("/v1/jobs/{id}/outputs") { request, _ in
            let p = try await principal(request)
            let id = try uuid(request, "id", unknown: .unknownJob)
            var start = 0
            if let token = request.query("cursor") {
                guard let item = Int(token), item >= 0 else { throw MarketError(.invalidRequest, "cursor is malformed; pass a next_cursor as given") }
                start = item
            }
            let pageMax = market.configuration.outputPageItemsMax
            var limit = 100
            if let text = request.query("limit") {
                guard let value = Int(text), (1...pageMax).contains(value) else {
                    throw MarketError(.invalidRequest, "limit must be 1 to \(pageMax)")
                }
                limit = value
            }
            let page = try await market.outputs(of: id, by: p, from: start, limit: limit)
            struct Item: Encodable { let index: Int; let output: OutputView }
            struct Page: Encodable { let jobId: UUID; let batchItems: Int; let outputs: [Item]; let nextCursor: String? }
            return try .json(Page(jobId: id, batchItems: page.batchItems, outputs: page.items.map { Item(index: $0.index, output: OutputView($0.output)) },
                                  nextCursor: page.nextItem.map(String.init)))
        }
        router.get("/v1/jobs/{id}/input-opening") { request, _ in
            let p = try await principal(request)
            return try .json(InputOpeningView(try await market.inputOpening(of: try uuid(request, "id", unknown: .unknownJob), by: p)))
        }
        router.get("/v1/jobs/{id}/events") { request, _ in
            let p = try await principal(request)
            let id = try uuid(request, "id", unknown: .unknownJob)
            let first = try await market.events(of: id, by: p)
            let market = self.market, watcher = self.watcher
            return .eventStream { writer in
                var last = first.last?.id ?? 0
                for event in first { try await writer.writeEvent(data: try eventJSON(event), event: event.kind, id: "\(event.id)") }
                // Stream until the job is final (bounded by the watcher's longest wait per round).
                // The events are read after the status: a job that turned final since the timeline
                // above was read still sends the events that took it there before the stream ends.
                while true {
                    let job = try await market.job(id, by: p)
                    if !job.status.isFinal {
                        _ = try await market.waitForChange(id, from: job.status, timeoutSeconds: JobWatcher.waitSecondsMax, by: p, watcher: watcher)
                    }
                    for event in try await market.events(of: id, by: p) where event.id > last {
                        try await writer.writeEvent(data: try eventJSON(event), event: event.kind, id: "\(event.id)")
                        last = event.id
                    }
                    if job.status.isFinal { return }
                }
            }
        }
        router.get("/v1/coordinator") { _, _ in
            struct Coordinator: Encodable { let publicKey: String; let algorithm = "ed25519" }
            let key = try await market.coordinatorKey()
            return try .json(Coordinator(publicKey: key.publicKey.map { String(format: "%02x", $0) }.joined()))
        }

        // Worker actions on one job.
        router.post("/v1/jobs/{id}/lock", bodyBytesMax: limits.jsonBodyBytesMax) { request, _ in
            let p = try await principal(request)
            let body = try body(request, as: WorkerBody.self)
            let grant = try await market.lock(try uuid(request, "id", unknown: .unknownJob), by: p, worker: body.workerId)
            return try .json(LockView(grant), status: .created)
        }
        router.post("/v1/jobs/{id}/bids", bodyBytesMax: limits.jsonBodyBytesMax) { request, _ in
            let p = try await principal(request)
            let body = try body(request, as: BidBody.self)
            let bid = try await market.bid(try uuid(request, "id", unknown: .unknownJob), price: body.price, by: p, worker: body.workerId)
            struct BidView: Encodable { let id: Int64; let jobId: UUID; let workerId: UUID; let price: Int64; let round: Int }
            return try .json(BidView(id: bid.id, jobId: bid.jobID, workerId: bid.workerID, price: bid.price, round: bid.attempt), status: .created)
        }
        router.get("/v1/jobs/{id}/input") { request, _ in
            let p = try await principal(request)
            guard let text = request.query("worker_id"), let worker = UUID(uuidString: text) else {
                throw MarketError(.invalidRequest, "worker_id is required")
            }
            return try .json(TensorBody(try await market.input(of: try uuid(request, "id", unknown: .unknownJob), by: p, worker: worker)))
        }
        router.get("/v1/jobs/{id}/private-material") { request, _ in
            let p = try await principal(request)
            guard let text = request.query("worker_id"), let worker = UUID(uuidString: text) else {
                throw MarketError(.invalidRequest, "worker_id is required")
            }
            let grant = try await market.privateMaterial(of: try uuid(request, "id", unknown: .unknownJob), by: p, worker: worker)
            return try .json(PrivateMaterialView(grant))
        }
        router.post("/v1/jobs/{id}/proof", bodyBytesMax: limits.proofBodyBytesMax) { request, _ in
            // The proof is judged as of its arrival, before any wait of ours (the key's check included).
            let receivedAt = market.clock.now()
            let p = try await principal(request)
            let body = try body(request, as: ProofBody.self)
            guard let proof = Data(base64Encoded: body.proof) else {
                throw MarketError(.invalidRequest, "proof must be base64")
            }
            var opening: [UInt8]?
            if let text = body.inputOpening {
                guard let bytes = Data(base64Encoded: text) else { throw MarketError(.invalidRequest, "input_opening must be base64") }
                opening = Array(bytes)
            }
            let s = try await market.submitProof(try uuid(request, "id", unknown: .unknownJob), proof: Array(proof), inputOpening: opening,
                                                 proveMilliseconds: body.proveMs, by: p, worker: body.workerId,
                                                 receivedAt: receivedAt)
            struct SettlementView: Encodable {
                let jobId: UUID; let workerId: UUID; let price: Int64; let fee: Int64; let workerPayment: Int64
                let clientRefund: Int64; let stakeReleased: Int64; let output: OutputView
            }
            return try .json(SettlementView(jobId: s.jobID, workerId: s.workerID, price: s.price, fee: s.fee,
                                            workerPayment: s.workerPayment, clientRefund: s.clientRefund,
                                            stakeReleased: s.stakeReleased, output: OutputView(s.output)))
        }
        router.post("/v1/jobs/{id}/release", bodyBytesMax: limits.jsonBodyBytesMax) { request, _ in
            let p = try await principal(request)
            let body = try body(request, as: WorkerBody.self)
            let job = try await market.release(try uuid(request, "id", unknown: .unknownJob), by: p, worker: body.workerId)
            return try .json(JobView(job, now: market.clock.now(), viewer: p))
        }
    }
}

/// A lock on the wire, with the binding context its proof must carry ready-made
/// (`JOB:WORKER:NONCE`, the ids lower case), so a worker need not assemble it.
struct LockView: Encodable, Sendable {
    var jobId: UUID; var workerId: UUID; var attempt: Int; var price: Int64; var stake: Int64
    var expiresAt: Date; var nonce: String; var bindingContext: String; var modelId: String; var input: TensorBody
    var clampPolicy: String
    /// The mode to prove in; a private job's material is at `GET /v1/jobs/{id}/private-material`.
    var proofMode: String
    /// Prove with the input hidden and submit its opening with the proof.
    var hideInput: Bool
    init(_ g: LockGrant) {
        hideInput = g.hideInput
        clampPolicy = g.clampPolicy.rawValue
        proofMode = g.proofMode.rawValue
        jobId = g.jobID; workerId = g.workerID; attempt = g.attempt; price = g.price; stake = g.stake
        expiresAt = g.expiresAt; nonce = g.nonce; modelId = g.modelID; input = TensorBody(g.input, wire: g.inputWireJSON)
        bindingContext = InferenceProofVerifier.context(jobID: g.jobID, workerID: g.workerID, nonce: g.nonce).description
    }
}

private func eventJSON(_ event: JobEvent) throws -> String {
    String(decoding: try JSONCoding.encoder.encode(EventView(event)), as: UTF8.self)
}

/// A private job's commitment and blinding material, for the lock holder (base64).
struct PrivateMaterialView: Encodable, Sendable {
    var jobId: UUID; var modelId: String; var commitmentId: String; var commitment: String; var material: String
    init(_ g: PrivateMaterialGrant) {
        jobId = g.jobID; modelId = g.modelID; commitmentId = g.commitmentID
        commitment = Data(g.commitment).base64EncodedString(); material = Data(g.material).base64EncodedString()
    }
}

/// A hidden-input job's input opening, for its owner (base64).
struct InputOpeningView: Encodable, Sendable {
    var jobId: UUID; var inputCommitmentId: String; var opening: String
    init(_ g: InputOpeningGrant) {
        jobId = g.jobID; inputCommitmentId = g.inputCommitmentID; opening = Data(g.opening).base64EncodedString()
    }
}
