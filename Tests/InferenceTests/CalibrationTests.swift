import Foundation
import Testing
@testable import Inference

/// Scales chosen at registration (`Calibration`): on inputs 300 times the digits', the fixed
/// 2^-8 scales clamp and lose the argmax, calibrated ones agree with the float model.
@Suite struct CalibrationTests {
    /// The sample's inputs times `factor`.
    static func inputs(times factor: Double) -> [[Double]] {
        Fixtures.sample.pixels.indices.map { i in Fixtures.sample.input(i).map { $0 * factor } }
    }

    /// The calibration inputs: the first 32 of the scaled sample.
    static func calibration(times factor: Double) -> [[Double]] { Array(inputs(times: factor).prefix(32)) }

    @Test func floatOracle_MatchesOnnxruntime() throws {
        let oracle = try FloatMLP(Fixtures.bytes("mlp_small"))
        let reference = try #require(Fixtures.sample.models["mlp_small"])
        var worst = 0.0
        for (i, x) in Self.inputs(times: 1).enumerated() {
            for (a, b) in zip(try oracle.run(x), reference.outputs[i]) { worst = max(worst, abs(a - b)) }
        }
        #expect(worst < 1e-4)
    }

    @Test func digitsTimes300_FixedScalesFail_CalibratedScalesAgreeWithFloat() throws {
        let bytes = try Fixtures.bytes("mlp_small")
        let oracle = try FloatMLP(bytes)
        let inputs = Self.inputs(times: 300)
        let expected = try inputs.map { argmax(try oracle.run($0)) }
        let fixed = try ONNXImporter.importModel(bytes)
        let calibrated = try ONNXImporter.importModel(bytes, options: QuantisationOptions(fractionBits: .auto,
                                                                                         calibration: Self.calibration(times: 300)))
        func score(_ m: QuantizedModel) throws -> (agree: Int, clamped: Int) {
            var agree = 0, clamped = 0
            for (i, x) in inputs.enumerated() {
                let (q, c) = try m.spec.quantizeInputCountingClamps(floats: x, shape: m.spec.inputShape)
                let trace = try m.run(q)
                clamped += c + trace.saturated
                if argmax(trace.output) == expected[i] { agree += 1 }
            }
            return (agree, clamped)
        }
        let (fixedAgree, fixedClamped) = try score(fixed)
        let (calibratedAgree, calibratedClamped) = try score(calibrated)
        print("×300: fixed 2^-8 agree \(fixedAgree)/\(inputs.count), \(fixedClamped) clamped; calibrated (input 2^-\(calibrated.spec.inputFractionBits), layers \(ScalePlan(spec: calibrated.spec).layerFractionBits)) agree \(calibratedAgree)/\(inputs.count), \(calibratedClamped) clamped")
        #expect(fixedClamped > 0)
        #expect(Double(fixedAgree) < 0.9 * Double(inputs.count))
        #expect(calibratedClamped == 0)
        #expect(Double(calibratedAgree) >= 0.99 * Double(inputs.count))
    }

    @Test func calibratedInputScale_FollowsTheRule() throws {
        // Peak 300: 300 · 2^(f+1) < 2^15 holds for f = 5 (19200), not for f = 6 (38400).
        #expect(Calibration.inputFractionBits(peak: 300, activationBits: 16, headroomBits: 1) == 5)
        #expect(Calibration.inputFractionBits(peak: 1, activationBits: 16, headroomBits: 1) == 13)
        #expect(Calibration.inputFractionBits(peak: 1e9, activationBits: 16, headroomBits: 1) == 0)
        #expect(Calibration.inputFractionBits(peak: 0, activationBits: 16, headroomBits: 1) == 14)
        // Accumulator at 2^-13 with |z| < 2^20: 13 + 15 − 1 − 20 = 7.
        #expect(Calibration.outputFractionBits(accumulator: 13, peakBits: 20, activationBits: 16, headroomBits: 1) == 7)
        #expect(Calibration.outputFractionBits(accumulator: 13, peakBits: 0, activationBits: 16, headroomBits: 1) == 13)
        #expect(Calibration.outputFractionBits(accumulator: 13, peakBits: 40, activationBits: 16, headroomBits: 1) == 0)
        let bytes = try Fixtures.bytes("mlp_small")
        let m = try ONNXImporter.importModel(bytes, options: QuantisationOptions(fractionBits: .auto, calibration: Self.calibration(times: 300)))
        #expect(m.spec.inputFractionBits == 5)
        #expect(m.spec.config.activationFractionBits == 8)
    }

    @Test func chosenScales_ArePartOfTheDigest_AndReimportFromTheSpec() throws {
        let bytes = try Fixtures.bytes("mlp_small")
        let options = QuantisationOptions(fractionBits: .auto, calibration: Self.calibration(times: 300))
        let a = try ONNXImporter.importModel(bytes, options: options)
        let b = try ONNXImporter.importModel(bytes, options: options)
        let fixed = try ONNXImporter.importModel(bytes)
        #expect(a.digest == b.digest)
        #expect(a.digest != fixed.digest)
        #expect(try ONNXImporter.importModel(bytes, matching: a.spec).digest == a.digest)
        #expect(try ONNXImporter.importModel(bytes, matching: fixed.spec).digest == fixed.digest)
        // The default options are the default import.
        #expect(try ONNXImporter.importModel(bytes, options: .default).digest == fixed.digest)
        // The description round-trips through its canonical bytes with its scales.
        #expect(try ModelSpec(decoding: a.spec.encoded()) == a.spec)
    }

    @Test func weightBoundScales_NeverClampInsideTheModel() throws {
        let bytes = try Fixtures.bytes("mlp_small")
        let m = try ONNXImporter.importModel(bytes, options: QuantisationOptions(fractionBits: .auto))
        let range = m.spec.inputRange
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<50 {
            // Extreme inputs: every value at an end of the input range, or random within it.
            let x = (0..<m.spec.inputElements).map { _ in
                trial % 2 == 0 ? (Bool.random(using: &generator) ? range.upperBound : range.lowerBound)
                               : Int64.random(in: range, using: &generator)
            }
            #expect(try m.run(x).saturated == 0)
        }
    }

    @Test func calibratedModel_ProvesAndVerifies() throws {
        let bytes = try Fixtures.bytes("mlp_small")
        let m = try ONNXImporter.importModel(bytes, options: QuantisationOptions(fractionBits: .auto, calibration: Self.calibration(times: 300)))
        let c = try ModelCommitment.commit(m)
        let x = try m.quantizeInput(floats: Self.inputs(times: 300)[40])
        let context = BindingContext(jobID: "job-1", workerID: "worker-1", nonce: "n")
        let (y, proof, saturated) = try InferenceProver.proveCountingClamps(model: m, commitment: c, input: x, context: context)
        let (verified, counted) = try InferenceVerifier.verifyCountingClamps(commitment: c, input: x, proof: proof, context: context)
        #expect(verified == y)
        #expect(counted == saturated)
    }

    @Test func clampsInsideTheModel_AreCountedByTheVerifier() throws {
        // Fixed scales with the input just inside its range: the input does not clamp, the
        // layers do, and the verifier counts what the prover's run clamped.
        let m = try Fixtures.model("mlp_small")
        let c = try ModelCommitment.commit(m)
        let x = [Int64](repeating: m.spec.inputRange.upperBound, count: m.spec.inputElements)
        let context = BindingContext(jobID: "job-2", workerID: "worker-1", nonce: "n")
        let (_, proof, saturated) = try InferenceProver.proveCountingClamps(model: m, commitment: c, input: x, context: context)
        #expect(saturated > 0)
        #expect(try InferenceVerifier.verifyCountingClamps(commitment: c, input: x, proof: proof, context: context).saturated == saturated)
    }

    @Test func opsCover_Calibrated_StillMatchesOnnxruntime_WithItsClipAtTheLayersScale() throws {
        // A convolution with Clip(0, 1.5) folded in, average pooling and a Gemm: the Clip bound
        // is quantised at the scale chosen for the convolution's output.
        let reference = try #require(Fixtures.sample.models["ops_cover"])
        let options = QuantisationOptions(fractionBits: .auto, calibration: Self.calibration(times: 1))
        let m = try ONNXImporter.importModel(Fixtures.bytes("ops_cover"), options: options)
        let f = m.spec.tensors[2].fractionBits
        #expect(m.spec.layers[0].activation.hi == Int64(1.5 * Double(1 << f)))
        var worst = 0.0, clamped = 0
        for (i, x) in Self.inputs(times: 1).enumerated() {
            let trace = try m.run(try m.quantizeInput(floats: x, shape: reference.inputShape))
            clamped += trace.saturated
            for (a, b) in zip(m.dequantizeOutput(trace.output), reference.outputs[i]) { worst = max(worst, abs(a - b)) }
        }
        print("ops_cover calibrated: scales \(ScalePlan(spec: m.spec)), worst absolute error \(worst), \(clamped) clamped")
        #expect(worst < 0.05)
        #expect(clamped == 0)
    }

    @Test func convolutionModel_Times300_CalibratedDoesNotClamp_FixedDoes() throws {
        let bytes = try Fixtures.bytes("cnn_max")
        let shape = try #require(Fixtures.sample.models["cnn_max"]).inputShape
        let calibrated = try ONNXImporter.importModel(bytes, options: QuantisationOptions(fractionBits: .auto, calibration: Self.calibration(times: 300)))
        let fixed = try ONNXImporter.importModel(bytes)
        var (calibratedClamps, fixedClamps) = (0, 0)
        for x in Self.inputs(times: 300).prefix(100) {
            let (q, c) = try calibrated.spec.quantizeInputCountingClamps(floats: x, shape: shape)
            calibratedClamps += c + (try calibrated.run(q).saturated)
            let (p, d) = try fixed.spec.quantizeInputCountingClamps(floats: x, shape: shape)
            fixedClamps += d + (try fixed.run(p).saturated)
        }
        #expect(fixedClamps > 0)
        #expect(calibratedClamps == 0)
    }

    @Test func options_AreBounded_WithClearErrors() throws {
        let bytes = try Fixtures.bytes("mlp_small")
        func code(_ options: QuantisationOptions) -> String? {
            do { _ = try ONNXImporter.importModel(bytes, options: options); return nil } catch { return error.code }
        }
        let one = [Double](repeating: 0.5, count: 64)
        #expect(code(QuantisationOptions(fractionBits: .auto, calibration: [[Double]](repeating: one, count: QuantisationOptions.calibrationInputsMax))) == nil)
        #expect(code(QuantisationOptions(fractionBits: .auto, calibration: [[Double]](repeating: one, count: QuantisationOptions.calibrationInputsMax + 1))) == "invalid_quantization")
        #expect(code(QuantisationOptions(fractionBits: .fixed(8), calibration: [one])) == "invalid_quantization")
        #expect(code(QuantisationOptions(fractionBits: .auto, calibration: [[1, 2, 3]])) == "invalid_quantization")
        #expect(code(QuantisationOptions(fractionBits: .auto, calibration: [one.map { _ in .nan }])) == "invalid_quantization")
        #expect(code(QuantisationOptions(activationBits: 40)) == "invalid_quantization")
        #expect(code(QuantisationOptions(activationBits: 12, fractionBits: .fixed(11))) == "invalid_quantization")
        #expect(code(QuantisationOptions(activationBits: 12, fractionBits: .fixed(6))) == nil)
    }
}

/// A float evaluation of an ONNX MLP (Gemm, MatMul, Add, Relu, Flatten, Reshape), the test's
/// own oracle for inputs the fixtures hold no onnxruntime outputs for.
struct FloatMLP {
    let graph: Onnx_GraphProto
    let constants: [String: ONNXTensor]

    init(_ bytes: [UInt8]) throws {
        graph = try Onnx_ModelProto(serializedBytes: bytes).graph
        var c: [String: ONNXTensor] = [:]
        for t in graph.initializer { c[t.name] = try ONNXTensor(t) }
        constants = c
    }

    struct Unsupported: Error { let op: String }

    /// Row-major `[rows, columns]` of a constant, transposed when asked.
    func matrix(_ t: ONNXTensor, transposed: Bool) -> (rows: Int, columns: Int, at: (Int, Int) -> Double) {
        let (r, c) = (t.shape[0], t.shape[1])
        return transposed ? (c, r, { i, j in t.values[j * c + i] }) : (r, c, { i, j in t.values[i * c + j] })
    }

    func run(_ input: [Double]) throws -> [Double] {
        var values: [String: [Double]] = [:]
        values[graph.input.first { constants[$0.name] == nil }?.name ?? ""] = input
        for node in graph.node {
            let x = values[node.input[0]] ?? constants[node.input[0]]?.values ?? []
            var y: [Double]
            switch node.opType {
            case "Gemm", "MatMul":
                let transB = node.opType == "Gemm" && (node.attribute("transB")?.i ?? 0) == 1
                let alpha = node.opType == "Gemm" ? Double(node.attribute("alpha")?.f ?? 1) : 1
                let beta = node.opType == "Gemm" ? Double(node.attribute("beta")?.f ?? 1) : 1
                guard let w = constants[node.input[1]] else { throw Unsupported(op: "\(node.opType) of two tensors") }
                let b = matrix(w, transposed: transB)
                y = (0..<b.columns).map { j in alpha * (0..<b.rows).reduce(0.0) { $0 + x[$1] * b.at($1, j) } }
                if node.input.count > 2, let c = constants[node.input[2]] {
                    for j in y.indices { y[j] += beta * c.values[c.values.count == 1 ? 0 : j] }
                }
            case "Add":
                let other = values[node.input[1]] ?? constants[node.input[1]]?.values ?? []
                y = x.indices.map { x[$0] + other[other.count == 1 ? 0 : $0] }
            case "Relu": y = x.map { max($0, 0) }
            case "Softmax":
                let top = x.max() ?? 0
                let e = x.map { Foundation.exp($0 - top) }
                let total = e.reduce(0, +)
                y = e.map { $0 / total }
            case "Flatten", "Reshape", "Identity": y = x
            default: throw Unsupported(op: node.opType)
            }
            values[node.output[0]] = y
        }
        return values[graph.output[0].name] ?? []
    }
}
