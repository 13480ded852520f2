import Foundation
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

    @Flag(name: .customLong("private"),
          help: "Write a hiding commitment for private proofs (protocol v2; fresh blindings each time) instead of the public one.")
    var privateMode = false

    @Option(name: .customLong("material-out"), help: "With --private: where to write the blinding material, which only the prover may hold.")
    var material: String?

    @OptionGroup var quantisation: QuantisationFlags

    func validate() throws {
        if privateMode && material == nil { throw ValidationError("--private needs --material-out FILE for the blinding material (private_material_required)") }
        if !privateMode && material != nil { throw ValidationError("--material-out is written only with --private") }
    }

    func run() throws {
        let quantised = try FileInput.model(model, quantisation)
        guard privateMode, let material else {
            let commitment = try ModelCommitment(committing: quantised)
            try FileOutput.write(commitment.encoded, to: out)
            print(commitment.modelID)
            return
        }
        let (commitment, blinding) = try ProofCommandError.withCodes { try PrivateProver.commit(quantised) }
        try FileOutput.write(commitment.encoded, to: out)
        try FileOutput.writeSecret(blinding.encoded, to: material)
        print("private commitment \(commitment.id) → \(out) (material → \(material); keep it secret)")
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

    @OptionGroup var quantisation: QuantisationFlags

    func run() throws {
        let imported = try FileInput.modelReporting(model, quantisation)
        let m = imported.model
        let c = m.spec.config
        print("digest \(m.digestHex)")
        let input = m.spec.integerInput
            ? "input \(m.spec.inputShape) token ids 0…\(m.spec.inputRange.upperBound)"
            : "input \(m.spec.inputShape) at 2^-\(m.spec.inputFractionBits)"
        print("\(input), weights at 2^-\(c.weightFractionBits), activations \(c.activationBits)-bit")
        if m.spec.batchable { print("batch: the first input dimension is a batch dimension (up to \(InferenceLimits.batchItemsMax) inputs per proof)") }
        for line in m.spec.describeSteps() { print(line) }
        for line in m.spec.describeTensors() { print(line) }
        print("outputs \(m.spec.outputs.map { "t\($0)" }.joined(separator: ", ")) \(m.spec.outputShapes)")
        if let line = m.spec.describeLabels() { print(line) }
        if let e = m.spec.inputFeatureFractionBits { print("input feature scales \(e.map { "2^\(-$0)" }.joined(separator: ", "))") }
        for report in imported.treeThresholds { for line in Self.describe(report) { print(line) } }
    }

    /// The moved-threshold report of one tree-ensemble step, one line then one per example.
    static func describe(_ r: TreeThresholdReport) -> [String] {
        guard r.checked else {
            return ["tree step '\(r.step)': thresholds not checked (a step before it is not followed in float)"]
        }
        var lines = ["tree step '\(r.step)': \(r.movedCount) threshold(s) moved across a calibration value (\(r.calibrationInputs) calibration input(s))"]
        for m in r.moved {
            lines.append("  tree \(m.tree) node \(m.node) feature \(m.feature): threshold \(m.threshold), quantised \(m.quantisedThreshold), value \(m.value), quantised \(m.quantisedValue)")
        }
        return lines
    }
}
