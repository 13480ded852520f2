import Foundation

/// Hyrax-style commitments to integer tables, and batched openings of row combinations.
///
/// Math: a table `M` (row-major, `rows × w`, `w = 2^b`, zero-padded) is committed row by row,
/// `C_i = Σ_j M_ij · G_j + H`, with the generators of `Generators`. For row weights `L`
/// (usually `eq(x, ·)` for the row part `x` of an evaluation point) the *row combination*
/// `t = Lᵀ·M` is opened by the homomorphism
///
///     Σ_i L_i · C_i  =  Σ_j t_j · G_j  +  (Σ_i L_i) · H.
///
/// Several claims `(C_c, L_c, t_c)` are checked at once with random coefficients `ρ_c`
/// (drawn by the caller after every `t_c` was absorbed):
///
///     Σ_c ρ_c Σ_i L_c,i · C_c,i  −  Σ_j (Σ_c ρ_c t_c,j) · G_j  −  (Σ_c ρ_c Σ_i L_c,i) · H  =  O,
///
/// one multi-scalar multiplication over all rows, the `w` generators and `H`.
///
/// The offset `H` makes every row commitment a non-identity point even for a row of zeros,
/// so decoders can refuse the point at infinity outright.
///
/// Soundness: if some `t_c ≠ L_cᵀ·M_c`, the left side is `Σ_c ρ_c · D_c` with some
/// `D_c = Com(L_cᵀM_c − t_c) ≠ O` (binding: otherwise a discrete-log relation among the
/// generators is known); for `ρ` uniform and independent of the `D_c` this sum vanishes with
/// probability at most `1/n`. The check says nothing about where `L_c` came from: the caller
/// must derive it from its own challenges.
public enum Hyrax {
    /// Values with `|v|` up to this are committed by bucketing; larger ones by scalar multiplication.
    static let bucketValueMax: Int64 = 1 << 12

    /// Commits each row of `table` (length a multiple of, or padded to, `columnCount`).
    ///
    /// Entries are small integers: all generators with the same `|v|` are first summed (one
    /// point addition each), then `Σ_v v·S_v` is formed by a running sum over `v` downwards
    /// (two additions per value up to the largest `|v|`). The additions are native
    /// (`JacobianPoint`); each thread's rows are turned affine with one inversion. Rows are
    /// split across two threads.
    public static func commit(_ table: [Int64], columnCount: Int) -> [CurvePoint] {
        // A row sum is the identity only by a discrete-log relation among the generators.
        guard let rows = commit(table, columnCount: columnCount, blindings: nil) else {
            fatalError("a committed row is the identity") // never from input: needs a discrete-log relation
        }
        return rows
    }

    /// The rows with offsets `r_i·H` instead of `H` when `blindings` are given (one per row,
    /// `BlindedHyrax`): `C_i = Σ_j M_ij·G_j + r_i·H`. Nil if a row is the identity (chosen
    /// blindings can make one so) or the blindings do not match the rows.
    static func commit(_ table: [Int64], columnCount: Int, blindings: [Scalar]?) -> [CurvePoint]? {
        precondition(columnCount >= 1 && columnCount <= Generators.countMax, "column count")
        let points = Generators.shared.g(count: columnCount)
        let g = Generators.shared.affineG(count: columnCount)
        let h = Generators.shared.affineH
        let rowCount = (table.count + columnCount - 1) / columnCount
        guard blindings.map({ $0.count == rowCount }) ?? true else { return nil }
        var results = [CurvePoint?](repeating: nil, count: rowCount)
        let workers = min(2, max(1, rowCount))
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let mine = Array(stride(from: worker, to: rowCount, by: workers))
                let sums = mine.map { i in
                    let start = i * columnCount
                    var row = blindings.map { FixedBaseTable.blindingBase.multiply($0[i]) } ?? JacobianPoint(h)
                    row.add(commitRow(table[start..<min(start + columnCount, table.count)], points: points, g: g))
                    return row
                }
                // OpenSSL refuses a point only if the arithmetic above were wrong.
                for (i, point) in zip(mine, JacobianPoint.affine(sums)) {
                    out[i] = point.flatMap { CurvePoint(affine: $0) }
                }
            }
        }
        var rows: [CurvePoint] = []
        rows.reserveCapacity(rowCount)
        for row in results {
            guard let row else { return nil }
            rows.append(row)
        }
        return rows
    }

    /// `Σ_j row_j·G_j`, natively (`points` and `g`: the generators as points and affine).
    static func commitRow(_ row: ArraySlice<Int64>, points: [CurvePoint], g: [AffinePoint]) -> JacobianPoint {
        var maxAbs: Int64 = 0
        var largePoints: [CurvePoint] = []
        var largeScalars: [Scalar] = []
        for (j, v) in zip(0..., row) {
            if v.magnitude > UInt64(bucketValueMax) {
                largePoints.append(points[j])
                largeScalars.append(Scalar(v))
            } else {
                maxAbs = max(maxAbs, Int64(v.magnitude))
            }
        }
        var total = JacobianPoint.identity
        if maxAbs > 0 {
            var buckets = [JacobianPoint](repeating: .identity, count: Int(maxAbs) + 1)
            var distinct = 0
            for (j, v) in zip(0..., row) where v != 0 && v.magnitude <= UInt64(bucketValueMax) {
                let k = Int(v.magnitude)
                if buckets[k].isIdentity { distinct += 1 }
                buckets[k].add(v > 0 ? g[j] : g[j].negated)
            }
            // Two ways to form Σ_v v·S_v: a running sum from the top value down
            // (Σ_{t≥1} Σ_{v≥t} S_v, two additions per value up to the largest), or one
            // multi-scalar multiplication over the distinct values (about ten additions' worth
            // per point). Take the cheaper: small weights favour the first.
            if 2 * Int(maxAbs) <= 10 * distinct {
                var running = JacobianPoint.identity
                for k in stride(from: Int(maxAbs), through: 1, by: -1) {
                    running.add(buckets[k])
                    total.add(running)
                }
            } else {
                var sums: [CurvePoint] = []
                var values: [Scalar] = []
                for (k, b) in zip(0..., JacobianPoint.affine(buckets)) {
                    if let b, let point = CurvePoint(affine: b) {
                        sums.append(point)
                        values.append(Scalar(UInt64(k)))
                    }
                }
                total.add(multiply(sums, values))
            }
        }
        if !largePoints.isEmpty { total.add(multiply(largePoints, largeScalars)) }
        return total
    }

    /// `Σ scalars_i·points_i` by OpenSSL, as a native point.
    private static func multiply(_ points: [CurvePoint], _ scalars: [Scalar]) -> JacobianPoint {
        guard let sum = CurvePoint.multiScalarMultiply(points, scalars) else {
            fatalError("OpenSSL failed a multi-scalar multiplication while committing") // environment failure, not input
        }
        return sum.affine.map(JacobianPoint.init) ?? .identity
    }

    /// `Lᵀ·M` for the table committed with `commit(table, columnCount:)`: the prover's message.
    /// Linear in the table size; `weights.count` must cover the table's row count.
    public static func rowCombination(_ table: [Int64], columnCount: Int, weights: [Scalar]) -> [Scalar] {
        let rowCount = (table.count + columnCount - 1) / columnCount
        if table.count == rowCount * columnCount {
            return Multilinear.rowCombination(table, rows: rowCount, cols: columnCount, weights: weights)
        }
        var padded = table
        padded.append(contentsOf: [Int64](repeating: 0, count: rowCount * columnCount - table.count))
        return Multilinear.rowCombination(padded, rows: rowCount, cols: columnCount, weights: weights)
    }

    /// Opens the committed table's extension at a point `(x, y)` (row variables `x` first,
    /// `y` = the last `log₂ columnCount` coordinates): returns `t = eq(x)ᵀ·M` for the proof
    /// and the value `M̃(x, y) = ⟨t, eq(y)⟩`. `columnCount` must be a power of two.
    public static func open(_ table: [Int64], columnCount: Int, at point: [Scalar]) -> (combination: [Scalar], value: Scalar) {
        let columnVariables = Multilinear.variableCount(columnCount)
        let rowPoint = Array(point.dropLast(columnVariables))
        let t = rowCombination(table, columnCount: columnCount, weights: Multilinear.eqTable(rowPoint))
        return (t, Multilinear.evaluate(t, at: Array(point.suffix(columnVariables))))
    }

    /// The verifier's side of `open`: checks `value = ⟨t, eq(y)⟩` and returns the commitment
    /// claim still to be checked (batched with others by `verifyBatch`); nil if the value
    /// or the shapes are wrong.
    ///
    /// Soundness: the returned claim must be passed to `verifyBatch`; only then is `t`, and so
    /// the value, bound to the committed rows.
    public static func evaluationClaim(rows: [CurvePoint], columnCount: Int, at point: [Scalar], value: Scalar,
                                       combination t: [Scalar]) -> Claim? {
        let columnVariables = Multilinear.variableCount(columnCount)
        guard columnCount == 1 << columnVariables, t.count == columnCount, point.count >= columnVariables else { return nil }
        let rowWeights = Multilinear.eqTable(Array(point.dropLast(columnVariables)))
        guard rowWeights.count >= rows.count,
              Multilinear.evaluate(t, at: Array(point.suffix(columnVariables))) == value else { return nil }
        return Claim(rows: rows, rowWeights: rowWeights, combination: t)
    }

    /// One claim `Σ_i L_i·C_i = Com(t) + (Σ_i L_i)·H`.
    public struct Claim: Sendable {
        /// The row commitments `C_i`.
        public let rows: [CurvePoint]
        /// The row weights `L_i` (at least `rows.count` of them; extra ones weigh absent zero rows).
        public let rowWeights: [Scalar]
        /// The claimed combination `t` (at most as long as the generator list).
        public let combination: [Scalar]

        /// Bundles the parts of a claim.
        public init(rows: [CurvePoint], rowWeights: [Scalar], combination: [Scalar]) {
            self.rows = rows
            self.rowWeights = rowWeights
            self.combination = combination
        }
    }

    /// Checks all claims at once with batching coefficients `ρ` (one per claim) drawn after
    /// every combination was absorbed. Returns false when the shapes do not fit.
    public static func verifyBatch(_ claims: [Claim], coefficients: [Scalar]) -> Bool {
        guard claims.count == coefficients.count else { return false }
        let width = claims.map(\.combination.count).max() ?? 0
        guard width <= Generators.countMax else { return false }
        var points: [CurvePoint] = []
        var scalars: [Scalar] = []
        var gCoefficients = [Scalar](repeating: .zero, count: width)
        var hCoefficient = Scalar.zero
        for (claim, rho) in zip(claims, coefficients) {
            guard claim.rowWeights.count >= claim.rows.count else { return false }
            for (i, c) in claim.rows.enumerated() {
                let weight = rho * claim.rowWeights[i]
                points.append(c)
                scalars.append(weight)
                hCoefficient += weight
            }
            for (j, t) in claim.combination.enumerated() { gCoefficients[j] += rho * t }
        }
        points.append(contentsOf: Generators.shared.g(count: width))
        scalars.append(contentsOf: gCoefficients.map { -$0 })
        points.append(Generators.shared.h)
        scalars.append(-hCoefficient)
        guard let sum = CurvePoint.multiScalarMultiply(points, scalars) else { return false }
        return sum.isInfinity
    }
}
