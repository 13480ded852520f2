extension Scalar {
    /// `Σ_i x_i · s_i mod n` for signed 64-bit integers `x` and field elements given as
    /// `s_i.scaledForPlainMultiply()` (prepare a table once, combine it with many integer rows).
    ///
    /// Each term is one 64×256-bit product added into a 384-bit accumulator (one for positive
    /// and one for negative `x`), with a single Montgomery reduction of each at the end: about
    /// a tenth of the cost of converting `x_i` and multiplying in the field. Exact for any
    /// lengths below `2^64` and any `Int64` values (`Int64.min` included): `|x_i| ≤ 2^63` and
    /// `s < 2^256` keep each accumulator below `2^384` while the count stays below `2^65`.
    @inlinable
    public static func integerCombination(_ x: UnsafeBufferPointer<Int64>, _ prepared: UnsafeBufferPointer<Scalar>) -> Scalar {
        var positive = WideAccumulator(), negative = WideAccumulator()
        for i in 0..<min(x.count, prepared.count) {
            let v = x[i]
            if v > 0 {
                positive.add(UInt64(v), prepared[i])
            } else if v < 0 {
                negative.add(v.magnitude, prepared[i])
            }
        }
        return positive.reduced() - negative.reduced()
    }

    /// A 384-bit unsigned sum of 64×256-bit products, least significant limb first.
    @usableFromInline
    struct WideAccumulator {
        @usableFromInline var a0: UInt64 = 0, a1: UInt64 = 0, a2: UInt64 = 0, a3: UInt64 = 0, a4: UInt64 = 0, a5: UInt64 = 0

        @inlinable init() {}

        /// `self += x · s` over the integers, `s` read as its four Montgomery limbs.
        @inlinable @inline(__always)
        mutating func add(_ x: UInt64, _ s: Scalar) {
            // Each step is at most (2^64−1) + (2^64−1)² + (2^64−1) = 2^128 − 1: no overflow.
            var c = UInt128(a0) &+ UInt128(x) &* UInt128(s.l0)
            a0 = UInt64(truncatingIfNeeded: c)
            c = UInt128(a1) &+ UInt128(x) &* UInt128(s.l1) &+ (c >> 64)
            a1 = UInt64(truncatingIfNeeded: c)
            c = UInt128(a2) &+ UInt128(x) &* UInt128(s.l2) &+ (c >> 64)
            a2 = UInt64(truncatingIfNeeded: c)
            c = UInt128(a3) &+ UInt128(x) &* UInt128(s.l3) &+ (c >> 64)
            a3 = UInt64(truncatingIfNeeded: c)
            c = UInt128(a4) &+ (c >> 64)
            a4 = UInt64(truncatingIfNeeded: c)
            a5 &+= UInt64(truncatingIfNeeded: c >> 64)
        }

        /// `self · 2^-256 mod n` (Montgomery reduction of a value below `2^384 < n·2^256`): for
        /// a sum of `x_i · (s_i·R)` limbs this is the Montgomery form of `Σ x_i s_i`.
        @inlinable
        func reduced() -> Scalar {
            var t = (a0, a1, a2, a3, a4, a5, UInt64(0))
            for _ in 0..<4 {
                let m = t.0 &* Scalar.nPrime
                var c = UInt128(t.0) &+ UInt128(m) &* UInt128(Scalar.n0)
                c = UInt128(t.1) &+ UInt128(m) &* UInt128(Scalar.n1) &+ (c >> 64)
                let u1 = UInt64(truncatingIfNeeded: c)
                c = UInt128(t.2) &+ UInt128(m) &* UInt128(Scalar.n2) &+ (c >> 64)
                let u2 = UInt64(truncatingIfNeeded: c)
                c = UInt128(t.3) &+ UInt128(m) &* UInt128(Scalar.n3) &+ (c >> 64)
                let u3 = UInt64(truncatingIfNeeded: c)
                c = UInt128(t.4) &+ (c >> 64)
                let u4 = UInt64(truncatingIfNeeded: c)
                c = UInt128(t.5) &+ (c >> 64)
                let u5 = UInt64(truncatingIfNeeded: c)
                let u6 = t.6 &+ UInt64(truncatingIfNeeded: c >> 64)
                // The low limb is now zero: divide by 2^64.
                t = (u1, u2, u3, u4, u5, u6, 0)
            }
            // (T + m·n) / 2^256 < 2^128 + n < 2n: one conditional subtraction.
            return Scalar.reduceOnce(t.0, t.1, t.2, t.3, carry: t.4 != 0)
        }
    }
}

extension Multilinear {
    /// `Σ_i a_i · b_i` over the shorter length, `a` signed integers and `prepared` the table
    /// `b` after `scaledForPlainMultiply` (see `Scalar.integerCombination`).
    @inlinable
    public static func innerProduct(_ a: ArraySlice<Int64>, prepared: [Scalar]) -> Scalar {
        a.withUnsafeBufferPointer { a in prepared.withUnsafeBufferPointer { Scalar.integerCombination(a, $0) } }
    }

    /// The same over a part of a prepared table (one item's positions of a batch, say).
    @inlinable
    public static func innerProduct(_ a: ArraySlice<Int64>, prepared: ArraySlice<Scalar>) -> Scalar {
        a.withUnsafeBufferPointer { a in prepared.withUnsafeBufferPointer { Scalar.integerCombination(a, $0) } }
    }

    /// `b` prepared for `innerProduct(_:prepared:)`: each entry times `R`, one multiplication each.
    @inlinable
    public static func preparedForIntegers(_ b: [Scalar]) -> [Scalar] { b.map { $0.scaledForPlainMultiply() } }

    /// `eqTable(point)` prepared for `innerProduct(_:prepared:)`, built prepared (no
    /// multiplication beyond the table's own).
    @inlinable
    public static func preparedEqTable(_ point: [Scalar]) -> [Scalar] { eqTable(point, scaledBy: Scalar.montgomeryRadix) }

    /// A sum of prepared entries brought back to the plain scale: `Σ b_i` from `Σ b_i·R`.
    @inlinable
    public static func unprepared(_ sum: Scalar) -> Scalar {
        Scalar.montgomeryMultiply(sum.l0, sum.l1, sum.l2, sum.l3, 1, 0, 0, 0)
    }
}
