import CGMP
import Testing
@testable import ZKProof

/// The base field's arithmetic and point decompression, checked against GMP.
@Suite struct BaseFieldTests {
    static let p = unhex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")
    static let b = unhex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b")

    /// `op(a, b) mod p` through GMP.
    static func reference(_ a: [UInt8], _ b: [UInt8], _ op: (UnsafeMutablePointer<__mpz_struct>, UnsafePointer<__mpz_struct>,
                                                           UnsafePointer<__mpz_struct>) -> Void) -> [UInt8] {
        let x = GMPInteger(bigEndian: a), y = GMPInteger(bigEndian: b), t = GMPInteger(), r = GMPInteger(), m = GMPInteger(bigEndian: p)
        op(&t.value, &x.value, &y.value)
        __gmpz_mod(&r.value, &t.value, &m.value)
        return r.bytes32
    }

    static func element(_ bytes: [UInt8]) throws -> BaseField { try #require(BaseField(bigEndian: bytes[...])) }

    @Test func arithmetic_MatchesGMP() throws {
        var rng = SeededRandom(seed: 21)
        let pMinus1 = Self.reference(Self.p, [1], { __gmpz_sub($0, $1, $2) })
        let edges = [[UInt8](repeating: 0, count: 32), [UInt8](repeating: 0, count: 31) + [1], pMinus1,
                     Self.reference(Self.p, [2], { __gmpz_sub($0, $1, $2) })]
        var values = edges
        for _ in 0..<200 { values.append(Self.reference(rng.bytes(32), [1], { __gmpz_mul($0, $1, $2) })) }
        for (i, a) in values.enumerated() {
            let c = values[(i * 7 + 3) % values.count]
            let x = try Self.element(a), y = try Self.element(c)
            #expect((x * y).bigEndianBytes == Self.reference(a, c, { __gmpz_mul($0, $1, $2) }))
            #expect((x + y).bigEndianBytes == Self.reference(a, c, { __gmpz_add($0, $1, $2) }))
            #expect((x - y).bigEndianBytes == Self.reference(a, c, { __gmpz_sub($0, $1, $2) }))
            #expect(x.bigEndianBytes == a)
        }
        // p itself and anything above it are not field elements.
        #expect(BaseField(bigEndian: Self.p[...]) == nil)
        #expect(BaseField(bigEndian: [UInt8](repeating: 0xFF, count: 32)[...]) == nil)
        #expect(BaseField(bigEndian: [UInt8](repeating: 0, count: 31)[...]) == nil)
    }

    /// For random `x`: a root exactly when GMP finds `x³ − 3x + b` a square, with GMP's root of
    /// the asked parity.
    @Test func decompression_MatchesGMP() throws {
        var rng = SeededRandom(seed: 22)
        let m = GMPInteger(bigEndian: Self.p)
        let e = GMPInteger(), pPlus1 = GMPInteger(), one = GMPInteger(bigEndian: [1])
        __gmpz_add(&pPlus1.value, &m.value, &one.value)
        __gmpz_fdiv_q_2exp(&e.value, &pPlus1.value, 2)
        var squares = 0
        for i in 0..<300 {
            let xBytes = i == 0 ? [UInt8](repeating: 0, count: 32) : Self.reference(rng.bytes(32), [1], { __gmpz_mul($0, $1, $2) })
            // x³ − 3x + b = (x² − 3)·x + b.
            let x2 = Self.reference(xBytes, xBytes, { __gmpz_mul($0, $1, $2) })
            let x2m3 = Self.reference(x2, [3], { __gmpz_sub($0, $1, $2) })
            let cubic = Self.reference(x2m3, xBytes, { __gmpz_mul($0, $1, $2) })
            let rhs = GMPInteger(bigEndian: Self.reference(cubic, Self.b, { __gmpz_add($0, $1, $2) }))
            let y = GMPInteger(), check = GMPInteger()
            __gmpz_powm(&y.value, &rhs.value, &e.value, &m.value)
            __gmpz_powm_ui(&check.value, &y.value, 2, &m.value)
            let isSquare = __gmpz_cmp(&check.value, &rhs.value) == 0
            for odd in [false, true] {
                let root = BaseField.decompress(x: xBytes[...], odd: odd)
                #expect((root != nil) == isSquare, "x #\(i)")
                guard let root else { continue }
                squares += 1
                var expected = y.bytes32
                if (expected[31] & 1 == 1) != odd { expected = Self.reference(Self.p, expected, { __gmpz_sub($0, $1, $2) }) }
                #expect(root == expected)
                // The point decodes, and OpenSSL's own encoding of it is the input.
                let point = try CurvePoint(compressed: [odd ? 0x03 : 0x02] + xBytes)
                #expect(point.negated().negated().compressed == [odd ? 0x03 : 0x02] + xBytes)
            }
        }
        #expect(squares > 200, "about half of all x are on the curve, each with two roots")
        #expect(BaseField.decompress(x: Self.p[...], odd: false) == nil)
    }
}
