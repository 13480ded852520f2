// market-bench: the full market cycle — create job → lock → prove → submit proof → settle —
// over HTTP with N concurrent workers against an embedded PostgreSQL, in one process.
// Prints cycles/s, p50/p99 per endpoint and the verification time (for the CPU ceiling).
// With BATCH=B (B > 1) every job is a batch of B inputs proven in one proof, and the figure is
// verified inferences per second end to end (B per cycle).
// Usage: market-bench <data-dir> <model.onnx> <digits_sample.json> <workers> <seconds>
import API
import Foundation
import HTTPServer
import Inference
import Logging
import Market
import Postgres
import Synchronization

let args = CommandLine.arguments
guard args.count == 6, let workerCount = Int(args[4]), let seconds = Double(args[5]) else {
    FileHandle.standardError.write(Data("usage: market-bench <data-dir> <model.onnx> <digits_sample.json> <workers> <seconds>\n".utf8))
    exit(2)
}
/// Inputs per job (BATCH, default 1).
let batch = ProcessInfo.processInfo.environment["BATCH"].flatMap(Int.init) ?? 1
guard (1...4_096).contains(batch) else {
    FileHandle.standardError.write(Data("BATCH must be 1 to 4096\n".utf8))
    exit(2)
}
LoggingSystem.bootstrap { label in var h = StreamLogHandler.standardError(label: label); h.logLevel = .warning; return h }

var options = EmbeddedPostgres.Options()
options.dataDirectory = args[1]
options.durable = true   // as a real market runs, and as pgbench runs after it on the same cluster
let cluster = EmbeddedPostgres(options: options)
let configuration = try await cluster.start()
defer { cluster.stop() }
try await Migrator(directory: URL(fileURLWithPath: "migrations")).migrate(configuration)
print("pg \(configuration)")

var limits = ConnectionPool.Limits()
limits.maximumConnections = 24
let pool = ConnectionPool(configuration: configuration, limits: limits)
var marketConfiguration = MarketConfiguration()
marketConfiguration.verificationQueueMax = 4 * workerCount
if let slots = ProcessInfo.processInfo.environment["SETTLEMENTS"].flatMap(Int.init) { marketConfiguration.settlementsConcurrentMax = slots }
let market = try await Market.open(pool: pool, configuration: marketConfiguration, verifier: InferenceProofVerifier())
let watcher = try await JobWatcher(configuration: configuration)
let api = MarketAPI(market: market, watcher: watcher, importer: InferenceModelImporter())
var serverConfiguration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
serverConfiguration.bodyBytesMax = 4 << 20
let server = HTTPServer(configuration: serverConfiguration, responder: api.responder())
try server.start()
let base = "http://127.0.0.1:\(server.localPort)"

// Accounts, model, workers.
let onnx = Array(try Data(contentsOf: URL(fileURLWithPath: args[2])))
let importer = InferenceModelImporter()
let quantized = try importer.quantizedModel(onnx)
let commitment = try ModelCommitment.commit(quantized)
let adminKey = try await market.bootstrapAdmin(force: true)
let admin = try await market.authenticate(key: adminKey.key)
let modelID = try await market.registerModel(id: importer.digest(of: onnx), owner: admin.accountID, name: "digits",
                                             onnx: onnx, facts: try importer.importModel(onnx)).model.id
struct Sample: Decodable { let pixelScale: Double; let pixels: [[Double]] }
let sample = try JSONDecoder().decode(Sample.self, from: Data(contentsOf: URL(fileURLWithPath: args[3])))
let inputs = sample.pixels.map { $0.map { $0 * sample.pixelScale } }
let clientAccount = try await market.createAccount(kind: .client, owner: "bench-client")
let clientKey = try await market.issueKey(accountID: clientAccount.id, role: .client).key
_ = try await market.deposit(by: admin, to: clientAccount.id, amount: 900_000_000_000)
var workers: [(key: String, id: UUID)] = []
for i in 0..<workerCount {
    let account = try await market.createAccount(kind: .worker, owner: "bench-\(i)")
    let key = try await market.issueKey(accountID: account.id, role: .worker)
    let p = try await market.authenticate(key: key.key)
    _ = try await market.deposit(by: admin, to: account.id, amount: 1_000_000_000)
    workers.append((key.key, try await market.registerWorker(by: p, name: "bench-\(i)", capabilities: WorkerCapabilities()).id))
}

/// The job input starting at sample `first`: one input, or a batch of `batch` samples side by side.
func jobInput(_ first: Int) -> Tensor {
    guard batch > 1 else { return Tensor(shape: quantized.spec.inputShape, values: inputs[first % inputs.count]) }
    let items = (0..<batch).map { inputs[(first + $0) % inputs.count] }
    return Tensor(shape: [batch] + quantized.spec.inputShape.dropFirst(), values: items.flatMap { $0 })
}

// Verification time alone (median of 50 jobs, 5 for batches), for the CPU ceiling.
let verifier = InferenceProofVerifier()
var verifyTimes: [Double] = []
// The workers prove in this process too, on the same cores: their proving time is measured
// alongside, since it shares the CPU with the coordinator.
var proveTimes: [Double] = []
for i in 0..<(batch > 1 ? 5 : 50) {
    let input = jobInput(i)
    let x = try quantized.quantizeInput(floats: input.values, shape: input.shape)
    let (jobID, workerID) = (UUID(), UUID())
    let proving = ContinuousClock.now
    let (_, proof) = try InferenceProver.prove(model: quantized, commitment: commitment, input: x,
                                               context: InferenceProofVerifier.context(jobID: jobID, workerID: workerID, nonce: "n"))
    proveTimes.append(Double((ContinuousClock.now - proving) / .microseconds(1)) / 1000)
    let request = VerificationRequest(jobID: jobID, workerID: workerID, nonce: "n", modelID: modelID,
                                      commitment: commitment.encoded, input: input, proof: proof)
    let t = ContinuousClock.now
    let outcome = verifier.verify(request)
    verifyTimes.append(Double((ContinuousClock.now - t) / .microseconds(1)) / 1000)
    guard case .valid = outcome else {
        FileHandle.standardError.write(Data("a proof for the CPU ceiling did not verify: \(outcome)\n".utf8))
        exit(1)
    }
}
verifyTimes.sort()
let verifyMs = verifyTimes[verifyTimes.count / 2]
proveTimes.sort()
let proveMs = proveTimes[proveTimes.count / 2]

/// The database work of one cycle as a pgbench script, built from the market's own statements
/// (`NamedQuery.all`) in the order the market runs them: the reads of each request (worker,
/// job; keys are remembered) and the three transactions (create with escrow; lock with stake;
/// settlement). pgbench runs it with prepared statements, as the market does; the client,
/// worker and model are fixed, each run makes and settles a new job.
@MainActor func pgbenchScript() async throws -> String {
    let queries = Dictionary(uniqueKeysWithValues: NamedQuery.all.map { ($0.name, $0.sql) })
    func statement(_ name: String, _ arguments: [String], gset: Bool = false) throws -> String {
        guard let template = queries[name] else { throw PostgresError(.decoding, "no named query \(name)") }
        // Each whole `$n` token is replaced (so `$2` never eats the start of `$22`); a
        // statement that gained parameters must not reach pgbench with one left unfilled.
        var sql = "", rest = Substring(template)
        while let dollar = rest.firstIndex(of: "$") {
            sql += rest[..<dollar]
            let digits = rest[rest.index(after: dollar)...].prefix { $0.isASCII && $0.isNumber }
            guard let n = Int(digits) else { sql += "$"; rest = rest[rest.index(after: dollar)...]; continue }
            guard n >= 1, n <= arguments.count else {
                throw PostgresError(.decoding, "named query \(name) has more parameters than the \(arguments.count) given")
            }
            sql += arguments[n - 1]
            rest = rest[digits.endIndex...]
        }
        sql += rest
        return sql.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            + (gset ? "\n\\gset" : ";")
    }
    let input = String(decoding: try JSONEncoder().encode(Tensor(shape: quantized.spec.inputShape, values: inputs[0])), as: UTF8.self)
    let now = "now()"
    let model = "'\(modelID)'"
    /// A pgbench variable stays bare; an id becomes a literal.
    func quoted(_ value: String) -> String { value.hasPrefix(":") ? value : "'\(value)'" }
    // (from, from bucket, to, to bucket, amount, kind, attempt)
    typealias Row = (String, String, String, String, Int64, String, Int)
    func ledger(_ rows: [Row]) throws -> String {
        func column(_ values: [String], _ type: String) -> String { "ARRAY[\(values.joined(separator: ","))]::\(type)[]" }
        return try statement("LedgerInsert", [
            column(rows.map { quoted($0.0) }, "uuid"), column(rows.map { "'\($0.1)'" }, "text"),
            column(rows.map { quoted($0.2) }, "uuid"), column(rows.map { "'\($0.3)'" }, "text"),
            column(rows.map { "\($0.4)" }, "bigint"), column(rows.map { "'\($0.5)'" }, "text"),
            column(rows.map { _ in ":id" }, "uuid"), column(rows.map { "\($0.6)" }, "integer"),
            "ARRAY[\(rows.map { _ in "NULL" }.joined(separator: ","))]::text[]",
        ])
    }
    let client = clientAccount.id.uuidString.lowercased()
    // Each pgbench client plays its own worker (as each benchmark worker is), chosen below.
    let worker = ":worker"
    let workerAccount = ":worker_account"
    let fees = market.platform.fees.uuidString.lowercased()
    let fee = MarketConfiguration.share(1_000, basisPoints: marketConfiguration.feeBasisPoints)
    // The market sends its notifications after the commit, many per statement (see `Notifier`),
    // so the transitions' own statements carry no channel.
    let record = try statement("JobEventRecord", [":id", now, "'created'", "'{}'", "NULL", "'bench'", "'{}'"])
    return [
        "-- One market cycle's SQL, written by market-bench from the market's named queries.",
        "SELECT id AS worker, account_id AS worker_account FROM workers ORDER BY created_at, id OFFSET CAST(:client_id AS integer) % \(workers.count) LIMIT 1",
        "\\gset",
        // POST /v1/jobs
        // Ready models and keys found valid are remembered by the market (see `KeyCache`), so
        // no cycle reads one.
        "BEGIN;",
        try statement("JobInsert", ["'\(client)'", model, "'\(input)'", "'dutch'", "1000", "1000", now, "0", "0", "60", "100",
                                    "\(marketConfiguration.feeBasisPoints)", "\(1_000 + fee)", "now() + interval '1 hour'", now,
                                    "1000", "NULL", "NULL", "'allow'", "1", "gen_random_uuid()", "'public'", "false"], gset: true),
        record,
        try ledger([(client, "available", client, "held", 1_000 + fee, "escrow_hold", 0)]),
        "COMMIT;",
        // POST /v1/jobs/{id}/lock
        "BEGIN;",
        try statement("WorkerByIDForUpdate", [worker]), try statement("JobByID", [":id"]),
        try statement("JobCountLocksByWorker", [worker]),
        try statement("JobLockIfOpen", [":id", worker, "1000", "now() + interval '60 seconds'", "'n'", now, "0"]),
        try statement("BidInsert", [":id", worker, "1", "'lock'", "1000", now]),
        record,
        try ledger([(workerAccount, "available", workerAccount, "held", 100, "stake_hold", 1)]),
        "COMMIT;",
        // POST /v1/jobs/{id}/proof
        try statement("JobMarkProofReceived", [":id", worker, now, workerAccount]),
        try statement("WorkerByID", [worker]), try statement("JobByID", [":id"]),
        "BEGIN;",
        try statement("JobFulfillIfLocked", [":id", worker, "1", now, "'{}'", "'\\x00'::bytea", "NULL", "1", now]),
        try statement("BidSetLockOutcome", [":id", "1", "'fulfilled'"]),
        try statement("WorkerRecordFulfilled", [worker]),
        record,
        try ledger([(client, "held", workerAccount, "available", 1_000 - fee, "payment", 1),
                    (client, "held", fees, "available", fee, "fee", 1),
                    (client, "held", client, "available", fee, "escrow_refund", 1),
                    (workerAccount, "held", workerAccount, "available", 100, "stake_release", 1)].filter { $0.4 > 0 }),
        "COMMIT;",
    ].joined(separator: "\n") + "\n"
}

// The cycle, per worker, until time is up.
let latencies = Mutex<[String: [Double]]>([:])
let cycles = Atomic<Int>(0)
let failures = Atomic<Int>(0)
let client = HTTPClient()
// A warm-up (connections opened, caches filled, all workers past their first simultaneous
// request) is run but not measured; the measured window follows it.
let warmUpSeconds = ProcessInfo.processInfo.environment["WARMUP"].flatMap(Double.init) ?? 2
let started = ContinuousClock.now + .milliseconds(Int64(warmUpSeconds * 1000))
let deadline = started + .milliseconds(Int64(seconds * 1000))
func timed(_ name: String, _ request: HTTPClientRequest) async throws -> HTTPClientResponse {
    let t = ContinuousClock.now
    let response = try await client.execute(request)
    let ms = Double((ContinuousClock.now - t) / .microseconds(1)) / 1000
    guard t >= started else { return response }
    latencies.withLock { $0[name, default: []].append(ms) }
    if ms > 100, ProcessInfo.processInfo.environment["SLOW"] != nil {
        print("slow \(name) \(String(format: "%.1f", ms)) ms at \(String(format: "%.3f", Double((t - started) / .microseconds(1)) / 1e6)) s")
    }
    return response
}
// The client side is kept lean, so the measurement is of the coordinator: each job body is
// encoded once, and answers are decoded into just the fields the worker needs.
struct JobBody: Encodable {
    let modelId: String; let input: Tensor; let auction = "dutch"; let minPrice = 1_000; let maxPrice = 1_000
    let lockTimeoutS = 60; let deadlineS = 600; let lockStake = 100
}
let snakeCase: JSONEncoder = { let e = JSONEncoder(); e.keyEncodingStrategy = .convertToSnakeCase; return e }()
let jobBodies = try inputs.indices.map { Array(try snakeCase.encode(JobBody(modelId: modelID, input: jobInput($0)))) }
let quantizedInputs = try inputs.indices.map { let t = jobInput($0); return try quantized.quantizeInput(floats: t.values, shape: t.shape) }
struct Created: Decodable { let id: String }
struct Locked: Decodable { let nonce: String }
func decoded<T: Decodable>(_ type: T.Type, _ r: HTTPClientResponse) -> T? { try? JSONDecoder().decode(type, from: Data(r.body)) }
await withTaskGroup(of: Void.self) { group in
    for (index, worker) in workers.enumerated() {
        group.addTask {
            var n = index
            while ContinuousClock.now < deadline {
                n += workerCount
                let sample = n % inputs.count
                do {
                    let created = try await timed("POST /v1/jobs", HTTPClientRequest(method: .post, url: base + "/v1/jobs",
                        headers: ["Authorization": "Bearer \(clientKey)", "Content-Type": "application/json"], body: jobBodies[sample]))
                    guard created.status.code == 201, let jobID = decoded(Created.self, created)?.id else { failures.add(1, ordering: .relaxed); continue }
                    let locked = try await timed("POST /v1/jobs/{id}/lock", HTTPClientRequest(method: .post, url: base + "/v1/jobs/\(jobID)/lock",
                        headers: ["Authorization": "Bearer \(worker.key)"], body: Array(#"{"worker_id":"\#(worker.id.uuidString)"}"#.utf8)))
                    guard locked.status.code == 201, let nonce = decoded(Locked.self, locked)?.nonce else { failures.add(1, ordering: .relaxed); continue }
                    let x = quantizedInputs[sample]
                    let context = InferenceProofVerifier.context(jobID: UUID(uuidString: jobID)!, workerID: worker.id, nonce: nonce)
                    let proof = try InferenceProver.prove(model: quantized, commitment: commitment, input: x, context: context).proof
                    let settled = try await timed("POST /v1/jobs/{id}/proof", HTTPClientRequest(method: .post, url: base + "/v1/jobs/\(jobID)/proof",
                        headers: ["Authorization": "Bearer \(worker.key)"],
                        body: Array(#"{"worker_id":"\#(worker.id.uuidString)","proof":"\#(Data(proof).base64EncodedString())"}"#.utf8)))
                    let measured = ContinuousClock.now >= started
                    if settled.status.code != 200 { failures.add(1, ordering: .relaxed) } else if measured { cycles.add(1, ordering: .relaxed) }
                } catch {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
    }
}
let elapsed = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
let report = try await market.verifyLedger()
let rate = Double(cycles.load(ordering: .relaxed)) / elapsed
let cores = ProcessInfo.processInfo.activeProcessorCount
print(String(format: "workers %d, %.1f s measured after a %.0f s warm-up: %d cycles, %d failed, %.1f cycles/s; ledger intact: %@",
             workerCount, elapsed, warmUpSeconds, cycles.load(ordering: .relaxed), failures.load(ordering: .relaxed), rate, report.isIntact ? "yes" : "NO"))
print(String(format: "verify median %.2f ms -> CPU ceiling %.0f cycles/s (%d cores)", verifyMs, Double(cores) * 1000 / verifyMs, cores))
print(String(format: "prove median %.2f ms (the benchmark's workers prove on the same cores: verify + prove -> %.0f cycles/s)",
             proveMs, Double(cores) * 1000 / (verifyMs + proveMs)))
for (name, values) in latencies.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
    let v = values.sorted()
    let padded = name.padding(toLength: 28, withPad: " ", startingAt: 0)
    print("  \(padded) n=\(v.count) p50 \(String(format: "%.2f", v[v.count / 2])) ms  p99 \(String(format: "%.2f", v[min(v.count - 1, v.count * 99 / 100)])) ms")
}
print("CYCLES_PER_SECOND \(rate)")
if batch > 1 {
    print(String(format: "batch %d: %.1f verified inferences/s end to end (create → lock → prove → verify → settle); CPU ceiling %.0f/s",
                 batch, rate * Double(batch), Double(cores) * 1000 / verifyMs * Double(batch)))
    print("VERIFIED_INFERENCES_PER_SECOND \(rate * Double(batch))")
}
try await pgbenchScript().write(toFile: args[1] + "/pgbench.sql", atomically: true, encoding: .utf8)
print("VERIFY_MS \(verifyMs)")
await client.shutdown()
await server.shutdown()
watcher.stop()
pool.close()
