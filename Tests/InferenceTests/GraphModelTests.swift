import Foundation
import Testing
@testable import Inference
import ZKProof

/// Graphs that are not chains: residual merges, branches joined and split, products of two
/// activations (attention), batches, several outputs, torch's shape subgraphs, grouped and
/// dilated convolutions, padded pooling. Each is imported, compared with a float reference,
/// proven and verified, and attacked where it adds a kind of claim.
@Suite struct GraphModelTests {
    typealias B = ONNXBuilder

    /// Deterministic small weights in [-scale, scale].
    static func weights(_ count: Int, seed: UInt64, scale: Float = 0.5) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float(Int(g.next() % 2001) - 1000) / 1000 * scale }
    }

    /// Deterministic inputs in [-1, 1].
    static func inputs(_ count: Int, seed: UInt64) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Double(Int(g.next() % 2001) - 1000) / 1000 }
    }

    /// `y = x·Wᵀ` for `W [m, n]` row-major (Gemm with transB) in Double.
    static func fc(_ x: [Double], _ w: [Float], _ m: Int) -> [Double] {
        let n = x.count
        return (0..<m).map { o in (0..<n).reduce(0.0) { $0 + Double(w[o * n + $1]) * x[$1] } }
    }

    static let context = BindingContext(jobID: "job-g", workerID: "worker-g", nonce: "n-1")

    /// Proves and verifies `input` (any number of items), and checks the proven output is the engine's.
    @discardableResult
    static func proveAndVerify(_ model: QuantizedModel, _ input: [Int64]) throws -> (commitment: ModelCommitment, output: [Int64], proof: [UInt8]) {
        let commitment = try ModelCommitment(committing: model)
        let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: input, context: context)
        let verified = try InferenceVerifier.verify(commitment: commitment, input: input, proof: proof, context: context)
        #expect(verified == output)
        let spec = try ModelSpec(decoding: model.spec.encoded())
        #expect(spec == model.spec)
        return (commitment, output, proof)
    }

    /// An adversarial prover: runs the graph honestly except that `tamper` changes one claimed
    /// value (layer `layer`'s `Z`, or product `product`'s `Z`), continues honestly from it, and
    /// follows the protocol on that trace.
    static func forged(_ model: QuantizedModel, _ commitment: ModelCommitment, _ input: [Int64],
                       layer: Int? = nil, product: Int? = nil, tamper: (inout [Int64]) -> Void) throws -> [UInt8] {
        let run = try model.spec.evaluate(input, linear: { k, x in
            var z = model.layers[k].preActivation(columns: x)
            if k == layer { tamper(&z) }
            return z
        }, product: { j, a, b in
            var z = model.spec.product(j, a, b)
            if j == product { tamper(&z) }
            return z
        })
        return InferenceProver.proveTrace(model: model, commitment: commitment, input: input, preActivations: run.preActivations,
                                          products: run.products, output: run.output, context: context).encoded()
    }

    @Test func residualMerge_AgreesWithFloat_ProvesAndRejectsAChangedBranch() throws {
        let (w1, w2, w3) = (Self.weights(36, seed: 1), Self.weights(36, seed: 2), Self.weights(18, seed: 3))
        let bytes = try B.graph([
            B.node("Gemm", ["x", "W1"], "a", name: "fc1", int: ["transB": 1]),
            B.node("Relu", ["a"], "h", name: "relu1"),
            B.node("Gemm", ["h", "W2"], "g", name: "fc2", int: ["transB": 1]),
            B.node("Add", ["h", "g"], "s", name: "residual"),
            B.node("Relu", ["s"], "r", name: "relu2"),
            B.node("Gemm", ["r", "W3"], "y", name: "fc3", int: ["transB": 1]),
        ], initializers: [B.tensor("W1", [6, 6], w1), B.tensor("W2", [6, 6], w2), B.tensor("W3", [3, 6], w3)],
           inputShape: [1, 6], outputs: ["y"])
        let model = try ONNXImporter.importModel(bytes)
        #expect(model.spec.layers.count == 3)
        #expect(model.spec.nodes.contains { if case .binary(let b) = $0.op { return b.kind == .add } else { return false } })
        for seed in 0..<20 {
            let x = Self.inputs(6, seed: UInt64(seed))
            let h = Self.fc(x, w1, 6).map { max($0, 0) }
            let s = zip(h, Self.fc(h, w2, 6)).map { max($0 + $1, 0) }
            let expected = Self.fc(s, w3, 3)
            let got = model.dequantizeOutput(try model.run(try model.quantizeInput(floats: x)).output)
            for (e, g) in zip(expected, got) { #expect(abs(e - g) < 0.05, "seed \(seed): \(got) vs \(expected)") }
        }
        let input = try model.quantizeInput(floats: Self.inputs(6, seed: 99))
        let (commitment, _, _) = try Self.proveAndVerify(model, input)
        // The second branch's pre-activation, changed and carried on honestly through the merge.
        let forged = try Self.forged(model, commitment, input, layer: 1) { $0[2] += 1 }
        var rejected: ProofVerificationError?
        do { _ = try InferenceVerifier.verify(commitment: commitment, input: input, proof: forged, context: Self.context) } catch { rejected = error }
        guard case .linearCheckFailed(1, _, _)? = rejected else {
            Issue.record("a changed branch was not caught by its linear check: \(String(describing: rejected))")
            return
        }
    }

    /// Single-head attention on a `[1, 4, 8]` sequence: `softmax`-free scores `(Q·Kᵀ)·c`, then `·V`.
    static func attention() throws -> (bytes: [UInt8], wq: [Float], wk: [Float], wv: [Float]) {
        let (wq, wk, wv) = (weights(64, seed: 11), weights(64, seed: 12), weights(64, seed: 13))
        let bytes = try B.graph([
            B.node("MatMul", ["x", "Wq"], "q", name: "q"),
            B.node("MatMul", ["x", "Wk"], "k", name: "k"),
            B.node("MatMul", ["x", "Wv"], "v", name: "v"),
            B.node("Transpose", ["k"], "kt", name: "kT", ints: ["perm": [0, 2, 1]]),
            B.node("MatMul", ["q", "kt"], "s", name: "scores"),
            B.node("Mul", ["s", "c"], "p", name: "scale"),
            B.node("MatMul", ["p", "v"], "o", name: "context"),
        ], initializers: [B.tensor("Wq", [8, 8], wq), B.tensor("Wk", [8, 8], wk), B.tensor("Wv", [8, 8], wv),
                          B.tensor("c", [], [0.35355339])],
           inputShape: [1, 4, 8], outputs: ["o"], batch: true)
        return (bytes, wq, wk, wv)
    }

    @Test func attentionProducts_AgreeWithFloat_AreProven_AndAChangedProductIsRejected() throws {
        let a = try Self.attention()
        let model = try ONNXImporter.importModel(a.bytes)
        #expect(model.spec.productNodes.count == 2)
        #expect(model.spec.layers.allSatisfy { if case .tokens(4) = $0.kind { return true } else { return false } })
        #expect(model.spec.batchable)
        func project(_ x: [Double], _ w: [Float]) -> [Double] {
            (0..<4).flatMap { t in (0..<8).map { o in (0..<8).reduce(0.0) { $0 + x[t * 8 + $1] * Double(w[$1 * 8 + o]) } } }
        }
        for seed in 0..<10 {
            let x = Self.inputs(32, seed: UInt64(100 + seed))
            let (q, k, v) = (project(x, a.wq), project(x, a.wk), project(x, a.wv))
            var expected = [Double](repeating: 0, count: 32)
            for i in 0..<4 {
                for j in 0..<4 {
                    let s = (0..<8).reduce(0.0) { $0 + q[i * 8 + $1] * k[j * 8 + $1] } * 0.35355339
                    for c in 0..<8 { expected[i * 8 + c] += s * v[j * 8 + c] }
                }
            }
            let got = model.dequantizeOutput(try model.run(try model.quantizeInput(floats: x, shape: [1, 4, 8])).output)
            for (e, g) in zip(expected, got) { #expect(abs(e - g) < 0.06, "seed \(seed): \(e) vs \(g)") }
        }
        let input = try model.quantizeInput(floats: Self.inputs(32, seed: 7), shape: [1, 4, 8])
        let (commitment, _, _) = try Self.proveAndVerify(model, input)
        for product in 0..<2 {
            let forged = try Self.forged(model, commitment, input, product: product) { $0[3] += 1 }
            var rejected: ProofVerificationError?
            do { _ = try InferenceVerifier.verify(commitment: commitment, input: input, proof: forged, context: Self.context) } catch { rejected = error }
            guard case .linearCheckFailed(let at, _, _)? = rejected else {
                Issue.record("product \(product): \(String(describing: rejected))")
                continue
            }
            #expect(at == model.spec.layers.count + product)
        }
        // A product claim past its bound is refused before anything else.
        let huge = try Self.forged(model, commitment, input, product: 0) { $0[0] = Int64(1) << 62 }
        #expect(throws: ProofVerificationError.self) {
            _ = try InferenceVerifier.verify(commitment: commitment, input: input, proof: huge, context: Self.context)
        }
    }

    @Test func batchOfInputs_IsOneProof_WhoseOutputsAreEachItemsRun() throws {
        let model = try ONNXImporter.importModel(try Self.attention().bytes)
        let items = (0..<5).map { Self.inputs(32, seed: UInt64(300 + $0)) }
        let input = try model.quantizeInput(floats: items.flatMap { $0 }, shape: [5, 4, 8])
        let (commitment, output, proof) = try Self.proveAndVerify(model, input)
        let single = try items.flatMap { try model.run(try model.quantizeInput(floats: $0, shape: [1, 4, 8])).output }
        #expect(output == single)
        // The batch proof is about these inputs in this order only.
        var swapped = input
        swapped.swapAt(0, 32)
        #expect(throws: ProofVerificationError.self) {
            _ = try InferenceVerifier.verify(commitment: commitment, input: swapped, proof: proof, context: Self.context)
        }
        // And it does not verify as a proof for fewer items.
        #expect(throws: ProofVerificationError.self) {
            _ = try InferenceVerifier.verify(commitment: commitment, input: Array(input.prefix(64)), proof: proof, context: Self.context)
        }
        // A chain of layers keeps items apart, so it batches too.
        let chain = try Fixtures.model("mlp_small")
        #expect(chain.spec.batchable)
        let two = try chain.quantizeInput(floats: [Double](repeating: 0.25, count: 128), shape: [2, 64])
        try Self.proveAndVerify(chain, two)
        // A model whose steps mix items (rows of one item become axis 0) takes one input.
        let mixing = try ONNXImporter.importModel(try B.graph([
            B.node("Reshape", ["x", "s"], "rows", name: "rows"),
            B.node("Gemm", ["rows", "W"], "y", name: "fc", int: ["transB": 1]),
        ], initializers: [B.int64s("s", [2, 4]), B.tensor("W", [3, 4], Self.weights(12, seed: 8))], inputShape: [1, 8], outputs: ["y"]))
        #expect(!mixing.spec.batchable)
        #expect(throws: InferenceError.self) { try mixing.spec.validateInput([Int64](repeating: 0, count: 16)) }
        #expect(throws: InferenceError.self) { _ = try mixing.quantizeInput(floats: [Double](repeating: 0, count: 16), shape: [2, 8]) }
    }

    @Test func torchShapeSubgraph_IsFolded_AndGroupedDilatedConvolutionAgreesWithFloat() throws {
        // Depthwise (group 2) dilated 3×3 convolution with padding, then x.view(x.size(0), -1).
        let kernel = Self.weights(2 * 1 * 9, seed: 21)
        let fcW = Self.weights(3 * 2 * 4 * 4, seed: 22, scale: 0.2)
        let bytes = try B.graph([
            B.node("Conv", ["x", "K"], "c", name: "depthwise", int: ["group": 2],
                   ints: ["dilations": [2, 2], "pads": [1, 1, 1, 1], "kernel_shape": [3, 3]]),
            B.node("Relu", ["c"], "r", name: "relu"),
            B.node("Shape", ["r"], "shape", name: "shape"),
            B.node("Gather", ["shape", "zero"], "batch", name: "gather", int: ["axis": 0]),
            B.node("Unsqueeze", ["batch", "axes0"], "batch1", name: "unsqueeze"),
            B.node("Concat", ["batch1", "minus1"], "target", name: "concat", int: ["axis": 0]),
            B.node("Reshape", ["r", "target"], "flat", name: "view"),
            B.node("Gemm", ["flat", "F"], "y", name: "fc", int: ["transB": 1]),
        ], initializers: [B.tensor("K", [2, 1, 3, 3], kernel), B.tensor("F", [3, 32], fcW),
                          {
                              var t = B.int64s("zero", [0]); t.dims = []; return t
                          }(), B.int64s("axes0", [0]), B.int64s("minus1", [-1])],
           inputShape: [1, 2, 6, 6], outputs: ["y"], batch: true)
        let model = try ONNXImporter.importModel(bytes)
        #expect(model.spec.batchable)
        for seed in 0..<10 {
            let x = Self.inputs(72, seed: UInt64(500 + seed))
            // Reference: output 4×4 per channel ((6 + 2 − 5) + 1 = 4).
            var conv = [Double](repeating: 0, count: 32)
            for c in 0..<2 {
                for y in 0..<4 {
                    for xx in 0..<4 {
                        var s = 0.0
                        for i in 0..<3 {
                            for j in 0..<3 {
                                let iy = y - 1 + 2 * i, ix = xx - 1 + 2 * j
                                if iy >= 0, iy < 6, ix >= 0, ix < 6 { s += Double(kernel[c * 9 + i * 3 + j]) * x[(c * 6 + iy) * 6 + ix] }
                            }
                        }
                        conv[(c * 4 + y) * 4 + xx] = max(s, 0)
                    }
                }
            }
            let expected = Self.fc(conv, fcW, 3)
            let got = model.dequantizeOutput(try model.run(try model.quantizeInput(floats: x, shape: [1, 2, 6, 6])).output)
            for (e, g) in zip(expected, got) { #expect(abs(e - g) < 0.05, "seed \(seed): \(got) vs \(expected)") }
        }
        try Self.proveAndVerify(model, try model.quantizeInput(floats: Self.inputs(144, seed: 9), shape: [2, 2, 6, 6]))
    }

    @Test func splitConcatAndSeveralOutputs_AreAllInTheStatement() throws {
        let w = Self.weights(64, seed: 31)
        let bytes = try B.graph([
            B.node("Gemm", ["x", "W"], "a", name: "fc", int: ["transB": 1]),
            {
                var n = B.node("Split", ["a", "sizes"], "s1", name: "split", int: ["axis": 1])
                n.output = ["s1", "s2"]
                return n
            }(),
            B.node("Concat", ["s2", "s1"], "c", name: "swap", int: ["axis": 1]),
            B.node("Slice", ["c", "starts", "ends", "axes", "steps"], "every2", name: "slice"),
            B.node("Max", ["s1", "s2"], "m", name: "max"),
        ], initializers: [B.tensor("W", [8, 8], w), B.int64s("sizes", [3, 5]), B.int64s("starts", [1]),
                          B.int64s("ends", [8]), B.int64s("axes", [1]), B.int64s("steps", [2])],
           inputShape: [1, 8], outputs: ["every2", "c"])
        // Max of [1,3] and [1,5] does not broadcast: refused, naming the node.
        #expect(throws: InferenceError.self) { _ = try ONNXImporter.importModel(bytes) }
        let fixed = try B.graph([
            B.node("Gemm", ["x", "W"], "a", name: "fc", int: ["transB": 1]),
            {
                var n = B.node("Split", ["a", "sizes"], "s1", name: "split", int: ["axis": 1])
                n.output = ["s1", "s2"]
                return n
            }(),
            B.node("Concat", ["s2", "s1"], "c", name: "swap", int: ["axis": 1]),
            B.node("Slice", ["c", "starts", "ends", "axes", "steps"], "every2", name: "slice"),
        ], initializers: [B.tensor("W", [8, 8], w), B.int64s("sizes", [3, 5]), B.int64s("starts", [1]),
                          B.int64s("ends", [8]), B.int64s("axes", [1]), B.int64s("steps", [2])],
           inputShape: [1, 8], outputs: ["every2", "c"])
        let model = try ONNXImporter.importModel(fixed)
        #expect(model.spec.outputShapes == [[1, 4], [1, 8]])
        let input = try model.quantizeInput(floats: Self.inputs(8, seed: 4))
        let trace = try model.run(input)
        let a = trace.layers[0].output
        let c = Array(a[3...]) + Array(a[..<3])
        #expect(trace.output == [c[1], c[3], c[5], c[7]] + c)
        let (commitment, output, proof) = try Self.proveAndVerify(model, input)
        // A wrong claimed output (either tensor) is refused.
        for i in [0, 5] {
            var wrong = output
            wrong[i] += 1
            #expect(throws: ProofVerificationError.self) {
                try InferenceVerifier.verify(commitment: commitment, input: input, expectedOutput: wrong, proof: proof, context: Self.context)
            }
        }
    }

    @Test func paddedCeilModePooling_AgreesWithItsDefinition() throws {
        let bytes = try B.graph([
            B.node("MaxPool", ["x"], "m", name: "maxpool", int: ["ceil_mode": 1], ints: ["kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]]),
            B.node("AveragePool", ["m"], "p", name: "avgpool", int: ["count_include_pad": 0], ints: ["kernel_shape": [2, 2], "pads": [0, 0, 1, 1]]),
            B.node("GlobalAveragePool", ["p"], "g", name: "gap"),
            B.node("Flatten", ["g"], "f", name: "flatten"),
            B.node("Gemm", ["f", "W"], "y", name: "fc", int: ["transB": 1]),
        ], initializers: [B.tensor("W", [2, 1], [1, -1])], inputShape: [1, 1, 6, 6], outputs: ["y"])
        let model = try ONNXImporter.importModel(bytes)
        // 6 + 2 − 3 = 5, ceil(5/2) + 1 = 4, and the last window starts inside: 4×4; then 4×4 (pad 1 at the end).
        #expect(model.spec.tensors[1].shape == [1, 1, 4, 4])
        #expect(model.spec.tensors[2].shape == [1, 1, 4, 4])
        let x = (0..<36).map { Double($0 % 7) / 8 - 0.25 }
        var m = [Double](repeating: 0, count: 16)
        for y in 0..<4 {
            for xx in 0..<4 {
                var best = -Double.infinity
                for i in 0..<3 { for j in 0..<3 {
                    let iy = 2 * y - 1 + i, ix = 2 * xx - 1 + j
                    if iy >= 0, iy < 6, ix >= 0, ix < 6 { best = max(best, x[iy * 6 + ix]) }
                } }
                m[y * 4 + xx] = best
            }
        }
        var p = [Double](repeating: 0, count: 16)
        for y in 0..<4 { for xx in 0..<4 {
            var s = 0.0, n = 0.0
            for i in 0..<2 { for j in 0..<2 where y + i < 4 && xx + j < 4 { s += m[(y + i) * 4 + xx + j]; n += 1 } }
            p[y * 4 + xx] = s / n
        } }
        let g = p.reduce(0, +) / 16
        let got = model.dequantizeOutput(try model.run(try model.quantizeInput(floats: x)).output)
        #expect(abs(got[0] - g) < 0.01 && abs(got[1] + g) < 0.01, "\(got) vs \(g)")
        try Self.proveAndVerify(model, try model.quantizeInput(floats: x))
    }

    @Test func refusals_NameTheNodeTheOperatorAndWhatIsAccepted() throws {
        let unused: Onnx_TensorProto = {
            var t = Onnx_TensorProto()
            t.name = "classes"
            t.dims = [3]
            t.dataType = 6
            t.int32Data = [0, 1, 2]
            return t
        }()
        // An unused int32 initializer (a class-label table) does not stop the import.
        let ok = try B.graph([B.node("Gemm", ["x", "W"], "y", name: "fc", int: ["transB": 1])],
                             initializers: [B.tensor("W", [3, 4], Self.weights(12, seed: 5)), unused],
                             inputShape: [1, 4], outputs: ["y"])
        #expect(try ONNXImporter.importModel(ok).spec.layers.count == 1)
        let bad = try B.graph([B.node("Gemm", ["x", "W"], "h", name: "fc", int: ["transB": 1]),
                               B.node("Hardmax", ["h"], "y", name: "mystery")],
                              initializers: [B.tensor("W", [3, 4], Self.weights(12, seed: 5))], inputShape: [1, 4], outputs: ["y"])
        do {
            _ = try ONNXImporter.importModel(bad)
            Issue.record("Hardmax was accepted")
        } catch {
            #expect(error.code == "unsupported_operator")
            #expect(error.description.contains("Hardmax") && error.description.contains("mystery"))
        }
        let attribute = try B.graph([B.node("Gemm", ["x", "W"], "y", name: "fc", int: ["transB": 1, "transA": 1])],
                                    initializers: [B.tensor("W", [3, 4], Self.weights(12, seed: 5))], inputShape: [1, 4], outputs: ["y"])
        do {
            _ = try ONNXImporter.importModel(attribute)
            Issue.record("transA was accepted")
        } catch {
            #expect(error.code == "unsupported_attribute" && error.description.contains("fc") && error.description.contains("transA"))
        }
    }

    @Test func smoothActivationsSoftmaxAndLayerNorm_AgreeWithFloat_AndProve() throws {
        let w = Self.weights(64, seed: 41)
        let gamma = Self.weights(8, seed: 42).map { 1 + $0 / 2 }, beta = Self.weights(8, seed: 43, scale: 0.1)
        let bytes = try B.graph([
            B.node("MatMul", ["x", "W"], "h", name: "proj"),
            B.node("LayerNormalization", ["h", "gamma", "beta"], "n", name: "norm", float: ["epsilon": 1e-5]),
            B.node("Gelu", ["n"], "g", name: "gelu"),
            B.node("Sigmoid", ["g"], "s", name: "gate"),
            B.node("Mul", ["n", "s"], "m", name: "swish-like"),
            B.node("Softmax", ["m"], "p", name: "softmax-over-tokens", int: ["axis": 1]),
            B.node("Tanh", ["p"], "y", name: "tanh"),
        ], initializers: [B.tensor("W", [8, 8], w), B.tensor("gamma", [8], gamma), B.tensor("beta", [8], beta)],
           inputShape: [1, 4, 8], outputs: ["y"], batch: true, opset: 20)
        let model = try ONNXImporter.importModel(bytes)
        #expect(model.spec.operatorKinds.contains("LayerNormalization") && model.spec.operatorKinds.contains("Softmax"))
        func erf(_ v: Double) -> Double { Foundation.erf(v) }
        for seed in 0..<10 {
            let x = Self.inputs(32, seed: UInt64(700 + seed))
            var h = [Double](repeating: 0, count: 32)
            for t in 0..<4 { for o in 0..<8 { h[t * 8 + o] = (0..<8).reduce(0.0) { $0 + x[t * 8 + $1] * Double(w[$1 * 8 + o]) } } }
            var n = h
            for t in 0..<4 {
                let row = Array(h[(t * 8)..<(t * 8 + 8)])
                let mean = row.reduce(0, +) / 8, variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
                for o in 0..<8 { n[t * 8 + o] = (row[o] - mean) / (variance + 1e-5).squareRoot() * Double(gamma[o]) + Double(beta[o]) }
            }
            let m = n.map { v -> Double in
                let g = v * (1 + erf(v / 2.0.squareRoot())) / 2
                return v / (1 + Foundation.exp(-g))
            }
            var y = m
            for o in 0..<8 {
                let column = (0..<4).map { m[$0 * 8 + o] }
                let top = column.max() ?? 0
                let e = column.map { Foundation.exp($0 - top) }
                let total = e.reduce(0, +)
                for t in 0..<4 { y[t * 8 + o] = Foundation.tanh(e[t] / total) }
            }
            let got = model.dequantizeOutput(try model.run(try model.quantizeInput(floats: x, shape: [1, 4, 8])).output)
            for (e, g) in zip(y, got) { #expect(abs(e - g) < 0.03, "seed \(seed): \(e) vs \(g)") }
        }
        try Self.proveAndVerify(model, try model.quantizeInput(floats: Self.inputs(96, seed: 77), shape: [3, 4, 8]))
    }

    /// A classifier's two outputs: the logits (proven) and ArgMax of them (an integer output the
    /// verifier recomputes), per item of a batch; ArgMin with `select_last_index` takes the last tie.
    @Test func argMaxOutput_IsRecomputedFromTheProvenLogits() throws {
        let w = Self.weights(24, seed: 91)
        let bytes = try B.graph([
            B.node("Gemm", ["x", "W"], "logits", name: "fc", int: ["transB": 1]),
            B.node("ArgMax", ["logits"], "label", name: "pick", int: ["axis": 1, "keepdims": 0]),
            B.node("ArgMin", ["logits"], "low", name: "least", int: ["axis": -1, "keepdims": 1, "select_last_index": 1]),
        ], initializers: [B.tensor("W", [4, 6], w)], inputShape: [1, 6], outputs: ["logits", "label", "low"], batch: true)
        let model = try ONNXImporter.importModel(bytes)
        #expect(model.spec.operatorKinds.contains("ArgMax") && model.spec.operatorKinds.contains("ArgMin"))
        #expect(model.spec.batchable)
        let items = 5
        let x = Self.inputs(6 * items, seed: 92)
        let input = try model.quantizeInput(floats: x, shape: [items, 6])
        let (_, output, proof) = try Self.proveAndVerify(model, input)
        // Per item: 4 logits, one label, one lowest index.
        #expect(output.count == items * 6)
        for i in 0..<items {
            let item = Array(output[(i * 6)..<(i * 6 + 6)])
            let logits = Array(item[0..<4])
            let reference = Self.fc(Array(x[(i * 6)..<(i * 6 + 6)]), w, 4)
            #expect(item[4] == Int64(reference.indices.max { reference[$0] < reference[$1] } ?? -1))
            let lowest = logits.min() ?? 0
            #expect(item[5] == Int64(logits.lastIndex(of: lowest) ?? -1))
        }
        // The label is not the prover's to choose: the same proof does not verify another label.
        let commitment = try ModelCommitment(committing: model)
        var decoded = try InferenceProof(decoding: proof, layout: commitment.layout, spec: model.spec, items: items)
        decoded.preActivations[0][0] += 1
        #expect(throws: (any Error).self) {
            _ = try InferenceVerifier.verify(commitment: commitment, input: input, proof: decoded.encoded(), context: Self.context)
        }
        // Ties: ArgMin(select_last_index) is the last of equal values, ArgMax the first.
        let tie = TensorSemantics.argExtreme([3, 1, 1, 3], shape: [1, 4], axis: 1, kind: .argMinLast)
        #expect(tie == [2])
        #expect(TensorSemantics.argExtreme([3, 1, 1, 3], shape: [1, 4], axis: 1, kind: .argMax) == [0])
        #expect(TensorSemantics.argExtreme([3, 1, 3, 2], shape: [2, 2], axis: 0, kind: .argMaxLast) == [1, 1])
        #expect(TensorSemantics.argExtreme([3, 1, 3, 2], shape: [2, 2], axis: 0, kind: .argMax) == [0, 1])
    }
}

extension GraphModelTests {
    /// PRelu with one slope per channel after a convolution, and with a single slope: the
    /// slopes are committed (an element-wise layer), the result agrees with float and proves.
    @Test func prelu_PerChannelAndScalar_AgreesWithFloat_AndProves() throws {
        let kernel = Self.weights(3 * 1 * 9, seed: 61)
        let slopes: [Float] = [0.25, -0.5, 0.1]
        for (slopeShape, slopeValues) in [([3, 1, 1], slopes), ([1], [Float(0.2)])] {
            let bytes = try B.graph([
                B.node("Conv", ["x", "K"], "c", name: "conv", ints: ["pads": [1, 1, 1, 1]]),
                B.node("PRelu", ["c", "slope"], "y", name: "act"),
            ], initializers: [B.tensor("K", [3, 1, 3, 3], kernel), B.tensor("slope", slopeShape, slopeValues)],
               inputShape: [1, 1, 5, 5], outputs: ["y"], batch: true)
            let model = try ONNXImporter.importModel(bytes)
            #expect(model.spec.operatorKinds.contains("Conv"))
            // The slopes are parameters of a committed layer, not constants of the description.
            #expect(model.layers.count == 2 && model.layers[1].weights.count == slopeValues.count)
            for seed in 0..<6 {
                let x = Self.inputs(25, seed: UInt64(610 + seed))
                var expected = [Double](repeating: 0, count: 75)
                for o in 0..<3 {
                    for i in 0..<5 {
                        for j in 0..<5 {
                            var acc = 0.0
                            for di in 0..<3 {
                                for dj in 0..<3 {
                                    let (yy, xx) = (i + di - 1, j + dj - 1)
                                    guard (0..<5).contains(yy), (0..<5).contains(xx) else { continue }
                                    acc += Double(kernel[o * 9 + di * 3 + dj]) * x[yy * 5 + xx]
                                }
                            }
                            let s = Double(slopeValues.count == 1 ? slopeValues[0] : slopeValues[o])
                            expected[(o * 5 + i) * 5 + j] = acc >= 0 ? acc : s * acc
                        }
                    }
                }
                let got = model.dequantizeOutput(try model.run(try model.quantizeInput(floats: x, shape: [1, 1, 5, 5])).output)
                for (e, g) in zip(expected, got) { #expect(abs(e - g) < 0.03, "slope \(slopeShape), seed \(seed): \(e) vs \(g)") }
            }
            let input = try model.quantizeInput(floats: Self.inputs(50, seed: 620), shape: [2, 1, 5, 5])
            #expect(model.spec.batchable)
            let (commitment, _, _) = try Self.proveAndVerify(model, input)
            // A prover that changes one slope product (and goes on honestly from it) is caught.
            let one = Array(input.prefix(25))
            let forgedProof = try Self.forged(model, commitment, one, layer: 1) { z in z[3] += 1 }
            #expect(throws: ProofVerificationError.self) {
                _ = try InferenceVerifier.verify(commitment: commitment, input: one, proof: forgedProof, context: Self.context)
            }
        }
    }
}
