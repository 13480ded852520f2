extension ElementOperator {
    /// A range that holds `apply(v)` for every `v` in `input` (the importer's accumulator
    /// bounds start from it).
    ///
    /// Every function is monotone on a few known pieces, so the integer function is evaluated
    /// at the ends of the range and at the ends of each piece inside it. The exact functions
    /// (`ElementFunction.isExact`) are monotone on those pieces as integer functions; the others
    /// differ from a monotone real function by less than one unit, so one unit is added on
    /// each side. Gelu's minimum lies at an irrational point, so when the range reaches
    /// `[−1, −1/2]` its value is bounded by the constant `−0.17005` (the true minimum is
    /// `−0.169971…` for the erf form and `−0.170041…` for the tanh form). The result always
    /// lies inside `[lo, hi]`.
    public func outputRange(for input: ClosedRange<Int64>) -> ClosedRange<Int64> {
        let a = input.lowerBound
        let b = input.upperBound
        let one = Int64(1) << Int64(inputFractionBits)
        var candidates = [a, b]
        func include(_ v: Int64) {
            if v >= a && v <= b { candidates.append(v) }
        }
        var extraLow: Int64?
        switch function {
        case .reciprocal:
            if a <= 0 && 0 <= b { return lo...hi }
        case .square, .elu, .selu, .leakyRelu:
            include(-1)
            include(0)
        case .hardSwish:
            // The minimum at x = −3/2: its integer neighbours.
            let half = 3 * one
            include(-(half / 2) - (half % 2))
            include(-(half / 2))
        case .gelu, .geluTanh:
            if a <= -one / 2 && b >= -one {
                let fo = Int64(outputFractionBits)
                extraLow = -((Int64(17005) << fo) + 99_999) / 100_000
            }
        default:
            break
        }
        let values = candidates.map { apply($0) }
        var low = values.min() ?? lo
        var high = values.max() ?? hi
        if let extra = extraLow { low = min(low, extra) }
        if !function.isExact {
            low = low > Int64.min ? low - 1 : low
            high = high < Int64.max ? high + 1 : high
        }
        return IntegerSemantics.clamp(low, lo, hi)...IntegerSemantics.clamp(high, lo, hi)
    }
}
