import ArgumentParser
import Foundation
import Inference

/// `--activation-bits`, `--fraction-bits` and `--calibration`: the scales a model is imported
/// with, as `POST /v1/models` takes them. Every command that imports a model takes them, and
/// must be given the same ones to get the same model (its id and commitment depend on them).
struct QuantisationFlags: ParsableArguments {
    @Option(help: "Total signed width of an activation, 2…32 (default 16).")
    var activationBits: Int = 16

    @Option(help: ArgumentHelp("Fraction bits of the activations, or `auto` to choose each tensor's scale (default 8; `auto` when --calibration is given).",
                               valueName: "bits|auto"))
    var fractionBits: String?

    @Option(help: ArgumentHelp("A JSON array of calibration inputs (each an array of numbers, or {\"shape\", \"values\"}); with `auto`, the scales fit the ranges they reach.",
                               valueName: "file"))
    var calibration: String?

    @Option(help: ArgumentHelp("`uniform` (default): one input scale; `per-feature`: one scale per input feature from the calibration inputs (features in their own units).",
                               valueName: "uniform|per-feature"))
    var inputScales: String = "uniform"

    /// The options these flags name (`invalid_quantization` for values out of range).
    func options() throws -> QuantisationOptions {
        let inputs = try calibration.map(Self.loadCalibration) ?? []
        let fraction: QuantisationOptions.FractionBits
        switch fractionBits {
        case "auto"?: fraction = .auto
        case let text?:
            guard let n = Int(text) else { throw ValidationError("--fraction-bits must be a number of bits or `auto`, not '\(text)'") }
            fraction = .fixed(n)
        case nil: fraction = inputs.isEmpty ? .fixed(8) : .auto
        }
        let scales: QuantisationOptions.InputScales
        switch inputScales {
        case "uniform": scales = .uniform
        case "per-feature", "per_feature": scales = .perFeature
        default: throw ValidationError("--input-scales must be `uniform` or `per-feature`, not '\(inputScales)'")
        }
        let options = QuantisationOptions(activationBits: activationBits, fractionBits: fraction, calibration: inputs, inputScales: scales)
        try options.validate()
        return options
    }

    /// Reads a calibration file: a JSON array whose items are arrays of numbers or tensors.
    static func loadCalibration(_ path: String) throws -> [[Double]] {
        let bytes = try FileInput.read(path, limit: InputTensor.fileBytesMax)
        enum Item: Decodable {
            case values([Double])
            case tensor(InputTensor)
            init(from decoder: any Decoder) throws {
                if let values = try? decoder.singleValueContainer().decode([Double].self) { self = .values(values) } else { self = .tensor(try InputTensor(from: decoder)) }
            }
            var values: [Double] {
                switch self {
                case .values(let v): v
                case .tensor(let t): t.values
                }
            }
        }
        do {
            return try JSONDecoder().decode([Item].self, from: Data(bytes)).map(\.values)
        } catch {
            throw ProofCommandError.badInput(path: path, detail: "expected a JSON array of inputs, each [numbers…] or {\"shape\": [...], \"values\": [...]} (\(error))")
        }
    }
}

/// `--refuse-clamped` and the warning every run gives when values were clamped.
enum ClampReport {
    /// Writes the warning to standard error when anything was clamped, or throws
    /// `clamped_values` when `refuse` is set.
    static func check(input: Int, inModel: Int, refuse: Bool) throws {
        guard input + inModel > 0 else { return }
        if refuse { throw ProofCommandError.clamped(input: input, inModel: inModel) }
        InputTensor.standardError("warning: \(input + inModel) value(s) clamped to the model's range (\(input) in the input, \(inModel) inside the model); the output may be wrong. Register the model with --fraction-bits auto and --calibration inputs like these, or pass --refuse-clamped to refuse such inputs.\n")
    }
}
