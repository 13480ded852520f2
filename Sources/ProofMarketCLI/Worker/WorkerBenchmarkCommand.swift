import ArgumentParser
import BundledAssets
import Foundation
import Inference
import Market
#if canImport(Glibc)
import Glibc
#endif

/// `proofmarket worker benchmark`: proves the bundled models (or the ones named) on this
/// machine and prints how many multiply-accumulates a core proves per second, and the floor
/// (`--min-price-per-mmac`) that covers what a core-hour costs.
///
/// A core's rate is a model's multiply-accumulates over the CPU time (every thread of this
/// process, user and system) of one proof, the median of `--repeat` proofs; the floor is set
/// by the slowest model, so it covers the cost on every one: cost × 10⁶ ÷ (3600 × rate),
/// rounded up, in integer micro-credits.
struct WorkerBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Prove the bundled models here: multiply-accumulates per second per core, and the floor that covers a cost.")

    @Option(name: .customLong("cost-per-core-hour"),
            help: "What one core-hour costs you, in micro-credits: prints the --min-price-per-mmac that covers it.")
    var costPerCoreHour: Int64?

    @Option(help: "Proofs per model; the median counts (default: 3).")
    var `repeat`: Int = 3

    @Option(name: .customLong("model"), help: ArgumentHelp("An ONNX model to prove instead of the bundled ones (repeatable).", valueName: "file"))
    var models: [String] = []

    @Option(help: "text or json (default: text).")
    var format: String = "text"

    /// The most proofs per model.
    static let repeatMax = 50

    func validate() throws {
        guard (1...Self.repeatMax).contains(self.repeat) else { throw ValidationError("--repeat must be 1 to \(Self.repeatMax)") }
        guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
        if let costPerCoreHour, !(0...1_000_000_000_000).contains(costPerCoreHour) {
            throw ValidationError("--cost-per-core-hour must be 0 to 1000000000000 micro-credits")
        }
    }

    /// One model's measurement.
    struct ModelResult: Codable {
        var name: String
        var workMacs: Int64
        var proveCpuMs: Double
        var proveWallMs: Double
        var macsPerCoreSecond: Int64
    }

    /// The whole report (`--format json`).
    struct Report: Codable {
        var cores: Int
        var `repeat`: Int
        var models: [ModelResult]
        var macsPerCoreSecond: Int64
        var costPerCoreHour: Int64?
        var minPricePerMmac: Int64?
    }

    func run() throws {
        var sources: [(name: String, bytes: [UInt8])] = []
        if models.isEmpty {
            for path in BundledAssets.paths.sorted() where path.hasPrefix("models/") && path.hasSuffix(".onnx") {
                if let bytes = BundledAssets.file(path) { sources.append((Self.stem(path), bytes)) }
            }
        } else {
            for path in models { sources.append((Self.stem(path), try FileInput.read(path, limit: InferenceLimits.modelBytesMax))) }
        }
        guard !sources.isEmpty else { throw ValidationError("no model to prove") }
        var results: [ModelResult] = []
        for source in sources {
            let result = try Self.measure(source.name, source.bytes, repeat: self.repeat)
            results.append(result)
            if format == "text" {
                print("model \(result.name): \(result.workMacs) multiply-accumulates, proof \(Self.ms(result.proveCpuMs)) ms CPU "
                      + "(\(Self.ms(result.proveWallMs)) ms wall), \(result.macsPerCoreSecond) multiply-accumulates per second per core "
                      + "(median of \(self.repeat))")
            }
        }
        let slowest = results.map(\.macsPerCoreSecond).min() ?? 1
        let floor = costPerCoreHour.map { Self.floor(costPerCoreHour: $0, macsPerCoreSecond: slowest) }
        let report = Report(cores: ProcessInfo.processInfo.activeProcessorCount, repeat: self.repeat, models: results,
                            macsPerCoreSecond: slowest, costPerCoreHour: costPerCoreHour, minPricePerMmac: floor)
        if format == "json" {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("rate: \(slowest) multiply-accumulates per second per core (the slowest model; \(report.cores) cores here)")
        if let floor, let cost = costPerCoreHour {
            print("floor: --min-price-per-mmac \(floor) covers \(cost) micro-credits per core-hour")
        } else {
            print("floor: give --cost-per-core-hour (micro-credits) for the --min-price-per-mmac that covers it")
        }
    }

    /// Imports, commits and proves one model `times` times on a fixed input.
    static func measure(_ name: String, _ onnx: [UInt8], repeat times: Int) throws -> ModelResult {
        // The work as the coordinator counts it for the model's quotes and floors.
        let macs = max(1, try InferenceModelImporter().importModel(onnx).workMacs)
        let model = try ONNXImporter.importModel(onnx)
        let commitment = try ModelCommitment.commit(model)
        let count = model.spec.inputShape.reduce(1, *)
        // A fixed pattern in [0, 1) (token ids 0, 1, 2, … for a model that takes ids): the
        // proof's cost does not depend on the values.
        let ids = model.spec.inputRange.upperBound + 1
        let pattern = (0..<count).map { model.spec.integerInput ? Double(Int64($0) % ids) : Double($0 % 17) / 17 }
        let input = try model.quantizeInput(floats: pattern, shape: model.spec.inputShape)
        var cpu: [Double] = []
        var wall: [Double] = []
        for index in 0..<times {
            let context = BindingContext(jobID: "benchmark", workerID: "benchmark", nonce: "\(index)")
            let (cpuStart, wallStart) = (processCPUSeconds(), Date())
            _ = try InferenceProver.prove(model: model, commitment: commitment, input: input, context: context)
            cpu.append(processCPUSeconds() - cpuStart)
            wall.append(Date().timeIntervalSince(wallStart))
        }
        let cpuSeconds = max(1e-6, cpu.sorted()[(times - 1) / 2])
        return ModelResult(name: name, workMacs: macs, proveCpuMs: cpuSeconds * 1000, proveWallMs: wall.sorted()[(times - 1) / 2] * 1000,
                           macsPerCoreSecond: max(1, Int64((Double(macs) / cpuSeconds).rounded(.down))))
    }

    /// The least price per million multiply-accumulates that pays `costPerCoreHour` (micro-credits)
    /// at `macsPerCoreSecond`: cost × 10⁶ ÷ (3600 × rate), rounded up, saturating.
    static func floor(costPerCoreHour cost: Int64, macsPerCoreSecond rate: Int64) -> Int64 {
        let perHour = UInt64(max(1, rate)).multipliedReportingOverflow(by: 3_600)
        guard !perHour.overflow else { return cost > 0 ? 1 : 0 }
        let dividend = UInt64(max(0, cost)).multipliedFullWidth(by: 1_000_000)
        guard dividend.high < perHour.partialValue else { return Int64.max }
        let (quotient, remainder) = perHour.partialValue.dividingFullWidth(dividend)
        let rounded = quotient + (remainder > 0 ? 1 : 0)
        return rounded > UInt64(Int64.max) ? Int64.max : Int64(rounded)
    }

    /// CPU seconds this process has used, on every thread.
    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func stem(_ path: String) -> String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
    private static func ms(_ value: Double) -> String { String(format: "%.1f", value) }
}
