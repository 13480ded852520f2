import Testing
@testable import ZKProof

/// The length-checked reader and the writer it inverts.
@Suite struct ProofCodingTests {
    @Test func writerGoldenBytes() {
        var w = ProofWriter()
        w.u8(0xAB)
        w.u16(0x0102)
        w.u32(0x0304_0506)
        w.int64(-2)
        w.int64Array([1, -1])
        w.byteString([0xCC])
        w.scalar(Scalar(UInt64(7)))
        #expect(hex(w.bytes) == "ab" + "0102" + "03040506" + "fffffffffffffffe"
            + "00000002" + "0000000000000001" + "ffffffffffffffff" + "00000001cc"
            + String(repeating: "0", count: 62) + "07")
    }

    @Test func readerInvertsWriter() throws {
        var w = ProofWriter()
        w.u16(9)
        w.int64Array([5, Int64.min, Int64.max])
        w.scalars([Scalar.one, Scalar(Int64(-3))])
        w.point(Generators.shared.h)
        var r = ProofReader(w.bytes)
        #expect(try r.u16() == 9)
        let n = try r.count("values", max: 3)
        #expect(try r.int64s(n) == [5, Int64.min, Int64.max])
        #expect(try r.scalars(2) == [Scalar.one, Scalar(Int64(-3))])
        #expect(try r.point().isEqual(to: Generators.shared.h))
        try r.finish()
    }

    @Test func truncatedInput_IsRejected() {
        var w = ProofWriter()
        w.scalar(Scalar.one)
        for cut in 0..<32 {
            var r = ProofReader(Array(w.bytes.prefix(cut)))
            #expect(throws: ProofFormatError.truncated(offset: 0, needed: 32, remaining: cut)) { _ = try r.scalar() }
        }
        var r = ProofReader([0, 0, 0])
        #expect(throws: ProofFormatError.truncated(offset: 0, needed: 4, remaining: 3)) { _ = try r.u32() }
    }

    @Test func trailingBytes_IsRejected() throws {
        var r = ProofReader([0, 1, 2])
        _ = try r.u16()
        #expect(throws: ProofFormatError.trailingBytes(count: 1, offset: 2)) { try r.finish() }
    }

    @Test func countOverLimit_IsRejectedBeforeAllocating() {
        var r = ProofReader([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: ProofFormatError.countOverLimit(field: "layers", count: 0xFFFF_FFFF, limit: 64, offset: 0)) {
            _ = try r.count("layers", max: 64)
        }
        // A huge count that passes its limit still cannot read past the end.
        var s = ProofReader([0, 0, 0, 0])
        #expect(throws: ProofFormatError.truncated(offset: 0, needed: Int.max, remaining: 4)) { _ = try s.scalars(Int.max / 2) }
    }

    @Test func countAtLimit_IsAccepted() throws {
        var r = ProofReader([0, 0, 0, 64])
        #expect(try r.count("layers", max: 64) == 64)
    }

    @Test func nonCanonicalScalar_IsRejected() {
        var r = ProofReader(Scalar.orderBigEndian)
        #expect(throws: ProofFormatError.nonCanonicalScalar(offset: 0)) { _ = try r.scalar() }
    }

    @Test func invalidPoint_IsRejected() {
        var r = ProofReader([0x02] + [UInt8](repeating: 0xFF, count: 32))
        #expect(throws: ProofFormatError.invalidPoint(offset: 0, reason: .notOnCurve)) { _ = try r.point() }
        var s = ProofReader([UInt8](repeating: 0, count: 33))
        #expect(throws: ProofFormatError.invalidPoint(offset: 0, reason: .badPrefix(0))) { _ = try s.point() }
    }

    @Test func pointListLengthIsCheckedBeforeAllocating() throws {
        var w = ProofWriter()
        w.point(Generators.shared.h)
        w.point(Generators.shared.g(count: 1)[0])
        var r = ProofReader(w.bytes)
        #expect(try r.points(2).count == 2)
        var s = ProofReader(w.bytes)
        #expect(throws: ProofFormatError.truncated(offset: 0, needed: 33 * 3, remaining: 66)) { _ = try s.points(3) }
        var t = ProofReader(w.bytes)
        #expect(throws: ProofFormatError.truncated(offset: 0, needed: Int.max, remaining: 66)) { _ = try t.points(Int.max / 4) }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SeededRandom(seed: 2024)
        for _ in 0..<2000 {
            var r = ProofReader(rng.bytes(Int.random(in: 0...80, using: &rng)))
            _ = try? r.count("n", max: 4)
            _ = try? r.scalar()
            _ = try? r.point()
            _ = try? r.int64s(3)
            _ = try? r.byteString("s", max: 8)
        }
    }
}
