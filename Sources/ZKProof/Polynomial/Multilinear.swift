/// Multilinear extensions of vectors and matrices over `Scalar`.
///
/// Math: a vector `v` of length `m ≤ 2^ℓ` (zero-padded to `2^ℓ`) has the unique multilinear
/// extension `ṽ(x) = Σ_i v_i · eq(x, i)` with
/// `eq(x, i) = Π_t (x_t·i_t + (1 − x_t)(1 − i_t))`.
///
/// **Variable order (the one convention used everywhere):** variable `x_0` is the *most
/// significant* bit of the index: `i = Σ_t i_t · 2^(ℓ−1−t)`. A row-major matrix `M`
/// (`rows × cols`, padded to `2^a × 2^b`) is the vector with index `i·2^b + j`, so its
/// extension is `M̃(x, y)` with the `a` row variables first and the `b` column variables
/// after them, and `eq((x, y), i·2^b + j) = eq(x, i) · eq(y, j)`.
///
/// Everything here is linear in the size of its input.
public enum Multilinear {
    /// The number of variables of a vector of `count` entries: `⌈log₂ count⌉` (0 for 0 or 1).
    public static func variableCount(_ count: Int) -> Int {
        count <= 1 ? 0 : Int.bitWidth - (count - 1).leadingZeroBitCount
    }

    /// `[eq(point, i) for i in 0..<2^ℓ]`, with `ℓ = point.count`; `2^ℓ` multiplications.
    public static func eqTable(_ point: [Scalar]) -> [Scalar] { eqTable(point, scaledBy: .one) }

    /// `[c · eq(point, i)]`: with `c = R` (`preparedForIntegers`'s factor) the table comes out
    /// prepared for integer rows at no extra cost.
    public static func eqTable(_ point: [Scalar], scaledBy c: Scalar) -> [Scalar] {
        var table = [Scalar](repeating: .zero, count: 1 << point.count)
        table[0] = c
        var size = 1
        // Each round doubles the table; the variable processed first ends up as the most
        // significant index bit, matching the order above.
        for r in point {
            table.withUnsafeMutableBufferPointer { t in
                for i in stride(from: size - 1, through: 0, by: -1) {
                    let high = t[i] * r
                    t[2 * i + 1] = high
                    t[2 * i] = t[i] - high
                }
            }
            size *= 2
        }
        return table
    }

    /// `ṽ(point)` for a vector of field elements (`v.count ≤ 2^point.count`).
    public static func evaluate(_ v: [Scalar], at point: [Scalar]) -> Scalar {
        innerProduct(v, eqTable(point))
    }

    /// `ṽ(point)` for a vector of signed integers (`v.count ≤ 2^point.count`).
    public static func evaluate(_ v: [Int64], at point: [Scalar]) -> Scalar {
        innerProduct(v, eqTable(point))
    }

    /// `Σ_i a_i · b_i` over the shorter of the two lengths.
    public static func innerProduct(_ a: [Scalar], _ b: [Scalar]) -> Scalar {
        var sum = Scalar.zero
        for i in 0..<min(a.count, b.count) { sum += a[i] * b[i] }
        return sum
    }

    /// `Σ_i a_i · b_i` over the shorter of the two lengths, `a` embedded as signed integers.
    public static func innerProduct(_ a: [Int64], _ b: [Scalar]) -> Scalar {
        var sum = Scalar.zero
        for i in 0..<min(a.count, b.count) where a[i] != 0 { sum += Scalar(a[i]) * b[i] }
        return sum
    }

    /// `Lᵀ · M` for a row-major integer matrix `M` (`rows × cols`) and row weights `L`
    /// (`L.count ≥ rows`): the vector `j ↦ Σ_i L_i · M_ij` of length `cols`.
    ///
    /// With `L = eqTable(r)` this is `M̃(r, ·)` on the Boolean column points, the vector a
    /// prover sends for a layer. One multiplication per non-zero entry.
    public static func rowCombination(_ m: [Int64], rows: Int, cols: Int, weights: [Scalar]) -> [Scalar] {
        var out = [Scalar](repeating: .zero, count: cols)
        m.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { out in
                for i in 0..<rows {
                    // Pre-scaling by R lets one Montgomery product with the plain integer give
                    // the product in Montgomery form: one multiplication per entry, not two.
                    let w = weights[i].scaledForPlainMultiply()
                    let base = i * cols
                    for j in 0..<cols {
                        let x = m[base + j]
                        if x > 0 {
                            out[j] += w.multipliedByPlain(UInt64(x))
                        } else if x < 0 {
                            out[j] -= w.multipliedByPlain(x.magnitude)
                        }
                    }
                }
            }
        }
        return out
    }

    /// `M · R` for a row-major integer matrix and column weights `R` (`R.count ≥ cols`): the
    /// vector `i ↦ Σ_j M_ij · R_j` of length `rows`. With `R = eqTable(s)` this is `M̃(·, s)`.
    public static func columnCombination(_ m: [Int64], rows: Int, cols: Int, weights: [Scalar]) -> [Scalar] {
        var out = [Scalar](repeating: .zero, count: rows)
        for i in 0..<rows {
            var sum = Scalar.zero
            for j in 0..<cols where m[i * cols + j] != 0 { sum += Scalar(m[i * cols + j]) * weights[j] }
            out[i] = sum
        }
        return out
    }
}
