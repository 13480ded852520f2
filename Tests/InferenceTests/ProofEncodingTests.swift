import Foundation
import Testing
@testable import Inference
import ZKProof

/// Model commitments, binding contexts and the proof format: round trips, golden bytes and
/// hostile encodings.
@Suite struct ProofEncodingTests {
    /// A two-layer dense model small enough to write its numbers down.
    static func tinyModel() throws -> QuantizedModel {
        let relu = try Activation(shift: 8, lo: 0, hi: 32767)
        let identity = try Activation(shift: 8, lo: -32768, hi: 32767)
        return try QuantizedModel(config: .default, inputShape: [1, 3], layers: [
            .init(prepare: [], kind: .dense, rows: 2, activation: relu, weights: [256, -128, 0, 64, 32, -16], bias: [100, -200]),
            .init(prepare: [], kind: .dense, rows: 1, activation: identity, weights: [3, -5], bias: [7]),
        ])
    }

    @Test func commitmentRoundTrips() throws {
        for name in ProofFixtures.names {
            let c = try ProofFixtures.committed(name)
            let decoded = try ModelCommitment(decoding: c.commitment.encoded)
            #expect(decoded.encoded == c.commitment.encoded)
            #expect(decoded.spec == c.model.spec)
            #expect(decoded.modelID == c.model.digestHex)
            // A proof verifies against the decoded commitment as against the original.
            let proven = try ProvenCase(name)
            #expect(try proven.verify(proven.proof, commitment: decoded) == proven.output)
        }
    }

    @Test func commitmentGoldenBytes() throws {
        let model = try Self.tinyModel()
        let c = try ModelCommitment(committing: model)
        // Header: magic, version 1, the digest, then the length-prefixed spec.
        #expect(Array(c.encoded.prefix(6)) == Array("PMWC".utf8) + [0, 1])
        #expect(Array(c.encoded[6..<38]) == model.digest)
        let spec = model.spec.encoded()
        #expect(Array(c.encoded[38..<42]) == [0, 0, 0, UInt8(spec.count)])
        #expect(Array(c.encoded[42..<(42 + spec.count)]) == spec)
        // Layout c = 1, the smallest with the fewest verifier points (10; c = 0 needs 11, as b₀
        // then takes two rows of 1). Layer 0: W 2×3 padded to 2×4 = two rows of 4 (a matrix row
        // is never split), b one row of 2; layer 1: W 1×2 one row of 2, b one row of 1.
        var offset = 42 + spec.count
        #expect(c.encoded[offset] == 1)
        offset += 1
        for rows in [2, 1, 1, 1] {
            #expect(Array(c.encoded[offset..<(offset + 4)]) == [0, 0, 0, UInt8(rows)])
            offset += 4 + 33 * rows
        }
        #expect(offset == c.encoded.count)
        // The second row commitment is W's padded row [64, 32, −16, 0]·G + H, computed independently.
        let g = Generators.shared.g(count: 4)
        let expected = try #require(CurvePoint.multiScalarMultiply(g + [Generators.shared.h],
                                                                   [Scalar(Int64(64)), Scalar(Int64(32)), Scalar(Int64(-16)), .zero, .one]))
        #expect(c.weightRows[0][1].isEqual(to: expected))
        #expect(c.layout.columnVariables == 1)
        #expect(SHA256Digest.hash(c.encoded).count == 32)
    }

    @Test func proofGoldenBytes() throws {
        let model = try Self.tinyModel()
        let c = try ModelCommitment(committing: model)
        let input: [Int64] = [256, 512, -256]
        let (output, proof) = try InferenceProver.prove(model: model, commitment: c, input: input,
                                                        context: BindingContext(jobID: "j", workerID: "w", nonce: "n"))
        // z₀ = W₀x + b₀ = [256·256 − 128·512 + 0 + 100, 64·256 + 32·512 + 16·256 − 200] = [100, 36664]
        // a₀ = relu(round(z₀ / 2^8)) = [0, 143]; z₁ = 3·0 − 5·143 + 7 = −708; y = round(−708/256) = −3.
        #expect(output == [-3])
        // Version 2, two layers, no products.
        var expected: [UInt8] = Array("PMIP".utf8) + [0, 2, 0, 2, 0, 0]
        // z₀ packed: zigzag 200 and 73 328 in 17 bits; z₁: zigzag 1415 in 11 bits.
        expected += [0, 0, 0, 2, 17, 0, 100, 71, 156, 0]
        expected += [0, 0, 0, 1, 11, 176, 224]
        #expect(Array(proof.prefix(expected.count)) == expected)
        // Then t₀ (4 scalars), β₀ (2), t₁ (2), β₁ (1): 9 scalars.
        #expect(proof.count == expected.count + 9 * 32)
        // Pins the transcript and the combinations: any change to either changes these bytes.
        #expect(hexString(SHA256Digest.hash(proof)) == Self.proofDigest)
        #expect(try InferenceVerifier.verify(commitment: c, input: input, proof: proof,
                                             context: BindingContext(jobID: "j", workerID: "w", nonce: "n")) == [-3])
    }

    /// SHA-256 of the tiny model's proof (format 2, packed Z); update only with a format or protocol change.
    static let proofDigest = "1ae8f48bebd17fee2e4db512d379a9a8ba61fb83e1eab04b61874ea630ab40a5"

    @Test func commitmentWithInvalidPoint_IsRejected() throws {
        let c = try ProofFixtures.committed("mlp_small").commitment
        let first = Self.firstPointOffset(c)
        var bytes = c.encoded
        bytes.replaceSubrange(first..<(first + 33), with: [0x02] + [UInt8](repeating: 0xFF, count: 32))
        #expect(throws: ModelCommitment.Error.malformed(.invalidPoint(offset: first, reason: .notOnCurve))) {
            _ = try ModelCommitment(decoding: bytes)
        }
        bytes.replaceSubrange(first..<(first + 33), with: [0x04] + Array(c.encoded[(first + 1)..<(first + 33)]))
        #expect(throws: ModelCommitment.Error.malformed(.invalidPoint(offset: first, reason: .badPrefix(4)))) {
            _ = try ModelCommitment(decoding: bytes)
        }
    }

    @Test func commitmentWithInfinityPoint_IsRejected() throws {
        let c = try ProofFixtures.committed("mlp_small").commitment
        let first = Self.firstPointOffset(c)
        var bytes = c.encoded
        bytes.replaceSubrange(first..<(first + 33), with: [UInt8](repeating: 0, count: 33))
        #expect(throws: ModelCommitment.Error.malformed(.invalidPoint(offset: first, reason: .badPrefix(0)))) {
            _ = try ModelCommitment(decoding: bytes)
        }
        // OpenSSL's one-byte encoding of infinity cannot be spliced in either: framing breaks.
        var short = c.encoded
        short.replaceSubrange(first..<(first + 33), with: [0])
        #expect(throws: (any Error).self) { _ = try ModelCommitment(decoding: short) }
    }

    static func firstPointOffset(_ c: ModelCommitment) -> Int {
        6 + 32 + 4 + c.spec.encoded().count + 1 + 4
    }

    @Test func truncatedOrExtendedCommitment_IsRejected() throws {
        let c = try ProofFixtures.committed("mlp_small").commitment
        for length in stride(from: 0, to: c.encoded.count, by: 7) {
            #expect(throws: ModelCommitment.Error.self) { _ = try ModelCommitment(decoding: Array(c.encoded.prefix(length))) }
        }
        #expect(throws: ModelCommitment.Error.malformed(.trailingBytes(count: 1, offset: c.encoded.count))) {
            _ = try ModelCommitment(decoding: c.encoded + [0])
        }
    }

    @Test func oversizedCommitment_IsRejectedBeforeDecoding() {
        let huge = [UInt8](repeating: 0, count: ProofLimits.commitmentBytesMax + 1)
        #expect(throws: ModelCommitment.Error.malformed(.countOverLimit(field: "commitment bytes", count: huge.count,
                                                                         limit: ProofLimits.commitmentBytesMax, offset: 0))) {
            _ = try ModelCommitment(decoding: huge)
        }
        // At the limit the bytes reach the decoder (and fail on their magic).
        let atLimit = [UInt8](repeating: 0, count: ProofLimits.commitmentBytesMax)
        #expect(throws: ModelCommitment.Error.malformed(.badMagic(offset: 0))) { _ = try ModelCommitment(decoding: atLimit) }
    }

    @Test func commitmentWithForeignLayout_IsRejected() throws {
        let c = try ProofFixtures.committed("mlp_small").commitment
        let at = 6 + 32 + 4 + c.spec.encoded().count
        var bytes = c.encoded
        bytes[at] = 13 // wider than any layout may be
        #expect(throws: ModelCommitment.Error.invalidLayout(columnVariables: 13)) { _ = try ModelCommitment(decoding: bytes) }
        bytes[at] = UInt8(c.encoded[at] + 1) // admissible but other row counts than the bytes hold
        #expect(throws: ModelCommitment.Error.self) { _ = try ModelCommitment(decoding: bytes) }
    }

    @Test func bindingContextParsing() throws {
        let ctx = try BindingContext(parsing: "job-1:worker-2:abc")
        #expect(ctx == BindingContext(jobID: "job-1", workerID: "worker-2", nonce: "abc"))
        #expect(ctx.description == "job-1:worker-2:abc")
        #expect(throws: BindingContext.ParseError.wrongPartCount(2)) { _ = try BindingContext(parsing: "a:b") }
        #expect(throws: BindingContext.ParseError.wrongPartCount(4)) { _ = try BindingContext(parsing: "a:b:c:d") }
        #expect(throws: BindingContext.ParseError.emptyPart("worker")) { _ = try BindingContext(parsing: "a::c") }
        let long = String(repeating: "x", count: ProofLimits.contextFieldBytesMax + 1)
        #expect(throws: BindingContext.ParseError.partTooLong("nonce")) { _ = try BindingContext(parsing: "a:b:" + long) }
        let atLimit = String(repeating: "x", count: ProofLimits.contextFieldBytesMax)
        #expect(try BindingContext(parsing: "a:b:" + atLimit).nonce == atLimit)
    }

    @Test func bindingContextEncodingIsInjective() {
        let a = BindingContext(jobID: "ab", workerID: "c", nonce: "d")
        let b = BindingContext(jobID: "a", workerID: "bc", nonce: "d")
        #expect(a.encoded != b.encoded)
        #expect(a.encoded == [0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 1, 0x63, 0, 0, 0, 1, 0x64])
    }
}

func hexString(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
