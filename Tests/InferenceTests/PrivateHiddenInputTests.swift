import Foundation
@testable import Inference
import Testing
import TestSupport
@testable import ZKProof

/// Private proofs that hide their input (PMZK version 2): honest proofs verify without the
/// input and name its commitment; openings open only their own commitment; attacks on the
/// input table, the commitment or the bytes are refused with a typed error naming the check.
@Suite struct PrivateHiddenInputTests {
    static let context = PrivateFixtures.context

    /// An honest hidden-input proof of `mlp_small` on one image.
    struct Case: Sendable {
        let c: PrivateFixtures.Committed
        let input: [Int64]
        let output: [Int64]
        let proof: [UInt8]
        let opening: PrivateInputOpening
        init(first: Int = 5) throws {
            c = try PrivateFixtures.committed("mlp_small")
            input = try PrivateFixtures.input(c.model, first: first)
            let made = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material, input: input,
                                               context: PrivateHiddenInputTests.context, hideInput: true)
            output = made.output
            proof = made.proof
            opening = try #require(made.opening)
        }
        func verify(_ proof: [UInt8]) throws(ProofVerificationError) -> (output: [Int64], inputCommitment: PrivateInputCommitment) {
            try PrivateVerifier.verifyHidingInput(commitment: c.commitment, proof: proof, context: PrivateHiddenInputTests.context)
        }
        /// The honest layer tables and input table, for an adversarial prover to edit.
        func tables() throws -> (shapes: [PrivateLayerShape], tables: [[Int64]], inputShape: PrivateLayerShape, inputTable: [Int64]) {
            let traces = try c.model.runBatch(input)
            let shapes = try #require(PrivateProtocol.shapes(c.model.spec, items: traces.count))
            let tables = try PrivateProver.bitTables(shapes, traces)
            let inputShape = try #require(PrivateLayerShape(input: c.model.spec, items: traces.count))
            return (shapes, tables, inputShape, try #require(inputShape.inputTable(input)))
        }
        /// A hidden-input proof of any tables, every other step honest.
        func prove(_ shapes: [PrivateLayerShape], _ tables: [[Int64]], _ inputShape: PrivateLayerShape, _ inputTable: [Int64],
                   output: [Int64]? = nil) throws -> [UInt8] {
            let rows = try #require(BlindedHyrax.commit(inputTable, columnCount: inputShape.columnCount))
            let hidden = PrivateProver.LayerWitness(shape: inputShape, table: inputTable, rows: rows.rows, blindings: rows.blindings)
            return try #require(PrivateProver.proveTables(model: c.model, commitment: c.commitment, material: c.material, shapes: shapes,
                                                          tables: tables, input: input, output: output ?? self.output,
                                                          context: PrivateHiddenInputTests.context, hidden: hidden))
        }
    }

    func expectCheck(_ step: String, _ body: () throws(ProofVerificationError) -> (output: [Int64], inputCommitment: PrivateInputCommitment)) {
        do {
            _ = try body()
            Issue.record("accepted; expected a failure of \(step)")
        } catch {
            guard case .privateCheckFailed(let s, _) = error else { Issue.record("wrong error \(error)"); return }
            if !step.isEmpty { #expect(s.contains(step), "failed at \(s), expected \(step)") }
            #expect(error.code == "private_check_failed")
        }
    }

    /// The entry of the first input feature some weight of layer 0 reads (a feature whose
    /// weights are all zero, like the digits' always-blank corner pixel, changes no `Z`).
    static func readFeature(_ k: Case, _ s: PrivateLayerShape) throws -> Int {
        let layer = k.c.model.layers[0]
        let j = try #require((0..<layer.spec.inner).first { j in (0..<layer.spec.rows).contains { layer.weights[$0 * layer.spec.inner + j] != 0 } })
        return j * s.paddedColumns
    }

    func expectCode(_ code: String, _ body: () throws(ProofVerificationError) -> Any) {
        do {
            _ = try body()
            Issue.record("accepted; expected \(code)")
        } catch {
            #expect(error.code == code, "got \(error)")
        }
    }

    @Test func honestProof_VerifiesWithoutTheInputAndItsOpeningOpensIt() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        let (output, inputCommitment) = try k.verify(k.proof)
        #expect(output == k.output)
        #expect(output == (try k.c.model.run(k.input).output))
        #expect(inputCommitment.id == PrivateCommitment.hex(SHA256Digest.hash(inputCommitment.encoded)))
        #expect(inputCommitment.id.count == 64)
        #expect(try PrivateVerifier.openInput(k.opening, inputCommitment: inputCommitment, commitment: k.c.commitment) == k.input)
        let decoded = try PrivateInputOpening(decoding: k.opening.encoded)
        #expect(decoded.encoded == k.opening.encoded)
        #expect(try PrivateVerifier.openInput(decoded, inputCommitment: inputCommitment, commitment: k.c.commitment) == k.input)
        // The public-input verifier refuses a hidden-input proof, and the other way round.
        expectCode("proof_malformed") { () throws(ProofVerificationError) in
            try PrivateVerifier.verify(commitment: k.c.commitment, input: k.input, proof: k.proof, context: Self.context)
        }
        let (_, publicProof) = try PrivateProver.prove(model: k.c.model, commitment: k.c.commitment, material: k.c.material,
                                                       input: k.input, context: Self.context)
        expectCode("proof_malformed") { () throws(ProofVerificationError) in try k.verify(publicProof) }
        // Another context is refused.
        expectCode("private_check_failed") { () throws(ProofVerificationError) in
            try PrivateVerifier.verifyHidingInput(commitment: k.c.commitment, proof: k.proof,
                                                  context: BindingContext(jobID: "other", workerID: "w", nonce: "n"))
        }
    }

    @Test func publicInputProof_IsUnchangedByTheOption() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let input = try PrivateFixtures.input(c.model, first: 2)
        let made = try await OwnThread.run {
            try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material, input: input,
                                    context: Self.context, hideInput: false)
        }
        #expect(made.opening == nil)
        #expect(Array(made.proof[4..<6]) == [0, 1], "a public-input proof keeps version 1")
        #expect(try PrivateVerifier.verify(commitment: c.commitment, input: input, proof: made.proof, context: Self.context) == made.output)
    }

    @Test func openingOfAnotherInputOrBlinding_IsRefused() async throws {
        try await PrivateFixtures.ready()
        let (a, b) = try await OwnThread.run { (try Case(first: 5), try Case(first: 6)) }
        #expect(a.input != b.input)
        let (_, commitmentA) = try a.verify(a.proof)
        let (_, commitmentB) = try b.verify(b.proof)
        #expect(commitmentA.id != commitmentB.id)
        expectCode("input_opening_mismatch") { () throws(ProofVerificationError) in
            try PrivateVerifier.openInput(b.opening, inputCommitment: commitmentA, commitment: a.c.commitment)
        }
        // The right values with one wrong blinding, and the wrong values with the right blindings.
        var blindings = a.opening.blindings
        blindings[0] = Blinding(scalar: blindings[0].scalar + .one)
        expectCode("input_opening_mismatch") { () throws(ProofVerificationError) in
            try PrivateVerifier.openInput(PrivateInputOpening(input: a.input, blindings: blindings), inputCommitment: commitmentA,
                                          commitment: a.c.commitment)
        }
        var other = a.input
        let range = a.c.model.spec.inputRange
        other[0] = other[0] == range.lowerBound ? other[0] + 1 : other[0] - 1
        expectCode("input_opening_mismatch") { () throws(ProofVerificationError) in
            try PrivateVerifier.openInput(PrivateInputOpening(input: other, blindings: a.opening.blindings),
                                          inputCommitment: commitmentA, commitment: a.c.commitment)
        }
        var outside = a.input
        outside[0] = range.upperBound + 1
        expectCode("input_invalid") { () throws(ProofVerificationError) in
            try PrivateVerifier.openInput(PrivateInputOpening(input: outside, blindings: a.opening.blindings),
                                          inputCommitment: commitmentA, commitment: a.c.commitment)
        }
    }

    @Test func openingBytes_AreDecodedStrictly() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        let bytes = k.opening.encoded
        for bad in [Array(bytes.dropLast()), bytes + [0], Array(bytes.prefix(3)), [UInt8](), Array("PMZJ".utf8) + bytes.dropFirst(4)] {
            #expect(throws: PrivateInputOpening.Error.self) { try PrivateInputOpening(decoding: bad) }
        }
        var version = bytes
        version[5] = 2
        #expect(throws: PrivateInputOpening.Error.self) { try PrivateInputOpening(decoding: version) }
        // A count past the limit is refused before anything is allocated.
        var huge = Array(bytes.prefix(6))
        huge += [0xFF, 0xFF, 0xFF, 0xFF]
        do {
            _ = try PrivateInputOpening(decoding: huge)
            Issue.record("accepted")
        } catch {
            #expect(error.code == "input_opening_malformed")
        }
    }

    @Test func inputCommitmentSwappedForAnotherInputs_IsRefused() async throws {
        try await PrivateFixtures.ready()
        let (a, b) = try await OwnThread.run { (try Case(first: 5), try Case(first: 6)) }
        let inputShape = try #require(PrivateLayerShape(input: a.c.model.spec, items: 1))
        // magic, version, u32 count, the output, u32 rows, then the rows.
        let start = 6 + 4 + 8 * a.output.count + 4
        let end = start + inputShape.entries * CurvePoint.compressedByteCount
        var swapped = a.proof
        swapped.replaceSubrange(start..<end, with: b.proof[start..<end])
        #expect(swapped != a.proof)
        expectCheck("") { () throws(ProofVerificationError) in try a.verify(swapped) }
    }

    @Test func nonBitInInputTable_IsRefusedByBooleanity() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var t = try k.tables()
        t.inputTable[0] = 2
        let proof = try k.prove(t.shapes, t.tables, t.inputShape, t.inputTable)
        expectCheck("input booleanity") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func inputOutsideTheRange_IsRefused() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var t = try k.tables()
        let s = t.inputShape
        let e = try Self.readFeature(k, s)
        if s.complementBits > 0 {
            // A = D + 1 < 2^d with C = 0: in bits, but x = hi + 1 is outside the range.
            for j in 0..<s.clampBits { t.inputTable[e * s.columnCount + s.clampStart + j] = ((s.span + 1) >> Int64(j)) & 1 }
            for j in 0..<s.complementBits { t.inputTable[e * s.columnCount + s.complementStart + j] = 0 }
            let proof = try k.prove(t.shapes, t.tables, t.inputShape, t.inputTable)
            expectCheck("input complement") { () throws(ProofVerificationError) in try k.verify(proof) }
        } else {
            // D + 1 = 2^d: every d-bit A is at most D, so no bit pattern spells a value outside.
            #expect(s.span == (Int64(1) << Int64(s.clampBits)) - 1)
            t.inputTable[e * s.columnCount + s.clampStart] ^= 1
            let proof = try k.prove(t.shapes, t.tables, t.inputShape, t.inputTable)
            expectCheck("layer 0 linear") { () throws(ProofVerificationError) in try k.verify(proof) }
        }
    }

    @Test func inputTableOfAnotherInput_IsRefusedByTheFirstLinearCheck() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var t = try k.tables()
        let s = t.inputShape
        // One read feature's A changed by one, within the range, C kept consistent: only layer 0's product can see it.
        let row = try Self.readFeature(k, s) * s.columnCount
        let a = (0..<s.clampBits).reduce(Int64(0)) { $0 | (t.inputTable[row + s.clampStart + $1] << Int64($1)) }
        let changed = a == 0 ? Int64(1) : a - 1
        for j in 0..<s.clampBits { t.inputTable[row + s.clampStart + j] = (changed >> Int64(j)) & 1 }
        for j in 0..<s.complementBits { t.inputTable[row + s.complementStart + j] = ((s.span - changed) >> Int64(j)) & 1 }
        let proof = try k.prove(t.shapes, t.tables, t.inputShape, t.inputTable)
        expectCheck("layer 0 linear") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func wrongOutput_IsRefused() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        let t = try k.tables()
        var output = k.output
        output[0] += 1
        let proof = try k.prove(t.shapes, t.tables, t.inputShape, t.inputTable, output: output)
        expectCheck("output") { () throws(ProofVerificationError) in try k.verify(proof) }
        // The output bytes of an honest proof changed: the statement differs, some check fails.
        var edited = k.proof
        edited[6 + 4 + 7] ^= 1
        expectCheck("") { () throws(ProofVerificationError) in try k.verify(edited) }
    }

    @Test func truncatedOrExtendedProof_IsMalformed() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        for bad in [Array(k.proof.dropLast()), Array(k.proof.prefix(10)), Array(k.proof.prefix(6))] {
            expectCode("proof_malformed") { () throws(ProofVerificationError) in try k.verify(bad) }
        }
        // Longer than the length the model and batch size give.
        expectCode("proof_too_large") { () throws(ProofVerificationError) in try k.verify(k.proof + [0]) }
        // An output count that is no whole batch.
        var count = k.proof
        count[9] = count[9] &+ 1
        expectCode("proof_malformed") { () throws(ProofVerificationError) in try k.verify(count) }
    }

    @Test func simulatedHiddenInputProof_IsAcceptedWithItsChallengesOnly() async throws {
        try await PrivateFixtures.ready()
        let c = try PrivateFixtures.committed("mlp_small")
        let input = try PrivateFixtures.input(c.model, first: 3)
        let (truth, sim) = try await OwnThread.run { () -> ([Int64], PrivateProofSimulator.Simulated) in
            let truth = try c.model.run(input).output
            return (truth, try PrivateProofSimulator.simulateHidingInput(commitment: c.commitment, items: 1, output: truth))
        }
        let (output, _) = try PrivateVerifier.verifyHidingInput(commitment: c.commitment, proof: sim.proof, context: Self.context,
                                                                challenges: sim.challenges)
        #expect(output == truth)
        expectCheck("") { () throws(ProofVerificationError) in
            try PrivateVerifier.verifyHidingInput(commitment: c.commitment, proof: sim.proof, context: Self.context)
        }
        // The simulator knows no input; a false output is accepted with its challenges alike.
        var claimed = truth
        claimed[0] += 3
        let false_ = try PrivateProofSimulator.simulateHidingInput(commitment: c.commitment, items: 1, output: claimed)
        #expect(try PrivateVerifier.verifyHidingInput(commitment: c.commitment, proof: false_.proof, context: Self.context,
                                                      challenges: false_.challenges).output == claimed)
        #expect(sim.proof.count == (try Case()).proof.count, "simulated and honest proofs have one length")
    }
}
