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
