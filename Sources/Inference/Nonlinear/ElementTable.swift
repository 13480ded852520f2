import Synchronization

/// The outputs of one `ElementOperator` for every 16-bit input, computed once by the operator
/// itself, so a lookup is the same function as `apply` (the tests compare all 65,536 entries).
public struct ElementTable: Sendable {
    /// Smallest input the table holds.
    public static let inputMin: Int64 = -32768
    /// Largest input the table holds.
    public static let inputMax: Int64 = 32767

    /// The operator the table evaluates.
    public let element: ElementOperator
    /// `values[i] = element.apply(inputMin + i)`.
    public let values: [Int64]

    /// Evaluates `element` at every input of `inputMin…inputMax`.
    public init(_ element: ElementOperator) {
        self.element = element
        var table = [Int64](repeating: 0, count: 65536)
        table.withUnsafeMutableBufferPointer { out in
            if element.hasMagnitudeKernel {
                // apply(±a) = clamp(finish(±a, kernel(a))): the kernel once for both signs.
                var a: Int64 = 0
                while a <= 32768 {
                    let k = element.magnitudeKernel(UInt64(a))
                    if a <= 32767 { out[Int(a + 32768)] = element.clamped(element.finish(a, kernel: k)) }
                    if a >= 1 { out[Int(32768 - a)] = element.clamped(element.finish(-a, kernel: k)) }
                    a += 1
                }
            } else {
                var v = Self.inputMin
                var i = 0
                while i < 65536 {
                    out[i] = element.apply(v)
                    v += 1
                    i += 1
                }
            }
        }
        values = table
    }

    /// The output for `v`: a load when `v` is a 16-bit value, `element.apply(v)` otherwise.
    @inlinable
    public func apply(_ v: Int64) -> Int64 {
        if v >= Self.inputMin && v <= Self.inputMax {
            return values[Int(v - Self.inputMin)]
        }
        return element.apply(v)
    }

    /// The outputs for a vector of inputs.
    public func apply(_ input: [Int64]) -> [Int64] {
        input.map { apply($0) }
    }
}

extension ElementOperator {
    /// At most this many tables are kept (each holds 512 KiB); past it the cache starts over.
    public static let cachedTablesMax = 32

    private static let tables = Mutex<[ElementOperator: ElementTable]>([:])

    /// The 16-bit lookup table of this operator, built on first use and then shared.
    public var lookupTable: ElementTable {
        if let t = Self.tables.withLock({ $0[self] }) { return t }
        // Built outside the lock: two threads may both build it, with identical results.
        let table = ElementTable(self)
        Self.tables.withLock { cache in
            if cache.count >= Self.cachedTablesMax { cache.removeAll() }
            cache[self] = table
        }
        return table
    }
}
