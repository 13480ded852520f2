import ArgumentParser
import Inference

/// `proofmarket model …`: registering-side operations on an ONNX model.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect or commit to an ONNX model.",
        subcommands: [ModelCommitCommand.self, ModelInspectCommand.self]
    )
}

/// `proofmarket model commit MODEL.onnx --out COMMITMENT`: what registration computes.
///
/// The commitment file holds everything a verifier needs about the model except its weights
/// (the description, the bound, the weight commitment); its model id is printed.
struct ModelCommitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Quantise a model, commit to its weights, write the commitment and print the model id."
    )

    @Argument(help: "Path to the ONNX model.")
    var model: String

    @Option(help: "Where to write the commitment.")
    var out: String

    func run() throws {
        let commitment = try ModelCommitment(committing: FileInput.model(model))
        try FileOutput.write(commitment.encoded, to: out)
        print(commitment.modelID)
    }
}

/// `proofmarket model inspect MODEL.onnx`: what the importer made of a model.
struct ModelInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Import and quantise a model; print its digest, layers and accumulator bounds."
    )

    @Argument(help: "Path to the ONNX model.")
    var model: String

    func run() throws {
        let m = try FileInput.model(model)
        let c = m.spec.config
        print("digest \(m.digestHex)")
        print("input \(m.spec.inputShape) at 2^-\(c.activationFractionBits), weights at 2^-\(c.weightFractionBits), activations \(c.activationBits)-bit")
        for (k, layer) in m.spec.layers.enumerated() {
            let kind: String
            switch layer.kind {
            case .dense: kind = "dense"
            case .convolution(let g): kind = "conv \(g.kernelHeight)x\(g.kernelWidth)/\(g.strideHeight)"
            }
            let steps = layer.prepare.map { step -> String in
                switch step {
                case .maxPool(let g): "maxpool \(g.kernelHeight)x\(g.kernelWidth)"
                case .averagePool(let g): "avgpool \(g.kernelHeight)x\(g.kernelWidth)"
                case .clamp(let lo, let hi): "clamp [\(lo), \(hi)]"
                }
            }
            let prefix = steps.isEmpty ? "" : steps.joined(separator: ", ") + " → "
            print("layer \(k): \(prefix)\(kind) \(layer.rows)×\(layer.inner)×\(layer.positions), clamp [\(layer.activation.lo), \(layer.activation.hi)], |z| < 2^\(layer.accumulatorBits)")
        }
    }
}
