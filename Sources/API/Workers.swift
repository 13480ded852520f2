import Foundation
import HTTPServer
import Market

/// A worker node on the wire.
struct WorkerView: Encodable, Sendable {
    var id: UUID; var accountId: UUID; var name: String; var maxWorkMacs: Int64?; var operators: [String]
    var lastHeartbeat: Date; var suspendedUntil: Date?; var jobsFulfilled: Int64; var jobsRejected: Int64
    var jobsReleased: Int64; var jobsSlashed: Int64; var minPricePerMmac: Int64?
    /// The proof modes it proves.
    var proofModes: [String]
    init(_ w: Worker) {
        proofModes = (w.capabilities.proofModes ?? [.public]).map(\.rawValue)
        id = w.id; accountId = w.accountID; name = w.name; maxWorkMacs = w.capabilities.maxWorkMacs
        operators = w.capabilities.operators; lastHeartbeat = w.lastHeartbeat; suspendedUntil = w.suspendedUntil
        jobsFulfilled = w.jobsFulfilled; jobsRejected = w.jobsRejected; jobsReleased = w.jobsReleased; jobsSlashed = w.jobsSlashed
        minPricePerMmac = w.minPricePerMegaMAC
    }
}

extension MarketAPI {
    /// Worker routes: register, heartbeat, and the open-job long-poll.
    func addWorkerRoutes(_ router: Router) {
        router.post("/v1/workers", bodyBytesMax: limits.jsonBodyBytesMax) { request, _ in
            let p = try await principal(request)
            let body = try body(request, as: RegisterWorkerBody.self)
            let caps = WorkerCapabilities(maxWorkMacs: body.capabilities?.maxWorkMacs, operators: body.capabilities?.operators ?? [],
                                          proofModes: try body.modes())
            return try .json(WorkerView(try await market.registerWorker(by: p, name: body.name, capabilities: caps,
                                                                        minPricePerMegaMAC: body.minPricePerMmac)), status: .created)
        }
        router.post("/v1/workers/{id}/heartbeat", bodyBytesMax: 1024) { request, _ in
            let p = try await principal(request)
            // An empty body is a plain sign of life; a JSON body may change the proof modes.
            let modes = request.body.isEmpty ? nil : try body(request, as: HeartbeatBody.self).modes()
            return try .json(WorkerView(try await market.heartbeat(try uuid(request, "id", unknown: .unknownWorker), by: p,
                                                                   proofModes: modes)))
        }
        router.get("/v1/workers/{id}") { request, _ in
            let p = try await principal(request)
            return try .json(WorkerView(try await market.worker(try uuid(request, "id", unknown: .unknownWorker), by: p)))
        }
        router.get("/v1/market/jobs") { request, _ in
            let p = try await principal(request)
            let jobs = try await market.waitForOpenJobs(timeoutSeconds: try waitSeconds(request), by: p, watcher: watcher,
                                                        limit: try limit(request, default: 100))
            struct OpenJob: Encodable {
                let id: UUID; let modelId: String; let auction: String; let currentPrice: Int64?; let maxPrice: Int64
                let lockStake: Int64; let lockTimeoutS: Int; let deadline: Date; let bidWindowEnd: Date?
                let minPrice: Int64?; let biddingStart: Date?; let rampUpS: Int?; let batchItems: Int; let proofMode: String
            }
            struct Page: Encodable { let jobs: [OpenJob] }
            return try .json(Page(jobs: jobs.map {
                OpenJob(id: $0.id, modelId: $0.modelID, auction: $0.auction, currentPrice: $0.currentPrice, maxPrice: $0.maxPrice,
                        lockStake: $0.lockStake, lockTimeoutS: $0.lockTimeoutSeconds, deadline: $0.deadline, bidWindowEnd: $0.bidWindowEnd,
                        minPrice: $0.minPrice, biddingStart: $0.biddingStart, rampUpS: $0.rampUpSeconds, batchItems: $0.batchItems,
                        proofMode: $0.proofMode.rawValue)
            }))
        }
    }
}
