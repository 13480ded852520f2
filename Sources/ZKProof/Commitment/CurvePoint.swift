import COpenSSL
import Foundation

/// A point of the NIST P-256 group (prime order `n`, the order of `Scalar`), held as an
/// OpenSSL `EC_POINT`.
///
/// This file is the only place that calls OpenSSL's EC API. Points built by this module are
/// immutable once returned, so sharing them across threads is safe (OpenSSL only reads them).
public final class CurvePoint: @unchecked Sendable {
    let raw: OpaquePointer
    /// The compressed bytes a decoded point was read from (validated, hence canonical): a
    /// verifier absorbs the same rows and messages many times, and encoding asks OpenSSL for
    /// affine coordinates each time. Also kept for points made from affine coordinates; nil
    /// for other computed points.
    private let encoding: [UInt8]?

    /// Bytes of the compressed SEC 1 encoding: `0x02`/`0x03` (parity of y) then 32-byte x.
    public static let compressedByteCount = 33

    /// Why 33 bytes are not an acceptable point.
    public enum DecodingError: Error, Equatable, Sendable {
        /// Not exactly 33 bytes.
        case wrongLength(Int)
        /// The leading byte is neither 0x02 nor 0x03.
        case badPrefix(UInt8)
        /// `x ≥ p`, or no `y` satisfies the curve equation.
        case notOnCurve
        /// The point at infinity, which no honest commitment contains.
        case infinity
    }

    init(taking raw: OpaquePointer) {
        self.raw = raw
        encoding = nil
    }

    deinit { EC_POINT_free(raw) }

    /// The point at infinity (the group identity).
    public static func infinity() -> CurvePoint {
        let p = EC_POINT_new(P256.group)!
        EC_POINT_set_to_infinity(P256.group, p)
        return CurvePoint(taking: p)
    }

    /// Decodes and validates a compressed point: on the curve, not infinity.
    public init<Bytes: Collection>(compressed bytes: Bytes) throws(DecodingError) where Bytes.Element == UInt8 {
        guard bytes.count == CurvePoint.compressedByteCount else { throw .wrongLength(bytes.count) }
        let array = Array(bytes)
        guard array[0] == 0x02 || array[0] == 0x03 else { throw .badPrefix(array[0]) }
        // The root y is found natively (BaseField: several times faster than OpenSSL's
        // generic square root), which checks y² = x³ − 3x + b; OpenSSL then takes (x, y) and
        // checks the curve equation again (EC_POINT_set_affine_coordinates refuses a point
        // off the curve).
        guard let y = BaseField.decompress(x: array[1...], odd: array[0] == 0x03),
              let p = CurvePoint.point(x: Array(array[1...]), y: y) else { throw .notOnCurve }
        guard EC_POINT_is_at_infinity(P256.group, p) == 0 else {
            EC_POINT_free(p)
            throw .infinity
        }
        raw = p
        // x < p and the prefix fixes y's parity (y ≠ 0 on P-256), so these are the bytes
        // OpenSSL would write for the point.
        encoding = array
    }

    /// The point `(x, y)` of native arithmetic (`JacobianPoint`); nil if it is not on the curve
    /// (OpenSSL checks the equation).
    init?(affine p: AffinePoint) {
        let xBytes = p.x.bigEndianBytes
        let yBytes = p.y.bigEndianBytes
        guard let point = CurvePoint.point(x: xBytes, y: yBytes) else { return nil }
        raw = point
        encoding = [yBytes[31] & 1 == 1 ? 0x03 : 0x02] + xBytes
    }

    /// A new `EC_POINT` for 32-byte big-endian coordinates; nil if OpenSSL refuses them (off
    /// the curve).
    private static func point(x: [UInt8], y: [UInt8]) -> OpaquePointer? {
        guard let p = EC_POINT_new(P256.group) else { return nil }
        let bx = x.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, 32, nil) }
        let by = y.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, 32, nil) }
        defer {
            BN_free(bx)
            BN_free(by)
        }
        guard bx != nil, by != nil, EC_POINT_set_affine_coordinates(P256.group, p, bx, by, nil) == 1 else {
            ERR_clear_error()
            EC_POINT_free(p)
            return nil
        }
        return p
    }

    /// The affine coordinates, for native arithmetic; nil for the identity.
    var affine: AffinePoint? {
        guard !isInfinity, let bx = BN_new() else { return nil }
        defer { BN_free(bx) }
        guard let by = BN_new() else { return nil }
        defer { BN_free(by) }
        guard EC_POINT_get_affine_coordinates(P256.group, raw, bx, by, nil) == 1 else {
            ERR_clear_error()
            return nil
        }
        var xBytes = [UInt8](repeating: 0, count: 32)
        var yBytes = [UInt8](repeating: 0, count: 32)
        guard xBytes.withUnsafeMutableBufferPointer({ BN_bn2binpad(bx, $0.baseAddress, 32) }) == 32,
              yBytes.withUnsafeMutableBufferPointer({ BN_bn2binpad(by, $0.baseAddress, 32) }) == 32,
              let x = BaseField(bigEndian: xBytes[...]), let y = BaseField(bigEndian: yBytes[...]) else { return nil }
        return AffinePoint(x: x, y: y)
    }

    /// The compressed 33-byte encoding (the point must not be infinity).
    public var compressed: [UInt8] {
        if let encoding { return encoding }
        var out = [UInt8](repeating: 0, count: CurvePoint.compressedByteCount)
        let written = out.withUnsafeMutableBufferPointer {
            EC_POINT_point2oct(P256.group, raw, POINT_CONVERSION_COMPRESSED, $0.baseAddress, $0.count, nil)
        }
        // Infinity encodes as one zero byte; keep the fixed width so callers never mis-frame.
        if written != CurvePoint.compressedByteCount { return [UInt8](repeating: 0, count: CurvePoint.compressedByteCount) }
        return out
    }

    /// True for the group identity.
    public var isInfinity: Bool { EC_POINT_is_at_infinity(P256.group, raw) == 1 }

    /// `self + other`.
    public func adding(_ other: CurvePoint) -> CurvePoint {
        let r = EC_POINT_new(P256.group)!
        EC_POINT_add(P256.group, r, raw, other.raw, nil)
        return CurvePoint(taking: r)
    }

    /// `−self`.
    public func negated() -> CurvePoint {
        let r = EC_POINT_dup(raw, P256.group)!
        EC_POINT_invert(P256.group, r, nil)
        return CurvePoint(taking: r)
    }

    /// `Σ_i scalars[i] · points[i]`: `EC_POINTs_mul` (OpenSSL shares the doublings), split in
    /// two halves on two threads when there are enough points for it to pay. Nil if OpenSSL
    /// fails (never read as the identity, so a verifier cannot accept by failing).
    public static func multiScalarMultiply(_ points: [CurvePoint], _ scalars: [Scalar]) -> CurvePoint? {
        guard points.count == scalars.count else { return nil }
        let count = points.count
        if count < parallelThreshold { return multiply(points[...], scalars[...]) }
        let half = count / 2
        nonisolated(unsafe) var parts: [CurvePoint?] = [nil, nil]
        parts.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let range = i == 0 ? 0..<half : half..<count
                out[i] = multiply(points[range], scalars[range])
            }
        }
        guard let a = parts[0], let b = parts[1], let sum = EC_POINT_new(P256.group) else { return nil }
        guard EC_POINT_add(P256.group, sum, a.raw, b.raw, nil) == 1 else {
            EC_POINT_free(sum)
            return nil
        }
        return CurvePoint(taking: sum)
    }

    /// Below this many points one thread is faster than two (thread hand-off costs more).
    static let parallelThreshold = 96

    private static func multiply(_ points: ArraySlice<CurvePoint>, _ scalars: ArraySlice<Scalar>) -> CurvePoint? {
        guard let result = EC_POINT_new(P256.group) else { return nil }
        let ctx = BN_CTX_new()
        defer { BN_CTX_free(ctx) }
        var bignums: [OpaquePointer?] = scalars.map { s in
            let bytes = s.bigEndianBytes
            return bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, 32, nil) }
        }
        defer { for b in bignums { BN_free(b) } }
        var raws: [OpaquePointer?] = points.map { $0.raw }
        let ok = raws.withUnsafeMutableBufferPointer { p in
            bignums.withUnsafeMutableBufferPointer { m in
                EC_POINTs_mul(P256.group, result, nil, points.count, p.baseAddress, m.baseAddress, ctx)
            }
        }
        guard ok == 1 else {
            EC_POINT_free(result)
            ERR_clear_error()
            return nil
        }
        return CurvePoint(taking: result)
    }

    /// Whether two points are equal.
    public func isEqual(to other: CurvePoint) -> Bool {
        EC_POINT_cmp(P256.group, raw, other.raw, nil) == 0
    }
}

/// The P-256 group, created once.
enum P256 {
    nonisolated(unsafe) static let group: OpaquePointer = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)!
}
