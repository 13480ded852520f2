import Foundation
@testable import Inference
import Testing
import TestSupport
import ZKProof

/// Private proofs through max pooling: each window's maximum is committed with a difference
/// and a selector per tap; a false maximum is refused by the check it breaks; LeNet-5 proves.
@Suite struct PrivatePoolingTests {
    typealias B = ONNXBuilder
    typealias Conv = PrivateConvolutionTests

    /// Conv(1→4, 3×3, pad 1) → Relu → MaxPool(2×2) → Conv(4→3, 3×3, pad 1) → Relu →
    /// MaxPool(3×3, stride 2, pad 1: corner windows read padding) → Flatten → Gemm(12→4) over `[B, 1, 8, 8]`.
    static let pooled: PrivateFixtures.Committed? = Conv.committing(try? B.graph([
        B.node("Conv", ["x", "K1", "b1"], "c1", name: "conv1", ints: ["pads": [1, 1, 1, 1], "kernel_shape": [3, 3]]),
        B.node("Relu", ["c1"], "r1", name: "relu1"),
        B.node("MaxPool", ["r1"], "p1", name: "pool1", ints: ["kernel_shape": [2, 2], "strides": [2, 2]]),
        B.node("Conv", ["p1", "K2", "b2"], "c2", name: "conv2", ints: ["pads": [1, 1, 1, 1], "kernel_shape": [3, 3]]),
        B.node("Relu", ["c2"], "r2", name: "relu2"),
        B.node("MaxPool", ["r2"], "p2", name: "pool2", ints: ["kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]]),
        B.node("Flatten", ["p2"], "flat", name: "flatten", int: ["axis": 1]),
        B.node("Gemm", ["flat", "F", "bf"], "y", name: "fc", int: ["transB": 1]),
    ], initializers: [
        B.tensor("K1", [4, 1, 3, 3], GraphModelTests.weights(36, seed: 81)),
        B.tensor("b1", [4], GraphModelTests.weights(4, seed: 82, scale: 0.1)),
        B.tensor("K2", [3, 4, 3, 3], GraphModelTests.weights(108, seed: 83, scale: 0.3)),
        B.tensor("b2", [3], GraphModelTests.weights(3, seed: 84, scale: 0.1)),
        B.tensor("F", [4, 12], GraphModelTests.weights(48, seed: 85, scale: 0.3)),
        B.tensor("bf", [4], GraphModelTests.weights(4, seed: 86, scale: 0.1)),
    ], inputShape: [1, 1, 8, 8], outputs: ["y"], batch: true))

    static func committed() throws -> PrivateFixtures.Committed {
        guard let c = pooled else { throw Fixtures.FixtureMissing(name: "pooled model") }
        return c
    }

    static func input(_ model: QuantizedModel, items: Int, seed: UInt64 = 800) throws -> [Int64] {
        try model.quantizeInput(floats: GraphModelTests.inputs(64 * items, seed: seed), shape: [items, 1, 8, 8])
    }

    static func honest(items: Int = 1) throws -> Conv.Case {
        let c = try committed()
        return try Conv.Case(c, input: try input(c.model, items: items))
    }

    /// The honest pool tables of layer 1 (the second convolution reads through the first pool).
    static func poolTables(_ k: Conv.Case) throws -> (PrivatePoolShape, PrivateProver.PoolTables, [PrivateProver.PoolTables?]) {
        let traces = try k.c.model.runBatch(k.input)
        let shapes = try #require(PrivateProtocol.shapes(k.c.model.spec, items: traces.count))
        let pools = try PrivateProver.poolTables(shapes, traces, spec: k.c.model.spec)
        return (try #require(shapes[1].pool), try #require(pools[1]), pools)
    }

    @Test func maxPools_ArePrivatelyReady_AverageIsNot() throws {
        let c = try Self.committed()
        #expect(PrivateReadiness.unsupportedOperators(c.model.spec).isEmpty)
        let shapes = try #require(PrivateProtocol.shapes(c.model.spec, items: 1))
        #expect(shapes.map { $0.pool != nil } == [false, true, true])
        let second = try #require(shapes[2].pool)
        #expect(second.window == 9 && second.members.contains(TensorSemantics.poolPadding))
        let average = try Fixtures.model("cnn_avg")
        #expect(PrivateReadiness.unsupportedOperators(average.spec).contains("AveragePool"))
    }

    @Test(arguments: [1, 3])
    func honestProof_Verifies(items: Int) async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Self.honest(items: items) }
        let expected = try k.c.model.runBatch(k.input).flatMap(\.output)
        #expect(k.output == expected)
        let verified = try await OwnThread.run { try k.verify(k.proof) }
        #expect(verified == expected)
    }

    @Test func hiddenInputProof_Verifies() async throws {
        try await PrivateFixtures.ready()
        let c = try Self.committed()
        let (expected, verified) = try await OwnThread.run { () -> ([Int64], [Int64]) in
            let input = try Self.input(c.model, items: 2, seed: 810)
            let (_, proof, _) = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material, input: input,
                                                        context: Conv.context, hideInput: true)
            let verified = try PrivateVerifier.verifyHidingInput(commitment: c.commitment, proof: proof, context: Conv.context)
            return (try c.model.runBatch(input).flatMap(\.output), verified.output)
        }
        #expect(verified == expected)
    }

    @Test func largerMaximum_IsRefusedByTheSelectorCheck() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Self.honest() }
        let (pool, honest, pools) = try Self.poolTables(k)
        // Window 0 claims m + 1, every difference of the window one larger: consistent, but the
        // selected tap's difference is now 1.
        let s = pool.selection, o = pool.output
        let m = PrivateProofSoundnessTests.group(honest.output, o, entry: 0, start: o.clampStart, bits: o.clampBits)
        try #require(m < o.span)
        var output = honest.output, selection = honest.selection
        PrivateProofSoundnessTests.setGroup(&output, o, entry: 0, start: o.clampStart, bits: o.clampBits, m + 1)
        for u in 0..<pool.window where pool.members[u] >= 0 {
            let e = pool.selectionEntry(0, item: 0, tap: u)
            let delta = PrivateProofSoundnessTests.group(selection, s, entry: e, start: 0, bits: s.clampBits)
            try #require(delta + 1 <= s.span)
            PrivateProofSoundnessTests.setGroup(&selection, s, entry: e, start: 0, bits: s.clampBits, delta + 1)
        }
        var changed = pools
        changed[1] = PrivateProver.PoolTables(output: output, selection: selection)
        let forged = changed
        let proof = try await OwnThread.run { try k.prove(try k.tables(), pools: forged) }
        Conv.expectCheck("layer 1 pool selector") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func windowWithoutSelector_IsRefusedByTheSelectionCheck() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Self.honest() }
        let (pool, honest, pools) = try Self.poolTables(k)
        var selection = honest.selection
        for u in 0..<pool.window {
            selection[pool.selectionEntry(0, item: 0, tap: u) * pool.selection.columnCount + pool.selectorColumn] = 0
        }
        var changed = pools
        changed[1] = PrivateProver.PoolTables(output: honest.output, selection: selection)
        let forged = changed
        let proof = try await OwnThread.run { try k.prove(try k.tables(), pools: forged) }
        Conv.expectCheck("layer 1 pool selection ΣS = 1") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func smallerMaximum_IsRefusedByTheDifferenceCheck() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Self.honest() }
        let (pool, honest, pools) = try Self.poolTables(k)
        // Window 0 claims its maximum minus one: only the differences of the other taps can follow.
        let o = pool.output
        let w = try #require((0..<o.entries).first {
            PrivateProofSoundnessTests.group(honest.output, o, entry: $0, start: o.clampStart, bits: o.clampBits) > 0
        })
        let m = PrivateProofSoundnessTests.group(honest.output, o, entry: w, start: o.clampStart, bits: o.clampBits)
        var output = honest.output
        PrivateProofSoundnessTests.setGroup(&output, o, entry: w, start: o.clampStart, bits: o.clampBits, m - 1)
        var changed = pools
        changed[1] = PrivateProver.PoolTables(output: output, selection: honest.selection)
        let forged = changed
        let proof = try await OwnThread.run { try k.prove(try k.tables(), pools: forged) }
        Conv.expectCheck("layer 1 pool difference") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func proofForOtherInput_AndTruncation_AreRefused() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Self.honest() }
        var other = k.input
        other[9] = other[9] == 0 ? 1 : 0
        Conv.expectCode("private_check_failed") { () throws(ProofVerificationError) in try k.verify(k.proof, input: other) }
        Conv.expectCode("proof_malformed") { () throws(ProofVerificationError) in try k.verify(Array(k.proof.dropLast())) }
        Conv.expectCode("proof_too_large") { () throws(ProofVerificationError) in try k.verify(k.proof + [1]) }
    }

    @Test func simulatedProof_VerifiesWithItsChallengesOnly() async throws {
        try await PrivateFixtures.ready()
        let c = try Self.committed()
        let (output, outcome) = try await OwnThread.run { () -> ([Int64], PrivateProofSimulatorTests.Outcome) in
            let input = try Self.input(c.model, items: 2, seed: 820)
            let output = try c.model.runBatch(input).flatMap(\.output)
            return (output, try PrivateProofSimulatorTests.simulateAndVerify(c, input: input, output: output))
        }
        #expect(try outcome.programmed.get() == output)
        PrivateProofSimulatorTests.expectRefusedByFiatShamir(outcome.fiatShamir)
    }

    @Test func lenet5_ProvesPrivately_WithThePublicEnginesOutput() async throws {
        try await PrivateFixtures.ready()
        let result = try await OwnThread.run { () -> ([Int64], [Int64], [Int64]) in
            let model = try ONNXImporter.importModel([UInt8](try ZooTests.data("lenet5.torchscript.onnx")))
            #expect(PrivateReadiness.unsupportedOperators(model.spec).isEmpty)
            let inputs = try ZooTests.floats("lenet5.inputs.f32")
            let x = try model.quantizeInput(floats: Array(inputs.prefix(model.spec.inputElements)), shape: model.spec.inputShape)
            let (commitment, material) = try PrivateProver.commit(model)
            let (output, proof) = try PrivateProver.prove(model: model, commitment: commitment, material: material, input: x,
                                                          context: Conv.context)
            let verified = try PrivateVerifier.verify(commitment: commitment, input: x, proof: proof, context: Conv.context)
            return (try model.run(x).output, output, verified)
        }
        #expect(result.1 == result.0)
        #expect(result.2 == result.0)
    }
}
