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

    @Option(help: "Path to the input JSON: {\"shape\": [...], \"values\": [...]}.")
    var input: String

    func run() throws {
        let m = try FileInput.model(model)
        let x = try InputTensor.load(input).quantized(for: m.spec)
        let y = try m.run(x).output
        print(OutputFormat.line(m.spec, y))
    }
}
