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

    @Option(help: "A commitment file from `model commit`, to skip re-committing the model (its scales are used).")
    var commitment: String?

    @Flag(name: .customLong("private"),
          help: "Make a private proof (protocol v2), revealing nothing about the weights or activations; needs --commitment and --material from `model commit --private`.")
    var privateMode = false

    @Option(help: "With --private: the blinding material `model commit --private` wrote for --commitment (without both, a fresh pair is made and written to OUT.commitment and OUT.material).")
    var material: String?

    @Flag(name: .customLong("hide-input"),
          help: "With --private: hide the input too; the proof names a commitment to it, and its opening (the input and blindings) is written to OUT.input-opening for whoever may see the input.")
    var hideInput = false

    @OptionGroup var quantisation: QuantisationFlags

    @Flag(help: "Refuse (exit 1, code clamped_values) an input that the model's scales would clamp, in the input or inside the model.")
    var refuseClamped = false

    func run() throws {
        let context = try ContextArgument.parse(self.context)
        if privateMode { return try ProofCommandError.withCodes { try provePrivately(context) } }
        guard material == nil else { throw ValidationError("--material is for --private proofs") }
        guard !hideInput else { throw ProofCommandError.hideInputNeedsPrivate }
        let committed = try commitment.map { try FileInput.commitment($0) }
        // A commitment fixes the scales; otherwise the flags choose them.
        let m = try committed.map { try ONNXImporter.importModel(FileInput.read(model, limit: InferenceLimits.modelBytesMax), matching: $0.spec) }
            ?? FileInput.model(model, quantisation)
        let c = try committed ?? ModelCommitment(committing: m)
        let tensor = try InputTensor.load(input)
        let (x, clamped) = try m.spec.quantizeInputCountingClamps(floats: tensor.values, shape: tensor.shape)
        let (y, proof, saturated) = try InferenceProver.proveCountingClamps(model: m, commitment: c, input: x, context: context)
        try ClampReport.check(input: clamped, inModel: saturated, refuse: refuseClamped)
        try FileOutput.write(proof, to: out)
        print(OutputFormat.line(m.spec, y))
        print("proof \(proof.count) bytes → \(out) (model \(c.modelID))")
    }

    /// A private proof against the hiding commitment, with the material that opens its blindings.
    private func provePrivately(_ context: BindingContext) throws {
        let onnx = try FileInput.read(model, limit: InferenceLimits.modelBytesMax)
        let m: QuantizedModel, c: PrivateCommitment, blinding: PrivateMaterial
        switch (commitment, material) {
        case let (commitment?, material?):
            c = try FileInput.privateCommitment(commitment)
            blinding = try FileInput.material(material, for: c)
            m = try ONNXImporter.importModel(onnx, matching: c.spec)
        case (nil, nil):
            // A fresh pair, written beside the proof: the commitment for verifiers, the material for later proofs.
            m = try ONNXImporter.importModel(onnx, options: quantisation.options())
            (c, blinding) = try PrivateProver.commit(m)
            try FileOutput.write(c.encoded, to: out + ".commitment")
            try FileOutput.writeSecret(blinding.encoded, to: out + ".material")
        default:
            throw ProofCommandError.privateNeedsCommitment
        }
        let tensor = try InputTensor.load(input)
        let (x, clamped) = try m.spec.quantizeInputCountingClamps(floats: tensor.values, shape: tensor.shape)
        // The clamps inside the model are the prover's to see (the proof does not reveal them).
        let saturated = try m.runBatch(x).reduce(0) { $0 + $1.saturated }
        try ClampReport.check(input: clamped, inModel: saturated, refuse: refuseClamped)
        let (y, proof, opening) = try PrivateProver.prove(model: m, commitment: c, material: blinding, input: x, context: context,
                                                          hideInput: hideInput)
        try FileOutput.write(proof, to: out)
        if let opening { try FileOutput.writeSecret(opening.encoded, to: out + ".input-opening") }
        print(OutputFormat.line(m.spec, y))
        print("private proof \(proof.count) bytes → \(out) (commitment \(c.id))")
        if opening != nil { print("input hidden; its opening → \(out).input-opening") }
    }
}
