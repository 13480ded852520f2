import CGMP
@testable import ZKProof

/// Slow, obviously-correct big-integer arithmetic through GMP, the reference the native field
/// is checked against. Values go in and out as big-endian bytes.
final class GMPInteger {
    var value = __mpz_struct()

    init() { __gmpz_init(&value) }
    deinit { __gmpz_clear(&value) }

    convenience init(bigEndian bytes: [UInt8]) {
        self.init()
        bytes.withUnsafeBufferPointer { __gmpz_import(&value, $0.count, 1, 1, 1, 0, $0.baseAddress) }
    }

    /// The value as exactly 32 big-endian bytes (it must be below 2^256).
    var bytes32: [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var count = 0
        out.withUnsafeMutableBufferPointer { _ = __gmpz_export($0.baseAddress, &count, 1, 1, 1, 0, &value) }
        return [UInt8](repeating: 0, count: 32 - count) + out.prefix(count)
    }

    static var order: GMPInteger { GMPInteger(bigEndian: Scalar.orderBigEndianForTests) }

    static func mulMod(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        let x = GMPInteger(bigEndian: a), y = GMPInteger(bigEndian: b), r = GMPInteger(), n = order
        let t = GMPInteger()
        __gmpz_mul(&t.value, &x.value, &y.value)
        __gmpz_mod(&r.value, &t.value, &n.value)
        return r.bytes32
    }

    static func addMod(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        let x = GMPInteger(bigEndian: a), y = GMPInteger(bigEndian: b), r = GMPInteger(), n = order
        let t = GMPInteger()
        __gmpz_add(&t.value, &x.value, &y.value)
        __gmpz_mod(&r.value, &t.value, &n.value)
        return r.bytes32
    }

    static func subMod(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        let x = GMPInteger(bigEndian: a), y = GMPInteger(bigEndian: b), r = GMPInteger(), n = order
        let t = GMPInteger()
        __gmpz_sub(&t.value, &x.value, &y.value)
        __gmpz_mod(&r.value, &t.value, &n.value)
        return r.bytes32
    }

    static func reduce(_ a: [UInt8]) -> [UInt8] {
        let x = GMPInteger(bigEndian: a), r = GMPInteger(), n = order
        __gmpz_mod(&r.value, &x.value, &n.value)
        return r.bytes32
    }

    static func invert(_ a: [UInt8]) -> [UInt8]? {
        let x = GMPInteger(bigEndian: a), r = GMPInteger(), n = order
        guard __gmpz_invert(&r.value, &x.value, &n.value) != 0 else { return nil }
        return r.bytes32
    }

    static func powMod(_ a: [UInt8], _ e: [UInt8]) -> [UInt8] {
        let x = GMPInteger(bigEndian: a), y = GMPInteger(bigEndian: e), r = GMPInteger(), n = order
        __gmpz_powm(&r.value, &x.value, &y.value, &n.value)
        return r.bytes32
    }
}

extension Scalar {
    static var orderBigEndianForTests: [UInt8] { orderBigEndian }
}

/// A seeded generator so every randomized test replays exactly (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

func unhex(_ s: String) -> [UInt8] {
    var out = [UInt8]()
    var chars = Array(s.utf8)
    if chars.count % 2 == 1 { chars.insert(UInt8(ascii: "0"), at: 0) }
    for i in stride(from: 0, to: chars.count, by: 2) {
        out.append(UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) ?? 0)
    }
    return out
}
