import Foundation
import Testing
@testable import Inference

/// The scikit-learn fixtures (`Fixtures/sklearn`, written once by
/// scripts/fixtures/make_sklearn.py with skl2onnx and onnxruntime): linear models, MLPs and
/// pipelines, each exported with and without ZipMap. Each must import, agree with
/// onnxruntime on 200 held-out inputs (the class label on ≥ 99 % for classifiers, a stated
/// error bound for regressors), prove and verify. Serialized: every case runs 200 inferences
/// and real proofs on two shared cores.
@Suite(.serialized) struct SklearnModelTests {
    struct Manifest: Decodable { let fixtures: [Entry] }

    struct Entry: Decodable {
        let model: String
        let dataset: String
        let task: String
        let features: Int
        let samples: Int
        let inputsFile: String
        let outputsFile: String
        let files: [String]
        let classes: [Label]?

        enum CodingKeys: String, CodingKey {
            case model, dataset, task, features, samples, files, classes
            case inputsFile = "inputs_file", outputsFile = "outputs_file"
        }
    }

    /// A class as the JSON writes it: a number or a string.
    enum Label: Decodable, Equatable {
        case integer(Int64)
        case string(String)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Int64.self) { self = .integer(v) } else { self = .string(try c.decode(String.self)) }
        }

        var classLabel: ClassLabel {
            switch self {
            case .integer(let v): .integer(v)
            case .string(let s): .string(s)
            }
        }
    }

    struct Inputs: Decodable { let inputs: [[Double]] }

    struct Outputs: Decodable {
        let labels: [Label]?
        let probabilities: [[Double]]?
        let values: [[Double]]?
    }

    static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/sklearn") else {
            throw Fixtures.FixtureMissing(name: name)
        }
        return try Data(contentsOf: url)
    }

    static let manifest: Manifest? = try? JSONDecoder().decode(Manifest.self, from: data("manifest.json"))
    static var entries: [Entry] { manifest?.fixtures ?? [] }
    static var files: [String] { entries.flatMap(\.files) }

    /// Largest error allowed on a regressor's value, relative to the largest |value| of the
    /// reference outputs (diabetes targets reach ~300; the bound is ~1 % of that).
    static let regressorRelativeErrorMax = 0.01

    /// Models whose input is first read by something other than a linear layer (a Normalizer,
    /// a one-hot encoder's column selection): one input scale.
    static let uniformInputScales: Set<String> = ["normalizer_l2", "normalizer_max", "onehot_logreg"]

    /// The options a fixture is registered with: scales chosen from 64 of its inputs, one
    /// per feature, which is how classical models whose features span orders of magnitude
    /// keep their precision.
    static func options(_ inputs: [[Double]], model: String) -> QuantisationOptions {
        QuantisationOptions(activationBits: 16, fractionBits: .auto, calibration: Array(inputs.prefix(64)),
                            inputScales: uniformInputScales.contains(model) ? .uniform : .perFeature)
    }

    static func load(_ file: String) throws -> (Entry, QuantizedModel, [[Double]], Outputs) {
        let entry = try #require(entries.first { $0.files.contains(file) })
        let inputs = try JSONDecoder().decode(Inputs.self, from: data(entry.inputsFile)).inputs
        let outputs = try JSONDecoder().decode(Outputs.self, from: data(entry.outputsFile))
        let model = try ONNXImporter.importModel([UInt8](try data(file)), options: options(inputs, model: entry.model))
        return (entry, model, inputs, outputs)
    }

    @Test func manifest_ListsEveryModel() throws {
        let entries = try #require(Self.manifest).fixtures
        #expect(entries.count >= 15)
        #expect(entries.allSatisfy { $0.samples >= 200 })
        #expect(Set(entries.map(\.task)) == ["classifier", "regressor"])
    }

    @Test(arguments: files)
    func fixture_AgreesWithOnnxruntime_ProvesAndVerifies(file: String) throws {
        let (entry, model, inputs, reference) = try Self.load(file)
        #expect(inputs.count == entry.samples && inputs.allSatisfy { $0.count == entry.features })
        #expect(model.spec.batchable, "the unnamed batch dimension imports as a batch")
        var quantised: [[Int64]] = []
        var agree = 0, worst = 0.0
        for (s, x) in inputs.enumerated() {
            let q = try model.quantizeInput(floats: x, shape: model.spec.inputShape)
            quantised.append(q)
            let y = try model.run(q).output
            if entry.task == "classifier" {
                let labels = try #require(reference.labels)
                let predicted = model.spec.labels(forOutput: y)
                #expect(predicted.count == 1)
                if predicted.first == labels[s].classLabel { agree += 1 }
            } else {
                let values = try #require(reference.values)
                let real = model.dequantizeOutput(y)
                #expect(real.count == values[s].count)
                worst = max(worst, zip(real, values[s]).map { abs($0 - $1) }.max() ?? 0)
            }
        }
        if entry.task == "classifier" {
            let classes = try #require(entry.classes).map(\.classLabel)
            #expect(model.spec.labels?.classes.all == classes)
            #expect(agree * 100 >= 99 * entry.samples, "\(file): the label agrees on \(agree) of \(entry.samples)")
        } else {
            let scale = try #require(reference.values).flatMap { $0 }.map(\.magnitude).max() ?? 1
            #expect(worst <= Self.regressorRelativeErrorMax * scale, "\(file): largest error \(worst) (scale \(scale))")
        }
        // Two single proofs, and a batch of eight in one proof.
        let commitment = try ModelCommitment(committing: model)
        #expect(try ModelCommitment(decoding: commitment.encoded).spec == model.spec)
        let context = BindingContext(jobID: "sklearn", workerID: file, nonce: "1")
        for x in quantised.prefix(2) {
            let (y, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: context)
            let verified = try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof, context: context)
            #expect(verified == y)
            #expect(commitment.spec.labels(forOutput: verified) == model.spec.labels(forOutput: y))
        }
        let batch = quantised.prefix(8).flatMap { $0 }
        let (y, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: batch, context: context)
        #expect(try InferenceVerifier.verify(commitment: commitment, input: batch, proof: proof, context: context) == y)
        if entry.task == "classifier" { #expect(model.spec.labels(forOutput: y).count == 8) }
    }

    /// The credit table's features span six orders of magnitude: one input scale (the
    /// default, or calibrated) loses the small ones, per-feature scales keep the label.
    @Test func creditFeatures_NeedPerFeatureScales() throws {
        let entry = try #require(Self.entries.first { $0.model == "minmax_logreg" })
        let inputs = try JSONDecoder().decode(Inputs.self, from: Self.data(entry.inputsFile)).inputs
        let labels = try #require(try JSONDecoder().decode(Outputs.self, from: Self.data(entry.outputsFile)).labels).map(\.classLabel)
        let bytes = [UInt8](try Self.data("minmax_logreg.onnx"))
        func agreement(_ m: QuantizedModel) throws -> Int {
            try inputs.indices.filter { s in
                let y = try m.run(try m.quantizeInput(floats: inputs[s], shape: m.spec.inputShape)).output
                return m.spec.labels(forOutput: y).first == labels[s]
            }.count
        }
        let uniform = try ONNXImporter.importModel(bytes, options: QuantisationOptions(fractionBits: .auto, calibration: Array(inputs.prefix(64))))
        let perFeature = try ONNXImporter.importModel(bytes, options: Self.options(inputs, model: entry.model))
        #expect(uniform.spec.inputFeatureFractionBits == nil)
        let e = try #require(perFeature.spec.inputFeatureFractionBits)
        // Balance (up to ~10^6) coarser than 2^0, utilisation (below 1) at 2^-14.
        #expect(e[1] < 0 && e[4] == 14 && perFeature.spec.inputFractionBits == 14)
        #expect(try agreement(uniform) * 100 < 95 * inputs.count)
        #expect(try agreement(perFeature) * 100 >= 99 * inputs.count)
        // Re-imported from its description, the model is the same (digest included).
        #expect(try ONNXImporter.importModel(bytes, matching: perFeature.spec).digest == perFeature.digest)
        #expect(perFeature.digest != uniform.digest)
    }

    @Test func perFeatureScales_OnAGraphReadingTheInputOtherwise_AreRefused() throws {
        let entry = try #require(Self.entries.first { $0.model == "normalizer_l2" })
        let inputs = try JSONDecoder().decode(Inputs.self, from: Self.data(entry.inputsFile)).inputs
        let bytes = [UInt8](try Self.data("normalizer_l2.onnx"))
        let options = QuantisationOptions(fractionBits: .auto, calibration: Array(inputs.prefix(8)), inputScales: .perFeature)
        #expect(throws: InferenceError.self) { try ONNXImporter.importModel(bytes, options: options) }
        do { _ = try ONNXImporter.importModel(bytes, options: options) } catch { #expect(error.code == "invalid_quantization") }
        // Without calibration inputs the option means nothing and is refused up front.
        #expect(throws: InferenceError.self) { try QuantisationOptions(fractionBits: .auto, inputScales: .perFeature).validate() }
    }

    @Test func labelNotMatchingTheScores_IsRejected() throws {
        let (_, model, inputs, _) = try Self.load("logreg_multinomial.nozipmap.onnx")
        let y = try model.run(try model.quantizeInput(floats: inputs[0], shape: model.spec.inputShape)).output
        let right = model.spec.labels(forOutput: y)
        try model.spec.checkLabels(right, forOutput: y)
        let labels = try #require(model.spec.labels)
        let wrong = try #require(labels.classes.all.first { $0 != right.first })
        #expect(throws: InferenceError.labelMismatch(item: 0, claimed: wrong.description, expected: right[0].description)) {
            try model.spec.checkLabels([wrong], forOutput: y)
        }
        #expect(throws: InferenceError.self) { try model.spec.checkLabels([], forOutput: y) }
    }

    /// `SOFTMAX_ZERO` on a multinomial LinearClassifier (scripts/fixtures/make_softmax_zero.py:
    /// the iris model with its first class's row zeroed, so that score is 0 on every input):
    /// probabilities and labels as onnxruntime's, the zero class at probability 0, proven.
    @Test func softmaxZero_AgreesWithOnnxruntime_ProvesAndVerifies() throws {
        let inputs = try JSONDecoder().decode(Inputs.self, from: Self.data("inputs_iris.json")).inputs
        let reference = try JSONDecoder().decode(Outputs.self, from: Self.data("logreg_softmax_zero.json"))
        let labels = try #require(reference.labels), probabilities = try #require(reference.probabilities)
        let model = try ONNXImporter.importModel([UInt8](try Self.data("logreg_softmax_zero.onnx")),
                                                 options: Self.options(inputs, model: "logreg_softmax_zero"))
        #expect(model.spec.nodes.contains { if case .softmaxZero = $0.op { true } else { false } })
        // The probabilities, then the scores the label reads.
        #expect(model.spec.outputs.count == 2 && model.spec.labels?.scoresOutput == 1)
        let f = model.spec.tensors[model.spec.outputs[0]].fractionBits
        var agree = 0, worst = 0.0
        for (s, x) in inputs.enumerated() {
            let y = try model.run(try model.quantizeInput(floats: x, shape: model.spec.inputShape)).output
            #expect(y[0] == 0, "the zero score's probability")
            let p = y.prefix(3).map { IntegerSemantics.dequantize($0, fractionBits: f) }
            worst = max(worst, zip(p, probabilities[s]).map { abs($0 - $1) }.max() ?? 0)
            if model.spec.labels(forOutput: y).first == labels[s].classLabel { agree += 1 }
        }
        print("logreg_softmax_zero: \(agree)/\(inputs.count) labels agree, largest probability error \(worst) at 2^-\(f)")
        #expect(agree * 100 >= 99 * inputs.count, "\(agree) of \(inputs.count)")
        #expect(worst <= 0.02, "largest probability error \(worst)")
        // The label reads the scores: a zero score above the others names its class, whose
        // probability is 0 (onnxruntime's label for the input [0, 10, 0, 0]).
        let y = try model.run(try model.quantizeInput(floats: [0, 10, 0, 0], shape: model.spec.inputShape)).output
        #expect(y[0] == 0 && model.spec.labels(forOutput: y) == [.string("setosa")], "\(y)")
        let commitment = try ModelCommitment(committing: model)
        let context = BindingContext(jobID: "sklearn", workerID: "softmax-zero", nonce: "1")
        let batch = try inputs.prefix(4).flatMap { try model.quantizeInput(floats: $0, shape: model.spec.inputShape) }
        let (out, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: batch, context: context)
        #expect(try InferenceVerifier.verify(commitment: commitment, input: batch, proof: proof, context: context) == out)
        #expect(try ModelCommitment(decoding: commitment.encoded).spec == model.spec)
    }

    @Test func softmaxZero_IsTheSoftmaxOfTheNonZeroValues() throws {
        let row: [Int64] = [0, 300, -200, 0, 45]
        let zero = try AxisReductions.softmaxZero(row, AxisShape(outer: 1, length: 5, inner: 1), inputFractionBits: 8, outputFractionBits: 12)
        let kept = try AxisReductions.softmax([300, -200, 45], AxisShape(outer: 1, length: 3, inner: 1), inputFractionBits: 8, outputFractionBits: 12)
        #expect(zero == [0, kept[0], kept[1], 0, kept[2]])
        #expect(try AxisReductions.softmaxZero([0, 0, 0], AxisShape(outer: 1, length: 3, inner: 1), inputFractionBits: 8, outputFractionBits: 12) == [0, 0, 0])
        // Rows along a middle axis (outer 2, length 2, inner 2).
        let grid = try AxisReductions.softmaxZero([0, 7, 0, 0, 5, 0, 9, 0], AxisShape(outer: 2, length: 2, inner: 2),
                                                  inputFractionBits: 0, outputFractionBits: 8)
        let pair = try AxisReductions.softmax([5, 9], AxisShape(outer: 1, length: 2, inner: 1), inputFractionBits: 0, outputFractionBits: 8)
        #expect(grid == [0, 256, 0, 0, pair[0], 0, pair[1], 0])
    }

    /// A cast to an integer type changes nothing in the model graph, so it may only reach a
    /// OneHotEncoder: as an output, or read by anything else, it is refused.
    @Test func integerCast_OutsideOneHotEncoder_IsRefused() throws {
        let asOutput = try ONNXBuilder.model([ONNXBuilder.node("Cast", ["x"], "y", int: ["to": 7])], initializers: [],
                                             inputShape: [1, 3], output: "y")
        let intoRelu = try ONNXBuilder.model([ONNXBuilder.node("Cast", ["x"], "c", int: ["to": 7]), ONNXBuilder.node("Relu", ["c"], "y")],
                                             initializers: [], inputShape: [1, 3], output: "y")
        for bytes in [asOutput, intoRelu] {
            do {
                _ = try ONNXImporter.importModel(bytes)
                Issue.record("an integer cast imports")
            } catch {
                #expect(error.code == "unsupported_attribute" && error.description.contains("cast to a float type"), "\(error)")
            }
        }
    }

    @Test(arguments: [
        ("refuse_onehot_strings.onnx", "unsupported_attribute", "cats_strings"),
        ("refuse_onehot_zeros.onnx", "unsupported_attribute", "zeros"),
        ("refuse_imputer_no_values.onnx", "unsupported_attribute", "imputed_value_floats"),
        ("refuse_imputer_finite.onnx", "unsupported_attribute", "replaced_value_float"),
        ("refuse_regressor_probit.onnx", "unsupported_attribute", "PROBIT"),
        ("refuse_normalizer_l3.onnx", "unsupported_attribute", "L3"),
    ])
    func unsupportedAttribute_IsRefusedByCode(file: String, code: String, names: String) throws {
        let bytes = [UInt8](try Self.data(file))
        do {
            _ = try ONNXImporter.importModel(bytes)
            Issue.record("\(file) imports")
        } catch {
            #expect(error.code == code, "\(error)")
            #expect(error.description.contains(names), "\(error)")
        }
    }
}
