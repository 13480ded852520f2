import Foundation
import Testing

/// A model registered with calibration inputs 300 times the digits', in real processes: the
/// worker proves it with the registered scales, the receipt checks offline against the ONNX
/// file, and the clamp counts and `--refuse-clamped` behave as documented.
@Suite(.serialized, .timeLimit(.minutes(5))) struct CalibratedModelTests {
    /// The sample's digits times 300.
    static func scaled() throws -> [[Double]] {
        struct Sample: Decodable { let pixelScale: Double; let pixels: [[Double]] }
        let sample = try JSONDecoder().decode(Sample.self, from: Data(contentsOf: MarketRun.fixtures.appendingPathComponent("digits_sample.json")))
        return sample.pixels.map { $0.map { $0 * sample.pixelScale * 300 } }
    }

    static func file(_ object: Any) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pm-e2e-\(UUID().uuidString.prefix(8)).json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func calibratedModel_IsProvenWithItsScales_AndClampsAreReported() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["a"])
        let scaled = try Self.scaled()
        let onnx = MarketRun.fixtures.appendingPathComponent("mlp_small.onnx").path
        let uploaded = try await run.cli(["client", "models", "upload", onnx, "--fraction-bits", "auto",
                                          "--calibration", try Self.file(Array(scaled.prefix(32)))], key: cast.client.key)
        let calibrated = try #require(uploaded.output.split(separator: "\n").first { $0.count == 64 }.map(String.init), "\(uploaded.output)")
        #expect(calibrated != cast.model)
        _ = try run.worker("a", key: cast.workers[0].key)
        let input = try Self.file(["shape": [1, 64], "values": scaled[40]])

        // The calibrated model holds the input: fulfilled, nothing clamped, even when refusing clamps.
        let refusing = try await run.cli(["client", "jobs", "submit", "--model", calibrated, "--input", input, "--max-price", "100000",
                                          "--min-price", "1000", "--ramp-up-s", "2", "--lock-timeout-s", "10", "--deadline-s", "300",
                                          "--lock-stake", "5000", "--refuse-clamped"], key: cast.client.key)
        let job = try #require(refusing.output.split(separator: "\n").last { UUID(uuidString: String($0)) != nil }.map(String.init), "\(refusing.output)")
        let done = try await run.waitForJob(job, ["fulfilled", "expired", "cancelled"])
        #expect(done.status == "fulfilled")
        #expect(done.output?.clampedInput == 0 && done.output?.clampedInModel == 0)

        // Its receipt checks offline, the ONNX file included (re-imported with the committed scales).
        let receipt = FileManager.default.temporaryDirectory.appendingPathComponent("pm-receipt-\(job).json").path
        let saved = try await run.cli(["client", "jobs", "receipt", job, "--out", receipt], key: cast.client.key)
        #expect(saved.status == 0, "\(saved.output)")
        let verified = try await run.cli(["client", "receipt", "verify", receipt, "--model", onnx], key: cast.client.key)
        #expect(verified.status == 0 && verified.output.contains("VALID"), "\(verified.output)")

        // The plain model clamps the same input: reported with the output, refused on request.
        let plain = try await run.submit(key: cast.client.key, model: cast.model, input: input, auction: "dutch")
        let clamped = try await run.waitForJob(plain, ["fulfilled", "expired", "cancelled"])
        #expect(clamped.status == "fulfilled")
        #expect((clamped.output?.clampedInput ?? 0) > 0, "\(String(describing: clamped.output))")
        // Its receipt carries the counts, which the offline check recomputes from the proof.
        let plainReceipt = FileManager.default.temporaryDirectory.appendingPathComponent("pm-receipt-\(plain).json").path
        #expect(try await run.cli(["client", "jobs", "receipt", plain, "--out", plainReceipt], key: cast.client.key).status == 0)
        let genuine = try await run.cli(["client", "receipt", "verify", plainReceipt], key: cast.client.key)
        #expect(genuine.status == 0 && genuine.output.contains("VALID"), "\(genuine.output)")
        var bundle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plainReceipt))) as? [String: Any])
        var signed = try #require(bundle["receipt"] as? [String: Any])
        var output = try #require(signed["output"] as? [String: Any])
        #expect(output["clamped_input"] as? Int == clamped.output?.clampedInput)
        output["clamped_input"] = 0
        signed["output"] = output
        bundle["receipt"] = signed
        let hidden = plainReceipt + ".hidden.json"
        try JSONSerialization.data(withJSONObject: bundle).write(to: URL(fileURLWithPath: hidden))
        let refusedReceipt = try await run.cli(["client", "receipt", "verify", hidden], key: cast.client.key)
        #expect(refusedReceipt.status == 1 && refusedReceipt.output.contains("clamp_count_mismatch"), "\(refusedReceipt.output)")
        let refused = try await run.cli(["client", "jobs", "submit", "--model", cast.model, "--input", input, "--max-price", "100000",
                                         "--lock-stake", "5000", "--refuse-clamped"], key: cast.client.key)
        #expect(refused.status != 0 && refused.output.contains("input_clamped"), "\(refused.output)")
        #expect(try await run.ledgerIntact())
    }
}
