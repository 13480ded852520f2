import Foundation
import Testing
@testable import Inference

/// LSTM and GRU, unrolled at import (`GraphBuilder+Recurrent.swift`): small hand-built layers
/// with biases and non-zero initial states against a float reference written here from the
/// ONNX operator definitions, proven and verified; a changed pre-activation of a step's
/// recurrent product is rejected; unsupported attributes are refused by name.
@Suite struct RecurrentTests {
    static let steps = 5, features = 2, hidden = 3

    /// `count` seeded values in `[-scale, scale)`.
    static func values(_ count: Int, seed: UInt64, scale: Float = 0.8) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float(Double(g.next() >> 11) / Double(1 << 53) * 2 - 1) * scale }
    }

    static func σ(_ v: Double) -> Double { 1 / (1 + exp(-v)) }

    /// `M·v` for `M` of `rows × v.count`, rows `from..<from + rows` of a taller matrix.
    static func product(_ m: [Float], rowsFrom from: Int, rows: Int, _ v: [Double]) -> [Double] {
        (0..<rows).map { o in (0..<v.count).reduce(0.0) { $0 + Double(m[(from + o) * v.count + $1]) * v[$1] } }
    }

    static func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }
    static func mul(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 * $1 } }
    static func slice(_ b: [Float], _ from: Int, _ count: Int) -> [Double] { b[from..<(from + count)].map(Double.init) }

    /// ONNX LSTM, forward, default activations, gates i, o, f, c: the hidden state of every step,
    /// then the last hidden and cell states.
    static func lstmReference(x: [[Double]], w: [Float], r: [Float], b: [Float], h0: [Float], c0: [Float]) -> [Double] {
        let n = hidden
        var h = h0.map(Double.init), c = c0.map(Double.init), ys: [Double] = []
        for xt in x {
            func gate(_ k: Int) -> [Double] {
                add(add(product(w, rowsFrom: k * n, rows: n, xt), product(r, rowsFrom: k * n, rows: n, h)),
                    add(slice(b, k * n, n), slice(b, (4 + k) * n, n)))
            }
            let i = gate(0).map(σ), o = gate(1).map(σ), f = gate(2).map(σ), g = gate(3).map(tanh)
            c = add(mul(f, c), mul(i, g))
            h = mul(o, c.map(tanh))
            ys += h
        }
        return ys + h + c
    }

    /// ONNX GRU, forward, default activations, gates z, r, h: every hidden state, then the last.
    static func gruReference(x: [[Double]], w: [Float], r: [Float], b: [Float], h0: [Float], linearBeforeReset: Bool) -> [Double] {
        let n = hidden
        var h = h0.map(Double.init), ys: [Double] = []
        for xt in x {
            func inputPart(_ k: Int) -> [Double] { add(product(w, rowsFrom: k * n, rows: n, xt), slice(b, k * n, n)) }
            let z = add(inputPart(0), add(product(r, rowsFrom: 0, rows: n, h), slice(b, 3 * n, n))).map(σ)
            let rr = add(inputPart(1), add(product(r, rowsFrom: n, rows: n, h), slice(b, 4 * n, n))).map(σ)
            let candidate: [Double]
            if linearBeforeReset {
                candidate = add(inputPart(2), mul(rr, add(product(r, rowsFrom: 2 * n, rows: n, h), slice(b, 5 * n, n)))).map(tanh)
            } else {
                candidate = add(inputPart(2), add(product(r, rowsFrom: 2 * n, rows: n, mul(rr, h)), slice(b, 5 * n, n))).map(tanh)
            }
            h = (0..<n).map { (1 - z[$0]) * candidate[$0] + z[$0] * h[$0] }
            ys += h
        }
        return ys + h
    }

    static func string(_ key: String, _ value: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = key; a.type = .string; a.s = Data(value.utf8); return a
    }

    static func strings(_ key: String, _ values: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = key; a.type = .strings; a.strings = values.map { Data($0.utf8) }; return a
    }

    /// `x [1, T, I] → Transpose → LSTM (outputs Y, Y_h, Y_c)`, with `extra` attributes.
    static func lstmModel(extra: [Onnx_AttributeProto] = [], sequenceLengths: [Int]? = nil) throws -> (bytes: [UInt8], w: [Float], r: [Float], b: [Float], h0: [Float], c0: [Float]) {
        let g = 4 * hidden
        let w = values(g * features, seed: 1), r = values(g * hidden, seed: 2), b = values(2 * g, seed: 3, scale: 0.4)
        let h0 = values(hidden, seed: 4, scale: 0.5), c0 = values(hidden, seed: 5, scale: 0.5)
        var lstm = ONNXBuilder.node("LSTM", ["xt", "W", "R", "B", sequenceLengths == nil ? "" : "lens", "h0", "c0"], "Y",
                                    name: "lstm", int: ["hidden_size": hidden])
        lstm.output = ["Y", "Y_h", "Y_c"]
        lstm.attribute += extra
        var initializers = [ONNXBuilder.tensor("W", [1, g, features], w), ONNXBuilder.tensor("R", [1, g, hidden], r),
                            ONNXBuilder.tensor("B", [1, 2 * g], b), ONNXBuilder.tensor("h0", [1, 1, hidden], h0),
                            ONNXBuilder.tensor("c0", [1, 1, hidden], c0)]
        if let sequenceLengths {
            var t = ONNXBuilder.int64s("lens", sequenceLengths)
            t.dataType = 6
            t.int64Data = []
            t.int32Data = sequenceLengths.map(Int32.init)
            initializers.append(t)
        }
        let bytes = try ONNXBuilder.graph([ONNXBuilder.node("Transpose", ["x"], "xt", name: "to_sequence", ints: ["perm": [1, 0, 2]]), lstm],
                                          initializers: initializers, inputShape: [1, steps, features], outputs: ["Y", "Y_h", "Y_c"])
        return (bytes, w, r, b, h0, c0)
    }

    /// `x [1, T, I] → GRU (layout 1; outputs Y, Y_h)`.
    static func gruModel(linearBeforeReset: Bool, steps: Int = steps, extra: [Onnx_AttributeProto] = []) throws -> (bytes: [UInt8], w: [Float], r: [Float], b: [Float], h0: [Float]) {
        let g = 3 * hidden
        let w = values(g * features, seed: 11), r = values(g * hidden, seed: 12), b = values(2 * g, seed: 13, scale: 0.4)
        let h0 = values(hidden, seed: 14, scale: 0.5)
        var gru = ONNXBuilder.node("GRU", ["x", "W", "R", "B", "", "h0"], "Y", name: "gru",
                                   int: ["hidden_size": hidden, "layout": 1, "linear_before_reset": linearBeforeReset ? 1 : 0])
        gru.output = ["Y", "Y_h"]
        gru.attribute += extra
        let bytes = try ONNXBuilder.graph([gru], initializers: [
            ONNXBuilder.tensor("W", [1, g, features], w), ONNXBuilder.tensor("R", [1, g, hidden], r),
            ONNXBuilder.tensor("B", [1, 2 * g], b), ONNXBuilder.tensor("h0", [1, hidden], h0),
        ], inputShape: [1, steps, features], outputs: ["Y", "Y_h"])
        return (bytes, w, r, b, h0)
    }

    /// Seeded input sequences, `T × I` each.
    static func sequences(seed: UInt64, count: Int) -> [[[Double]]] {
        (0..<count).map { s in
            let v = values(steps * features, seed: seed + UInt64(s), scale: 1.5)
            return (0..<steps).map { t in (0..<features).map { Double(v[t * features + $0]) } }
        }
    }

    /// Largest error allowed against the float reference: a few units of 2^-8 through five steps.
    static let errorMax = 0.015

    @Test func lstm_AgreesWithFloatReference_AndProves() throws {
        let m = try Self.lstmModel()
        let model = try ONNXImporter.importModel(m.bytes)
        #expect(model.spec.layers.count == 3 + Self.steps)
        try Self.agreeAndProve(model) { x in Self.lstmReference(x: x, w: m.w, r: m.r, b: m.b, h0: m.h0, c0: m.c0) }
    }

    @Test(arguments: [false, true])
    func gru_AgreesWithFloatReference_AndProves(linearBeforeReset: Bool) throws {
        let m = try Self.gruModel(linearBeforeReset: linearBeforeReset)
        let model = try ONNXImporter.importModel(m.bytes)
        #expect(model.spec.layers.count == 2 + Self.steps * (linearBeforeReset ? 1 : 2))
        try Self.agreeAndProve(model) { x in
            Self.gruReference(x: x, w: m.w, r: m.r, b: m.b, h0: m.h0, linearBeforeReset: linearBeforeReset)
        }
    }

    static func agreeAndProve(_ model: QuantizedModel, reference: ([[Double]]) -> [Double]) throws {
        var worst = 0.0
        for x in sequences(seed: 100, count: 20) {
            let q = try model.quantizeInput(floats: x.flatMap { $0 }, shape: model.spec.inputShape)
            let y = model.dequantizeOutput(try model.run(q).output)
            let expected = reference(x)
            #expect(y.count == expected.count)
            worst = max(worst, zip(y, expected).map { abs($0 - $1) }.max() ?? .infinity)
        }
        #expect(worst <= errorMax, "largest error \(worst)")
        let commitment = try ModelCommitment(committing: model)
        let context = BindingContext(jobID: "recurrent", workerID: "w", nonce: "1")
        let x = try model.quantizeInput(floats: sequences(seed: 7, count: 1)[0].flatMap { $0 }, shape: model.spec.inputShape)
        let (y, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: context)
        #expect(try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof, context: context) == y)
        #expect(y == (try model.run(x).output))
    }

    /// The layer of the node named `"<node> t=<t> R·h"`.
    static func recurrentLayer(_ model: QuantizedModel, node: String, step t: Int) throws -> Int {
        let found = model.spec.nodes.compactMap { n -> Int? in
            if case .linear(let k, _) = n.op, n.name == "\(node) t=\(t) R·h" { return k }
            return nil
        }
        return try #require(found.first)
    }

    @Test(arguments: ["lstm", "gru"])
    func changedRecurrentPreActivation_IsRejected(cell: String) throws {
        let model = try ONNXImporter.importModel(cell == "lstm" ? try Self.lstmModel().bytes : try Self.gruModel(linearBeforeReset: true).bytes)
        let commitment = try ModelCommitment(committing: model)
        let context = BindingContext(jobID: "recurrent", workerID: "w", nonce: "2")
        let x = try model.quantizeInput(floats: Self.sequences(seed: 9, count: 1)[0].flatMap { $0 }, shape: model.spec.inputShape)
        let k = try Self.recurrentLayer(model, node: cell, step: 2)
        // One value of step 2's R·h changed in the proof bytes.
        let (_, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: context)
        var p = try InferenceProof(decoding: proof, layout: commitment.layout, spec: commitment.spec, items: 1)
        p.preActivations[k][1] += 1
        do {
            _ = try InferenceVerifier.verify(commitment: commitment, input: x, proof: p.encoded(), context: context)
            Issue.record("a changed recurrent pre-activation was accepted")
        } catch {
            // Z_k is absorbed before every challenge, so the first failing check may be an earlier layer's.
            #expect((0...k).contains { isLinearCheckFailure(error, layer: $0) }, "\(error)")
        }
        // An adversarial prover that changes it and continues the recurrence honestly from there.
        let run = try model.spec.evaluate(x, linear: { i, columns in
            var z = model.layers[i].preActivation(columns: columns)
            if i == k { z[1] += 1 << 12 }
            return z
        }, product: { j, a, b in model.spec.product(j, a, b) })
        #expect(run.output != (try model.run(x).output))
        let forged = InferenceProver.proveTrace(model: model, commitment: commitment, input: x, preActivations: run.preActivations,
                                                output: run.output, context: context).encoded()
        do {
            _ = try InferenceVerifier.verify(commitment: commitment, input: x, proof: forged, context: context)
            Issue.record("a forged recurrent pre-activation was accepted")
        } catch {
            #expect(isLinearCheckFailure(error, layer: k), "\(error)")
        }
    }

    /// The error importing `bytes` raises, or nil if it imports.
    static func refusal(_ bytes: [UInt8]) -> InferenceError? {
        do {
            _ = try ONNXImporter.importModel(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("direction", string("direction", "bidirectional")),
        ("direction", string("direction", "reverse")),
        ("activations", strings("activations", ["Sigmoid", "Relu", "Tanh"])),
        ("clip", { var a = Onnx_AttributeProto(); a.name = "clip"; a.type = .float; a.f = 3; return a }()),
        ("input_forget", { var a = Onnx_AttributeProto(); a.name = "input_forget"; a.type = .int; a.i = 1; return a }()),
    ])
    func unsupportedLSTMAttribute_IsRefusedByName(attribute: String, value: Onnx_AttributeProto) throws {
        let error = try #require(Self.refusal(try Self.lstmModel(extra: [value]).bytes), "\(attribute) was accepted")
        #expect(error.code == "unsupported_attribute", "\(error)")
        #expect(error.description.contains("'lstm'") && error.description.contains(attribute), "\(error)")
    }

    @Test func gruOtherActivations_AreRefusedByName() throws {
        let bytes = try Self.gruModel(linearBeforeReset: true, extra: [Self.strings("activations", ["HardSigmoid", "Tanh"])]).bytes
        let error = try #require(Self.refusal(bytes), "other activations were accepted")
        #expect(error.code == "unsupported_attribute" && error.description.contains("'gru'") && error.description.contains("activations"), "\(error)")
    }

    @Test func sequenceLengths_FullLengthIsAccepted_ShorterRefused() throws {
        let full = try ONNXImporter.importModel(try Self.lstmModel(sequenceLengths: [Self.steps]).bytes)
        #expect(full.spec == (try ONNXImporter.importModel(try Self.lstmModel().bytes)).spec)
        let error = try #require(Self.refusal(try Self.lstmModel(sequenceLengths: [Self.steps - 1]).bytes), "a shorter length was accepted")
        #expect(error.code == "unsupported_attribute" && error.description.contains("sequence_lens"), "\(error)")
    }

    @Test func unrolledLayerCount_AtTheLimitImports_PastItIsRefused() throws {
        // A GRU with linear_before_reset has two layers besides one per step.
        let limit = InferenceLimits.layerCountMax
        let m = try Self.gruModel(linearBeforeReset: true, steps: limit - 2)
        let model = try ONNXImporter.importModel(m.bytes)
        #expect(model.spec.layers.count == limit)
        // Y of so many steps is joined in rounds of concatenation; it must still be every step in order.
        var g = SeededGenerator(seed: 5)
        let x = (0..<(limit - 2)).map { _ in (0..<Self.features).map { _ in Double(g.next() >> 11) / Double(1 << 53) * 2 - 1 } }
        let y = try model.run(try model.quantizeInput(floats: x.flatMap { $0 }, shape: model.spec.inputShape)).output
        let expected = Self.gruReference(x: x, w: m.w, r: m.r, b: m.b, h0: m.h0, linearBeforeReset: true)
        let worst = zip(model.dequantizeOutput(y), expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(y.count == expected.count && worst <= Self.errorMax, "largest error \(worst)")
        #expect(Array(y.suffix(2 * Self.hidden).prefix(Self.hidden)) == Array(y.suffix(Self.hidden)))
        let error = try #require(Self.refusal(try Self.gruModel(linearBeforeReset: true, steps: limit - 1).bytes), "past the limit was accepted")
        #expect(error.code == "unsupported_graph" && error.description.contains("'gru'") && error.description.contains("\(limit + 1) linear layers"), "\(error)")
    }
}
