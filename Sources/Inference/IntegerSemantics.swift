/// The exact integer semantics of a quantised network, implemented once.
///
/// The engine (`QuantizedModel.run`), the prover and the verifier all call these functions
/// and nothing else, so a trace the engine produces is by construction the trace the
/// verifier recomputes. docs/PROTOCOL.md, section "Integer semantics", states the same rules
/// in prose; a change here is a protocol change and must bump the model encoding version.
///
/// Rules:
/// - Real numbers become integers by round-half-up: `q(x, f) = ⌊x · 2^f + 1/2⌋`.
/// - Rescaling by `2^-s` is round-half-up by arithmetic shift: `⌊(z + 2^(s-1)) / 2^s⌋`.
/// - Clamping is `min(max(v, lo), hi)`; ReLU is the clamp with `lo = 0`.
/// - Convolution padding inserts the integer `0`.
/// - Max pooling takes the largest integer of each window.
/// - Average pooling sums the window and divides by the window size, rounding half up:
///   `⌊(sum + ⌊d/2⌋) / d⌋` (for `d = 2^k` this is exactly `roundShift(sum, k)`).
public enum IntegerSemantics {
    /// Round-half-up division by `2^shift`: `⌊(z + 2^(shift-1)) / 2^shift⌋`, for `shift ≥ 0`.
    ///
    /// Computed as `(z >> s) + bit(s-1) of z`, which equals the formula for every `Int64`
    /// and cannot overflow, so the verifier may apply it to untrusted values.
    @inlinable
    public static func roundShift(_ z: Int64, _ shift: Int) -> Int64 {
        precondition(shift >= 0 && shift < 63, "shift out of range")
        if shift == 0 { return z }
        return (z >> Int64(shift)) + ((z >> Int64(shift - 1)) & 1)
    }

    /// `min(max(v, lo), hi)`.
    @inlinable
    public static func clamp(_ v: Int64, _ lo: Int64, _ hi: Int64) -> Int64 {
        v < lo ? lo : (v > hi ? hi : v)
    }

    /// Round-half-up division by a positive divisor: `⌊(n + ⌊d/2⌋) / d⌋`.
    ///
    /// Used by average pooling on window sums of clamped activations.
    @inlinable
    public static func divideRoundingHalfUp(_ n: Int64, _ d: Int64) -> Int64 {
        precondition(d > 0, "divisor must be positive")
        // Wrapping add: callers pass clamped window sums, far from the Int64 range, and a
        // hostile value must give a wrong number (then a mismatch), never a trap.
        let shifted = n &+ d / 2
        // Swift's `/` truncates towards zero; floor division differs only for negative
        // non-exact quotients.
        let q = shifted / d
        return (shifted % d != 0 && shifted < 0) ? q - 1 : q
    }

    /// Round-half-up quantisation of a real number to fixed point with `fractionBits`.
    ///
    /// Returns nil when the value is not finite or its magnitude needs more than
    /// `InferenceLimits.parameterBitsMax` bits, so callers report which tensor was at fault.
    public static func quantize(_ x: Double, fractionBits: Int) -> Int64? {
        guard x.isFinite else { return nil }
        let scaled = (x * Double(sign: .plus, exponent: fractionBits, significand: 1) + 0.5).rounded(.down)
        let limit = Double(sign: .plus, exponent: InferenceLimits.parameterBitsMax, significand: 1)
        guard scaled.magnitude < limit else { return nil }
        return Int64(scaled)
    }

    /// The real value of a fixed-point integer with `fractionBits`.
    public static func dequantize(_ v: Int64, fractionBits: Int) -> Double {
        Double(v) * Double(sign: .plus, exponent: -fractionBits, significand: 1)
    }

    /// The im2col view of a CHW activation: a `(C·kh·kw) × (outH·outW)` matrix, row-major.
    ///
    /// Row `c·kh·kw + i·kw + j`, column `y·outW + x` holds the input at channel `c`, row
    /// `y·strideH − padTop + i·dh`, column `x·strideW − padLeft + j·dw`, or `0` where that falls in
    /// the padding. With the kernel flattened as `W[m][c·kh·kw + i·kw + j]`, the convolution
    /// is the matrix product `W · col(a)`, whose row-major result is the NCHW output.
    public static func im2col(_ a: [Int64], _ g: ConvolutionGeometry) -> [Int64] {
        precondition(a.count == g.inputElements, "im2col input length")
        let positions = g.outputHeight * g.outputWidth
        var col = [Int64](repeating: 0, count: g.inner * positions)
        col.withUnsafeMutableBufferPointer { out in
            a.withUnsafeBufferPointer { input in
                for c in 0..<g.inputChannels {
                    for i in 0..<g.kernelHeight {
                        for j in 0..<g.kernelWidth {
                            let row = (c * g.kernelHeight + i) * g.kernelWidth + j
                            for y in 0..<g.outputHeight {
                                let iy = y * g.strideHeight - g.padTop + i * g.dilationHeight
                                guard iy >= 0 && iy < g.inputHeight else { continue }
                                for x in 0..<g.outputWidth {
                                    let ix = x * g.strideWidth - g.padLeft + j * g.dilationWidth
                                    guard ix >= 0 && ix < g.inputWidth else { continue }
                                    out[row * positions + y * g.outputWidth + x] =
                                        input[(c * g.inputHeight + iy) * g.inputWidth + ix]
                                }
                            }
                        }
                    }
                }
            }
        }
        return col
    }

    /// The transpose of a row-major `rows × columns` matrix (lengths checked by the caller).
    public static func transpose(_ a: [Int64], rows: Int, columns: Int) -> [Int64] {
        precondition(a.count == rows * columns, "transpose length")
        var out = [Int64](repeating: 0, count: a.count)
        for i in 0..<rows { for j in 0..<columns { out[j * rows + i] = a[i * columns + j] } }
        return out
    }

    /// Max pooling of a CHW activation (no padding): the largest value of each window.
    public static func maxPool(_ a: [Int64], _ g: PoolGeometry) -> [Int64] {
        pool(a, g) { window in window.max() ?? 0 }
    }

    /// Average pooling of a CHW activation (no padding): window sum divided by the window
    /// size, rounding half up (`divideRoundingHalfUp`).
    public static func averagePool(_ a: [Int64], _ g: PoolGeometry) -> [Int64] {
        let size = Int64(g.kernelHeight * g.kernelWidth)
        return pool(a, g) { window in divideRoundingHalfUp(window.reduce(0, &+), size) }
    }

    /// Applies `reduce` to every pooling window, channel by channel, in CHW order.
    private static func pool(_ a: [Int64], _ g: PoolGeometry, _ reduce: ([Int64]) -> Int64) -> [Int64] {
        precondition(a.count == g.inputElements, "pool input length")
        var out = [Int64]()
        out.reserveCapacity(g.outputElements)
        var window = [Int64]()
        window.reserveCapacity(g.kernelHeight * g.kernelWidth)
        for c in 0..<g.channels {
            for y in 0..<g.outputHeight {
                for x in 0..<g.outputWidth {
                    window.removeAll(keepingCapacity: true)
                    for i in 0..<g.kernelHeight {
                        for j in 0..<g.kernelWidth {
                            let iy = y * g.strideHeight + i
                            let ix = x * g.strideWidth + j
                            window.append(a[(c * g.inputHeight + iy) * g.inputWidth + ix])
                        }
                    }
                    out.append(reduce(window))
                }
            }
        }
        return out
    }
}
