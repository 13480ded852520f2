/// The sum-check steps that the prover and the verifier share, so the two cannot drift apart.
///
/// Transcript order (each step absorbs before anything after it is drawn):
/// 1. `sumcheck.shape`: `K`, then `N_k` and the claim count of each table (8 bytes each);
///    `sumcheck.claimed-values`: every `v_kj`, tables in order, claims in order.
/// 2. `challenge.sumcheck-batch-coefficient` × (claims − 1): `ρ`, the first claim's being 1.
/// 3. Per round: `message.sumcheck-round` (`g_j(0), g_j(1), g_j(2)`), then
///    `challenge.sumcheck-round` gives `r_j`.
/// 4. `message.sumcheck-evaluations`: every `c_k`, in statement order.
///
/// The arithmetic here counts its multiplications into a `FieldWork`, so a test can check
/// that the verifier's work is linear without timing it.
enum SumCheckProtocol {
    /// Step 1.
    static func absorbStatement(_ t: inout Transcript, shape: SumCheck.Shape, values: [[Scalar]]) {
        var sizes: [Int64] = [Int64(shape.tableCount)]
        for (entries, claims) in zip(shape.tableEntries, shape.claimCounts) {
            sizes.append(Int64(entries))
            sizes.append(Int64(claims))
        }
        t.absorb(TranscriptLabel.sumcheckShape, integers: sizes)
        t.absorb(TranscriptLabel.sumcheckClaimedValues, scalars: values.flatMap { $0 })
    }

    /// Step 2: `ρ_kj`, grouped like the claims. Fixing the very first to 1 keeps the
    /// combination a random functional that is non-zero on every non-zero error vector
    /// (and saves a challenge and `N` multiplications for a single claim).
    static func drawCoefficients(_ t: inout Transcript, shape: SumCheck.Shape) -> [[Scalar]] {
        let drawn = [Scalar.one] + t.challenges(TranscriptLabel.challengeSumcheckBatch, count: shape.claimCount - 1)
        var next = 0
        return shape.claimCounts.map { count in
            defer { next += count }
            return Array(drawn[next..<(next + count)])
        }
    }

    /// Step 3, one round: absorbs `g_j` and returns `r_j`.
    static func round(_ t: inout Transcript, _ message: SumCheckProof.Round) -> Scalar {
        t.absorb(TranscriptLabel.messageSumcheckRound, scalars: message.values)
        return t.challenge(TranscriptLabel.challengeSumcheckRound)
    }

    /// Step 4.
    static func absorbEvaluations(_ t: inout Transcript, _ evaluations: [Scalar]) {
        t.absorb(TranscriptLabel.messageSumcheckEvaluations, scalars: evaluations)
    }

    /// `w = Σ_j ρ_j·u_j`, every `u_j` of length `entries` (the caller checked it). A single
    /// claim with `ρ = 1` is its own weight vector and is returned as it is.
    static func combine(_ weights: [[Scalar]], coefficients: [Scalar], entries: Int, work: inout FieldWork) -> [Scalar] {
        if weights.count == 1, coefficients.first == .one { return weights[0] }
        var w = [Scalar](repeating: .zero, count: entries)
        for (u, rho) in zip(weights, coefficients) {
            if rho == .one {
                for i in 0..<entries { w[i] += u[i] }
            } else {
                for i in 0..<entries { w[i] += work.multiply(rho, u[i]) }
            }
        }
        return w
    }

    /// `1/2`, for interpolating through 0, 1, 2 (2 is invertible: `n` is odd).
    static let half: Scalar = Scalar(UInt64(2)).inverse() ?? .zero

    /// `g(r)` for the degree-2 polynomial with values `g(0), g(1), g(2)` (Newton form):
    /// `g(r) = g(0) + r·(Δ₁ + (r − 1)·Δ₂/2)` with `Δ₁ = g(1) − g(0)`, `Δ₂ = g(2) − 2g(1) + g(0)`.
    static func evaluate(_ g: SumCheckProof.Round, at r: Scalar, work: inout FieldWork) -> Scalar {
        let d1 = g.atOne - g.atZero
        let d2 = g.atTwo - g.atOne - g.atOne + g.atZero
        let a = work.multiply(d2, half)
        return g.atZero + work.multiply(r, d1 + work.multiply(r - .one, a))
    }

    /// Binds the most significant remaining variable to `r`: `a_i ← a_i + r·(a_(i+h) − a_i)`
    /// for `i < h`, where entries at or past `length` are zero. `length` becomes `min(length, h)`.
    static func fold(_ a: inout [Scalar], length: inout Int, half h: Int, r: Scalar, work: inout FieldWork) {
        let full = max(0, min(length - h, h)) // pairs with both halves present
        let partial = min(length, h)          // pairs with at least the low half present
        a.withUnsafeMutableBufferPointer { a in
            for i in 0..<full { a[i] += work.multiply(r, a[i + h] - a[i]) }
            for i in full..<partial { a[i] -= work.multiply(r, a[i]) }
        }
        length = partial
    }

    /// `ṽ(point)` for `v.count ≤ 2^point.count`, by folding: `2^ℓ − 1` multiplications at
    /// most (one per pair), against `2^ℓ + N` for an `eq` table and an inner product. The
    /// first round reads `v` and writes a buffer of half the size, so `v` is never copied.
    static func evaluateByFolding(_ v: [Scalar], at point: [Scalar], work: inout FieldWork) -> Scalar {
        guard let r = point.first else { return v.first ?? .zero }
        let h = 1 << (point.count - 1)
        let full = max(0, min(v.count - h, h))
        var length = min(v.count, h)
        var a = [Scalar](repeating: .zero, count: length)
        v.withUnsafeBufferPointer { v in
            a.withUnsafeMutableBufferPointer { a in
                for i in 0..<full { a[i] = v[i] + work.multiply(r, v[i + h] - v[i]) }
                for i in full..<length { a[i] = v[i] - work.multiply(r, v[i]) }
            }
        }
        for (j, r) in point.enumerated().dropFirst() {
            fold(&a, length: &length, half: 1 << (point.count - 1 - j), r: r, work: &work)
        }
        return length > 0 ? a[0] : .zero
    }

    /// `sel_k(s) = eq(s_(..n−n_k), o_k / 2^(n_k))`: selects table `k`'s block of the concatenation.
    static func selector(_ shape: SumCheck.Shape, table k: Int, point: [Scalar], work: inout FieldWork) -> Scalar {
        let prefix = shape.variableCount - shape.tableVariables[k]
        let block = shape.offsets[k] >> shape.tableVariables[k]
        var sel = Scalar.one
        for t in 0..<prefix {
            let bit = (block >> (prefix - 1 - t)) & 1
            sel = work.multiply(sel, bit == 1 ? point[t] : .one - point[t])
        }
        return sel
    }

    /// `s_k`: the last `n_k` coordinates of the sum-check point.
    static func tablePoint(_ shape: SumCheck.Shape, table k: Int, point: [Scalar]) -> [Scalar] {
        Array(point.suffix(shape.tableVariables[k]))
    }
}

/// Field multiplications done, counted as they are done.
struct FieldWork {
    /// Multiplications so far.
    var multiplications = 0

    /// `a · b`, counted.
    @inline(__always)
    mutating func multiply(_ a: Scalar, _ b: Scalar) -> Scalar {
        multiplications += 1
        return a * b
    }
}
