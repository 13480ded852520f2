import Testing
@testable import Inference

/// The engine, its bound derivation, the trace check and the canonical encoding.
@Suite struct QuantizedModelTests {
    private let config = QuantizationConfig.default

    /// `n` inputs → 1 output, every weight `w`, bias 0, no clamp beyond the activation range.
    private func dense(inputs n: Int, weight w: Int64) throws -> QuantizedModel.LayerParameters {
        QuantizedModel.LayerParameters(prepare: [], kind: .dense, rows: 1,
                                       activation: try Activation(shift: 8, lo: config.activationMin, hi: config.activationMax),
                                       weights: Array(repeating: w, count: n), bias: [0])
    }

    @Test func accumulatorBound_AtTheLimitIsAccepted_PastItRefused() throws {
        // 64 inputs of magnitude up to 2^15 times 2^40 give |z| ≤ 2^61 < 2^62: exactly at the limit.
        let atLimit = try QuantizedModel(config: config, inputShape: [1, 64], layers: [dense(inputs: 64, weight: 1 << 40)])
        #expect(atLimit.spec.accumulatorBoundBits == InferenceLimits.accumulatorBitsMax)
        // 128 inputs reach 2^62, which needs 63 bits.
        #expect(throws: InferenceError.accumulatorBoundTooLarge(layer: 0, bits: 63, limit: 62)) {
            try QuantizedModel(config: config, inputShape: [1, 128], layers: [dense(inputs: 128, weight: 1 << 40)])
        }
    }

    @Test func accumulatorBound_UsesTheReluRangeOfThePreviousLayer() throws {
        var first = try dense(inputs: 4, weight: 1)
        first.rows = 2
        first.weights = [1, 1, 1, 1, 1, 1, 1, 1]
        first.bias = [0, 0]
        first.activation = try Activation(shift: 8, lo: 0, hi: 100)
        var second = try dense(inputs: 2, weight: -3)
        second.bias = [5]
        let model = try QuantizedModel(config: config, inputShape: [1, 4], layers: [first, second])
        // Layer 0: |z| ≤ 4 · 32768 = 2^17 → 18 bits. Layer 1: z ∈ [5 − 600, 5] → 595 < 2^10.
        #expect(model.spec.layers.map(\.accumulatorBits) == [18, 10])
    }

    @Test func bound_HoldsForEveryFixtureTrace() throws {
        for name in Fixtures.trainedModels {
            let model = try Fixtures.model(name)
            #expect(model.spec.accumulatorBoundBits < 40, "\(name)")
            for i in 0..<20 {
                let trace = try model.run(model.quantizeInput(floats: Fixtures.sample.input(i),
                                                             shape: model.spec.inputShape))
                for (k, layer) in trace.layers.enumerated() {
                    let limit = Int64(1) << Int64(model.spec.layers[k].accumulatorBits)
                    #expect(layer.preActivation.allSatisfy { abs($0) < limit })
                }
            }
        }
    }

    @Test func layerCount_AtTheLimitIsAccepted_PastItRefused() throws {
        let one = try dense(inputs: 1, weight: 256)
        let limit = InferenceLimits.layerCountMax
        let model = try QuantizedModel(config: config, inputShape: [1, 1], layers: Array(repeating: one, count: limit))
        #expect(try model.run([7]).output == [7])
        #expect(throws: InferenceError.tooManyLayers(count: limit + 1, limit: limit)) {
            try QuantizedModel(config: config, inputShape: [1, 1], layers: Array(repeating: one, count: limit + 1))
        }
    }

    @Test func run_RefusesInputsOfTheWrongLengthOrRange() throws {
        let model = try Fixtures.model("mlp_small")
        #expect(throws: InferenceError.self) { try model.run([1, 2, 3]) }
        var x = [Int64](repeating: 0, count: 64)
        x[5] = 40_000
        #expect(throws: InferenceError.inputOutOfRange(index: 5, value: "40000")) { try model.run(x) }
    }

    @Test func quantizeInput_ChecksShape_RefusesNaN_ClampsHugeValues() throws {
        let model = try Fixtures.model("cnn_max")
        let zeros = [Double](repeating: 0, count: 64)
        #expect(throws: InferenceError.inputShapeMismatch(expected: [1, 1, 8, 8], actual: [1, 64])) {
            try model.quantizeInput(floats: zeros, shape: [1, 64])
        }
        var bad = zeros
        bad[3] = .nan
        #expect(throws: InferenceError.self) { try model.quantizeInput(floats: bad) }
        var big = zeros
        big[0] = 1e9
        big[1] = -1e9
        big[2] = 0.5
        let q = try model.quantizeInput(floats: big)
        #expect(Array(q[0..<3]) == [32767, -32768, 128])
    }

    @Test func digest_IsStableAndDistinguishesModels() throws {
        let a = try Fixtures.model("mlp_small"), b = try Fixtures.model("mlp_small")
        #expect(a.digest == b.digest)
        #expect(a.digest.count == 32 && a.digestHex.count == 64)
        let others = try Fixtures.trainedModels.map { try Fixtures.model($0).digestHex }
        #expect(Set(others).count == others.count)
        // Another quantisation of the same ONNX file is another model.
        let coarse = try Fixtures.model("mlp_small", config: QuantizationConfig(activationFractionBits: 6, weightFractionBits: 6, activationBits: 16))
        #expect(coarse.digest != a.digest)
    }

    @Test func checkTrace_AcceptsEngineTraces() throws {
        for name in Fixtures.trainedModels + ["ops_cover"] {
            let model = try Fixtures.model(name)
            let trace = try model.run(model.quantizeInput(floats: Fixtures.sample.input(0), shape: model.spec.inputShape))
            try model.spec.checkTrace(trace)
        }
    }

    @Test func checkTrace_RejectsEachKindOfTampering() throws {
        let model = try Fixtures.model("cnn_max")
        let trace = try model.run(model.quantizeInput(floats: Fixtures.sample.input(1)))
        func tampered(_ k: Int, columns: [Int64]? = nil, z: [Int64]? = nil, output: [Int64]? = nil) -> InferenceTrace {
            var layers = trace.layers
            let l = layers[k]
            layers[k] = LayerTrace(columns: columns ?? l.columns, preActivation: z ?? l.preActivation, output: output ?? l.output)
            return InferenceTrace(input: trace.input, layers: layers)
        }
        var output = trace.layers[1].output
        output[3] += 1
        #expect(throws: InferenceError.traceMismatch(layer: 1, step: "activation", index: 3)) {
            try model.spec.checkTrace(tampered(1, output: output))
        }
        var columns = trace.layers[1].columns
        columns[0] += 1
        #expect(throws: InferenceError.traceMismatch(layer: 1, step: "columns", index: 0)) {
            try model.spec.checkTrace(tampered(1, columns: columns))
        }
        // A pre-activation shifted far past the bound but rescaling to the same clamped output.
        var z = trace.layers[0].preActivation
        z[0] = Int64(1) << 61
        var a = trace.layers[0].output
        a[0] = model.spec.layers[0].activation.apply(z[0])
        #expect(throws: InferenceError.traceMismatch(layer: 0, step: "pre-activation bound", index: 0)) {
            try model.spec.checkTrace(tampered(0, z: z, output: a))
        }
        #expect(throws: InferenceError.self) {
            try model.spec.checkTrace(InferenceTrace(input: trace.input, layers: Array(trace.layers.dropLast())))
        }
        #expect(throws: InferenceError.self) {
            try model.spec.checkTrace(InferenceTrace(input: trace.input, layers: trace.layers + [trace.layers[1]]))
        }
        #expect(throws: InferenceError.self) { try model.spec.checkTrace(tampered(0, z: [1, 2, 3])) }
    }

    @Test func specEncoding_RoundTripsForEveryFixture() throws {
        for name in Fixtures.trainedModels + ["ops_cover"] {
            let spec = try Fixtures.model(name).spec
            #expect(try ModelSpec(decoding: spec.encoded()) == spec, "\(name)")
        }
    }

    @Test func specEncoding_TruncatedExtendedOrMutated_IsRefusedOrConsistent() throws {
        let bytes = try Fixtures.model("ops_cover").spec.encoded()
        for length in 0..<bytes.count {
            #expect(throws: InferenceError.self) { try ModelSpec(decoding: Array(bytes[..<length])) }
        }
        #expect(throws: InferenceError.invalidEncoding(detail: "trailing bytes after the last node")) {
            try ModelSpec(decoding: bytes + [0])
        }
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<3000 {
            var mutated = bytes
            mutated[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            // Either refused, or a self-consistent description that re-encodes to the same bytes.
            if let spec = try? ModelSpec(decoding: mutated) { #expect(spec.encoded() == mutated) }
        }
    }
}
