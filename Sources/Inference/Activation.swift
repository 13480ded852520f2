/// The element-wise step after a linear layer: rescale, then clamp.
///
/// `a = clamp(roundShift(z, shift), lo, hi)`. ReLU is `lo = 0`; `Clip(min, max)` narrows
/// `lo` and `hi`; a layer with no activation still clamps to the configured activation range,
/// which is what keeps every later accumulator inside its derived bound.
public struct Activation: Sendable, Equatable, Hashable {
    /// The rescale shift `s`: the pre-activation is divided by `2^s`, rounding half up.
    public let shift: Int
    /// Smallest output value.
    public let lo: Int64
    /// Largest output value.
    public let hi: Int64

    /// Validates `0 ≤ shift < 63` and `lo ≤ 0 ≤ hi` (zero must be representable for padding).
    public init(shift: Int, lo: Int64, hi: Int64) throws(InferenceError) {
        guard shift >= 0 && shift < 63 else { throw .invalidQuantization(detail: "shift \(shift) out of range") }
        guard lo <= 0 && 0 <= hi else { throw .invalidQuantization(detail: "clamp range [\(lo), \(hi)] must contain 0") }
        self.shift = shift
        self.lo = lo
        self.hi = hi
    }

    /// One output value from one pre-activation value. Safe on any `Int64`.
    @inlinable
    public func apply(_ z: Int64) -> Int64 {
        IntegerSemantics.clamp(IntegerSemantics.roundShift(z, shift), lo, hi)
    }

    /// The output vector from a pre-activation vector, element by element.
    public func apply(_ z: [Int64]) -> [Int64] {
        z.map { apply($0) }
    }
}
