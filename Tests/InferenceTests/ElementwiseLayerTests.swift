import Foundation
import Testing
@testable import Inference
import ZKProof

/// Element-wise affine layers (`Z[c, p] = w[c]·X[c, p] + b[c]`, checked by the batched
/// sum-check over their committed weight vectors) and embedding lookups by integer token ids
/// (one-hot columns the verifier builds from the public ids). Each model is imported from a
/// hand-built ONNX graph, compared with a float reference, proven and verified, then attacked.
@Suite struct ElementwiseLayerTests {
    typealias B = ONNXBuilder

    static let context = BindingContext(jobID: "job-e", workerID: "worker-e", nonce: "n-1")

    /// `x [1, 3, 4] · s [1, 3, 1] + P [1, 3, 4]`: a per-channel scale, then a full-tensor
    /// constant (a positional embedding), then a per-feature scale `[4]` — three element-wise
    /// layers; `batch` makes the first dimension symbolic.
    static func affineModel(position: [Float], scale: [Float] = [0.5, -1.25, 2], batch: Bool = false) throws -> QuantizedModel {
        let bytes = try B.graph([
            B.node("Mul", ["x", "S"], "a", name: "scale"),
            B.node("Add", ["a", "P"], "b", name: "position"),
            B.node("Mul", ["b", "F"], "y", name: "feature"),
        ], initializers: [B.tensor("S", [1, 3, 1], scale), B.tensor("P", [1, 3, 4], position),
                          B.tensor("F", [4], [1, 0.75, -0.5, 1.5])],
           inputShape: [1, 3, 4], outputs: ["y"], batch: batch)
        return try ONNXImporter.importModel(bytes)
    }

    static let position: [Float] = (0..<12).map { Float($0 % 5) / 4 - 0.5 }

    static func reference(_ x: [Double], position: [Float], scale: [Float] = [0.5, -1.25, 2]) -> [Double] {
        let feature: [Double] = [1, 0.75, -0.5, 1.5]
        return x.indices.map { e in (x[e] * Double(scale[e / 4]) + Double(position[e])) * feature[e % 4] }
    }

    static func input(_ seed: UInt64, count: Int = 12) -> [Double] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Double(Int(g.next() % 2001) - 1000) / 1000 }
    }

    /// The proof an adversary gets by changing element-wise layer `layer`'s `Z` with `tamper`
    /// and following the protocol honestly from there.
    static func forged(_ model: QuantizedModel, _ commitment: ModelCommitment, _ input: [Int64], layer: Int,
                       tamper: (inout [Int64]) -> Void) throws -> [UInt8] {
        let run = try model.spec.evaluate(input, linear: { k, x in
            var z = model.layers[k].preActivation(columns: x)
            if k == layer { tamper(&z) }
            return z
        }, product: { j, a, b in model.spec.product(j, a, b) })
        return InferenceProver.proveTrace(model: model, commitment: commitment, input: input, preActivations: run.preActivations,
                                          products: run.products, output: run.output, context: context).encoded()
    }

    static func rejection(_ commitment: ModelCommitment, _ input: [Int64], _ proof: [UInt8]) -> ProofVerificationError? {
        do {
            _ = try InferenceVerifier.verify(commitment: commitment, input: input, proof: proof, context: context)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Element-wise affine layers

    @Test func constantTensors_AreElementwiseLayers_AgreeWithFloat_AndProve() throws {
        let model = try Self.affineModel(position: Self.position)
        let kinds = model.spec.layers.map(\.kind)
        #expect(kinds.count == 3)
        #expect(kinds[0] == .elementwise(try ElementwiseGeometry(shape: [1, 3, 4], parameterShape: [1, 3, 1])))
        #expect(kinds[1] == .elementwise(try ElementwiseGeometry(shape: [1, 3, 4], parameterShape: [1, 3, 4])))
        #expect(kinds[2] == .elementwise(try ElementwiseGeometry(shape: [1, 3, 4], parameterShape: [1, 1, 4])))
        // O(size) parameters: 3, 12 and 4 weights, not the squares.
        #expect(model.layers.map(\.weights.count) == [3, 12, 4])
        #expect(model.spec.layers.map(\.positions) == [4, 1, 3])
        #expect(try ModelSpec(decoding: model.spec.encoded()) == model.spec)
        let commitment = try ModelCommitment(committing: model)
        #expect(try ModelCommitment(decoding: commitment.encoded).encoded == commitment.encoded)
        for seed in 1...3 as ClosedRange<UInt64> {
            let x = Self.input(seed)
            let q = try model.quantizeInput(floats: x)
            let y = model.dequantizeOutput(try model.run(q).output)
            let expected = Self.reference(x, position: Self.position)
            #expect(zip(y, expected).allSatisfy { abs($0 - $1) < 0.05 }, "\(y) vs \(expected)")
            let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: q, context: Self.context)
            #expect(try InferenceVerifier.verify(commitment: commitment, input: q, proof: proof, context: Self.context) == output)
        }
    }

    @Test func batchOfItems_ProvesSideBySide() throws {
        let model = try Self.affineModel(position: Self.position, batch: true)
        #expect(model.spec.batchable)
        let commitment = try ModelCommitment(committing: model)
        let items = try (1...5 as ClosedRange<UInt64>).map { try model.quantizeInput(floats: Self.input($0)) }
        let batch = items.flatMap { $0 }
        let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: batch, context: Self.context)
        #expect(output == (try items.flatMap { try model.run($0).output }))
        #expect(try InferenceVerifier.verify(commitment: commitment, input: batch, proof: proof, context: Self.context) == output)
        let forged = try Self.forged(model, commitment, items[0], layer: 0) { $0[1] += 1 }
        #expect(Self.rejection(commitment, items[0], forged) != nil)
    }

    @Test(arguments: [0, 1, 2])
    func changedZ_OfAnElementwiseLayer_IsRejected(layer: Int) throws {
        let model = try Self.affineModel(position: Self.position)
        let commitment = try ModelCommitment(committing: model)
        let x = try model.quantizeInput(floats: Self.input(7))
        // One pre-activation value moved by one: the output changes only a little or not at all.
        let forged = try Self.forged(model, commitment, x, layer: layer) { $0[$0.count / 2] += 1 }
        let error = Self.rejection(commitment, x, forged)
        guard case .elementwiseCheckFailed(.roundSumMismatch(let round, _, _))? = error else {
            Issue.record("expected a failed sum-check round, got \(String(describing: error))")
            return
        }
        #expect(round == 0)
    }

    @Test func wrongWeightCombination_IsRejected() throws {
        let model = try Self.affineModel(position: Self.position)
        let commitment = try ModelCommitment(committing: model)
        let x = try model.quantizeInput(floats: Self.input(8))
        let (_, bytes) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        let proof = try InferenceProof(decoding: bytes, layout: commitment.layout, spec: commitment.spec, items: 1)
        for k in 0..<3 {
            // A changed entry of t_k no longer folds to the sum-check's evaluation of w_k.
            var changed = proof
            changed.weightCombinations[k][0] += .one
            guard case .elementwiseCheckFailed(.openingFoldMismatch)? = Self.rejection(commitment, x, changed.encoded()) else {
                Issue.record("layer \(k): a changed weight combination was not refused by the fold")
                continue
            }
            // Two entries changed so that the fold still gives the claimed evaluation: only the
            // commitment can tell, and the batched opening does.
            var balanced = proof
            let width = balanced.weightCombinations[k].count
            #expect(width >= 2)
            let layout = try #require(commitment.layout.layers[k].weightOpening)
            let point = try #require(try Self.sumCheckPoints(commitment, x, proof)[k])
            let eq = TableOpening.columnWeights(layout, point: point)
            let (i, j) = (0, 1)
            guard let inverse = eq[j].inverse() else { Issue.record("zero column weight"); continue }
            balanced.weightCombinations[k][i] += .one
            balanced.weightCombinations[k][j] -= eq[i] * inverse
            #expect(TableOpening.fold(balanced.weightCombinations[k], layout: layout, point: point)
                    == TableOpening.fold(proof.weightCombinations[k], layout: layout, point: point))
            #expect(Self.rejection(commitment, x, balanced.encoded()) == .commitmentOpeningFailed)
        }
    }

    @Test func wrongBiasCombination_IsRejected() throws {
        let model = try Self.affineModel(position: Self.position)
        let commitment = try ModelCommitment(committing: model)
        let x = try model.quantizeInput(floats: Self.input(9))
        let (_, bytes) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        let proof = try InferenceProof(decoding: bytes, layout: commitment.layout, spec: commitment.spec, items: 1)
        for k in 0..<3 {
            var changed = proof
            changed.biasCombinations[k][0] += .one
            // β feeds the claimed sum: the sum-check refuses it at once (its transcript also moved).
            #expect(Self.rejection(commitment, x, changed.encoded()) != nil)
        }
        // A sum-check round changed.
        var round = proof
        round.sumCheck?.rounds[0].atTwo += .one
        #expect(Self.rejection(commitment, x, round.encoded()) != nil)
        var evaluation = proof
        evaluation.sumCheck?.evaluations[0] += .one
        #expect(Self.rejection(commitment, x, evaluation.encoded()) != nil)
    }

    @Test func proofForAnotherConstant_IsRejected() throws {
        let model = try Self.affineModel(position: Self.position)
        var other = Self.position
        other[5] += 0.25
        let otherModel = try Self.affineModel(position: other)
        #expect(model.spec == otherModel.spec)
        #expect(model.digest != otherModel.digest)
        let commitment = try ModelCommitment(committing: model)
        let otherCommitment = try ModelCommitment(committing: otherModel)
        let x = try model.quantizeInput(floats: Self.input(10))
        let (_, proof) = try InferenceProver.prove(model: otherModel, commitment: otherCommitment, input: x, context: Self.context)
        #expect(try InferenceVerifier.verify(commitment: otherCommitment, input: x, proof: proof, context: Self.context).count == 12)
        // Verified against this model's commitment, the other table's proof fails.
        #expect(Self.rejection(commitment, x, proof) != nil)
        // The prover refuses to prove one model against another's commitment...
        #expect(throws: ProvingError.commitmentMismatch) {
            try InferenceProver.prove(model: otherModel, commitment: commitment, input: x, context: Self.context)
        }
        // ...and following the protocol under this commitment with the other weights fails.
        let run = try otherModel.run(x)
        let forged = InferenceProver.proveTrace(model: otherModel, commitment: commitment, input: x,
                                                preActivations: run.layers.map(\.preActivation), output: run.output,
                                                context: Self.context).encoded()
        #expect(Self.rejection(commitment, x, forged) != nil)
    }

    @Test func proofUnderAnotherCommitment_IsRejected() throws {
        // The same graph with one scale changed: another commitment, which the statement absorbs.
        let model = try Self.affineModel(position: Self.position)
        let commitment = try ModelCommitment(committing: model)
        let x = try model.quantizeInput(floats: Self.input(11))
        let (_, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        let scale: [Float] = [0.5, -1.25, 2.25]
        let other = try Self.affineModel(position: Self.position, scale: scale)
        let otherCommitment = try ModelCommitment(committing: other)
        #expect(Self.rejection(otherCommitment, x, proof) != nil)
        #expect(Self.rejection(commitment, x, proof) == nil)
    }

    /// The sum-check point of each element-wise layer, as the verifier derives it.
    static func sumCheckPoints(_ commitment: ModelCommitment, _ input: [Int64], _ proof: InferenceProof) throws -> [Int: [Scalar]] {
        let spec = commitment.spec, layout = commitment.layout
        let run = try spec.evaluate(input, linear: { k, _ in proof.preActivations[k] }, product: { j, _, _ in proof.products[j] })
        var t = InferenceProtocol.beginTranscript(commitment: commitment, context: context, input: input, output: run.output)
        InferenceProtocol.absorbTrace(&t, proof.preActivations, products: proof.products)
        let points = InferenceProtocol.drawPoints(&t, layout: layout, items: 1)
        _ = InferenceProtocol.drawProductPoints(&t, spec: spec, items: 1)
        InferenceProtocol.absorbCombinations(&t, layout: layout, weights: proof.weightCombinations, bias: proof.biasCombinations)
        var claims: [[SumCheckVerifier.Claim]] = []
        for k in layout.elementwiseLayers {
            let shape = layout.layers[k]
            let bias = InferenceProtocol.biasEvaluation(proof.biasCombinations[k], point: points[k].row, shape: shape)
            let c = InferenceProtocol.elementwiseClaim(z: proof.preActivations[k], x: run.columns[k], point: points[k], bias: bias,
                                                       rows: shape.rows, positions: shape.positions)
            claims.append([SumCheckVerifier.Claim(weights: c.weights, value: c.value)])
        }
        let shape = try #require(layout.sumCheckShape)
        let verified = try SumCheckVerifier.verify(shape: shape, claims: claims, proof: try #require(proof.sumCheck), transcript: &t)
        var out: [Int: [Scalar]] = [:]
        for (i, k) in layout.elementwiseLayers.enumerated() { out[k] = verified.claims[i].point }
        return out
    }

    @Test func twoThousandSingleByteMutations_AreRejected_WithTypedErrors() throws {
        let model = try Self.affineModel(position: Self.position)
        let commitment = try ModelCommitment(committing: model)
        let x = try model.quantizeInput(floats: Self.input(13))
        let (_, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        var rng = SeededGenerator(seed: 0xE1E)
        var byCode: [String: Int] = [:]
        for trial in 0..<2000 {
            var bytes = proof
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[position] ^= UInt8.random(in: 1...255, using: &rng)
            guard let error = Self.rejection(commitment, x, bytes) else {
                Issue.record("mutation \(trial) at byte \(position) was accepted")
                continue
            }
            byCode[error.code, default: 0] += 1
        }
        // The sum-check's messages sit at the end of the proof: its checks fire too.
        #expect(byCode["elementwise_check_failed", default: 0] > 0, "\(byCode)")
        #expect(byCode.count >= 2, "\(byCode)")
    }

    @Test func perChannelParameters_AreCommittedAsAVector_NotADiagonal() throws {
        // 64 channels over [1, 64, 4, 4]: 64 weights in 8 rows of 8, not a 64 × 64 matrix.
        let c = 64
        let bytes = try B.graph([B.node("Mul", ["x", "S"], "y", name: "scale")],
                                initializers: [B.tensor("S", [c, 1, 1], (0..<c).map { Float($0 % 7) / 4 - 0.75 })],
                                inputShape: [1, c, 4, 4], outputs: ["y"])
        let model = try ONNXImporter.importModel(bytes)
        #expect(model.layers.map(\.weights.count) == [c])
        let commitment = try ModelCommitment(committing: model)
        let layer = commitment.layout.layers[0]
        #expect(layer.elementwise && layer.weights.entries == c && layer.weights.width == 8 && layer.weights.rowCount == 8)
        #expect(commitment.weightRows[0].count == 8)
        #expect(commitment.layout.sumCheckShape?.variableCount == 6)
        let x = try model.quantizeInput(floats: Self.input(14, count: c * 16))
        let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        #expect(try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof, context: Self.context) == output)
        // Z (1,024 values, packed or not) + t and β (8 scalars each) + the sum-check (6 rounds, one evaluation).
        #expect(proof.count <= InferenceProof.headerByteCount + 4 + 8 * c * 16 + 32 * (8 + 8) + 32 * (3 * 6 + 1))
    }

    @Test func batchNormThatCannotFold_IsOneElementwiseLayer() throws {
        // Conv → Relu → BatchNorm: the ReLU sits between, so the BatchNorm cannot fold.
        let c = 4
        let bytes = try B.graph([
            B.node("Conv", ["x", "W"], "a", name: "conv", ints: ["kernel_shape": [1, 1]]),
            B.node("Relu", ["a"], "r", name: "relu"),
            B.node("BatchNormalization", ["r", "g", "b", "m", "v"], "y", name: "bn"),
        ], initializers: [B.tensor("W", [c, 2, 1, 1], (0..<(2 * c)).map { Float($0 % 3) / 4 - 0.25 }),
                          B.tensor("g", [c], [1, 0.5, 2, -1]), B.tensor("b", [c], [0.1, 0, -0.2, 0.3]),
                          B.tensor("m", [c], [0, 0.1, 0, -0.1]), B.tensor("v", [c], [1, 4, 0.25, 1])],
           inputShape: [1, 2, 3, 3], outputs: ["y"])
        let model = try ONNXImporter.importModel(bytes)
        #expect(model.spec.layers.count == 2)
        #expect(model.spec.layers[1].kind == .elementwise(try ElementwiseGeometry(shape: [1, c, 3, 3], parameterShape: [1, c, 1, 1])))
        #expect(model.layers[1].weights.count == c)
        let x = try model.quantizeInput(floats: Self.input(12, count: 18))
        let commitment = try ModelCommitment(committing: model)
        let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        #expect(try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof, context: Self.context) == output)
    }

    // MARK: - Embeddings by integer token ids

    static let vocabulary = 6, width = 5, tokens = 4

    /// `Gather(E [6, 5], ids [1, 4]) → ReduceMean over the tokens → Gemm (W [3, 5])`.
    static func embeddingModel(table: [Float], inputType: Int32 = 7, batch: Bool = false) throws -> QuantizedModel {
        let bytes = try B.graph([
            B.node("Gather", ["E", "x"], "e", name: "embed", int: ["axis": 0]),
            B.node("ReduceMean", ["e"], "m", name: "mean", int: ["keepdims": 0], ints: ["axes": [1]]),
            B.node("Gemm", ["m", "W", "C"], "y", name: "fc", int: ["transB": 1]),
        ], initializers: [B.tensor("E", [vocabulary, width], table), B.tensor("W", [3, width], Self.head),
                          B.tensor("C", [3], [0.1, -0.2, 0.05])],
           inputShape: [1, tokens], outputs: ["y"], batch: batch, inputType: inputType)
        return try ONNXImporter.importModel(bytes)
    }

    static let table: [Float] = (0..<(vocabulary * width)).map { Float(($0 * 7) % 11) / 8 - 0.6 }
    static let head: [Float] = (0..<(3 * width)).map { Float(($0 * 5) % 9) / 6 - 0.7 }

    static func embeddingReference(_ ids: [Int], table: [Float]) -> [Double] {
        var mean = [Double](repeating: 0, count: width)
        for d in 0..<width {
            for id in ids { mean[d] += Double(table[id * width + d]) }
            mean[d] /= Double(ids.count)
        }
        let bias: [Double] = [0.1, -0.2, 0.05]
        var out = bias
        for o in 0..<3 { for d in 0..<width { out[o] += Double(head[o * width + d]) * mean[d] } }
        return out
    }

    @Test(arguments: [Int32(7), Int32(6)])
    func embeddingByTokenIDs_AgreesWithFloat_AndProves(inputType: Int32) throws {
        let model = try Self.embeddingModel(table: Self.table, inputType: inputType)
        #expect(model.spec.integerInput)
        #expect(model.spec.inputRange == 0...Int64(Self.vocabulary - 1))
        #expect(model.spec.inputFractionBits == 0)
        #expect(model.spec.layers[0].kind == .oneHot(vocabulary: Self.vocabulary, count: Self.tokens, fractionBits: 8))
        #expect(try ModelSpec(decoding: model.spec.encoded()) == model.spec)
        let commitment = try ModelCommitment(committing: model)
        for ids in [[0, 1, 2, 3], [5, 5, 0, 4], [3, 3, 3, 3]] {
            let x = try model.quantizeInput(floats: ids.map(Double.init))
            #expect(x == ids.map(Int64.init))
            let y = model.dequantizeOutput(try model.run(x).output)
            let expected = Self.embeddingReference(ids, table: Self.table)
            #expect(zip(y, expected).allSatisfy { abs($0 - $1) < 0.03 }, "\(y) vs \(expected)")
            let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
            #expect(try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof, context: Self.context) == output)
        }
    }

    @Test func tokenIDsOutOfRange_AreRefused_WithAStableCode() throws {
        let model = try Self.embeddingModel(table: Self.table)
        for bad in [[0, 1, 6, 2], [0, -1, 2, 3], [0, 1.5, 2, 3], [0, .nan, 1, 1]] as [[Double]] {
            #expect(throws: InferenceError.self) { try model.quantizeInput(floats: bad) }
            do {
                _ = try model.quantizeInput(floats: bad)
            } catch {
                #expect(error.code == "input_id_out_of_range")
                #expect(error.description.contains("0…5"))
            }
        }
        // The verifier refuses such an input before reading the proof.
        let commitment = try ModelCommitment(committing: model)
        let (_, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: [0, 1, 2, 3], context: Self.context)
        guard case .invalidInput(let e)? = Self.rejection(commitment, [0, 1, 9, 3], proof) else {
            Issue.record("an out-of-range id was not refused")
            return
        }
        #expect(e.code == "input_id_out_of_range")
        #expect(throws: ProvingError.self) {
            try InferenceProver.prove(model: model, commitment: commitment, input: [0, 7, 2, 3], context: Self.context)
        }
    }

    @Test func embeddingProof_ForOtherIDsOrAnotherTable_IsRejected() throws {
        let model = try Self.embeddingModel(table: Self.table)
        let commitment = try ModelCommitment(committing: model)
        let (_, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: [1, 2, 3, 4], context: Self.context)
        // The same proof for other ids: the one-hot columns differ.
        #expect(Self.rejection(commitment, [1, 2, 3, 5], proof) != nil)
        var other = Self.table
        other[2 * Self.width + 1] += 0.5
        let otherModel = try Self.embeddingModel(table: other)
        let otherCommitment = try ModelCommitment(committing: otherModel)
        #expect(Self.rejection(otherCommitment, [1, 2, 3, 4], proof) != nil)
        // A forged gathered row (the table's entry changed in the trace) fails the linear check.
        let forged = try Self.forged(model, commitment, [1, 2, 3, 4], layer: 0) { $0[3] += 1 }
        guard case .linearCheckFailed(let layer, _, _)? = Self.rejection(commitment, [1, 2, 3, 4], forged) else {
            Issue.record("a forged embedding row was not refused by the linear check")
            return
        }
        #expect(layer == 0)
    }

    @Test func embeddingBatch_ProvesTogether() throws {
        let model = try Self.embeddingModel(table: Self.table, batch: true)
        #expect(model.spec.batchable)
        let commitment = try ModelCommitment(committing: model)
        let batch: [Int64] = [0, 1, 2, 3, 5, 4, 3, 2, 1, 1, 1, 1]
        let x = try model.quantizeInput(floats: batch.map(Double.init), shape: [3, Self.tokens])
        let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        #expect(output.count == 9)
        #expect(try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof, context: Self.context) == output)
    }

    @Test func integerInputReadAsNumbers_IsRefused() throws {
        // Ids added to a constant: the ids would be treated as values, which the model cannot mean.
        let bytes = try B.graph([
            B.node("Gather", ["E", "x"], "e", name: "embed", int: ["axis": 0]),
            B.node("Cast", ["x"], "f", name: "cast", int: ["to": 1]),
            B.node("ReduceMean", ["f"], "m", name: "mean", int: ["keepdims": 1], ints: ["axes": [1]]),
            B.node("Mul", ["e", "m"], "y", name: "mix"),
        ], initializers: [B.tensor("E", [Self.vocabulary, Self.width], Self.table)],
           inputShape: [1, Self.tokens], outputs: ["y"], inputType: 7)
        #expect {
            try ONNXImporter.importModel(bytes)
        } throws: { error in
            guard let e = error as? InferenceError else { return false }
            return e.code == "unsupported_graph" && e.description.contains("token ids") && e.description.contains("mean")
        }
    }
}
