import Testing
@testable import Inference
import ZKProof

/// Seeded random and mutated proofs through decode + verify: only typed errors, never a trap,
/// never an acceptance. Seeds are fixed so any failure replays.
@Suite struct ProofFuzzTests {
    struct Rng: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func tenThousandSingleByteMutations_AreRejected() throws {
        // An input without zero pixels: a mutation of t_0 in a column whose input is 0 is
        // invisible to the product check and only the (slower) commitment opening catches it;
        // with every column read, most are caught early and the test stays fast in debug.
        let sample = try ProofFixtures.input(try ProofFixtures.committed("mlp_small").model, 5)
        let c = try ProvenCase("mlp_small", input: sample.map { max($0, 16) })
        var rng = Rng(state: 0xF0221)
        var byCode: [String: Int] = [:]
        for trial in 0..<10_000 {
            var bytes = c.proof
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[position] ^= UInt8.random(in: 1...255, using: &rng)
            guard let error = c.rejection(bytes) else {
                Issue.record("mutation \(trial) at byte \(position) was accepted")
                continue
            }
            byCode[error.code, default: 0] += 1
        }
        // Mutations land in every part of the proof, so several different checks fire.
        #expect(byCode.values.reduce(0, +) == 10_000)
        #expect(byCode.count >= 3, "\(byCode)")
        #expect(byCode["commitment_opening_failed", default: 0] > 0, "\(byCode)")
    }

    @Test func mutationsOfLargeModelProof_AreRejected() throws {
        let c = try ProvenCase("mlp_large", sample: 2)
        var rng = Rng(state: 77)
        for trial in 0..<300 {
            var bytes = c.proof
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[position] ^= UInt8.random(in: 1...255, using: &rng)
            #expect(c.rejection(bytes) != nil, "mutation \(trial) at byte \(position) was accepted")
        }
    }

    @Test func randomBytes_AreRejected() throws {
        let c = try ProvenCase("cnn_max")
        var rng = Rng(state: 99)
        for _ in 0..<2000 {
            let count = Int.random(in: 0...(2 * c.proof.count), using: &rng)
            #expect(c.rejection(Self.randomBytes(count, &rng)) != nil)
        }
        // Random bodies behind a valid header, and valid framing with random contents.
        let header = Array(c.proof.prefix(InferenceProof.headerByteCount))
        for _ in 0..<500 {
            #expect(c.rejection(header + Self.randomBytes(c.proof.count - header.count, &rng)) != nil)
            var bytes = c.proof
            let start = Int.random(in: header.count..<bytes.count, using: &rng)
            let end = min(bytes.count, start + Int.random(in: 1...64, using: &rng))
            bytes.replaceSubrange(start..<end, with: Self.randomBytes(end - start, &rng))
            #expect(c.rejection(bytes) != nil || bytes == c.proof)
        }
    }

    /// `count` random bytes, eight per generator call (the generator is slow in debug builds).
    static func randomBytes(_ count: Int, _ rng: inout Rng) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count + 8)
        while out.count < count {
            let word = rng.next()
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Array(out.prefix(count))
    }

    @Test func randomCommitmentBytes_AreRejectedWithTypedErrors() throws {
        let c = try ProvenCase("mlp_small")
        var rng = Rng(state: 5)
        for _ in 0..<300 {
            var bytes = c.commitment.encoded
            let position = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[position] ^= UInt8.random(in: 1...255, using: &rng)
            // Either refused, or (a flip inside the digest) a different commitment.
            if let decoded = try? ModelCommitment(decoding: bytes) {
                #expect(decoded.encoded != c.commitment.encoded)
                #expect(c.rejection(c.proof, commitment: decoded) != nil)
            }
        }
    }
}
