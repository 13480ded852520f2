import Testing
@testable import ZKProof

/// Packed integer lists: golden bytes, round trips at every width, and the refusals that keep
/// one encoding per list.
@Suite struct PackedIntegerTests {
    static func packed(_ xs: [Int64]) -> [UInt8] {
        var w = ProofWriter()
        w.packedInt64Array(xs)
        return w.bytes
    }

    static func unpack(_ bytes: [UInt8], count: Int) throws(ProofFormatError) -> [Int64] {
        var r = ProofReader(bytes)
        try r.expectCount("values", count)
        let out = try r.packedInt64s(count)
        try r.finish()
        return out
    }

    @Test func goldenBytes() {
        // zigzag 200 and 73 328 in 17 bits: 34 bits, five bytes, six padding zeros.
        #expect(Self.packed([100, 36664]) == [0, 0, 0, 2, 17, 0, 100, 71, 156, 0])
        // −708 → 1415, 11 bits.
        #expect(Self.packed([-708]) == [0, 0, 0, 1, 11, 176, 224])
        // All zeros: width 0 and no bytes; the empty list likewise.
        #expect(Self.packed([0, 0, 0]) == [0, 0, 0, 3, 0])
        #expect(Self.packed([]) == [0, 0, 0, 0, 0])
        // The extremes take all 64 bits.
        #expect(Self.packed([Int64.min]) == [0, 0, 0, 1, 64] + [UInt8](repeating: 0xFF, count: 8))
        #expect(Self.packed([Int64.max]) == [0, 0, 0, 1, 64, 0xFF] + [UInt8](repeating: 0xFF, count: 6) + [0xFE])
    }

    @Test func roundTrips_AtEveryWidth() throws {
        var rng = SystemRandomNumberGenerator()
        for width in 0...64 {
            for count in [1, 2, 7, 8, 9, 63] {
                let values: [Int64] = (0..<count).map { _ in
                    guard width > 1 else { return width == 1 ? -1 : 0 }
                    // Magnitudes below 2^(width−1): zigzag values below 2^width.
                    let bound = UInt64(1) << UInt64(width - 1)
                    let m = Int64(bitPattern: UInt64.random(in: 0..<bound, using: &rng))
                    return Bool.random(using: &rng) ? m : -1 - m
                }
                let bytes = Self.packed(values)
                #expect(try Self.unpack(bytes, count: count) == values, "width \(width), count \(count)")
                #expect(bytes.count <= 5 + (count * width + 7) / 8)
            }
        }
        let extremes: [Int64] = [Int64.min, Int64.max, 0, -1, 1, Int64.min + 1]
        #expect(try Self.unpack(Self.packed(extremes), count: extremes.count) == extremes)
    }

    @Test func widerThanNeeded_IsRefused() {
        // [1, −1] needs 2 bits (zigzag 2 and 1); written in 3 bits it is a second encoding.
        let valid = Self.packed([1, -1])
        #expect(valid == [0, 0, 0, 2, 2, 0b1001_0000])
        #expect(throws: ProofFormatError.invalidValue(field: "packed width", offset: 4)) {
            _ = try Self.unpack([0, 0, 0, 2, 3, 0b0100_0100], count: 2)
        }
        // Non-zero values claimed at width 0.
        #expect(throws: ProofFormatError.self) { _ = try Self.unpack([0, 0, 0, 2, 0, 0xFF], count: 2) }
        #expect(throws: ProofFormatError.invalidValue(field: "packed width", offset: 4)) {
            _ = try Self.unpack([0, 0, 0, 1, 65] + [UInt8](repeating: 0, count: 9), count: 1)
        }
    }

    @Test func nonZeroPadding_IsRefused() {
        #expect(throws: ProofFormatError.invalidValue(field: "packed padding", offset: 5)) {
            _ = try Self.unpack([0, 0, 0, 2, 2, 0b1001_0001], count: 2)
        }
    }

    @Test func truncated_IsRefused_BeforeAllocating() {
        let bytes = Self.packed([5, -9, 1000, 3])
        for cut in 5..<bytes.count {
            #expect(throws: ProofFormatError.self) { _ = try Self.unpack(Array(bytes.prefix(cut)), count: 4) }
        }
        // A count the statement fixes at a huge value with 64-bit width fails on length, not memory.
        var r = ProofReader([64, 0, 0])
        #expect(throws: ProofFormatError.self) { _ = try r.packedInt64s(Int.max / 2) }
    }

    @Test func randomBytes_NeverTrap() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var r = ProofReader(bytes)
            _ = try? r.packedInt64s(Int.random(in: 0..<20, using: &rng))
        }
    }
}
