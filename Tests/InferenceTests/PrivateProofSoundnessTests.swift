import Foundation
@testable import Inference
import Testing
import TestSupport
import ZKProof

/// Attacks on private proofs: each must be refused with a typed error naming the check.
@Suite struct PrivateProofSoundnessTests {
    static let context = PrivateFixtures.context

    /// An honest proof of `mlp_small` on one image, with what it was made from.
    struct Case: Sendable {
        let c: PrivateFixtures.Committed
        let input: [Int64]
        let output: [Int64]
        let proof: [UInt8]
        init(items: Int = 1) throws {
            c = try PrivateFixtures.committed("mlp_small")
            input = try PrivateFixtures.input(c.model, first: 5, count: items)
            (output, proof) = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material,
                                                      input: input, context: PrivateSoundnessContext.context)
        }
        func verify(_ proof: [UInt8], input: [Int64]? = nil, context: BindingContext = PrivateSoundnessContext.context,
                    commitment: PrivateCommitment? = nil) throws(ProofVerificationError) -> [Int64] {
            try PrivateVerifier.verify(commitment: commitment ?? c.commitment, input: input ?? self.input, proof: proof, context: context)
        }
        /// The honest bit tables, for an adversarial prover to edit.
        func tables() throws -> (shapes: [PrivateLayerShape], tables: [[Int64]]) {
            let traces = try c.model.runBatch(input)
            let shapes = try #require(PrivateProtocol.shapes(c.model.spec, items: traces.count))
            let tables = try PrivateProver.bitTables(shapes, traces)
            return (shapes, tables)
        }
        func prove(_ shapes: [PrivateLayerShape], _ tables: [[Int64]], output: [Int64]? = nil) throws -> [UInt8] {
            try #require(PrivateProver.proveTables(model: c.model, commitment: c.commitment, material: c.material, shapes: shapes,
                                                   tables: tables, input: input, output: output ?? self.output,
                                                   context: PrivateSoundnessContext.context))
        }
    }

    static func group(_ t: [Int64], _ s: PrivateLayerShape, entry e: Int, start: Int, bits: Int) -> Int64 {
        (0..<bits).reduce(Int64(0)) { $0 | (t[e * s.columnCount + start + $1] << Int64($1)) }
    }
    static func setGroup(_ t: inout [Int64], _ s: PrivateLayerShape, entry e: Int, start: Int, bits: Int, _ v: Int64) {
        for j in 0..<bits { t[e * s.columnCount + start + j] = (v >> Int64(j)) & 1 }
    }

    func expectCheck(_ step: String, _ body: () throws(ProofVerificationError) -> [Int64]) {
        do {
            _ = try body()
            Issue.record("accepted; expected a failure of \(step)")
        } catch {
            guard case .privateCheckFailed(let s, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(s.contains(step), "failed at \(s), expected \(step)")
            #expect(error.code == "private_check_failed")
        }
    }

    @Test func wrongOutput_IsRejected() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var (shapes, tables) = try k.tables()
        _ = shapes
        var output = k.output
        output[0] += 1
        let proof = try k.prove(shapes, tables, output: output)
        expectCheck("output") { () throws(ProofVerificationError) in try k.verify(proof) }
        tables[0][0] = tables[0][0]
    }

    @Test func proofForOtherContextInputOrCommitment_IsRejected() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        #expect(throws: ProofVerificationError.self) {
            try k.verify(k.proof, context: BindingContext(jobID: "other", workerID: "private-worker", nonce: "private-nonce"))
        }
        var other = k.input
        other[10] = other[10] == 0 ? 1 : 0
        #expect(throws: ProofVerificationError.self) { try k.verify(k.proof, input: other) }
        let (again, _) = try PrivateProver.commit(k.c.model)
        #expect(again.encoded != k.c.commitment.encoded, "two commitments of one model must differ")
        #expect(throws: ProofVerificationError.self) { try k.verify(k.proof, commitment: again) }
        #expect(try k.verify(k.proof) == k.output)
    }

    @Test func nonBooleanBit_IsRejectedByBooleanity() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var (shapes, tables) = try k.tables()
        tables[0][0] = 2
        let proof = try k.prove(shapes, tables)
        expectCheck("layer 0 booleanity") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func clampViolatedWithConsistentBits_IsRejectedByClamp() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var (shapes, tables) = try k.tables()
        let s = shapes[0]
        // An entry with A ≥ 1 and P = 0: move one unit from A to P (Z and Q unchanged).
        let e = try #require((0..<s.rows * s.paddedColumns).first {
            Self.group(tables[0], s, entry: $0, start: s.clampStart, bits: s.clampBits) >= 1
        })
        let a = Self.group(tables[0], s, entry: e, start: s.clampStart, bits: s.clampBits)
        Self.setGroup(&tables[0], s, entry: e, start: s.clampStart, bits: s.clampBits, a - 1)
        Self.setGroup(&tables[0], s, entry: e, start: s.complementStart, bits: s.complementBits, s.span - a + 1)
        let p = Self.group(tables[0], s, entry: e, start: s.positiveStart, bits: s.overflowBits)
        Self.setGroup(&tables[0], s, entry: e, start: s.positiveStart, bits: s.overflowBits, p + 1)
        let proof = try k.prove(shapes, tables)
        expectCheck("layer 0 clamp high") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func wrongPreActivationWithValidBits_IsRejectedByLinearCheck() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var (shapes, tables) = try k.tables()
        let s = shapes[0]
        try #require(s.shift >= 1)
        let r = Self.group(tables[0], s, entry: 0, start: 0, bits: s.shift)
        Self.setGroup(&tables[0], s, entry: 0, start: 0, bits: s.shift, r == 0 ? 1 : r - 1)
        let proof = try k.prove(shapes, tables)
        expectCheck("layer 0 linear") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func wrongLayerProduct_IsRejectedByLinearCheck() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        var (shapes, tables) = try k.tables()
        let s = shapes[1]
        // Layer 1's first output: raise Q by one through P or N-free A (a valid clamp), so Z ≠ W·X + b.
        let a = Self.group(tables[1], s, entry: 0, start: s.clampStart, bits: s.clampBits)
        let pBits = Self.group(tables[1], s, entry: 0, start: s.positiveStart, bits: s.overflowBits)
        let nBits = Self.group(tables[1], s, entry: 0, start: s.negativeStart, bits: s.overflowBits)
        if nBits > 0 {
            Self.setGroup(&tables[1], s, entry: 0, start: s.negativeStart, bits: s.overflowBits, nBits - 1)
        } else if a < s.span {
            Self.setGroup(&tables[1], s, entry: 0, start: s.clampStart, bits: s.clampBits, a + 1)
            Self.setGroup(&tables[1], s, entry: 0, start: s.complementStart, bits: s.complementBits, s.span - a - 1)
        } else {
            Self.setGroup(&tables[1], s, entry: 0, start: s.positiveStart, bits: s.overflowBits, pBits + 1)
        }
        var output = k.output
        output[0] = s.lo + Self.group(tables[1], s, entry: 0, start: s.clampStart, bits: s.clampBits)
        let proof = try k.prove(shapes, tables, output: output)
        expectCheck("layer 1 linear") { () throws(ProofVerificationError) in try k.verify(proof) }
    }

    @Test func truncatedExtendedAndRandomBytes_AreRejected() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        for cut in [0, 3, 6, 100, k.proof.count / 2, k.proof.count - 1] {
            #expect(throws: ProofVerificationError.self) { try k.verify(Array(k.proof.prefix(cut))) }
        }
        #expect(throws: ProofVerificationError.self) { try k.verify(k.proof + [0]) }
        var generator = SeededBytes(seed: 0x5EED)
        for length in [0, 1, 64, 4096, k.proof.count] {
            #expect(throws: ProofVerificationError.self) { try k.verify((0..<length).map { _ in generator.next() }) }
            #expect(throws: ProofVerificationError.self) { try k.verify(Array(k.proof.prefix(6)) + (0..<length).map { _ in generator.next() }) }
        }
        // A non-canonical field element (all 0xFF ≥ n) in the last scalar.
        var bad = k.proof
        for i in (bad.count - 32)..<bad.count { bad[i] = 0xFF }
        do { _ = try k.verify(bad); Issue.record("accepted") } catch {
            guard case .malformedProof(.nonCanonicalScalar) = error else { Issue.record("wrong error \(error)"); return }
        }
    }

    /// Seeded mutations of every kind anywhere in the proof: none accepted, none crash, each
    /// refused as malformed bytes or a failed check. Mutation `n` draws from its own seed, so the
    /// two threads' halves (even and odd `n`) replay alone and in any order.
    @Test func seededMutations_AreAllRejected() async throws {
        try await PrivateFixtures.ready()
        let k = try await OwnThread.run { try Case() }
        let total = PrivateSoundnessContext.mutations
        async let even = OwnThread.run { Self.mutate(k, seeds: stride(from: 0, to: total, by: 2)) }
        async let odd = OwnThread.run { Self.mutate(k, seeds: stride(from: 1, to: total, by: 2)) }
        let (a, b) = try await (even, odd)
        let accepted = (a.accepted + b.accepted).sorted()
        #expect(accepted.isEmpty, "mutations \(accepted) were accepted")
        var kinds: [Mutation: Int] = [:], codes: [String: Int] = [:]
        for (m, c) in a.kinds.merging(b.kinds, uniquingKeysWith: +) { kinds[m] = c }
        for (m, c) in a.codes.merging(b.codes, uniquingKeysWith: +) { codes[m] = c }
        #expect(kinds.values.reduce(0, +) == total)
        // Every kind ran often: each is a fifth of the draws.
        for m in Mutation.allCases { #expect(kinds[m, default: 0] >= total / 10, "\(m) ran \(kinds[m, default: 0]) times") }
        // Appended bytes make a proof longer than the model and batch size allow: too large.
        #expect(Set(codes.keys).isSubset(of: ["proof_malformed", "proof_too_large", "private_check_failed"]), "codes \(codes)")
        #expect(codes["proof_malformed", default: 0] > 0 && codes["private_check_failed", default: 0] > 0, "codes \(codes)")
    }

    /// The kinds of mutation, drawn uniformly.
    enum Mutation: CaseIterable, Sendable, Hashable {
        /// One byte XORed with a non-zero byte.
        case singleByte
        /// 2 to 64 consecutive bytes, each XORed with a non-zero byte.
        case byteRun
        /// The proof cut to a shorter length.
        case truncation
        /// 1 to 64 seeded bytes appended.
        case appended
        /// Two different 32-byte words at offsets that are multiples of 32 exchanged.
        case wordSwap
    }

    struct Verdicts: Sendable {
        var accepted: [Int] = []
        var kinds: [Mutation: Int] = [:]
        var codes: [String: Int] = [:]
    }

    /// Mutation `n` of the honest proof (its own seed), deterministic.
    static func mutation(_ proof: [UInt8], _ n: Int) -> (Mutation, [UInt8]) {
        var g = SeededBytes(seed: 0xB17E &+ UInt64(n) &* 0x1_0000_0001)
        var bytes = proof
        let kind = Mutation.allCases[Int(g.next64() % UInt64(Mutation.allCases.count))]
        switch kind {
        case .singleByte:
            bytes[Int(g.next64() % UInt64(bytes.count))] ^= max(1, g.next())
        case .byteRun:
            let length = 2 + Int(g.next64() % 63)
            let start = Int(g.next64() % UInt64(bytes.count - length))
            for i in start..<(start + length) { bytes[i] ^= max(1, g.next()) }
        case .truncation:
            bytes.removeLast(1 + Int(g.next64() % UInt64(bytes.count)))
        case .appended:
            bytes += (0..<(1 + Int(g.next64() % 64))).map { _ in g.next() }
        case .wordSwap:
            let words = bytes.count / 32
            var a = 0, b = 0
            while bytes[(a * 32)..<(a * 32 + 32)] == bytes[(b * 32)..<(b * 32 + 32)] {
                a = Int(g.next64() % UInt64(words))
                b = Int(g.next64() % UInt64(words))
            }
            let wordA = Array(bytes[(a * 32)..<(a * 32 + 32)])
            bytes.replaceSubrange((a * 32)..<(a * 32 + 32), with: bytes[(b * 32)..<(b * 32 + 32)])
            bytes.replaceSubrange((b * 32)..<(b * 32 + 32), with: wordA)
        }
        return (kind, bytes)
    }

    static func mutate(_ k: Case, seeds: StrideTo<Int>) -> Verdicts {
        var v = Verdicts()
        for n in seeds {
            let (kind, bytes) = mutation(k.proof, n)
            v.kinds[kind, default: 0] += 1
            do {
                _ = try k.verify(bytes)
                v.accepted.append(n)
            } catch {
                v.codes[error.code, default: 0] += 1
            }
        }
        return v
    }

    @Test func modelWithAnElementFunction_IsRefusedByOperatorName() async throws {
        try await PrivateFixtures.ready()
        let model = try ONNXImporter.importModel(try ONNXBuilder.gemm(inputs: 4, outputs: 3, weight: 0.5,
                                                                      then: [ONNXBuilder.node("Sigmoid", ["y"], "s", name: "sigmoid")]))
        #expect(PrivateReadiness.unsupportedOperators(model.spec) == ["Sigmoid"])
        do {
            _ = try PrivateProver.commit(model)
            Issue.record("a model with a sigmoid was committed for private proofs")
        } catch {
            #expect(error.code == "private_unsupported_operator")
            #expect(error.description.contains("Sigmoid"))
        }
        let small = try PrivateFixtures.committed("mlp_small")
        #expect(PrivateReadiness.unsupportedOperators(small.model.spec).isEmpty)
        #expect(PrivateReadiness.operators(small.model.spec).allSatisfy { $0.privateReady })
    }
}

enum PrivateSoundnessContext {
    static let context = PrivateFixtures.context
    /// Mutations per run (each verification of a mutated proof runs until its first failed check,
    /// ≈ 30 ms in a debug build; two threads share them).
    static let mutations = 10_000
}

/// A small deterministic byte stream (SplitMix64) so every failure replays.
struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next64() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next() -> UInt8 { UInt8(truncatingIfNeeded: next64()) }
}
