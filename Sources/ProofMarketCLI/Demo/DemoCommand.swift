import ArgumentParser
import BundledAssets
import Foundation
import HTTPServer
import Logging
import Market
import Postgres

/// `proofmarket demo`: the whole market on one machine — an embedded PostgreSQL, the
/// coordinator, two prover nodes with different floors, and a client posting jobs on the
/// bundled digits model — then a report, the ledger and its audit.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run coordinator, two workers and a client on one machine, on real digits; print what happened and the ledger.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var database: DatabaseOptions

    /// Inputs of the one batch job posted beside the single ones (fewer if the model takes fewer).
    static let batchItems = 8

    @Option(help: "Jobs to post, alternating Dutch and sealed auctions (default: 20).")
    var jobs: Int = 20

    @Option(help: "The ONNX model to use (default: the bundled digits MLP).")
    var model: String?

    @Option(help: "Seconds to wait for every job before giving up (default: 120).")
    var timeoutSeconds: Double = 120

    func validate() throws {
        guard (1...500).contains(jobs) else { throw ValidationError("--jobs must be 1 to 500") }
    }

    func run() async throws {
        let logger = global.bootstrapLogging(quietExcept: "proofmarket.prover")
        let started = Date()
        let modelBytes = try model.map { try FileInput.read($0, limit: 64 << 20) } ?? BundledAssets.demoModel
        let samples = try DigitsSample.decode(BundledAssets.digitsSample)
        say("starting the embedded PostgreSQL and the coordinator")
        let session = try await database.openFresh(databaseName: "proofmarket_demo", logger: logger)
        if let embedded = session.embedded { say("embedded PostgreSQL in \(embedded.dataDirectory) (log: \(embedded.dataDirectory)/postgres.log)") }
        var settings = Coordinator.Settings()
        settings.port = 0
        settings.sweepIntervalSeconds = 0.5
        let coordinator = try await Coordinator.start(session: session, settings: settings,
                                                      migrator: try database.migrator(), logger: logger)
        let serving = Task { try await coordinator.server.run() }
        _ = serving
        Termination.shared.onExit { coordinator.stopBlocking() }
        defer { Termination.shared.runAll() }
        let url = "http://127.0.0.1:\(coordinator.port)"
        say("coordinator on \(url)")

        // Accounts: an admin (bootstrapped on the database), a client and two workers, funded.
        let adminKey = try await coordinator.market.bootstrapAdmin(owner: "demo-admin", force: true).key
        let admin = CoordinatorClient(baseURL: url, apiKey: adminKey)
        let clientAccount: WireCreatedAccount = try await admin.call(.post, "/v1/admin/accounts", body: ["kind": "client", "owner": "demo-client"])
        try await deposit(admin, clientAccount.id, 1_000_000_000)
        var nodes: [(name: String, node: ProverNode, task: Task<Void, Error>)] = []
        for (name, floor) in [("prover-a", Int64(4_000_000)), ("prover-b", Int64(9_000_000))] {
            let account: WireCreatedAccount = try await admin.call(.post, "/v1/admin/accounts", body: ["kind": "worker", "owner": name])
            try await deposit(admin, account.id, 50_000_000)
            var settings = ProverNode.Settings(name: name, policy: WorkerPolicy(minPricePerMegaMAC: floor))
            settings.pollWaitSeconds = 1
            let node = ProverNode(client: CoordinatorClient(baseURL: url, apiKey: account.apiKey), settings: settings,
                                  logger: Logger(label: "proofmarket.\(name)"))
            nodes.append((name, node, Task { try await node.run() }))
            say("\(name) joined with a floor of \(floor) µc per million multiply-accumulates")
        }

        // The client registers the model and posts jobs on real test digits.
        let client = CoordinatorClient(baseURL: url, apiKey: clientAccount.apiKey)
        var registered: WireModel = try await client.upload("/v1/models?name=digits-mlp", bytes: modelBytes,
                                                            contentType: "application/octet-stream")
        while registered.status == "processing" {
            try await Task.sleep(nanoseconds: 100_000_000)
            registered = try await client.call(.get, "/v1/models/\(registered.id)")
        }
        guard registered.status == "ready" else { throw ValidationError("the model was refused: \(registered.failure ?? "")") }
        say("model \(registered.id.prefix(12))… ready: \(registered.workMacs ?? 0) multiply-accumulates per inference")
        // Every fourth job (the second of each four) asks for a private proof (zero knowledge) when the model is private-ready.
        let privateReady = registered.privateReady == true
        if privateReady { say("the model is private-ready: every fourth job asks for a private proof") }
        var posted: [(id: UUID, auction: String, mode: String, label: Int)] = []
        for index in 0..<jobs {
            let sample = samples[index % samples.count]
            let auction = index % 2 == 0 ? "dutch" : "sealed"
            let mode = privateReady && index % 4 == 1 ? "private" : "public"
            let job: WireJob = try await client.call(.post, "/v1/jobs", body: WireCreateJob(
                modelId: registered.id, input: WireTensor(shape: registered.inputShape ?? [1, 64], values: sample.input),
                auction: auction, minPrice: 100_000, maxPrice: mode == "private" ? 8_000_000 : 2_000_000, rampUpS: auction == "dutch" ? 4 : nil,
                bidWindowS: auction == "sealed" ? 2 : nil, lockTimeoutS: 30, deadlineS: 120, lockStake: 500_000, proofMode: mode),
                idempotencyKey: "demo-\(started.timeIntervalSince1970)-\(index)")
            posted.append((job.id, auction, mode, sample.label))
        }
        // Beside them, one batch job: several digits in one job, proven together in one proof.
        // (A model that is not batchable takes one input per job: then there is no batch job.)
        let batchItems = min(Self.batchItems, registered.batchInputsMax ?? 1)
        let batchSamples = (0..<batchItems).map { samples[$0 % samples.count] }
        var batch: WireJob?
        if batchItems > 1 {
            batch = try await client.call(.post, "/v1/jobs", body: WireCreateJob(
                modelId: registered.id, inputs: batchSamples.map { WireTensor(shape: registered.inputShape ?? [1, 64], values: $0.input) },
                auction: "dutch", minPrice: 100_000 * Int64(batchItems), maxPrice: 2_000_000 * Int64(batchItems), rampUpS: 4,
                bidWindowS: nil, lockTimeoutS: 60, deadlineS: 180, lockStake: 500_000),
                idempotencyKey: "demo-\(started.timeIntervalSince1970)-batch")
        }
        // And one private job that hides its input: its receipt is checked without the input.
        let hidden = privateReady
            ? try await Self.postHiddenInputJob(client, model: registered, sample: samples[0],
                                                idempotencyKey: "demo-\(started.timeIntervalSince1970)-hidden")
            : nil
        let privateCount = posted.filter { $0.mode == "private" }.count
        say("posted \(jobs) jobs (Dutch and sealed, \(privateCount) of them private)\(batch == nil ? "" : " and a batch job of \(batchItems) digits")"
            + "\(hidden == nil ? "" : " and a private job hiding its input"); waiting for proofs")

        // Wait for every job, with long-polls.
        let follower = JobFollower(client: client, waitSeconds: 5)
        var finished: [WireJob] = []
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        for entry in posted {
            let job = try await withTimeout(deadline) { try await follower.follow(entry.id) }
            finished.append(job)
        }
        var batchDone: WireJob?
        var batchPredictions: [Int?] = []
        if let batch {
            let done = try await withTimeout(deadline) { try await follower.follow(batch.id) }
            batchDone = done
            if done.status == "fulfilled" {
                let page: WireOutputPage = try await client.call(.get, "/v1/jobs/\(batch.id)/outputs?limit=\(batchItems)")
                batchPredictions = page.outputs.map(\.output.argmax)
            }
        }
        var hiddenDone: WireJob?
        if let hidden { hiddenDone = try await withTimeout(deadline) { try await follower.follow(hidden.id) } }
        for entry in nodes { await entry.node.stop() }
        for entry in nodes { _ = try? await entry.task.value }

        // The report.
        let workerNames = try await workerNameMap(admin: admin, nodes: nodes.map(\.node))
        print("")
        print("JOB       AUCTION  MODE     STATUS     PRICE µc   WORKER     PROVE ms  VERIFY ms  PREDICTED  TRUE DIGIT")
        var correct = 0
        for (entry, job) in zip(posted, finished) {
            let predicted = job.output?.argmax
            if predicted == entry.label { correct += 1 }
            let worker = job.lockedBy.flatMap { workerNames[$0] } ?? "-"
            print("\(job.id.short)  \(entry.auction.padded(8)) \(entry.mode.padded(8)) \(job.status.padded(10)) \(String(job.lockPrice ?? 0).padded(10)) \(worker.padded(10)) \(String(job.proveMs ?? 0).padded(9)) \(String(job.verifyMs ?? 0).padded(10)) \((predicted.map(String.init) ?? "-").padded(10)) \(entry.label)")
        }
        let fulfilled = finished.filter { $0.status == "fulfilled" }.count
        print("")
        let privateFulfilled = zip(posted, finished).filter { $0.0.mode == "private" && $0.1.status == "fulfilled" }.count
        print("fulfilled \(fulfilled)/\(jobs) (private \(privateFulfilled)/\(privateCount)); predictions matching the true digit \(correct)/\(jobs)")
        if let batchDone {
            let batchCorrect = zip(batchPredictions, batchSamples).filter { $0.0 == $0.1.label }.count
            print("batch job \(batchDone.id.short): \(batchDone.status) at \(batchDone.lockPrice ?? 0) µc, \(batchItems) inputs in one proof "
                  + "(prove \(batchDone.proveMs ?? 0) ms, verify \(batchDone.verifyMs ?? 0) ms); predictions "
                  + "\(batchPredictions.map { $0.map(String.init) ?? "-" }.joined(separator: " ")), matching the true digit \(batchCorrect)/\(batchItems)")
        }
        if let hiddenDone {
            print(try await Self.checkHiddenInputReceipt(client, job: hiddenDone, key: try await coordinator.market.coordinatorKey().publicKey))
        }
        for entry in nodes {
            let t = await entry.node.tally
            print("\(entry.name): locked \(t.locked), bids \(t.bids), paid \(t.paid), earned \(t.earned) µc")
        }

        // The ledger.
        let page: WireLedgerPage = try await admin.call(.get, "/v1/admin/ledger?limit=500")
        var byKind: [String: (count: Int, amount: Int64)] = [:]
        for e in page.entries { byKind[e.kind, default: (0, 0)].count += 1; byKind[e.kind, default: (0, 0)].amount += e.amount }
        print("")
        print("LEDGER KIND          ENTRIES  MICRO-CREDITS")
        for kind in byKind.keys.sorted() {
            print("\(kind.padded(20)) \(String(byKind[kind]?.count ?? 0).padded(8)) \(byKind[kind]?.amount ?? 0)")
        }
        let report: WireLedgerReport = try await admin.call(.get, "/v1/admin/ledger/verify")
        print("")
        print("ledger verification: \(report.intact ? "INTACT" : "BROKEN") — \(report.entries) entries, balances sum to \(report.balanceSum), \(report.negativeAccounts) negative accounts, \(report.replayMismatches.count) replay mismatches, \(report.chainBreaks.count) chain breaks")
        print(String(format: "demo finished in %.1f s", Date().timeIntervalSince(started)))
        await client.http.shutdown()
        guard fulfilled == jobs, batchDone.map({ $0.status == "fulfilled" }) ?? true, hiddenDone.map({ $0.status == "fulfilled" }) ?? true,
              report.intact else { throw ExitCode(1) }
    }

    private func deposit(_ admin: CoordinatorClient, _ account: UUID, _ amount: Int64) async throws {
        _ = try await admin.send(.post, "/v1/admin/accounts/\(account)/deposit", body: ["amount": amount],
                                 idempotencyKey: "demo-deposit-\(account)")
    }

    private func workerNameMap(admin: CoordinatorClient, nodes: [ProverNode]) async throws -> [UUID: String] {
        var names: [UUID: String] = [:]
        for node in nodes {
            if let id = await node.workerIDForReport, let name = await node.name { names[id] = name }
        }
        return names
    }

    private func say(_ text: String) {
        FileHandle.standardError.write(Data("demo: \(text)\n".utf8))
    }
}

/// Runs `body`, failing with a clear error if `deadline` passes first.
func withTimeout<T: Sendable>(_ deadline: Date, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(max(0, deadline.timeIntervalSinceNow) * 1e9))
            throw ValidationError("timed out waiting for the jobs to finish")
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

/// The demo's test digits (`models/digits-sample.json`, built into the program).
struct DigitsSample {
    let input: [Double]
    let label: Int

    static func decode(_ bytes: [UInt8]) throws -> [DigitsSample] {
        struct File: Decodable { let pixelScale: Double; let pixels: [[Double]]; let labels: [Int] }
        let file = try JSONDecoder().decode(File.self, from: Data(bytes))
        let samples = zip(file.pixels, file.labels).map { DigitsSample(input: $0.map { $0 * file.pixelScale }, label: $1) }
        guard !samples.isEmpty else { throw ValidationError("the built-in digits sample is empty") }
        return samples
    }
}
