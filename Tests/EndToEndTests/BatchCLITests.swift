import Foundation
import Testing

/// Batch jobs through the real binaries: `client jobs submit --inputs` from each file format
/// (JSON array, JSON lines, CSV), proven by a worker process in one proof each, the outputs
/// written as JSON lines and CSV, and the batch receipt checked offline by `receipt verify`.
@Suite(.serialized, .timeLimit(.minutes(8))) struct BatchCLITests {
    /// The first `count` test digits' values.
    static func digits(_ count: Int) throws -> [[Double]] {
        struct Sample: Decodable { let pixelScale: Double; let pixels: [[Double]] }
        let sample = try JSONDecoder().decode(Sample.self, from: Data(contentsOf: MarketRun.fixtures.appendingPathComponent("digits_sample.json")))
        return sample.pixels.prefix(count).map { $0.map { $0 * sample.pixelScale } }
    }

    static func temporary(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("pm-batch-\(UUID().uuidString.prefix(8))\(suffix)").path
    }

    static func write(_ text: String, _ suffix: String) throws -> String {
        let path = temporary(suffix)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func submitFromEachFileFormat_WaitsAndWritesEveryOutput() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["a"])
        _ = try run.worker("a", key: cast.workers[0].key)
        let digits = try Self.digits(5)

        // The same five digits in the three formats: tensors in a JSON array, flat arrays as
        // JSON lines, and flat CSV rows under a header.
        let array = try Self.write(try Self.json(digits.map { ["shape": [1, 64], "values": $0] }), ".json")
        let lines = try Self.write(try digits.map { try Self.json($0) }.joined(separator: "\n") + "\n", ".jsonl")
        let csv = try Self.write((["header"] + (0..<64).map { "p\($0)" }).joined(separator: ",") + "\n"
                                 + digits.map { $0.map { "\($0)" }.joined(separator: ",") }.joined(separator: "\n") + "\n", ".csv")
        var argmaxes: [[Int]] = []
        var jobs: [String] = []
        for (file, results) in [(array, Self.temporary(".jsonl")), (lines, Self.temporary(".csv")), (csv, Self.temporary(".jsonl"))] {
            let submitted = try await run.cli(["client", "jobs", "submit", "--model", cast.model, "--inputs", file, "--max-price", "500000",
                                               "--min-price", "1000", "--ramp-up-s", "2", "--lock-timeout-s", "60", "--deadline-s", "300",
                                               "--lock-stake", "5000", "--wait", "--results", results], key: cast.client.key)
            #expect(submitted.status == 0, "\(submitted.output)")
            #expect(submitted.output.contains("batch      5 inputs"), "\(submitted.output)")
            #expect(submitted.output.contains("5 output(s) written to \(results)"), "\(submitted.output)")
            let job = try #require(submitted.output.split(separator: "\n").first { $0.hasPrefix("job ") }.map { String($0.split(separator: " ").last ?? "") })
            jobs.append(job)
            let text = try String(contentsOfFile: results, encoding: .utf8)
            if results.hasSuffix(".csv") {
                let rows = text.split(separator: "\n")
                #expect(rows.count == 6 && rows[0].hasPrefix("index,argmax,clamped_input,clamped_in_model,v0"), "\(text)")
                argmaxes.append(rows.dropFirst().compactMap { Int($0.split(separator: ",", omittingEmptySubsequences: false)[1]) })
            } else {
                let objects = try text.split(separator: "\n").map {
                    try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                }
                #expect(objects.map { $0["index"] as? Int } == [0, 1, 2, 3, 4], "\(text)")
                argmaxes.append(objects.compactMap { $0["argmax"] as? Int })
            }
        }
        // The three files are the same batch, so the three jobs proved the same outputs.
        #expect(argmaxes.count == 3 && argmaxes.allSatisfy { $0.count == 5 } && Set(argmaxes.map { $0.description }).count == 1, "\(argmaxes)")

        // `client jobs outputs` pages the same outputs; the batch receipt verifies offline.
        let outputs = try await run.cli(["client", "jobs", "outputs", jobs[0], "--format", "csv"], key: cast.client.key)
        #expect(outputs.status == 0 && outputs.output.split(separator: "\n").count >= 6, "\(outputs.output)")
        let receipt = Self.temporary("-receipt.json")
        #expect(try await run.cli(["client", "jobs", "receipt", jobs[0], "--out", receipt], key: cast.client.key).status == 0)
        let verified = try await run.cli(["client", "receipt", "verify", receipt], key: cast.client.key)
        #expect(verified.status == 0 && verified.output.contains("VALID"), "\(verified.output)")

        // A receipt whose per-item clamp counts were edited is refused.
        var bundle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: receipt))) as? [String: Any])
        var signed = try #require(bundle["receipt"] as? [String: Any])
        var output = try #require(signed["output"] as? [String: Any])
        output["clamped_in_model_by_item"] = [0, 0, 0, 0, 7]
        signed["output"] = output
        bundle["receipt"] = signed
        let edited = Self.temporary("-edited.json")
        try JSONSerialization.data(withJSONObject: bundle).write(to: URL(fileURLWithPath: edited))
        let refused = try await run.cli(["client", "receipt", "verify", edited], key: cast.client.key)
        #expect(refused.status != 0 && refused.output.contains("clamp_count_mismatch"), "\(refused.output)")
        #expect(try await run.ledgerIntact())
    }
}
