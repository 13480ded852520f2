import Testing
@testable import Inference

/// The quantised integer models agree with the float models onnxruntime ran.
@Suite struct InferenceAccuracyTests {
    @Test(arguments: Fixtures.trainedModels)
    func quantisedArgmaxAgreesWithFloat_AtLeast99Percent(name: String) throws {
        let sample = Fixtures.sample
        let reference = try #require(sample.models[name])
        #expect(sample.pixels.count >= 200)
        let model = try Fixtures.model(name)
        #expect(model.spec.inputShape == reference.inputShape)
        var agree = 0
        for i in sample.pixels.indices {
            let x = try model.quantizeInput(floats: sample.input(i), shape: reference.inputShape)
            let y = try model.run(x).output
            #expect(y.count == 10)
            if argmax(y) == reference.argmax[i] { agree += 1 }
        }
        let rate = Double(agree) / Double(sample.pixels.count)
        print("\(name): quantised/float argmax agreement \(agree)/\(sample.pixels.count) = \(rate)")
        #expect(rate >= 0.99)
    }

    /// The operator-coverage model is untrained, so argmax means little; its values must match.
    @Test func everySupportedOperator_MatchesOnnxruntimeValues() throws {
        let sample = Fixtures.sample
        let reference = try #require(sample.models["ops_cover"])
        let model = try Fixtures.model("ops_cover")
        var worst = 0.0
        for i in sample.pixels.indices {
            let x = try model.quantizeInput(floats: sample.input(i), shape: reference.inputShape)
            let y = model.dequantizeOutput(try model.run(x).output)
            for (a, b) in zip(y, reference.outputs[i]) { worst = max(worst, abs(a - b)) }
        }
        print("ops_cover: worst absolute error \(worst)")
        // Outputs are around ±2; 8 fraction bits through two layers stay within a few 1/256 steps.
        #expect(worst < 0.05)
    }

    @Test func opsCoverModel_HasTheExpectedLayers() throws {
        let model = try Fixtures.model("ops_cover")
        #expect(model.layers.count == 2)
        guard case .convolution(let g) = model.spec.layers[0].kind else {
            Issue.record("first layer should be a convolution")
            return
        }
        #expect([g.outputHeight, g.outputWidth, g.padBottom, g.strideHeight] == [5, 5, 2, 2])
        #expect(model.spec.layers[0].activation.lo == 0)
        #expect(model.spec.layers[0].activation.hi == 384)  // Clip max 1.5 at 2^8
        // Reshape, the convolution (Clip folded), average pooling, Reshape, the Gemm.
        #expect(model.spec.nodes.count == 5)
        if case .pool(let p) = model.spec.nodes[2].op { #expect(!p.isMax) } else { Issue.record("expected average pooling") }
    }

    @Test func cnnMax_FoldsReluIntoTheConvolution_AndPoolsBeforeTheGemm() throws {
        let model = try Fixtures.model("cnn_max")
        #expect(model.spec.layers.count == 2)
        #expect(model.spec.layers[0].activation.lo == 0)
        #expect(model.spec.layers[0].outputShape == [8, 8, 8])
        #expect(model.spec.layers[1].inner == 128)
        if case .pool(let p) = model.spec.nodes[1].op { #expect(p.isMax) } else { Issue.record("expected max pooling") }
    }
}
