import Testing
@testable import ZKProof

/// The sum-check proof's wire form: lengths from the shape only, canonical scalars, and no
/// trap on any byte string.
@Suite struct SumCheckEncodingTests {
    typealias F = SumCheckFixture

    @Test(arguments: SumCheckFixture.sizes)
    func encodingRoundTrips(size: Int) throws {
        var rng = SeededRandom(seed: 500 + UInt64(size))
        let out = try F.prove(F.scalars(size, &rng), F.scalars(size, &rng))
        let bytes = out.proof.encoded
        #expect(bytes.count == out.shape.proofByteCount)
        #expect(try SumCheckProof(decoding: bytes, shape: out.shape) == out.proof)
    }

    @Test func truncatedOrExtendedEncoding_IsRefused() throws {
        var rng = SeededRandom(seed: 14)
        let weights = F.scalars(1000, &rng)
        let out = try F.prove(F.scalars(1000, &rng), weights)
        let bytes = out.proof.encoded // 10 rounds · 96 + 32 = 992 bytes
        #expect(bytes.count == 992)
        for cut in [1, 31, 32, 33, 500, 991, 992] {
            #expect(throws: ProofFormatError.self, "cut \(cut)") {
                try SumCheckProof(decoding: Array(bytes.dropLast(cut)), shape: out.shape)
            }
        }
        #expect(throws: ProofFormatError.truncated(offset: 960, needed: 32, remaining: 31)) {
            try SumCheckProof(decoding: Array(bytes.dropLast()), shape: out.shape)
        }
        #expect(throws: ProofFormatError.trailingBytes(count: 1, offset: 992)) {
            try SumCheckProof(decoding: bytes + [0], shape: out.shape)
        }
        #expect(throws: ProofFormatError.trailingBytes(count: 32, offset: 992)) {
            try SumCheckProof(decoding: bytes + Scalar.one.bigEndianBytes, shape: out.shape)
        }
        // The proof for another size is the wrong length for this shape, whichever way.
        let smaller = try SumCheck.Shape(entries: 500)
        #expect(throws: ProofFormatError.trailingBytes(count: 96, offset: 896)) {
            try SumCheckProof(decoding: bytes, shape: smaller)
        }
        let larger = try SumCheck.Shape(entries: 1025)
        #expect(throws: ProofFormatError.self) { try SumCheckProof(decoding: bytes, shape: larger) }
    }

    @Test func nonCanonicalScalar_IsRefused() throws {
        var rng = SeededRandom(seed: 15)
        let out = try F.prove(F.scalars(64, &rng), F.scalars(64, &rng))
        let bytes = out.proof.encoded
        // g_2(1) + n encodes the same residue: refused, so a proof has exactly one encoding.
        let at = 7 * 32
        var plusOrder = [UInt8](repeating: 0, count: 32)
        var carry = 0
        let value = Array(bytes[at..<(at + 32)])
        for i in stride(from: 31, through: 0, by: -1) {
            let s = Int(value[i]) + Int(Scalar.orderBigEndian[i]) + carry
            plusOrder[i] = UInt8(s & 0xFF)
            carry = s >> 8
        }
        if carry == 0 {
            var mutated = bytes
            mutated.replaceSubrange(at..<(at + 32), with: plusOrder)
            #expect(throws: ProofFormatError.nonCanonicalScalar(offset: at)) { try SumCheckProof(decoding: mutated, shape: out.shape) }
        }
        var all = bytes
        all.replaceSubrange(0..<32, with: [UInt8](repeating: 0xFF, count: 32))
        #expect(throws: ProofFormatError.nonCanonicalScalar(offset: 0)) { try SumCheckProof(decoding: all, shape: out.shape) }
    }

    @Test func seededMutations_GiveOnlyTypedErrors() throws {
        // Single-byte changes, truncations, extensions and random strings through decode and
        // verify: each ends in a typed error, and none verifies.
        var rng = SeededRandom(seed: 16)
        let weights = F.scalars(100, &rng)
        let out = try F.prove(F.scalars(100, &rng), weights)
        let bytes = out.proof.encoded
        var formatErrors = 0, verifyErrors = 0
        for trial in 0..<3000 {
            var mutated = bytes
            switch trial % 4 {
            case 0, 1:
                let i = Int.random(in: 0..<mutated.count, using: &rng)
                mutated[i] ^= UInt8.random(in: 1...255, using: &rng)
            case 2: mutated = Array(mutated.prefix(Int.random(in: 0..<mutated.count, using: &rng)))
                + (trial % 8 == 2 ? rng.bytes(Int.random(in: 1...64, using: &rng)) : [])
            default: mutated = rng.bytes(Int.random(in: 0...(2 * bytes.count), using: &rng))
            }
            if mutated == bytes { continue }
            do {
                let proof = try SumCheckProof(decoding: mutated, shape: out.shape)
                _ = try F.verify(weights, out.values[0][0], proof)
                Issue.record("trial \(trial): a mutated proof verified")
            } catch let error as ProofFormatError {
                _ = error.description
                formatErrors += 1
            } catch let error as SumCheckError {
                _ = error.code
                verifyErrors += 1
            }
        }
        #expect(formatErrors > 0 && verifyErrors > 0)
    }
}
