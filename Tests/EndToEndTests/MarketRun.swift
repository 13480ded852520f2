import Foundation
import HTTPServer
import Postgres
import Testing
import TestSupport

/// A whole market in real processes for one test: `proofmarket serve` on its own database,
/// an admin key from `admin bootstrap`, and helpers that drive the real CLI.
final class MarketRun: @unchecked Sendable {
    let db: TestDatabase
    private(set) var serve: ChildProcess
    let port: Int
    let url: String
    let adminKey: String
    let http = HTTPClient()
    /// The CLI's config folder for this run (`PROOFMARKET_CONFIG_DIR`): its pinned coordinator
    /// keys, apart from the user's and from other runs'.
    let configDir = FileManager.default.temporaryDirectory.appendingPathComponent("pm-e2e-config-\(UUID().uuidString.prefix(8))").path
    private var children: [ChildProcess] = []

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("InferenceTests/Fixtures")
    /// The product's own bundled models (`models/`), such as the demo's digits MLP.
    static let productModels = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models")

    private let sweepIntervalSeconds: Double

    private init(db: TestDatabase, serve: ChildProcess, port: Int, adminKey: String, sweepIntervalSeconds: Double) {
        self.db = db
        self.serve = serve
        self.port = port
        self.sweepIntervalSeconds = sweepIntervalSeconds
        self.url = "http://127.0.0.1:\(port)"
        self.adminKey = adminKey
    }

    /// Starts a coordinator on a fresh database, on a free port, sweeping every
    /// `sweepIntervalSeconds` (expired locks, closed bid windows, deadlines).
    static func start(sweepIntervalSeconds: Double = 0.2) async throws -> MarketRun {
        let db = try await TestDatabase.make()
        let port = try freePort()
        let bootstrap = try await ChildProcess.run("bootstrap", ["admin", "bootstrap", "--database-url", db.configuration.connectionString])
        guard bootstrap.status == 0, let keyLine = bootstrap.output.split(separator: "\n").first(where: { $0.hasPrefix("admin key") }),
              let key = keyLine.split(separator: " ").last else {
            throw ChildError.exited("admin bootstrap failed: \(bootstrap.output)")
        }
        let serve = try startServe(db: db, port: port, sweepIntervalSeconds: sweepIntervalSeconds)
        _ = try await serve.waitForLine(containing: "proofmarket coordinator on")
        return MarketRun(db: db, serve: serve, port: port, adminKey: String(key), sweepIntervalSeconds: sweepIntervalSeconds)
    }

    private static func startServe(db: TestDatabase, port: Int, sweepIntervalSeconds: Double) throws -> ChildProcess {
        try ChildProcess("serve", ["serve", "--database-url", db.configuration.connectionString, "--port", String(port),
                                   "--sweep-interval-seconds", String(sweepIntervalSeconds)])
    }

    /// A funded client, funded workers with the given names, and the digits model registered:
    /// the cast every end-to-end scenario starts from.
    struct Cast {
        let client: (id: String, key: String)
        let workers: [(id: String, key: String)]
        let model: String
    }

    func cast(workers names: [String]) async throws -> Cast {
        let client = try await account("client", "e2e-client", deposit: 10_000_000)
        var workers: [(id: String, key: String)] = []
        for name in names { workers.append(try await account("worker", "e2e-\(name)", deposit: 1_000_000)) }
        return Cast(client: client, workers: workers, model: try await uploadModel(key: client.key))
    }

    /// Kills the coordinator with SIGKILL and starts it again on the same port and database.
    func restartCoordinatorHard() async throws {
        serve.signal(SIGKILL)
        try await serve.wait()
        serve = try Self.startServe(db: db, port: port, sweepIntervalSeconds: sweepIntervalSeconds)
        _ = try await serve.waitForLine(containing: "proofmarket coordinator on")
    }

    /// Runs the CLI against this coordinator with `key`.
    func cli(_ arguments: [String], key: String) async throws -> (status: Int32, output: String) {
        try await ChildProcess.run(arguments.first ?? "cli", arguments,
                                   environment: ["PROOFMARKET_COORDINATOR": url, "PROOFMARKET_API_KEY": key,
                                                 "PROOFMARKET_CONFIG_DIR": configDir])
    }

    /// Creates a funded account through the CLI; returns its id and key.
    func account(_ kind: String, _ owner: String, deposit: Int64) async throws -> (id: String, key: String) {
        let created = try await cli(["admin", "accounts", "create", "--kind", kind, "--owner", owner], key: adminKey)
        let lines = created.output.split(separator: "\n")
        guard created.status == 0, let idLine = lines.first(where: { $0.hasPrefix("account") }),
              let keyLine = lines.first(where: { $0.hasPrefix("api key") }) else {
            throw ChildError.exited("accounts create failed: \(created.output)")
        }
        let id = String(idLine.split(separator: " ")[1])
        let key = String(keyLine.split(separator: " ").last ?? "")
        let funded = try await cli(["admin", "deposit", id, String(deposit)], key: adminKey)
        guard funded.status == 0 else { throw ChildError.exited("deposit failed: \(funded.output)") }
        return (id, key)
    }

    /// Uploads a fixture model (by default the small digits MLP; an absolute path names any file)
    /// as `key`'s client; returns the model id.
    func uploadModel(key: String, file: String = "mlp_small.onnx") async throws -> String {
        let path = file.hasPrefix("/") ? file : Self.fixtures.appendingPathComponent(file).path
        let result = try await cli(["client", "models", "upload", path], key: key)
        guard result.status == 0, let id = result.output.split(separator: "\n").first(where: { $0.count == 64 }) else {
            throw ChildError.exited("upload failed: \(result.output)")
        }
        return String(id)
    }

    /// Starts a worker process.
    func worker(_ name: String, key: String, extra: [String] = []) throws -> ChildProcess {
        let child = try ChildProcess(name, ["worker", "--name", name, "--min-price-per-mmac", "1000000", "--log-level", "info"] + extra,
                                     environment: ["PROOFMARKET_COORDINATOR": url, "PROOFMARKET_API_KEY": key])
        children.append(child)
        return child
    }

    /// Starts a worker that reads its key from `keyFile` (no key in its environment or argv).
    func worker(_ name: String, keyFile: String) throws -> ChildProcess {
        let child = try ChildProcess(name, ["worker", "--name", name, "--min-price-per-mmac", "1000000", "--log-level", "info",
                                            "--api-key-file", keyFile], environment: ["PROOFMARKET_COORDINATOR": url])
        children.append(child)
        return child
    }

    /// Writes the `index`th test digit as an input file; returns its path and true label.
    func inputFile(_ index: Int) throws -> (path: String, label: Int) {
        struct Sample: Decodable { let pixelScale: Double; let pixels: [[Double]]; let labels: [Int] }
        let sample = try JSONDecoder().decode(Sample.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("digits_sample.json")))
        let values = sample.pixels[index].map { $0 * sample.pixelScale }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pm-input-\(UUID().uuidString.prefix(8)).json").path
        try JSONSerialization.data(withJSONObject: ["shape": [1, 64], "values": values]).write(to: URL(fileURLWithPath: path))
        return (path, sample.labels[index])
    }

    /// Posts a job through the CLI; returns its id.
    func submit(key: String, model: String, input: String, auction: String, lockTimeoutS: Int = 10) async throws -> String {
        var arguments = ["client", "jobs", "submit", "--model", model, "--input", input, "--auction", auction,
                         "--min-price", "1000", "--max-price", "100000", "--lock-timeout-s", String(lockTimeoutS),
                         "--deadline-s", "300", "--lock-stake", "5000"]
        arguments += auction == "dutch" ? ["--ramp-up-s", "2"] : ["--bid-window-s", "2"]
        let result = try await cli(arguments, key: key)
        guard result.status == 0, let id = result.output.split(separator: "\n").last(where: { UUID(uuidString: String($0)) != nil }) else {
            throw ChildError.exited("submit failed: \(result.output)")
        }
        return String(id)
    }

    /// A job as the admin sees it.
    struct JobState: Decodable { let status: String; let lockedBy: UUID?; let attempt: Int; let output: Output? }
    struct Output: Decodable { let argmax: Int?; let clampedInput: Int?; let clampedInModel: Int? }

    /// Waits (with long-polls) until the job is in one of `statuses`.
    func waitForJob(_ id: String, _ statuses: Set<String>, seconds: Double = 90) async throws -> JobState {
        let deadline = Date().addingTimeInterval(seconds)
        var headers = HTTPHeaders()
        headers["Authorization"] = "Bearer \(adminKey)"
        // Until a status is seen, the long-poll waits for a change from whatever the job's is.
        var last: String?
        while Date() < deadline {
            do {
                let query = "wait=2" + (last.map { "&status=\($0)" } ?? "")
                let response = try await http.execute(HTTPClientRequest(method: .get, url: "\(url)/v1/jobs/\(id)?\(query)",
                                                                        headers: headers, timeoutSeconds: 10))
                if response.status.code == 200 {
                    let job = try JSONCoding.decoder.decode(JobState.self, from: Data(response.body))
                    if statuses.contains(job.status) { return job }
                    last = job.status
                }
            } catch {
                try await Task.sleep(nanoseconds: 200_000_000)   // the coordinator may be restarting
            }
        }
        throw ChildError.timeout("job \(id) did not reach \(statuses) within \(seconds) s (last \(last ?? "unknown"))")
    }

    /// The ledger auditor's verdict through the CLI.
    func ledgerIntact() async throws -> Bool {
        try await cli(["admin", "ledger", "verify"], key: adminKey).status == 0
    }

    /// Ledger entries of `kind` for `job` (read from the database directly).
    func entries(kind: String, job: String? = nil) async throws -> Int {
        var sql = "SELECT count(*) AS n FROM ledger_entries WHERE kind = $1"
        var parameters: [PostgresValue] = [.text(kind)]
        if let job { sql += " AND job_id = $2"; parameters.append(.text(job)) }
        return try await db.pool.query(sql, parameters).first?.decode("n", as: Int.self) ?? -1
    }

    /// Stops every process this run started.
    func stop() async {
        for child in children { child.signal(SIGKILL); _ = try? await child.wait(seconds: 10) }
        serve.signal(SIGTERM)
        _ = try? await serve.wait(seconds: 20)
        await http.shutdown()
        try? FileManager.default.removeItem(atPath: configDir)
    }

    /// A TCP port nothing listens on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ChildError.spawn("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

