import Foundation
import Inference

/// The real `ProofVerifier`: checks a v1 inference proof against the model's commitment,
/// bound to the job, the worker and the lock's nonce (see `InferenceProtocol`).
///
/// Decoded commitments are kept (by their bytes' digest), since decoding curve points costs
/// more than some checks. The verifier never traps on proof bytes: every failure comes back
/// as `.rejected` with the inference layer's stable code.
public final class InferenceProofVerifier: ProofVerifier {
    private let commitments = BoundedCache<String, ModelCommitment>(capacity: InferenceProofVerifier.cachedCommitmentsMax)
    /// Commitments kept decoded at once.
    public static let cachedCommitmentsMax = 64

    /// Creates a verifier.
    public init() {}

    /// The binding a prover must use for this lock (the worker passes it to `InferenceProver.prove`).
    public static func context(jobID: UUID, workerID: UUID, nonce: String) -> BindingContext {
        BindingContext(jobID: jobID.uuidString.lowercased(), workerID: workerID.uuidString.lowercased(), nonce: nonce)
    }

    /// Checks one proof.
    public func verify(_ r: VerificationRequest) -> VerificationOutcome {
        switch prepare(r) {
        case .finished(let outcome): return outcome
        case .prepared(let p):
            return p.proof.opening.verify() ? p.outcome : Self.rejection(.commitmentOpeningFailed)
        }
    }

    /// Checks several proofs: each one's every check but the final multi-scalar
    /// multiplication, then one multiplication for all of them with fresh random weights
    /// (`InferenceVerifier.verifyTogether`, which halves the set to find a failing proof).
    /// Each outcome is the one `verify` gives that request alone.
    public func verify(together requests: [VerificationRequest]) -> [VerificationOutcome] {
        var outcomes = [VerificationOutcome?](repeating: nil, count: requests.count)
        var waiting: [(index: Int, prepared: Prepared)] = []
        for (i, r) in requests.enumerated() {
            switch prepare(r) {
            case .finished(let outcome): outcomes[i] = outcome
            case .prepared(let p): waiting.append((i, p))
            }
        }
        let verdicts = InferenceVerifier.verifyTogether(waiting.map(\.prepared.proof))
        for ((i, p), error) in zip(waiting, verdicts.errors) {
            outcomes[i] = error.map(Self.rejection) ?? p.outcome
        }
        return outcomes.map { $0 ?? Self.rejection(.commitmentOpeningFailed) }
    }

    /// A proof through every check but its opening, with the outcome it has if that holds.
    private struct Prepared {
        let proof: PreparedProof
        let outcome: VerificationOutcome
    }

    private enum Preparation {
        case finished(VerificationOutcome)
        case prepared(Prepared)
    }

    private static func rejection(_ error: ProofVerificationError) -> VerificationOutcome {
        .rejected(reason: error.code, message: "the proof does not verify: \(error)")
    }

    private func prepare(_ r: VerificationRequest) -> Preparation {
        let commitment: ModelCommitment
        do {
            commitment = try decoded(r.commitment)
        } catch {
            return .finished(.rejected(reason: "commitment_invalid", message: "the model's stored commitment does not decode: \(error)"))
        }
        let input: [Int64], clampedInput: Int
        do {
            (input, clampedInput) = try commitment.spec.quantizeInputCountingClamps(floats: r.input.values, shape: r.input.shape)
        } catch {
            return .finished(.rejected(reason: "input_invalid", message: "the job's input does not fit the model: \(error.code)"))
        }
        let context = Self.context(jobID: r.jobID, workerID: r.workerID, nonce: r.nonce)
        do {
            let p = try InferenceVerifier.prepare(commitment: commitment, input: input, proof: r.proof, context: context)
            let values = commitment.spec.dequantizeOutput(p.output)
            let labels = commitment.spec.labels == nil ? nil : commitment.spec.labels(forOutput: p.output).map { label -> OutputLabel in
                switch label {
                case .integer(let v): .integer(v)
                case .string(let s): .string(s)
                }
            }
            let items = p.saturatedByItem.count
            guard items > 1 else {
                let output = VerifiedOutput(shape: [1, p.output.count], quantised: p.output, values: values,
                                            clampedInput: clampedInput, clampedInModel: p.saturated, labels: labels)
                return .prepared(Prepared(proof: p, outcome: .valid(output)))
            }
            // A batch: its outputs side by side, with each item's clamp counts and labels.
            let inputByItem = InputClamps.byItem(r.input, spec: commitment.spec, items: items)
            let output = VerifiedOutput(shape: [items, p.output.count / items], quantised: p.output, values: values,
                                        clampedInput: clampedInput, clampedInModel: p.saturated,
                                        clampedInputByItem: inputByItem, clampedInModelByItem: p.saturatedByItem, labels: labels)
            return .prepared(Prepared(proof: p, outcome: .valid(output)))
        } catch {
            return .finished(Self.rejection(error))
        }
    }

    private func decoded(_ bytes: [UInt8]) throws -> ModelCommitment {
        let key = Crypto.hex(Crypto.sha256(bytes))
        if let hit = commitments[key] { return hit }
        let commitment = try ModelCommitment(decoding: bytes)
        commitments.keep(commitment, for: key)
        return commitment
    }
}

/// The quantisation an uploader asks for (`POST /v1/models`): every part optional.
public struct ModelQuantisation: Sendable, Equatable {
    /// Total signed width of an activation (default 16).
    public var activationBits: Int?
    /// Fraction bits of the activations, or nil for `auto` (the default: 8 without
    /// calibration inputs, `auto` with them).
    public var fractionBits: Int?
    /// Whether `fraction_bits` was given as `"auto"`.
    public var automatic: Bool
    /// Calibration inputs, each one item of the model's input.
    public var calibration: [[Double]]
    /// One input scale per feature (`per_feature`) instead of one for all (the default).
    public var perFeatureInputScales: Bool

    /// Collects the parts.
    public init(activationBits: Int? = nil, fractionBits: Int? = nil, automatic: Bool = false, calibration: [[Double]] = [],
                perFeatureInputScales: Bool = false) {
        self.activationBits = activationBits
        self.fractionBits = fractionBits
        self.automatic = automatic
        self.calibration = calibration
        self.perFeatureInputScales = perFeatureInputScales
    }

    /// The inference layer's options, checked (`invalid_quantization` with what is accepted).
    public func options() throws -> QuantisationOptions {
        let fraction: QuantisationOptions.FractionBits
        if automatic || (fractionBits == nil && !calibration.isEmpty) { fraction = .auto } else { fraction = .fixed(fractionBits ?? 8) }
        let options = QuantisationOptions(activationBits: activationBits ?? 16, fractionBits: fraction, calibration: calibration,
                                          inputScales: perFeatureInputScales ? .perFeature : .uniform)
        do { try options.validate() } catch { throw MarketError(.invalidQuantization, error.description) }
        return options
    }
}

/// Counts the input values a model's input scale would clamp, for jobs that refuse them.
enum InputClamps {
    /// Model descriptions decoded from commitments, by model id.
    private static let specs = BoundedCache<String, ModelSpec>(capacity: 64)

    /// How many of `input`'s values quantise outside the model's input range, and that range
    /// in real numbers (for the message).
    static func count(_ input: Tensor, commitment: [UInt8], modelID: String) throws -> (clamped: Int, range: String) {
        let spec: ModelSpec
        if let hit = specs[modelID] {
            spec = hit
        } else {
            spec = try ModelCommitment(decoding: commitment).spec
            specs.keep(spec, for: modelID)
        }
        let clamped = try spec.quantizeInputCountingClamps(floats: input.values, shape: input.shape).clamped
        let f = spec.inputFractionBits
        let lo = IntegerSemantics.dequantize(spec.inputRange.lowerBound, fractionBits: f)
        let hi = IntegerSemantics.dequantize(spec.inputRange.upperBound, fractionBits: f)
        return (clamped, "[\(lo), \(hi)] (scale 2^-\(f))")
    }
}

/// Turns ONNX bytes into what the market stores: import, quantise (with the options the
/// uploader gave, the default configuration otherwise), commit. The model's id is the SHA-256
/// of the ONNX bytes (followed, for options other than the default, by their canonical text),
/// known before the (possibly slow) import, so an upload can be answered at once and
/// de-duplicated.
public struct InferenceModelImporter: Sendable {
    /// The private proof system, if the coordinator has one: each imported model's steps are
    /// checked for private proofs, and a private-ready model gets its hiding commitment.
    public let privateProofs: (any PrivateProofSystem)?

    /// Creates an importer (with `privateProofs`, one that also makes private commitments).
    public init(privateProofs: (any PrivateProofSystem)? = nil) {
        self.privateProofs = privateProofs
    }

    /// The content address: hex SHA-256 of the ONNX bytes.
    public func digest(of onnx: [UInt8]) -> String { Crypto.hex(Crypto.sha256(onnx)) }

    /// The content address of the bytes registered with `options`: for the default options
    /// the ONNX bytes' digest, else the SHA-256 of the bytes followed by
    /// `canonicalText(options)`, so the same file with other scales is another model.
    public func digest(of onnx: [UInt8], options: QuantisationOptions) -> String {
        options.isDefault ? digest(of: onnx) : Crypto.hex(Crypto.sha256(onnx + Array(Self.canonicalText(options).utf8)))
    }

    /// The options as one line of text: `\nquantisation activation_bits=A fraction_bits=F|auto calibration=v,v;v,v`
    /// (each value in Swift's shortest round-trip spelling), then ` input_scales=per_feature`
    /// when the input's scales are chosen per feature.
    public static func canonicalText(_ options: QuantisationOptions) -> String {
        let f: String = if case .fixed(let n) = options.fractionBits { "\(n)" } else { "auto" }
        let calibration = options.calibration.map { $0.map { "\($0)" }.joined(separator: ",") }.joined(separator: ";")
        let scales = options.inputScales == .perFeature ? " input_scales=per_feature" : ""
        return "\nquantisation activation_bits=\(options.activationBits) fraction_bits=\(f) calibration=\(calibration)\(scales)"
    }

    /// The content address of a model uploaded with `quantisation` (checked first).
    public func digest(of onnx: [UInt8], quantisation: ModelQuantisation) throws -> String {
        digest(of: onnx, options: try quantisation.options())
    }

    /// Validates, quantises and commits with the options `quantisation` gives.
    public func importModel(_ onnx: [UInt8], quantisation: ModelQuantisation) throws -> ModelFacts {
        try importModel(onnx, options: try quantisation.options())
    }

    /// Validates, quantises and commits with the default options.
    public func importModel(_ onnx: [UInt8]) throws -> ModelFacts { try importModel(onnx, options: .default) }

    /// Validates, quantises and commits; throws the inference layer's error for a model it cannot use.
    public func importModel(_ onnx: [UInt8], options: QuantisationOptions) throws -> ModelFacts {
        let imported = try ONNXImporter.importModelReporting(onnx, options: options)
        let model = imported.model
        let commitment = try ModelCommitment.commit(model)
        let spec = model.spec
        let operators = spec.operatorKinds
        let macs = spec.multiplyAccumulates
        var facts = ModelFacts(inputShape: spec.inputShape, outputShape: [1, spec.outputElements], operators: operators,
                               quantisationJSON: Self.quantisationJSON(spec, options: options, trees: imported.treeThresholds), commitment: commitment.encoded, workMacs: macs)
        if let privateProofs {
            facts.privateOperators = privateProofs.operators(spec)
            // A commitment that cannot be made now is made at the model's first private job,
            // which then reports why; the model proves in public mode either way.
            if facts.privateOperators.allSatisfy(\.privateReady) { facts.privateCommitment = try? privateProofs.commit(model) }
        }
        return facts
    }

    /// The stored quantisation: the configuration, whether the scales were fixed or chosen
    /// (and on how many calibration inputs), the input's scale and each linear layer's output
    /// scale; for a model with tree-ensemble steps, each step's moved-threshold report.
    static func quantisationJSON(_ spec: ModelSpec, options: QuantisationOptions, trees: [TreeThresholdReport] = []) -> String {
        let config = spec.config
        let plan = ScalePlan(spec: spec)
        let mode = options.fractionBits == .auto ? "auto" : "fixed"
        return #"{"activation_bits":\#(config.activationBits),"activation_fraction_bits":\#(config.activationFractionBits),"#
            + #""weight_fraction_bits":\#(config.weightFractionBits),"fraction_bits_mode":"\#(mode)","#
            + #""calibration_inputs":\#(options.calibration.count),"input_fraction_bits":\#(plan.inputFractionBits),"#
            + #""layer_fraction_bits":[\#(plan.layerFractionBits.map(String.init).joined(separator: ","))]"#
            + (plan.featureFractionBits.map { #","input_feature_fraction_bits":[\#($0.map(String.init).joined(separator: ","))]"# } ?? "")
            + (trees.isEmpty ? "" : #","tree_thresholds":[\#(trees.map(treeJSON).joined(separator: ","))]"#)
            + "}"
    }

    /// One tree-ensemble step's report: `step`, `checked`, `calibration_inputs`, `moved` (the
    /// count) and `examples` (tree, node, feature, threshold, quantised_threshold, value,
    /// quantised_value).
    static func treeJSON(_ r: TreeThresholdReport) -> String {
        let examples = r.moved.map { m in
            #"{"tree":\#(m.tree),"node":\#(m.node),"feature":\#(m.feature),"threshold":\#(number(m.threshold)),"#
                + #""quantised_threshold":\#(number(m.quantisedThreshold)),"value":\#(number(m.value)),"quantised_value":\#(number(m.quantisedValue))}"#
        }
        return #"{"step":\#(jsonString(r.step)),"checked":\#(r.checked),"calibration_inputs":\#(r.calibrationInputs),"#
            + #""moved":\#(r.movedCount),"examples":[\#(examples.joined(separator: ","))]}"#
    }

    /// A finite number in JSON (Swift's shortest round-trip spelling); a non-finite one as null.
    private static func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }

    /// A JSON string literal.
    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// The quantised model itself with the default options.
    public func quantizedModel(_ onnx: [UInt8]) throws -> QuantizedModel { try ONNXImporter.importModel(onnx) }

    /// The quantised model itself, for a worker that proves with it: imported with the scales
    /// of its registered description (`commitment`), so it is the committed model.
    public func quantizedModel(_ onnx: [UInt8], commitment: [UInt8]) throws -> QuantizedModel {
        try ONNXImporter.importModel(onnx, matching: try ModelCommitment(decoding: commitment).spec)
    }
}
