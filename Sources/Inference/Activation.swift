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

/// A non-linear step applied to an activation before the next linear layer reads it.
///
/// Pooling and clamps that ONNX places between two linear operators become the `prepare`
/// steps of the following layer, so every layer of a `ModelSpec` is linear and the trace has
/// one record per matrix product.
public enum ActivationStep: Sendable, Equatable, Hashable {
    /// Max pooling, see `IntegerSemantics.maxPool`.
    case maxPool(PoolGeometry)
    /// Average pooling, see `IntegerSemantics.averagePool`.
    case averagePool(PoolGeometry)
    /// Clamp every value to `[lo, hi]` (a ReLU or Clip that follows a pooling step).
    case clamp(lo: Int64, hi: Int64)

    /// Number of elements this step expects, or nil when it accepts any length.
    public var inputElements: Int? {
        switch self {
        case .maxPool(let g), .averagePool(let g): g.inputElements
        case .clamp: nil
        }
    }

    /// Number of elements this step produces from `inputElements` elements.
    public func outputElements(from inputElements: Int) -> Int {
        switch self {
        case .maxPool(let g), .averagePool(let g): g.outputElements
        case .clamp: inputElements
        }
    }

    /// The range of the output given the range of the input (pooling keeps it; clamp narrows it).
    public func outputRange(_ range: ClosedRange<Int64>) -> ClosedRange<Int64> {
        switch self {
        case .maxPool, .averagePool: return range
        case .clamp(let lo, let hi):
            let newLo = IntegerSemantics.clamp(range.lowerBound, lo, hi)
            let newHi = IntegerSemantics.clamp(range.upperBound, lo, hi)
            return newLo...newHi
        }
    }

    /// Applies the step. The caller has checked the length against `inputElements`.
    public func apply(_ a: [Int64]) -> [Int64] {
        switch self {
        case .maxPool(let g): IntegerSemantics.maxPool(a, g)
        case .averagePool(let g): IntegerSemantics.averagePool(a, g)
        case .clamp(let lo, let hi): a.map { IntegerSemantics.clamp($0, lo, hi) }
        }
    }
}
