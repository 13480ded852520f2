import Testing
@testable import Inference

/// What the importer refuses, and how.
@Suite struct ONNXImporterTests {
    /// Runs the importer and returns the typed error, or nil when it accepted the model.
    private func importError(_ bytes: [UInt8]) -> InferenceError? {
        do {
            _ = try ONNXImporter.importModel(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func unsupportedOperator_IsRefusedWithOperatorAndNodeName() throws {
        let bytes = try ONNXBuilder.gemm(inputs: 4, outputs: 2, weight: 0.5,
                                         then: [ONNXBuilder.node("Hardmax", ["y"], "z", name: "squash")])
        let error = importError(bytes)
        #expect(error == .unsupportedOperator(op: "Hardmax", node: "squash"))
        #expect(error?.code == "unsupported_operator")
        #expect(error?.description.contains("Hardmax") == true)
    }

    @Test func unsupportedOperator_InAnUnnamedNode_IsNamedByPosition() throws {
        let bytes = try ONNXBuilder.gemm(inputs: 4, outputs: 2, weight: 0.5, then: [ONNXBuilder.node("Hardmax", ["y"], "z")])
        #expect(importError(bytes) == .unsupportedOperator(op: "Hardmax", node: "#1 (Hardmax)"))
    }

    @Test func operatorFromAnotherDomain_IsRefused() throws {
        var custom = ONNXBuilder.node("Relu", ["y"], "z", name: "mine")
        custom.domain = "com.example"
        let bytes = try ONNXBuilder.gemm(inputs: 4, outputs: 2, weight: 0.5, then: [custom])
        #expect(importError(bytes) == .unsupportedOperator(op: "com.example.Relu", node: "mine"))
    }

    @Test func garbageBytes_AreRefusedWithTypedErrors() {
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...512, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(importError(bytes) != nil)
        }
        #expect(importError([]) == .malformedModel(detail: "empty file"))
        #expect(importError(Array("not an onnx file at all".utf8))?.code == "onnx_malformed")
    }

    @Test func everyTruncationOfAFixture_IsRefused() throws {
        let bytes = try Fixtures.bytes("cnn_max")
        for length in 0..<bytes.count {
            let error = importError(Array(bytes[..<length]))
            #expect(error != nil, "prefix of \(length) bytes was accepted")
        }
        #expect(importError(bytes) == nil)
    }

    @Test func singleByteMutations_GiveAModelOrATypedError_NeverACrash() throws {
        let bytes = try Fixtures.bytes("cnn_max")
        var rng = SeededGenerator(seed: 11)
        var refused = 0
        for _ in 0..<1000 {
            var mutated = bytes
            mutated[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            if importError(mutated) != nil { refused += 1 }
        }
        // Most bytes are weights, so most mutations still give a model; structure bytes do not.
        #expect(refused > 0)
    }

    @Test func modelOverTheByteLimit_IsRefusedBeforeParsing() {
        let limit = InferenceLimits.modelBytesMax
        #expect(importError([UInt8](repeating: 0, count: limit + 1)) == .modelTooLarge(bytes: limit + 1, limit: limit))
        // At the limit the size is fine and the (zero) bytes are refused as malformed instead.
        #expect(importError([UInt8](repeating: 0, count: limit))?.code == "onnx_malformed")
    }

    @Test func gemmAlphaBetaAndTranspose_AreFoldedIntoTheWeights() throws {
        // B is [K=2, N=2] = [[1, 2], [3, 4]] without transB, so W = alpha · Bᵀ.
        let nodes = [ONNXBuilder.node("Gemm", ["x", "B", "C"], "y", name: "fc", float: ["alpha": 2, "beta": 0.5])]
        let bytes = try ONNXBuilder.model(nodes, initializers: [ONNXBuilder.tensor("B", [2, 2], [1, 2, 3, 4]),
                                                               ONNXBuilder.tensor("C", [1, 2], [1, -1])],
                                          inputShape: [1, 2], output: "y")
        let model = try ONNXImporter.importModel(bytes)
        let expectedWeights: [Int64] = [512, 1536, 1024, 2048]
        #expect(model.layers[0].weights == expectedWeights)
        let expectedBias: [Int64] = [32768, -32768]
        #expect(model.layers[0].bias == expectedBias)
    }

    @Test func transposedInput_IsRefused() throws {
        let nodes = [ONNXBuilder.node("Gemm", ["x", "B"], "y", name: "fc", int: ["transA": 1])]
        let bytes = try ONNXBuilder.model(nodes, initializers: [ONNXBuilder.tensor("B", [2, 2], [1, 2, 3, 4])],
                                          inputShape: [1, 2], output: "y")
        #expect(importError(bytes)?.code == "unsupported_attribute")
    }

    @Test func addOfAnActivationWithItself_IsAMergeStep() throws {
        let bytes = try ONNXBuilder.gemm(inputs: 2, outputs: 2, weight: 1,
                                         then: [ONNXBuilder.node("Add", ["y", "y"], "z", name: "residual")])
        let model = try ONNXImporter.importModel(bytes)
        let x = try model.quantizeInput(floats: [0.25, 0.5])
        // y = [0.75, 0.75]; z = 2y.
        #expect(model.dequantizeOutput(try model.run(x).output) == [1.5, 1.5])
    }

    @Test func softmaxBeforeTheEnd_IsAStep_AtTheEndItIsDropped() throws {
        let inner = try ONNXBuilder.gemm(inputs: 2, outputs: 2, weight: 1,
                                         then: [ONNXBuilder.node("Softmax", ["y"], "p", name: "sm"),
                                                ONNXBuilder.node("Relu", ["p"], "r", name: "relu")])
        #expect(try ONNXImporter.importModel(inner).spec.operatorKinds.contains("Softmax"))
        let last = try ONNXBuilder.gemm(inputs: 2, outputs: 2, weight: 1, then: [ONNXBuilder.node("Softmax", ["y"], "p", name: "sm")])
        #expect(try !ONNXImporter.importModel(last).spec.operatorKinds.contains("Softmax"))
    }

    @Test func groupsDilationsAndPoolingPads_AreOutsideTheOperatorsRange_WhenTheyDoNotFit() throws {
        // A group count that does not divide the channels is refused, naming the node.
        let conv = ONNXBuilder.node("Conv", ["x", "W"], "y", name: "conv", int: ["group": 3])
        let bytes = try ONNXBuilder.model([conv], initializers: [ONNXBuilder.tensor("W", [2, 2, 3, 3], Array(repeating: 0.1, count: 36))],
                                          inputShape: [1, 2, 8, 8], output: "y")
        #expect(importError(bytes)?.code == "unsupported_attribute")
        // Padding as large as the window is refused (ONNX requires pads < kernel).
        let nodes = [ONNXBuilder.node("MaxPool", ["x"], "p", name: "pool", ints: ["kernel_shape": [2, 2], "pads": [2, 2, 2, 2]])]
        let pool = try ONNXBuilder.model(nodes, initializers: [], inputShape: [1, 1, 8, 8], output: "p")
        #expect(importError(pool)?.code == "shape_mismatch")
        #expect(importError(pool)?.description.contains("pool") == true)
    }

    @Test func initializerWhoseDataDoesNotFitItsShape_IsRefused() throws {
        var w = ONNXBuilder.tensor("W", [2, 4], [1, 2, 3])
        w.floatData = [1, 2, 3]
        let bytes = try ONNXBuilder.model([ONNXBuilder.node("Gemm", ["x", "W"], "y", name: "fc", int: ["transB": 1])],
                                          initializers: [w], inputShape: [1, 4], output: "y")
        #expect(importError(bytes)?.code == "invalid_initializer")
    }

    @Test func hugeWeights_AreRefusedByTheAccumulatorBound() throws {
        // 1e12 quantises to about 2^48; times 64 inputs of up to 2^15 the accumulator needs
        // more than 62 bits, so the model is refused at registration.
        let bytes = try ONNXBuilder.gemm(inputs: 64, outputs: 2, weight: 1e12)
        #expect(importError(bytes) == .accumulatorBoundTooLarge(layer: 0, bits: 64, limit: InferenceLimits.accumulatorBitsMax))
    }

    @Test func weightsBeyondTheIntegerRange_AreRefused() throws {
        let bytes = try ONNXBuilder.gemm(inputs: 4, outputs: 2, weight: 1e30)
        #expect(importError(bytes)?.code == "weight_out_of_range")
        let nan = try ONNXBuilder.gemm(inputs: 4, outputs: 2, weight: .nan)
        #expect(importError(nan)?.code == "weight_out_of_range")
    }

    @Test func clipWithAttributesFromOldOpsets_NarrowsTheClamp() throws {
        let clip = ONNXBuilder.node("Clip", ["y"], "z", name: "clip", float: ["min": -1, "max": 2])
        let bytes = try ONNXBuilder.model([ONNXBuilder.node("Gemm", ["x", "W"], "y", name: "fc", int: ["transB": 1]), clip],
                                          initializers: [ONNXBuilder.tensor("W", [2, 2], [1, 0, 0, 1])],
                                          inputShape: [1, 2], output: "z", opset: 9)
        let model = try ONNXImporter.importModel(bytes)
        #expect(model.spec.layers[0].activation.lo == -256)
        #expect(model.spec.layers[0].activation.hi == 512)
        let y = try model.run(model.quantizeInput(floats: [-3, 1.5])).output
        #expect(y == [-256, 384])
    }

    @Test func tensorOverTheElementLimit_IsRefusedBeforeItsDataIsRead() throws {
        let limit = InferenceLimits.tensorElementsMax
        // 2049 × 2048 is just past 4 Mi; no data is attached, so a reader that allocated first would fail later.
        let w = ONNXBuilder.tensor("W", [2049, 2048], [])
        let bytes = try ONNXBuilder.model([ONNXBuilder.node("Gemm", ["x", "W"], "y", name: "fc")],
                                          initializers: [w], inputShape: [1, 2], output: "y")
        #expect(importError(bytes) == .tensorTooLarge(name: "W", elements: 2049 * 2048, limit: limit))
        #expect(2048 * 2048 == limit)
    }

    @Test func nodeCount_AtTheLimitIsAccepted_PastItRefused() throws {
        func chain(_ identities: Int) throws -> [UInt8] {
            var nodes = [ONNXBuilder.node("Gemm", ["x", "W"], "t0", name: "fc", int: ["transB": 1])]
            for i in 0..<identities { nodes.append(ONNXBuilder.node("Identity", ["t\(i)"], "t\(i + 1)", name: "id\(i)")) }
            return try ONNXBuilder.model(nodes, initializers: [ONNXBuilder.tensor("W", [2, 2], [1, 0, 0, 1])],
                                         inputShape: [1, 2], output: "t\(identities)")
        }
        let limit = InferenceLimits.nodeCountMax
        #expect(importError(try chain(limit - 1)) == nil)
        #expect(importError(try chain(limit))?.code == "unsupported_graph")
    }

    @Test func constantPow_FoldsOnlyExactExponents() throws {
        // W = c^2 is folded with IEEE multiplications; c^0.3 would need a libm call and is refused.
        func model(_ exponent: Float) throws -> [UInt8] {
            try ONNXBuilder.model([ONNXBuilder.node("Pow", ["c", "e"], "W", name: "pow"),
                                   ONNXBuilder.node("Gemm", ["x", "W"], "y", name: "fc", int: ["transB": 1])],
                                  initializers: [ONNXBuilder.tensor("c", [2, 2], [0.5, -1.5, 2, 0.25]),
                                                 ONNXBuilder.tensor("e", [], [exponent])],
                                  inputShape: [1, 2], output: "y")
        }
        let squared = try ONNXImporter.importModel(try model(2))
        #expect(squared.layers[0].weights == [64, 576, 1024, 16])   // [0.25, 2.25, 4, 0.0625] at 2^8
        #expect(importError(try model(0.3))?.code == "unsupported_attribute")
        #expect(importError(try model(0.3))?.description.contains("pow") == true)
    }
}
