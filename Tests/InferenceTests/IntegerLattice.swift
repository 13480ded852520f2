import CGMP
import ZKProof

/// Exact LLL reduction (`δ = 3/4`) of an integer lattice basis over GMP integers: the integral
/// algorithm of Cohen, *A Course in Computational Algebraic Number Theory*, Algorithm 2.6.7,
/// which keeps the Gram–Schmidt data as integers (`d_i`, the Gram determinants, and
/// `λ_{k,j} = d_j·μ_{k,j}`) so every division is exact and no rounding decides a result.
///
/// The audit's small-integer recovery: a value `s` that hides small integers behind known
/// multipliers, `Σ m_i·v_i ≡ e·s (mod n)`, is a short vector of the lattice `relations` builds,
/// and LLL finds it when it is short enough (first vector within `2^((d−1)/2)` of the shortest).
final class IntegerLattice {
    /// The number of basis vectors and their length (equal: the bases here are square).
    let count: Int
    private let b: UnsafeMutablePointer<__mpz_struct>
    private let lambda: UnsafeMutablePointer<__mpz_struct>
    private let d: UnsafeMutablePointer<__mpz_struct>
    private let scratch: UnsafeMutablePointer<__mpz_struct>

    /// A basis of `rows.count` vectors, each entry a non-negative integer as big-endian bytes.
    init(rows: [[[UInt8]]]) {
        count = rows.count
        b = .allocate(capacity: count * count)
        lambda = .allocate(capacity: count * count)
        d = .allocate(capacity: count + 1)
        scratch = .allocate(capacity: 4)
        for i in 0..<(count * count) { __gmpz_init(b + i); __gmpz_init(lambda + i) }
        for i in 0...count { __gmpz_init(d + i) }
        for i in 0..<4 { __gmpz_init(scratch + i) }
        for (k, row) in rows.enumerated() {
            precondition(row.count == count, "square basis")
            for (c, bytes) in row.enumerated() {
                bytes.withUnsafeBufferPointer { __gmpz_import(b + k * count + c, $0.count, 1, 1, 1, 0, $0.baseAddress) }
            }
        }
    }

    deinit {
        for i in 0..<(count * count) { __gmpz_clear(b + i); __gmpz_clear(lambda + i) }
        for i in 0...count { __gmpz_clear(d + i) }
        for i in 0..<4 { __gmpz_clear(scratch + i) }
        b.deallocate(); lambda.deallocate(); d.deallocate(); scratch.deallocate()
    }

    // Cohen's indices are 1-based: vector `b_k`, `λ_{k,j}` (j < k), `d_i` (d_0 = 1).
    private func vector(_ k: Int) -> UnsafeMutablePointer<__mpz_struct> { b + (k - 1) * count }
    private func l(_ k: Int, _ j: Int) -> UnsafeMutablePointer<__mpz_struct> { lambda + (k - 1) * count + (j - 1) }
    private func dd(_ i: Int) -> UnsafeMutablePointer<__mpz_struct> { d + i }

    private func dot(_ r: UnsafeMutablePointer<__mpz_struct>, _ k: Int, _ j: Int) {
        __gmpz_set_ui(r, 0)
        for c in 0..<count { __gmpz_addmul(r, vector(k) + c, vector(j) + c) }
    }

    /// Reduces the basis in place.
    func reduce() {
        guard count >= 2 else { return }
        let u = scratch, t = scratch + 1, q = scratch + 2, w = scratch + 3
        __gmpz_set_ui(dd(0), 1)
        dot(dd(1), 1, 1)
        var k = 2, kMax = 1
        while k <= count {
            if k > kMax {
                kMax = k
                for j in 1...k {
                    dot(u, k, j)
                    for i in 1..<j {
                        __gmpz_mul(u, u, dd(i))
                        __gmpz_submul(u, l(k, i), l(j, i))
                        __gmpz_divexact(u, u, dd(i - 1))
                    }
                    if j < k { __gmpz_set(l(k, j), u) } else { __gmpz_set(dd(k), u) }
                }
            }
            reduce(k, k - 1)
            // Lovász: 4·d_k·d_{k−2} < 3·d_{k−1}² − 4·λ_{k,k−1}² means swap.
            __gmpz_mul(t, dd(k), dd(k - 2))
            __gmpz_mul_2exp(t, t, 2)
            __gmpz_mul(w, dd(k - 1), dd(k - 1))
            __gmpz_mul_ui(w, w, 3)
            __gmpz_mul(q, l(k, k - 1), l(k, k - 1))
            __gmpz_mul_2exp(q, q, 2)
            __gmpz_sub(w, w, q)
            if __gmpz_cmp(t, w) < 0 {
                swap(k, kMax: kMax)
                k = max(2, k - 1)
                continue
            }
            for j in stride(from: k - 2, through: 1, by: -1) { reduce(k, j) }
            k += 1
        }
    }

    /// REDI(k, l): size-reduces `b_k` against `b_l`.
    private func reduce(_ k: Int, _ j: Int) {
        let q = scratch + 2, t = scratch + 1
        __gmpz_mul_2exp(t, l(k, j), 1)
        guard __gmpz_cmpabs(t, dd(j)) > 0 else { return }
        // q = round(λ/d) = ⌊(2λ + d) / 2d⌋.
        __gmpz_add(t, t, dd(j))
        __gmpz_mul_2exp(q, dd(j), 1)
        __gmpz_fdiv_q(q, t, q)
        for c in 0..<count { __gmpz_submul(vector(k) + c, q, vector(j) + c) }
        __gmpz_submul(l(k, j), q, dd(j))
        for i in stride(from: 1, to: j, by: 1) { __gmpz_submul(l(k, i), q, l(j, i)) }
    }

    /// SWAPI(k): exchanges `b_k` and `b_{k−1}` and updates the integral Gram–Schmidt data.
    private func swap(_ k: Int, kMax: Int) {
        let big = scratch, t = scratch + 1, x = scratch + 3
        for c in 0..<count { __gmpz_swap(vector(k) + c, vector(k - 1) + c) }
        for j in stride(from: 1, to: k - 1, by: 1) { __gmpz_swap(l(k, j), l(k - 1, j)) }
        let lam = l(k, k - 1)
        // B = (d_{k−2}·d_k + λ²) / d_{k−1}.
        __gmpz_mul(big, dd(k - 2), dd(k))
        __gmpz_addmul(big, lam, lam)
        __gmpz_divexact(big, big, dd(k - 1))
        for i in stride(from: k + 1, through: kMax, by: 1) {
            __gmpz_set(t, l(i, k))
            // λ_{i,k} = (d_k·λ_{i,k−1} − λ·t) / d_{k−1}
            __gmpz_mul(x, dd(k), l(i, k - 1))
            __gmpz_submul(x, lam, t)
            __gmpz_divexact(l(i, k), x, dd(k - 1))
            // λ_{i,k−1} = (B·t + λ·λ_{i,k}) / d_k
            __gmpz_mul(x, big, t)
            __gmpz_addmul(x, lam, l(i, k))
            __gmpz_divexact(l(i, k - 1), x, dd(k))
        }
        __gmpz_set(dd(k - 1), big)
    }

    /// One basis vector: each entry as an `Int64` when it fits, and the largest entry's bit length.
    struct Vector {
        let entries: [Int64?]
        let bits: Int
    }

    /// The basis vectors, in order (after `reduce`, the first is the shortest found).
    var vectors: [Vector] {
        (1...count).map { k in
            var entries: [Int64?] = [], bits = 0
            for c in 0..<count {
                let x = vector(k) + c
                let size = gmpSign(x) == 0 ? 0 : __gmpz_sizeinbase(x, 2)
                bits = max(bits, size)
                entries.append(size <= 63 ? Int64(__gmpz_get_si(x)) : nil)
            }
            return Vector(entries: entries, bits: bits)
        }
    }

    /// The lattice `{(v_0 … v_{D−1}, e) ∈ Z^{D+1} : Σ m_i·v_i ≡ e·s (mod n)}` (`m_0` invertible),
    /// LLL-reduced. Dividing by `m_0` gives `m_0 = 1`; then the basis is `n·u_0`,
    /// `−m_i·u_0 + u_i` for `i ≥ 1` and `s·u_0 + u_D`, all entries in `[0, n]`.
    static func relations(multipliers m: [Scalar], target s: Scalar) -> [Vector]? {
        guard let first = m.first, let inverse = first.inverse() else { return nil }
        let dim = m.count + 1
        let zero: [UInt8] = [0], one: [UInt8] = [1]
        var rows: [[[UInt8]]] = []
        rows.append([Scalar.orderBigEndian] + [[UInt8]](repeating: zero, count: dim - 1))
        for i in 1..<m.count {
            var row = [[UInt8]](repeating: zero, count: dim)
            row[0] = (-(m[i] * inverse)).bigEndianBytes
            row[i] = one
            rows.append(row)
        }
        var last = [[UInt8]](repeating: zero, count: dim)
        last[0] = (s * inverse).bigEndianBytes
        last[dim - 1] = one
        rows.append(last)
        let lattice = IntegerLattice(rows: rows)
        lattice.reduce()
        return lattice.vectors
    }
}

/// `mpz_sgn`, a macro in gmp.h.
private func gmpSign(_ x: UnsafePointer<__mpz_struct>) -> Int { x.pointee._mp_size < 0 ? -1 : (x.pointee._mp_size > 0 ? 1 : 0) }
