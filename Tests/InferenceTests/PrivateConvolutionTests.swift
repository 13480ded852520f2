import Foundation
@testable import Inference
import Testing
import TestSupport
import ZKProof

/// Private proofs of convolutional models: convolutions read through the im2col map, reshapes
/// between layers are free, and every attack on a dense chain is refused here too.
@Suite struct PrivateConvolutionTests {
    static let context = PrivateFixtures.context
    typealias B = ONNXBuilder

    /// Imports and commits a model built in code.
    static func committing(_ bytes: [UInt8]?) -> PrivateFixtures.Committed? {
        guard let bytes, let model = try? ONNXImporter.importModel(bytes), let (c, m) = try? PrivateProver.commit(model) else { return nil }
        return PrivateFixtures.Committed(model: model, commitment: c, material: m)
    }

    /// Conv(2→3, 3×3, pad 1) → Relu → Conv(3→4, 3×3, stride 2, pad 1) → Relu → Flatten → Gemm(36→5)
    /// over a `[B, 2, 6, 6]` input: a convolution reading the input, one reading a convolution
    /// (padding on every side, a stride), and a dense layer reading a flattened convolution.
    static let twoConvolutions: PrivateFixtures.Committed? = committing(try? B.graph([
            B.node("Conv", ["x", "K1", "b1"], "c1", name: "conv1", ints: ["pads": [1, 1, 1, 1], "kernel_shape": [3, 3]]),
            B.node("Relu", ["c1"], "r1", name: "relu1"),
            B.node("Conv", ["r1", "K2", "b2"], "c2", name: "conv2",
                   ints: ["pads": [1, 1, 1, 1], "kernel_shape": [3, 3], "strides": [2, 2]]),
            B.node("Relu", ["c2"], "r2", name: "relu2"),
            B.node("Flatten", ["r2"], "flat", name: "flatten", int: ["axis": 1]),
            B.node("Gemm", ["flat", "F", "bf"], "y", name: "fc", int: ["transB": 1]),
        ], initializers: [
            B.tensor("K1", [3, 2, 3, 3], GraphModelTests.weights(54, seed: 71)),
            B.tensor("b1", [3], GraphModelTests.weights(3, seed: 72, scale: 0.1)),
            B.tensor("K2", [4, 3, 3, 3], GraphModelTests.weights(108, seed: 73, scale: 0.3)),
            B.tensor("b2", [4], GraphModelTests.weights(4, seed: 74, scale: 0.1)),
            B.tensor("F", [5, 36], GraphModelTests.weights(180, seed: 75, scale: 0.2)),
            B.tensor("bf", [5], GraphModelTests.weights(5, seed: 76, scale: 0.1)),
        ], inputShape: [1, 2, 6, 6], outputs: ["y"], batch: true))

    static func committed() throws -> PrivateFixtures.Committed {
        guard let c = twoConvolutions else { throw Fixtures.FixtureMissing(name: "two-convolution model") }
        return c
    }

    /// `items` seeded inputs, quantised.
    static func input(_ model: QuantizedModel, items: Int, seed: UInt64 = 900) throws -> [Int64] {
        try model.quantizeInput(floats: GraphModelTests.inputs(72 * items, seed: seed), shape: [items, 2, 6, 6])
    }

    /// An honest proof on `items` items, with what it was made from.
    struct Case: Sendable {
        let c: PrivateFixtures.Committed
        let input: [Int64]
        let output: [Int64]
        let proof: [UInt8]
        init(items: Int = 1) throws {
            let c = try PrivateConvolutionTests.committed()
            try self.init(c, input: try PrivateConvolutionTests.input(c.model, items: items))
        }
        init(_ c: PrivateFixtures.Committed, input: [Int64]) throws {
            self.c = c
            self.input = input
            (output, proof) = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material,
                                                      input: input, context: PrivateConvolutionTests.context)
        }
        func verify(_ proof: [UInt8], input: [Int64]? = nil, context: BindingContext = PrivateConvolutionTests.context)
            throws(ProofVerificationError) -> [Int64] {
            try PrivateVerifier.verify(commitment: c.commitment, input: input ?? self.input, proof: proof, context: context)
        }
        func prove(_ tables: [[Int64]], pools: [PrivateProver.PoolTables?]? = nil, output: [Int64]? = nil) throws -> [UInt8] {
            let traces = try c.model.runBatch(input)
            let shapes = try #require(PrivateProtocol.shapes(c.model.spec, items: traces.count))
            let honest = try PrivateProver.poolTables(shapes, traces, spec: c.model.spec)
            return try #require(PrivateProver.proveTables(model: c.model, commitment: c.commitment, material: c.material,
                                                          shapes: shapes, tables: tables, pools: pools ?? honest, input: input,
                                                          output: output ?? self.output, context: PrivateConvolutionTests.context))
        }
        func tables() throws -> [[Int64]] {
            let traces = try c.model.runBatch(input)
            return try PrivateProver.bitTables(try #require(PrivateProtocol.shapes(c.model.spec, items: traces.count)), traces)
        }
    }

    static func expectCode(_ code: String, _ body: () throws(ProofVerificationError) -> [Int64]) {
        do {
            _ = try body()
            Issue.record("accepted; expected \(code)")
        } catch {
            #expect(error.code == code, "\(error)")
        }
    }

    static func expectCheck(_ step: String, _ body: () throws(ProofVerificationError) -> [Int64]) {
        do {
            _ = try body()
            Issue.record("accepted; expected a failure of \(step)")
        } catch {
            guard case .privateCheckFailed(let s, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(s.contains(step), "failed at \(s), expected \(step)")
        }
    }

    @Test func convolutionsAndFlatten_ArePrivatelyReady() throws {
        let c = try Self.committed()
        #expect(PrivateReadiness.unsupportedOperators(c.model.spec).isEmpty)
        let names = PrivateReadiness.operators(c.model.spec).map(\.name)
        #expect(names.contains("Conv") && names.contains("Reshape") && names.contains("Gemm"), "\(names)")
        let shapes = try #require(PrivateProtocol.shapes(c.model.spec, items: 3))
        #expect(shapes.map(\.positions) == [36, 9, 1])
        #expect(shapes.map(\.paddedColumns) == [128, 32, 4])
        // The second convolution's corner output reads padding: its im2col map has −1 cells.
        #expect(shapes[1].reads.contains(-1) && shapes[1].reads.count == 27 * 9)
    }

    @Test(arguments: [1, 3])
    func honestProof_Verifies(items: Int) async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case(items: items) }
        let expected = try k.c.model.runBatch(k.input).flatMap(\.output)
        #expect(k.output == expected)
        #expect(k.output.count == 5 * items)
        let verified = try await OwnThread.run { try k.verify(k.proof) }
        #expect(verified == k.output)
    }

    @Test func hiddenInputProof_VerifiesAndOpens() async throws {
        try await PrivateFixtures.ready()
        let c = try Self.committed()
        let (input, output, proof, opening) = try await OwnThread.run { () -> ([Int64], [Int64], [UInt8], PrivateInputOpening?) in
            let input = try Self.input(c.model, items: 2, seed: 950)
            let (output, proof, opening) = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material,
                                                                   input: input, context: Self.context, hideInput: true)
            return (input, output, proof, opening)
        }
        #expect(ProofFormat.hidesInput(proof))
        let (verified, inputCommitment) = try await OwnThread.run {
            try PrivateVerifier.verifyHidingInput(commitment: c.commitment, proof: proof, context: Self.context)
        }
        let expected = try c.model.runBatch(input).flatMap(\.output)
        #expect(verified == output && output == expected)
        let opened = try PrivateVerifier.openInput(try #require(opening), inputCommitment: inputCommitment, commitment: c.commitment)
        #expect(opened == input)
        // The input table holds the pixels: one entry per input element and item.
        let shape = try #require(PrivateLayerShape(input: c.model.spec, items: 2))
        #expect(inputCommitment.rows.count == shape.entries && shape.rows == 72)
    }

    @Test func changedOutput_IsRejectedByTheOutputCheck() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var changed = k.output
        changed[2] += 1
        let output = changed
        let proof = try await OwnThread.run { try k.prove(try k.tables(), output: output) }
        Self.expectCheck("output") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func changedTableRow_IsRejected() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var tables = try k.tables()
        let s = try #require(PrivateProtocol.shapes(k.c.model.spec, items: 1))
        // One real pre-activation of the second convolution one unit higher: R's low bit set.
        try #require(s[1].shift > 0)
        let e = try #require((0..<s[1].entries).first {
            $0 % s[1].paddedColumns < s[1].columns && tables[1][$0 * s[1].columnCount] == 0
        })
        tables[1][e * s[1].columnCount] = 1
        let changed = tables
        let proof = try await OwnThread.run { try k.prove(changed) }
        Self.expectCheck("layer 1 linear") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func proofForOtherInputOrContext_IsRejected() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var other = k.input
        other[7] = other[7] == 0 ? 1 : 0
        Self.expectCode("private_check_failed") { () throws(ProofVerificationError) in try k.verify(k.proof, input: other) }
        Self.expectCode("private_check_failed") { () throws(ProofVerificationError) in
            try k.verify(k.proof, context: BindingContext(jobID: "other", workerID: "private-worker", nonce: "private-nonce"))
        }
        #expect(try k.verify(k.proof) == k.output)
    }

    @Test func truncatedOrExtendedProof_IsRefused() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        for cut in [0, 6, k.proof.count / 3, k.proof.count - 1] {
            Self.expectCode("proof_malformed") { () throws(ProofVerificationError) in try k.verify(Array(k.proof.prefix(cut))) }
        }
        // The length follows from the model and the batch size: one byte more is too large.
        Self.expectCode("proof_too_large") { () throws(ProofVerificationError) in try k.verify(k.proof + [0]) }
        Self.expectCode("proof_too_large") { () throws(ProofVerificationError) in
            try k.verify(k.proof + [UInt8](repeating: 0, count: PrivateProofLimits.proofBytesMax))
        }
    }

    @Test func simulatedProof_VerifiesWithItsChallengesOnly() async throws {
        try await PrivateFixtures.ready()
        let c = try Self.committed()
        let (output, outcome) = try await OwnThread.run { () -> ([Int64], PrivateProofSimulatorTests.Outcome) in
            let input = try Self.input(c.model, items: 2, seed: 990)
            let output = try c.model.runBatch(input).flatMap(\.output)
            return (output, try PrivateProofSimulatorTests.simulateAndVerify(c, input: input, output: output))
        }
        #expect(try outcome.programmed.get() == output)
        PrivateProofSimulatorTests.expectRefusedByFiatShamir(outcome.fiatShamir)
    }

    @Test func simulatedHiddenInputProof_VerifiesWithItsChallenges() async throws {
        try await PrivateFixtures.ready()
        let c = try Self.committed()
        let result = try await OwnThread.run { () -> ([Int64], [Int64]) in
            let output = try c.model.run(try Self.input(c.model, items: 1, seed: 991)).output
            let sim = try PrivateProofSimulator.simulateHidingInput(commitment: c.commitment, items: 1, output: output)
            let verified = try PrivateVerifier.verifyHidingInput(commitment: c.commitment, proof: sim.proof, context: Self.context,
                                                                 challenges: sim.challenges)
            return (output, verified.output)
        }
        #expect(result.0 == result.1)
    }
}
