import Foundation
import HTTPServer
import Testing

/// The prover's economics and operations through the real binary: `worker benchmark`'s
/// output parsed and its floor recomputed, `worker --init` writing a configuration that
/// `worker --config` runs with, the worker's Prometheus metrics scraped while it works, and
/// `client jobs submit` pricing a job by the market's quote.
@Suite(.serialized, .timeLimit(.minutes(10))) struct WorkerToolsTests {
    /// `cost × 10⁶ ÷ (3600 × rate)`, rounded up: the floor the benchmark must print.
    static func expectedFloor(cost: Int64, rate: Int64) -> Int64 {
        let dividend = Decimal(cost) * 1_000_000, divisor = Decimal(3_600) * Decimal(rate)
        var quotient = dividend / divisor, rounded = Decimal()
        NSDecimalRound(&rounded, &quotient, 0, .up)
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    @Test func benchmark_PrintsTheRatePerCoreAndTheFloorThatCoversACost() async throws {
        let cost: Int64 = 2_500_000_000
        let text = try await ChildProcess.run("bench", ["worker", "benchmark", "--cost-per-core-hour", String(cost), "--repeat", "1"],
                                              seconds: 300)
        #expect(text.status == 0, "\(text.output)")
        let lines = text.output.split(separator: "\n").map(String.init)
        // model NAME: N multiply-accumulates, proof A ms CPU (B ms wall), R multiply-accumulates per second per core (median of 1)
        let model = try #require(lines.first { $0.hasPrefix("model digits-mlp-large: ") }, "\(text.output)")
        let words = model.split(separator: " ").map(String.init)
        let macs = try #require(Int64(words[2])), cpuMs = try #require(Double(words[5])), rate = try #require(Int64(words[11]))
        #expect(macs == 64 * 256 + 256 * 256 + 256 * 10, "the bundled digits MLP, 64 → 256 → 256 → 10")
        #expect(cpuMs > 0 && rate > 0)
        // The rate is the work over the CPU time (printed to a tenth of a millisecond).
        let implied = Double(macs) / (cpuMs / 1000)
        #expect(abs(implied - Double(rate)) / Double(rate) < 0.01 + 0.05 / cpuMs, "\(model)")
        let rateLine = try #require(lines.first { $0.hasPrefix("rate: ") })
        #expect(rateLine.hasPrefix("rate: \(rate) multiply-accumulates per second per core"))
        let floorLine = try #require(lines.first { $0.hasPrefix("floor: ") })
        #expect(floorLine == "floor: --min-price-per-mmac \(Self.expectedFloor(cost: cost, rate: rate)) covers \(cost) micro-credits per core-hour")

        // JSON, for a model named on the command line and the bundled one by file.
        let fixture = MarketRun.fixtures.appendingPathComponent("mlp_small.onnx").path
        let bundled = MarketRun.productModels.appendingPathComponent("digits-mlp-large.onnx").path
        let json = try await ChildProcess.run("bench-json", ["worker", "benchmark", "--format", "json", "--repeat", "2",
                                                             "--cost-per-core-hour", String(cost), "--model", fixture, "--model", bundled],
                                              seconds: 300)
        #expect(json.status == 0, "\(json.output)")
        struct Report: Decodable {
            struct Line: Decodable { let name: String; let workMacs: Int64; let proveCpuMs: Double; let macsPerCoreSecond: Int64 }
            let cores: Int; let models: [Line]; let macsPerCoreSecond: Int64; let costPerCoreHour: Int64?; let minPricePerMmac: Int64?
        }
        let jsonLine = try #require(json.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(json.output)")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let report = try decoder.decode(Report.self, from: Data(jsonLine.utf8))
        #expect(report.models.map(\.name) == ["mlp_small", "digits-mlp-large"] && report.cores >= 1)
        #expect(report.models[0].workMacs == 64 * 32 + 32 * 10 && report.models[1].workMacs == macs)
        #expect(report.macsPerCoreSecond == report.models.map(\.macsPerCoreSecond).min(), "the slowest model sets the floor")
        #expect(report.costPerCoreHour == cost && report.minPricePerMmac == Self.expectedFloor(cost: cost, rate: report.macsPerCoreSecond))

        let refused = try await ChildProcess.run("bench-bad", ["worker", "benchmark", "--repeat", "0"])
        #expect(refused.status != 0 && refused.output.contains("--repeat must be 1 to 50"), "\(refused.output)")
    }

    /// Prometheus text as `name{labels}` → value.
    static func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = value
        }
        return out
    }

    @Test func init_WritesAConfigThatRunReads_AndTheMetricsAreScraped() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["metered"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pm-e2e-worker-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let keyFile = folder + "/key", configFile = folder + "/worker.json"
        try Data((cast.workers[0].key + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        let port = try MarketRun.freePort()

        // Non-interactive (standard input is not a terminal): the flags, over the defaults.
        let written = try await ChildProcess.run("init", ["worker", "--init", "--config", configFile, "--name", "metered",
                                                          "--min-price-per-mmac", "500000", "--metrics-port", String(port),
                                                          "--coordinator", run.url, "--api-key-file", keyFile])
        #expect(written.status == 0 && written.output.contains("wrote the worker configuration to \(configFile)"), "\(written.output)")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configFile))) as? [String: Any])
        #expect(config["name"] as? String == "metered" && config["min_price_per_mmac"] as? Int == 500_000)
        #expect(config["metrics_port"] as? Int == port && config["metrics_host"] as? String == "127.0.0.1")
        #expect(config["coordinator"] as? String == run.url && config["api_key_file"] as? String == keyFile)
        #expect(config["concurrency"] as? Int == 1 && config["max_work_macs"] as? Int == 50_000_000)
        #expect(!(try String(contentsOfFile: configFile, encoding: .utf8)).contains(cast.workers[0].key), "the key itself is never written")
        let mode = try FileManager.default.attributesOfItem(atPath: configFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // Interactive: answers piped in, empty ones keeping the shown value, a bad one asked again.
        let asked = folder + "/asked.json"
        let answers = try await ChildProcess.run("init-asked", ["-c", "printf 'n2\\n\\n\\nlots\\n900\\n\\n\\n\\n' | \"$0\" worker --init --interactive --config \"$1\"",
                                                                ChildProcess.binary, asked], program: "/bin/sh")
        #expect(answers.status == 0 && answers.output.contains("not a valid answer: lots"), "\(answers.output)")
        let interviewed = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: asked))) as? [String: Any])
        #expect(interviewed["name"] as? String == "n2" && interviewed["min_price_per_mmac"] as? Int == 900)
        #expect(interviewed["coordinator"] as? String == "http://127.0.0.1:8080" && interviewed["metrics_port"] == nil)

        // A broken file is refused with the field named.
        let broken = folder + "/broken.json"
        try Data(#"{"concurrency": 0}"#.utf8).write(to: URL(fileURLWithPath: broken))
        let refused = try await ChildProcess.run("config-bad", ["worker", "--config", broken])
        #expect(refused.status != 0 && refused.output.contains("concurrency must be 1 to 64"), "\(refused.output)")

        // The node runs from the file alone: no flag, no key in its environment.
        let node = try ChildProcess("metered", ["worker", "--config", configFile, "--log-level", "info"])
        _ = try await node.waitForLine(containing: "metrics on http://127.0.0.1:\(port)/metrics")
        let registered = try await node.waitForLine(containing: "registered as worker")
        let workerID = try #require(registered.split(separator: " ").first { UUID(uuidString: String($0)) != nil }).lowercased()
        var admin = HTTPHeaders()
        admin["Authorization"] = "Bearer \(run.adminKey)"
        let worker = try JSONSerialization.jsonObject(with: Data(try await run.http.get("\(run.url)/v1/workers/\(workerID)", headers: admin).body)) as? [String: Any]
        #expect(worker?["min_price_per_mmac"] as? Int == 500_000 && worker?["name"] as? String == "metered", "the floor is registered")

        // One job it takes, one below its floor (2 368 multiply-accumulates at 500 000 per million: 1 184 µc).
        let taken = try await run.submit(key: cast.client.key, model: cast.model, input: try run.inputFile(0).path, auction: "dutch")
        let cheap = try await run.cli(["client", "jobs", "submit", "--model", cast.model, "--input", try run.inputFile(1).path,
                                       "--min-price", "0", "--max-price", "1000", "--ramp-up-s", "1", "--deadline-s", "300",
                                       "--lock-stake", "0"], key: cast.client.key)
        #expect(cheap.status == 0, "\(cheap.output)")
        #expect(try await run.waitForJob(taken, ["fulfilled", "expired"]).status == "fulfilled")
        struct Paid: Decodable { let lockPrice: Int64; let feeBps: Int64 }
        let paid = try JSONCoding.decoder.decode(Paid.self, from: Data(try await run.http.get("\(run.url)/v1/jobs/\(taken)", headers: admin).body))
        let payment = paid.lockPrice - paid.lockPrice * paid.feeBps / 10_000

        var metrics: [String: Double] = [:]
        var scraped = ""
        for _ in 0..<100 {
            let response = try await run.http.get("http://127.0.0.1:\(port)/metrics")
            #expect(response.status.code == 200 && response.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            scraped = response.bodyText
            metrics = Self.samples(scraped)
            if metrics["proofmarket_worker_jobs_paid_total"] == 1 && metrics["proofmarket_worker_jobs_skipped_total{reason=\"price_below_floor\"}"] == 1 { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(metrics["proofmarket_worker_jobs_seen_total"] == 2, "\(scraped)")
        #expect(metrics["proofmarket_worker_jobs_skipped_total{reason=\"price_below_floor\"}"] == 1, "\(scraped)")
        #expect(metrics["proofmarket_worker_jobs_locked_total"] == 1 && metrics["proofmarket_worker_jobs_proved_total"] == 1, "\(scraped)")
        #expect(metrics["proofmarket_worker_jobs_paid_total"] == 1 && metrics["proofmarket_worker_jobs_slashed_total"] == 0, "\(scraped)")
        #expect(metrics["proofmarket_worker_earned_microcredits_total"] == Double(payment), "\(scraped)")
        #expect(metrics["proofmarket_worker_proving_seconds_count"] == 1 && metrics["proofmarket_worker_proving_seconds_bucket{le=\"+Inf\"}"] == 1)
        #expect((metrics["proofmarket_worker_proving_seconds_sum"] ?? 0) > 0)
        #expect(metrics["proofmarket_worker_info{worker_id=\"\(workerID)\",name=\"metered\",min_price_per_mmac=\"500000\"}"] == 1, "\(scraped)")

        // The client raises the job the worker left below its floor; the worker looks again and takes it.
        let cheapID = try #require(cheap.output.split(separator: "\n").last { UUID(uuidString: String($0)) != nil }.map(String.init))
        let raised = try await run.cli(["client", "jobs", "raise", cheapID, "--max-price", "100000"], key: cast.client.key)
        #expect(raised.status == 0 && raised.output.contains("max_price 100000"), "\(raised.output)")
        #expect(try await run.waitForJob(cheapID, ["fulfilled", "expired"]).status == "fulfilled")
        for _ in 0..<100 {
            metrics = Self.samples(try await run.http.get("http://127.0.0.1:\(port)/metrics").bodyText)
            if metrics["proofmarket_worker_jobs_paid_total"] == 2 { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        #expect(metrics["proofmarket_worker_jobs_paid_total"] == 2 && metrics["proofmarket_worker_jobs_seen_total"] == 2)
        #expect(metrics["proofmarket_worker_jobs_skipped_total{reason=\"price_below_floor\"}"] == 1, "counted once, at the old maximum")

        // Without --max-price, a job is priced by the quote, which the worker's floor now clears.
        struct Quote: Decodable {
            struct Suggestion: Decodable { let maxPrice: Int64; let minPrice: Int64; let rampUpS: Int?; let basis: String; let workersCleared: Int }
            let jobs: Int; let workersActive: Int; let suggested: Suggestion
        }
        var headers = HTTPHeaders()
        headers["Authorization"] = "Bearer \(cast.client.key)"
        let quote = try JSONCoding.decoder.decode(Quote.self, from: Data(try await run.http.get("\(run.url)/v1/market/quote?model=\(cast.model)", headers: headers).body))
        #expect(quote.jobs == 2 && quote.suggested.basis == "market" && quote.workersActive == 1 && quote.suggested.workersCleared == 1)
        let quoted = try await run.cli(["client", "jobs", "submit", "--model", cast.model, "--input", try run.inputFile(2).path,
                                        "--lock-stake", "0"], key: cast.client.key)
        #expect(quoted.status == 0 && quoted.output.contains("no --max-price: using the market's quote (market;"), "\(quoted.output)")
        #expect(quoted.output.contains("max_price \(quote.suggested.maxPrice) µc"), "\(quoted.output)")
        let quotedID = try #require(quoted.output.split(separator: "\n").last { UUID(uuidString: String($0)) != nil })
        struct Posted: Decodable { let maxPrice: Int64; let minPrice: Int64; let rampUpS: Int }
        let posted = try JSONCoding.decoder.decode(Posted.self, from: Data(try await run.http.get("\(run.url)/v1/jobs/\(quotedID)", headers: headers).body))
        #expect(posted.maxPrice == quote.suggested.maxPrice && posted.minPrice == quote.suggested.minPrice && posted.rampUpS == quote.suggested.rampUpS)
        #expect(try await run.waitForJob(String(quotedID), ["fulfilled", "expired"]).status == "fulfilled", "the quote's price is one the worker takes")
        #expect(try await run.ledgerIntact())
    }
}
