import Foundation
import Inference
import Testing

/// The real `proofmarket` binary on inputs 300 times the digits': `infer` warns on standard
/// error with the clamp count, `--refuse-clamped` refuses with `clamped_values`, and a model
/// imported with calibrated scales (`--fraction-bits auto --calibration`) does neither.
@Suite struct ClampReportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model = root.appendingPathComponent("models/digits-mlp.onnx").path

    /// The `proofmarket` binary beside the test bundle (both built by `swift build --build-tests`).
    static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("proofmarket").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return root.appendingPathComponent(".build/debug/proofmarket").path
    }

    struct Run { let status: Int32; let stdout: String; let stderr: String }

    /// Runs the binary to its end.
    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    struct Sample: Decodable { let pixelScale: Double; let pixels: [[Double]] }

    /// The sample's digits times 300.
    static let scaled: [[Double]] = {
        guard let data = try? Data(contentsOf: root.appendingPathComponent("models/digits-sample.json")),
              let sample = try? JSONDecoder().decode(Sample.self, from: data) else { return [] }
        return sample.pixels.map { $0.map { $0 * sample.pixelScale * 300 } }
    }()

    /// A temporary file holding `object` as JSON.
    static func file(_ object: Any) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pm-clamp-\(UUID().uuidString.prefix(8)).json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func input(_ i: Int) throws -> String { try file(["shape": [1, 64], "values": scaled[i]]) }
    static func calibration() throws -> String { try file(Array(scaled.prefix(32))) }

    @Test func infer_WarnsWithTheClampCount_AndStillAnswers() throws {
        let input = try Self.input(3)
        let result = try Self.run(["infer", "--model", Self.model, "--input", input])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("argmax"), "\(result.stdout)")
        // The count is the engine's own, input and model together.
        let m = try ONNXImporter.importModel(Array(try Data(contentsOf: URL(fileURLWithPath: Self.model))))
        let (x, clamped) = try m.spec.quantizeInputCountingClamps(floats: Self.scaled[3], shape: [1, 64])
        let inside = try m.run(x).saturated
        #expect(clamped > 0)
        #expect(result.stderr.contains("warning: \(clamped + inside) value(s) clamped to the model's range (\(clamped) in the input, \(inside) inside the model)"),
                "\(result.stderr)")
    }

    @Test func infer_RefuseClamped_ExitsWithItsCode() throws {
        let result = try Self.run(["infer", "--model", Self.model, "--input", try Self.input(3), "--refuse-clamped"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("clamped_values:"), "\(result.stderr)")
        #expect(!result.stdout.contains("argmax"))
    }

    @Test func infer_WithCalibratedScales_NeitherWarnsNorRefuses() throws {
        let calibration = try Self.calibration()
        for i in [3, 40, 77] {
            let result = try Self.run(["infer", "--model", Self.model, "--input", try Self.input(i), "--fraction-bits", "auto",
                                       "--calibration", calibration, "--refuse-clamped"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(!result.stderr.contains("warning"), "\(result.stderr)")
            #expect(result.stdout.contains("argmax"))
        }
    }

    @Test func modelInspect_ShowsEachTensorsScaleAndRange() throws {
        let result = try Self.run(["model", "inspect", Self.model, "--calibration", try Self.calibration()])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tensor t0 (input) [1, 64] scale 2^-5, range [-32768, 32767] = real [-1024.0, 1023.96875]"),
                "\(result.stdout)")
        #expect(result.stdout.contains("tensor t1 [1, 32] scale 2^-"))
        let plain = try Self.run(["model", "inspect", Self.model])
        #expect(plain.stdout.contains("tensor t0 (input) [1, 64] scale 2^-8, range [-32768, 32767] = real [-128.0, 127.99609375]"),
                "\(plain.stdout)")
    }

    @Test func modelInspect_ReportsMovedTreeThresholds() throws {
        // The iris decision tree with two calibration values either side of its root's
        // threshold (petal width 0.8 as float32), closer than the input's quantum.
        let tree = Self.root.appendingPathComponent("Tests/InferenceTests/Fixtures/sklearn/tree_iris.onnx").path
        let t = Float(0.8)
        let even = try Self.file([[5.1, 3.5, 1.4, 0.2], [6.3, 2.9, 5.6, 1.8]])
        let close = try Self.file([[5.1, 3.5, 1.4, Double(t.nextDown)], [5.1, 3.5, 1.4, Double(t.nextUp)], [6.3, 2.9, 5.6, 1.8]])
        let fine = try Self.run(["model", "inspect", tree, "--calibration", even])
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(fine.stdout.contains("0 threshold(s) moved across a calibration value (2 calibration input(s))"), "\(fine.stdout)")
        let moved = try Self.run(["model", "inspect", tree, "--calibration", close])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout.contains("1 threshold(s) moved across a calibration value (3 calibration input(s))"), "\(moved.stdout)")
        #expect(moved.stdout.contains("tree 0 node 0 feature 3: threshold \(Double(t))"), "\(moved.stdout)")
    }

    @Test func calibratedCommitment_ProvesAndVerifies_AndIsAnotherModel() throws {
        let calibration = try Self.calibration()
        let dir = FileManager.default.temporaryDirectory.path
        let tag = UUID().uuidString.prefix(8)
        let (commitment, proof) = ("\(dir)/pm-\(tag).commitment", "\(dir)/pm-\(tag).proof")
        let committed = try Self.run(["model", "commit", Self.model, "--out", commitment, "--fraction-bits", "auto", "--calibration", calibration])
        #expect(committed.status == 0, "\(committed.stderr)")
        let plain = try Self.run(["model", "commit", Self.model, "--out", "\(dir)/pm-\(tag)-plain.commitment"])
        #expect(committed.stdout != plain.stdout)
        let input = try Self.input(5)
        let proved = try Self.run(["prove", "--model", Self.model, "--input", input, "--context", "job-1:worker-1:n-1",
                                   "--out", proof, "--commitment", commitment, "--refuse-clamped"])
        #expect(proved.status == 0, "\(proved.stderr)")
        let verified = try Self.run(["verify", "--commitment", commitment, "--input", input, "--proof", proof, "--context", "job-1:worker-1:n-1"])
        #expect(verified.status == 0 && verified.stdout.contains("VALID"), "\(verified.stdout)")
        // With the plain scales the same input clamps, and `prove --refuse-clamped` refuses it.
        let refused = try Self.run(["prove", "--model", Self.model, "--input", input, "--context", "job-1:worker-1:n-1",
                                    "--out", proof, "--refuse-clamped"])
        #expect(refused.status == 1 && refused.stderr.contains("clamped_values"), "\(refused.stderr)")
    }

    @Test func badQuantisationFlags_AreRefusedClearly() throws {
        let bad = try Self.run(["infer", "--model", Self.model, "--input", try Self.input(0), "--fraction-bits", "lots"])
        #expect(bad.status != 0 && bad.stderr.contains("--fraction-bits must be a number of bits or `auto`"), "\(bad.stderr)")
        let wide = try Self.run(["infer", "--model", Self.model, "--input", try Self.input(0), "--activation-bits", "40"])
        #expect(wide.status != 0 && wide.stderr.contains("invalid_quantization"), "\(wide.stderr)")
        let fixed = try Self.run(["infer", "--model", Self.model, "--input", try Self.input(0), "--fraction-bits", "8",
                                  "--calibration", try Self.calibration()])
        #expect(fixed.status != 0 && fixed.stderr.contains("invalid_quantization"), "\(fixed.stderr)")
    }
}
