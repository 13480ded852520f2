import Foundation

/// The Pedersen generators `G_0, G_1, …` and the row offset generator `H`.
///
/// Hash-to-curve, try-and-increment: for generator `i` of a label, for `c = 0, 1, 2, …`,
/// let `x = SHA-256(u64be(|label|) ‖ label ‖ u32be(i) ‖ u32be(c))` read as a big-endian
/// integer; the first `c` for which `0x02 ‖ x` decodes as a compressed P-256 point (that is,
/// `x < p` and `x³ − 3x + b` is a square mod p) gives the generator (the root `y` with even
/// parity). About half of all `x` succeed, so `c` rarely passes 2.
///
/// Nobody knows a discrete-log relation between these points: each is derived from a hash
/// output, so finding one would mean breaking SHA-256 as a random oracle or discrete log in
/// P-256. This is what makes the row commitments binding.
public final class Generators: @unchecked Sendable {
    /// Generators are derived on first use and kept for the life of the process.
    public static let shared = Generators()

    /// The most generators a commitment layout may use (`2^12`).
    public static let countMax = 1 << 12

    private let lock = NSLock()
    private var gs: [CurvePoint] = []
    private var affineGs: [AffinePoint] = []
    /// The row offset generator.
    public let h: CurvePoint
    /// `H`'s affine coordinates, for native arithmetic.
    let affineH: AffinePoint

    private init() {
        h = Generators.hashToCurve(label: TranscriptLabel.generatorH, index: 0)
        affineH = Generators.affine(h)
    }

    /// `G_0 … G_(count−1)`, deriving any not yet derived. `count ≤ countMax`.
    public func g(count: Int) -> [CurvePoint] {
        lock.lock()
        defer { lock.unlock() }
        while gs.count < min(count, Generators.countMax) {
            gs.append(Generators.hashToCurve(label: TranscriptLabel.generatorsG, index: UInt32(gs.count)))
        }
        return Array(gs.prefix(count))
    }

    /// The affine coordinates of `G_0 … G_(count−1)`, for native arithmetic (`Hyrax.commit`).
    func affineG(count: Int) -> [AffinePoint] {
        let points = g(count: count)
        lock.lock()
        defer { lock.unlock() }
        while affineGs.count < points.count { affineGs.append(Generators.affine(points[affineGs.count])) }
        return Array(affineGs.prefix(points.count))
    }

    private static func affine(_ p: CurvePoint) -> AffinePoint {
        // A generator is never the identity; only OpenSSL failing could leave it without coordinates.
        guard let a = p.affine else { fatalError("OpenSSL gave no affine coordinates for a generator") } // environment failure, not input
        return a
    }

    /// The try-and-increment map described above.
    public static func hashToCurve(label: String, index: UInt32) -> CurvePoint {
        var prefix = [UInt8]()
        Transcript.frame(Array(label.utf8), into: &prefix)
        for shift in stride(from: 24, through: 0, by: -8) { prefix.append(UInt8(truncatingIfNeeded: index >> UInt32(shift))) }
        var counter: UInt32 = 0
        while true {
            var m = prefix
            for shift in stride(from: 24, through: 0, by: -8) { m.append(UInt8(truncatingIfNeeded: counter >> UInt32(shift))) }
            if let p = try? CurvePoint(compressed: [0x02] + SHA256Digest.hash(m)) { return p }
            counter += 1
        }
    }
}
