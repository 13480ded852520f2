import Testing
@testable import ZKProof

/// The native Montgomery field against GMP, on random and edge values.
@Suite struct ScalarTests {
    /// Canonical encodings of values worth testing on their own: 0, 1, small, limb borders,
    /// just below the order, and values whose limbs are all ones.
    static let edgeValues: [[UInt8]] = {
        let n = Scalar.orderBigEndian
        var values: [[UInt8]] = []
        for x: UInt64 in [0, 1, 2, 3, 0xFFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF] {
            values.append([UInt8](repeating: 0, count: 24) + (0..<8).map { UInt8(truncatingIfNeeded: x >> UInt64(56 - 8 * $0)) })
        }
        values.append([0x80] + [UInt8](repeating: 0, count: 31)) // 2^255
        values.append([0x00] + [UInt8](repeating: 0xFF, count: 31)) // 2^248 − 1
        values.append([UInt8](repeating: 0, count: 8) + [1] + [UInt8](repeating: 0, count: 23)) // 2^184
        for k: UInt8 in 1...3 { var m = n; m[31] -= k; values.append(m) } // n − 1, n − 2, n − 3
        return values
    }()

    static func randomCanonical(_ rng: inout SeededRandom) -> [UInt8] {
        GMPInteger.reduce(rng.bytes(32))
    }

    static func decode(_ b: [UInt8]) throws -> Scalar { try Scalar(canonicalBigEndian: b) }

    @Test func constantsAgreeWithGMP() throws {
        // R mod n must be the Montgomery form of one: decoding 1 yields `one`.
        #expect(try Self.decode([UInt8](repeating: 0, count: 31) + [1]) == Scalar.one)
        let r = GMPInteger.reduce([1] + [UInt8](repeating: 0, count: 32))
        #expect(Scalar.montgomeryRadix.bigEndianBytes == r)
        // n' · n ≡ −1 (mod 2^64).
        #expect(Scalar.nPrime &* Scalar.n0 == UInt64.max)
    }

    @Test func arithmeticMatchesGMPOnEdgeValues() throws {
        for a in Self.edgeValues {
            for b in Self.edgeValues {
                let x = try Self.decode(a), y = try Self.decode(b)
                #expect((x * y).bigEndianBytes == GMPInteger.mulMod(a, b), "mul \(hex(a)) \(hex(b))")
                #expect((x + y).bigEndianBytes == GMPInteger.addMod(a, b), "add \(hex(a)) \(hex(b))")
                #expect((x - y).bigEndianBytes == GMPInteger.subMod(a, b), "sub \(hex(a)) \(hex(b))")
            }
        }
    }

    @Test func arithmeticMatchesGMPOnRandomValues() throws {
        var rng = SeededRandom(seed: 0x5EED_F1E1D)
        for _ in 0..<3000 {
            let a = Self.randomCanonical(&rng), b = Self.randomCanonical(&rng)
            let x = try Self.decode(a), y = try Self.decode(b)
            #expect((x * y).bigEndianBytes == GMPInteger.mulMod(a, b))
            #expect((x + y).bigEndianBytes == GMPInteger.addMod(a, b))
            #expect((x - y).bigEndianBytes == GMPInteger.subMod(a, b))
            #expect((-x).bigEndianBytes == GMPInteger.subMod([UInt8](repeating: 0, count: 32), a))
        }
    }

    @Test func plainMultiplyMatchesGMP() throws {
        var rng = SeededRandom(seed: 77)
        for _ in 0..<500 {
            let a = Self.randomCanonical(&rng)
            let k = UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng)
            let kBytes = [UInt8](repeating: 0, count: 24) + (0..<8).map { UInt8(truncatingIfNeeded: k >> UInt64(56 - 8 * $0)) }
            let product = try Self.decode(a).scaledForPlainMultiply().multipliedByPlain(k)
            #expect(product.bigEndianBytes == GMPInteger.mulMod(a, kBytes))
        }
    }

    @Test func inversionMatchesGMP() throws {
        var rng = SeededRandom(seed: 4242)
        var values = Self.edgeValues
        for _ in 0..<100 { values.append(Self.randomCanonical(&rng)) }
        for a in values {
            let x = try Self.decode(a)
            if let expected = GMPInteger.invert(a) {
                let inv = try #require(x.inverse())
                #expect(inv.bigEndianBytes == expected)
                #expect(x * inv == Scalar.one)
            } else {
                #expect(x.isZero)
                #expect(x.inverse() == nil)
            }
        }
    }

    @Test func powerMatchesGMP() throws {
        var rng = SeededRandom(seed: 99)
        for _ in 0..<20 {
            let a = Self.randomCanonical(&rng), e = rng.bytes(32)
            #expect(try Self.decode(a).power(bigEndianExponent: e).bigEndianBytes == GMPInteger.powMod(a, e))
        }
    }

    @Test func wideReductionMatchesGMP() {
        var rng = SeededRandom(seed: 512)
        var inputs = [[UInt8](repeating: 0xFF, count: 64), [UInt8](repeating: 0, count: 64),
                      Scalar.orderBigEndian + Scalar.orderBigEndian]
        for _ in 0..<500 { inputs.append(rng.bytes(64)) }
        for w in inputs {
            #expect(Scalar(wideBigEndian: w).bigEndianBytes == GMPInteger.reduce(w), "\(hex(w))")
        }
    }

    @Test func signedEmbeddingMatchesGMP() throws {
        for x: Int64 in [0, 1, -1, 2, -2, 127, -128, Int64.max, Int64.min, Int64.min + 1, 1 << 40, -(1 << 40)] {
            let magnitude = [UInt8](repeating: 0, count: 24) + (0..<8).map { UInt8(truncatingIfNeeded: x.magnitude >> UInt64(56 - 8 * $0)) }
            let expected = x < 0 ? GMPInteger.subMod([UInt8](repeating: 0, count: 32), magnitude) : magnitude
            #expect(Scalar(x).bigEndianBytes == expected, "\(x)")
            #expect(Scalar(x).signedInt64 == x)
        }
        #expect(Scalar(wideBigEndian: [UInt8](repeating: 0x77, count: 64)).signedInt64 == nil)
    }

    @Test func encodingGoldenBytes() throws {
        #expect(hex(Scalar.one.bigEndianBytes) == "0000000000000000000000000000000000000000000000000000000000000001")
        #expect(hex(Scalar(Int64(-1)).bigEndianBytes) == "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550")
        #expect(hex(Scalar(UInt64(0x0102030405060708)).bigEndianBytes) == "0000000000000000000000000000000000000000000000000102030405060708")
        let x = try Self.decode(unhex("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"))
        #expect(hex(x.bigEndianBytes) == "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    }

    @Test func nonCanonicalEncoding_IsRejected() {
        let n = Scalar.orderBigEndian
        #expect(throws: Scalar.DecodingError.nonCanonical) { try Scalar(canonicalBigEndian: n) }
        var nPlusOne = n
        nPlusOne[31] += 1
        #expect(throws: Scalar.DecodingError.nonCanonical) { try Scalar(canonicalBigEndian: nPlusOne) }
        #expect(throws: Scalar.DecodingError.nonCanonical) { try Scalar(canonicalBigEndian: [UInt8](repeating: 0xFF, count: 32)) }
        #expect(throws: Scalar.DecodingError.wrongLength(31)) { try Scalar(canonicalBigEndian: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: Scalar.DecodingError.wrongLength(33)) { try Scalar(canonicalBigEndian: [UInt8](repeating: 0, count: 33)) }
    }
}
