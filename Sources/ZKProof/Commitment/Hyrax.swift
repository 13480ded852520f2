import COpenSSL
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
    /// (two additions per value up to the largest `|v|`). Rows are split across two threads.
    public static func commit(_ table: [Int64], columnCount: Int) -> [CurvePoint] {
        precondition(columnCount >= 1 && columnCount <= Generators.countMax, "column count")
        let g = Generators.shared.g(count: columnCount)
        let negG = g.map { $0.negated() }
        let h = Generators.shared.h
        let rowCount = (table.count + columnCount - 1) / columnCount
        var results = [CurvePoint?](repeating: nil, count: rowCount)
        let workers = min(2, max(1, rowCount))
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let acc = PointAccumulator()
                var i = worker
                while i < rowCount {
                    let start = i * columnCount
                    let row = table[start..<min(start + columnCount, table.count)]
                    out[i] = commitRow(row, g: g, negG: negG, h: h, acc: acc)
                    i += workers
                }
            }
        }
        return results.map { $0 ?? CurvePoint.infinity() }
    }

    static func commitRow(_ row: ArraySlice<Int64>, g: [CurvePoint], negG: [CurvePoint], h: CurvePoint,
                          acc: borrowing PointAccumulator) -> CurvePoint {
        var maxAbs: Int64 = 0
        var largePoints: [CurvePoint] = []
        var largeScalars: [Scalar] = []
        for (j, v) in zip(0..., row) {
            if v.magnitude > UInt64(bucketValueMax) {
                largePoints.append(g[j])
                largeScalars.append(Scalar(v))
            } else {
                maxAbs = max(maxAbs, Int64(v.magnitude))
            }
        }
        let total = EC_POINT_new(P256.group)!
        EC_POINT_copy(total, h.raw)
        if maxAbs > 0 {
            var buckets = [OpaquePointer?](repeating: nil, count: Int(maxAbs) + 1)
            for (j, v) in zip(0..., row) where v != 0 && v.magnitude <= UInt64(bucketValueMax) {
                let k = Int(v.magnitude)
                let p = v > 0 ? g[j].raw : negG[j].raw
                if let b = buckets[k] {
                    acc.add(b, p)
                } else {
                    buckets[k] = EC_POINT_dup(p, P256.group)
                }
            }
            let distinct = buckets.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
            // Two ways to form Σ_v v·S_v: a running sum from the top value down
            // (Σ_{t≥1} Σ_{v≥t} S_v, two additions per value up to the largest), or one
            // multi-scalar multiplication over the distinct values (about ten additions' worth
            // per point). Take the cheaper: small weights favour the first.
            if 2 * Int(maxAbs) <= 10 * distinct {
                let running = EC_POINT_new(P256.group)!
                EC_POINT_set_to_infinity(P256.group, running)
                var started = false
                for k in stride(from: Int(maxAbs), through: 1, by: -1) {
                    if let b = buckets[k] {
                        acc.add(running, b)
                        started = true
                    }
                    if started { acc.add(total, running) }
                }
                EC_POINT_free(running)
            } else {
                var points: [CurvePoint] = []
                var scalars: [Scalar] = []
                for (k, b) in buckets.enumerated() {
                    if let b {
                        points.append(CurvePoint(taking: EC_POINT_dup(b, P256.group)!))
                        scalars.append(Scalar(UInt64(k)))
                    }
                }
                guard let sum = CurvePoint.multiScalarMultiply(points, scalars) else {
                    fatalError("OpenSSL failed a multi-scalar multiplication while committing") // environment failure, not input
                }
                acc.add(total, sum.raw)
            }
            for b in buckets { if let b { EC_POINT_free(b) } }
        }
        if !largePoints.isEmpty {
            guard let large = CurvePoint.multiScalarMultiply(largePoints, largeScalars) else {
                fatalError("OpenSSL failed a multi-scalar multiplication while committing") // environment failure, not input
            }
            acc.add(total, large.raw)
        }
        return CurvePoint(taking: total)
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
