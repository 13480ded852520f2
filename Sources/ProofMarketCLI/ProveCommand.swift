import ArgumentParser
import Inference

/// `proofmarket prove --model MODEL.onnx --input INPUT.json --context JOB:WORKER:NONCE --out PROOF`.
///
/// Imports and commits the model (or reads `--commitment` to skip committing), runs the exact
/// integer model, proves the run bound to the context, writes the proof and prints the output.
struct ProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Run a model on an input and prove the output, bound to a job context."
    )

    @Option(help: "Path to the ONNX model.")
    var model: String

    @Option(help: "Path to the input JSON: {\"shape\": [...], \"values\": [...]}.")
    var input: String

    @Option(help: "Binding context JOB:WORKER:NONCE.")
    var context: String

    @Option(help: "Where to write the proof.")
    var out: String

    @Option(help: "A commitment file from `model commit`, to skip re-committing the model.")
    var commitment: String?

    func run() throws {
        let context = try ContextArgument.parse(self.context)
        let m = try FileInput.model(model)
        let c = try commitment.map { try FileInput.commitment($0) } ?? ModelCommitment(committing: m)
        let x = try InputTensor.load(input).quantized(for: m.spec)
        let (y, proof) = try InferenceProver.prove(model: m, commitment: c, input: x, context: context)
        try FileOutput.write(proof, to: out)
        print(OutputFormat.line(m.spec, y))
        print("proof \(proof.count) bytes → \(out) (model \(c.modelID))")
    }
}
