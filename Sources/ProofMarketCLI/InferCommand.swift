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

    @OptionGroup var quantisation: QuantisationFlags

    @Flag(help: "Refuse (exit 1, code clamped_values) an input that the model's scales would clamp, in the input or inside the model.")
    var refuseClamped = false

    func run() throws {
        let m = try FileInput.model(model, quantisation)
        let tensor = try InputTensor.load(input)
        let (x, clamped) = try m.spec.quantizeInputCountingClamps(floats: tensor.values, shape: tensor.shape)
        let traces = try m.runBatch(x)
        try ClampReport.check(input: clamped, inModel: traces.reduce(0) { $0 + $1.saturated }, refuse: refuseClamped)
        print(OutputFormat.line(m.spec, traces.flatMap(\.output)))
    }
}
