import ArgumentParser
import Inference

/// `proofmarket infer --model MODEL.onnx --input INPUT.json`: the exact integer run, no proof.
struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run the quantised integer model on an input and print the output."
    )

    @Option(help: "Path to the ONNX model.")
    var model: String

    @Option(help: "Path to the input JSON: {\"shape\": [...], \"data\": [...]}.")
    var input: String

    func run() throws {
        let m = try FileInput.model(model)
        let x = try InputTensor.load(input).quantized(for: m.spec)
        let y = try m.run(x).output
        print(OutputFormat.line(m.spec, y))
    }
}

/// How the proof commands print a model output.
enum OutputFormat {
    /// `output [..integers..] = [..reals..] argmax N`.
    static func line(_ spec: ModelSpec, _ y: [Int64]) -> String {
        let reals = spec.dequantizeOutput(y).map { String(format: "%.4f", $0) }
        var best = 0
        for i in y.indices where y[i] > y[best] { best = i }
        return "output \(y) = [\(reals.joined(separator: ", "))] argmax \(best)"
    }
}
