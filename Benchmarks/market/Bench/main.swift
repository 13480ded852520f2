// market-bench: the full market cycle — create job → lock → prove → submit proof → settle —
// over HTTP with N concurrent workers against an embedded PostgreSQL, in one process.
// Prints cycles/s, p50/p99 per endpoint and the verification time (for the CPU ceiling).
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
LoggingSystem.bootstrap { label in var h = StreamLogHandler.standardError(label: label); h.logLevel = .warning; return h }

var options = EmbeddedPostgres.Options()
options.dataDirectory = args[1]
options.durable = false
let cluster = EmbeddedPostgres(options: options)
let configuration = try await cluster.start()
defer { cluster.stop() }
try await Migrator(directory: URL(fileURLWithPath: "migrations")).migrate(configuration)
print("pg \(configuration)")

var limits = ConnectionPool.Limits()
limits.maximumConnections = 24
let pool = ConnectionPool(configuration: configuration, limits: limits)
var marketConfiguration = MarketConfiguration()
marketConfiguration.verificationThreads = ProcessInfo.processInfo.activeProcessorCount
marketConfiguration.verificationQueueMax = 4 * workerCount
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

// Verification time alone (median of 50), for the CPU ceiling.
let verifier = InferenceProofVerifier()
var verifyTimes: [Double] = []
for i in 0..<50 {
    let x = try quantized.quantizeInput(floats: inputs[i % inputs.count], shape: quantized.spec.inputShape)
    let (_, proof) = try InferenceProver.prove(model: quantized, commitment: commitment, input: x,
                                               context: InferenceProofVerifier.context(jobID: UUID(), workerID: UUID(), nonce: "n"))
    let request = VerificationRequest(jobID: UUID(), workerID: UUID(), nonce: "n", modelID: modelID,
                                      commitment: commitment.encoded, input: Tensor(shape: quantized.spec.inputShape, values: inputs[i % inputs.count]), proof: proof)
    let t = ContinuousClock.now
    _ = verifier.verify(request)
    verifyTimes.append(Double((ContinuousClock.now - t) / .microseconds(1)) / 1000)
}
verifyTimes.sort()
let verifyMs = verifyTimes[verifyTimes.count / 2]

// The cycle, per worker, until time is up.
let latencies = Mutex<[String: [Double]]>([:])
let cycles = Atomic<Int>(0)
let failures = Atomic<Int>(0)
let client = HTTPClient()
let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
func timed(_ name: String, _ request: HTTPClientRequest) async throws -> HTTPClientResponse {
    let t = ContinuousClock.now
    let response = try await client.execute(request)
    let ms = Double((ContinuousClock.now - t) / .microseconds(1)) / 1000
    latencies.withLock { $0[name, default: []].append(ms) }
    return response
}
func json(_ value: [String: Any]) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: value)) }
func object(_ r: HTTPClientResponse) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]) ?? [:] }
let started = ContinuousClock.now
await withTaskGroup(of: Void.self) { group in
    for (index, worker) in workers.enumerated() {
        group.addTask {
            var n = index
            while ContinuousClock.now < deadline {
                n += workerCount
                let input = inputs[n % inputs.count]
                let body: [String: Any] = ["model_id": modelID, "input": ["shape": quantized.spec.inputShape, "values": input],
                                           "auction": "dutch", "min_price": 1_000, "max_price": 1_000, "lock_timeout_s": 60,
                                           "deadline_s": 600, "lock_stake": 100]
                do {
                    let created = try await timed("POST /v1/jobs", HTTPClientRequest(method: .post, url: base + "/v1/jobs",
                        headers: ["Authorization": "Bearer \(clientKey)", "Content-Type": "application/json"], body: json(body)))
                    guard created.status.code == 201, let jobID = object(created)["id"] as? String else { failures.add(1, ordering: .relaxed); continue }
                    let locked = try await timed("POST /v1/jobs/{id}/lock", HTTPClientRequest(method: .post, url: base + "/v1/jobs/\(jobID)/lock",
                        headers: ["Authorization": "Bearer \(worker.key)"], body: json(["worker_id": worker.id.uuidString])))
                    guard locked.status.code == 201, let nonce = object(locked)["nonce"] as? String else { failures.add(1, ordering: .relaxed); continue }
                    let x = try quantized.quantizeInput(floats: input, shape: quantized.spec.inputShape)
                    let context = InferenceProofVerifier.context(jobID: UUID(uuidString: jobID)!, workerID: worker.id, nonce: nonce)
                    let proof = try InferenceProver.prove(model: quantized, commitment: commitment, input: x, context: context).proof
                    let settled = try await timed("POST /v1/jobs/{id}/proof", HTTPClientRequest(method: .post, url: base + "/v1/jobs/\(jobID)/proof",
                        headers: ["Authorization": "Bearer \(worker.key)"],
                        body: json(["worker_id": worker.id.uuidString, "proof": Data(proof).base64EncodedString()])))
                    if settled.status.code == 200 { cycles.add(1, ordering: .relaxed) } else { failures.add(1, ordering: .relaxed) }
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
print(String(format: "workers %d, %.1f s: %d cycles, %d failed, %.1f cycles/s; ledger intact: %@",
             workerCount, elapsed, cycles.load(ordering: .relaxed), failures.load(ordering: .relaxed), rate, report.isIntact ? "yes" : "NO"))
print(String(format: "verify median %.2f ms -> CPU ceiling %.0f cycles/s (%d cores)", verifyMs, Double(cores) * 1000 / verifyMs, cores))
for (name, values) in latencies.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
    let v = values.sorted()
    print(String(format: "  %-28@ n=%6d p50 %7.2f ms  p99 %7.2f ms", name as NSString, v.count, v[v.count / 2], v[min(v.count - 1, v.count * 99 / 100)]))
}
print("CYCLES_PER_SECOND \(rate)")
print("VERIFY_MS \(verifyMs)")
await client.shutdown()
await server.shutdown()
watcher.stop()
pool.close()
