/// Sum-check for inner products of committed tables with public weight vectors.
///
/// Math: a table `P` of `N` entries (zero-padded to `2^n`, `n = ⌈log₂ N⌉`) and a public weight
/// vector `u` of the same length. The claim `v = ⟨P, u⟩ = Σ_i P_i·u_i` is the sum
///
///     v = Σ_{x ∈ {0,1}^n} P̃(x)·Ũ(x)
///
/// of a product of two multilinear extensions (variable `x_0` the most significant index bit,
/// as in `Multilinear`). Round `j = 0 … n−1` binds `x_j`: the prover sends the degree-2
/// polynomial `g_j(X) = Σ_{b ∈ {0,1}^(n−j−1)} P̃(r_0…r_(j−1), X, b)·Ũ(r_0…r_(j−1), X, b)` as
/// its values at `0, 1, 2`; the verifier checks `g_j(0) + g_j(1) = a_j` (with `a_0 = v`), draws
/// `r_j`, and sets `a_(j+1) = g_j(r_j)`. After the last round, with `s = (r_0 … r_(n−1))`, the
/// prover sends `c = P̃(s)`; the verifier computes `Ũ(s)` itself (a fold of `u`, `2^n − 1`
/// multiplications) and checks `a_n = c·Ũ(s)`.
///
/// Batching (`Shape`): `K` tables `P_k` with claims `v_kj = ⟨P_k, u_kj⟩`. After every `v_kj` is
/// absorbed, coefficients `ρ_kj` are drawn (the first fixed to 1). Claims on one table merge
/// into one weight vector `w_k = Σ_j ρ_kj·u_kj`; the tables are then laid end to end — largest
/// first, each padded to `2^(n_k)`, so block `k` starts at an offset `o_k` that is a multiple
/// of its own size — and one sum-check proves `Σ_kj ρ_kj·v_kj = ⟨P_cat, w_cat⟩`. On the
/// concatenation, `P̃_cat(s) = Σ_k sel_k(s)·P̃_k(s_k)` where `s_k` is the last `n_k`
/// coordinates of `s` and `sel_k = eq(s_(..n−n_k), o_k / 2^(n_k))`; the prover sends each
/// `c_k = P̃_k(s_k)` and the verifier checks `a_n = (Σ_k sel_k·c_k)·(Σ_k sel_k·w̃_k(s_k))`.
/// One sum-check over the concatenation (rather than one per table) costs
/// `⌈log₂ Σ_k 2^(n_k)⌉` rounds instead of `Σ_k n_k`, and no table is padded to the size of
/// the largest one.
///
/// Soundness: the verifier does not finish the job. It returns, per table, the claim
/// `P̃_k(s_k) = c_k`, which the caller must discharge against the table's commitment
/// (`TableOpening.claim` then `Hyrax.verifyBatch`). Given that, a false claim survives with
/// probability at most `(2n + 2)/|F|`: `1/|F|` for the batching (a false `v_kj` hides in
/// `Σ ρ_kj·v_kj` only if `ρ` hits a hyperplane), `2/|F|` per round (two distinct degree-2
/// polynomials agree at `r_j` with that probability), `1/|F|` for the batched opening. The
/// weight vectors `u_kj` are not absorbed: the caller must derive them from data and
/// challenges the transcript already holds, before this protocol starts.
public enum SumCheck {
    /// The most entries all tables of one batch may hold once each is padded to a power of
    /// two (`2^26`): at most 26 rounds, and a prover working set of `2^26` pairs of scalars.
    public static let paddedEntriesMax = 1 << 26
    /// The most tables in one batch.
    public static let tablesMax = 1 << 12
    /// The most claims in one batch, over all its tables.
    public static let claimsMax = 1 << 16

    /// The public sizes of a batch: everything the verifier needs to know about it before
    /// reading a proof. Every length in a proof follows from it.
    public struct Shape: Sendable, Equatable {
        /// `N_k`, the entries of each table, in statement order.
        public let tableEntries: [Int]
        /// How many claims each table carries.
        public let claimCounts: [Int]
        /// `n_k = ⌈log₂ N_k⌉`.
        public let tableVariables: [Int]
        /// `o_k`: where table `k` starts in the concatenation (a multiple of `2^(n_k)`).
        public let offsets: [Int]
        /// Table indices in concatenation order: largest padded size first, ties in
        /// statement order.
        public let order: [Int]
        /// `Σ_k 2^(n_k)`.
        public let paddedEntries: Int
        /// `n = ⌈log₂ Σ_k 2^(n_k)⌉`, the number of rounds.
        public let variableCount: Int

        /// The shape of a batch; refuses empty tables and batches over the limits.
        public init(tableEntries: [Int], claimCounts: [Int]) throws(SumCheckError) {
            guard !tableEntries.isEmpty else { throw .emptyBatch }
            guard tableEntries.count <= SumCheck.tablesMax else {
                throw .tooManyTables(count: tableEntries.count, limit: SumCheck.tablesMax)
            }
            guard claimCounts.count == tableEntries.count else {
                throw .lengthMismatch(field: "claim counts", table: 0, expected: tableEntries.count, actual: claimCounts.count)
            }
            var variables: [Int] = []
            var padded = 0
            var claims = 0
            for (k, (entries, count)) in zip(tableEntries, claimCounts).enumerated() {
                guard entries >= 1 else { throw .emptyTable(table: k) }
                guard count >= 1 else { throw .tableWithoutClaims(table: k) }
                // Each term is at most the limit and there are at most `tablesMax` of them, so
                // neither sum can overflow before it is compared.
                guard entries <= SumCheck.paddedEntriesMax, count <= SumCheck.claimsMax else {
                    throw entries > SumCheck.paddedEntriesMax
                        ? .batchTooLarge(paddedEntries: entries, limit: SumCheck.paddedEntriesMax)
                        : .tooManyClaims(count: count, limit: SumCheck.claimsMax)
                }
                let n = Multilinear.variableCount(entries)
                variables.append(n)
                padded += 1 << n
                claims += count
            }
            guard padded <= SumCheck.paddedEntriesMax else {
                throw .batchTooLarge(paddedEntries: padded, limit: SumCheck.paddedEntriesMax)
            }
            guard claims <= SumCheck.claimsMax else { throw .tooManyClaims(count: claims, limit: SumCheck.claimsMax) }
            // Largest first: every block then starts at a multiple of its own (power-of-two)
            // size, so its index bits split cleanly into a block selector and its own bits.
            let order = variables.indices.sorted { variables[$0] != variables[$1] ? variables[$0] > variables[$1] : $0 < $1 }
            var offsets = [Int](repeating: 0, count: variables.count)
            var next = 0
            for k in order {
                offsets[k] = next
                next += 1 << variables[k]
            }
            self.tableEntries = tableEntries
            self.claimCounts = claimCounts
            self.tableVariables = variables
            self.offsets = offsets
            self.order = order
            self.paddedEntries = padded
            self.variableCount = Multilinear.variableCount(padded)
        }

        /// The shape of one claim on one table of `entries` entries.
        public init(entries: Int) throws(SumCheckError) {
            try self.init(tableEntries: [entries], claimCounts: [1])
        }

        /// `K`, the number of tables.
        public var tableCount: Int { tableEntries.count }
        /// The number of claims over all tables.
        public var claimCount: Int { claimCounts.reduce(0, +) }
        /// Bytes of the encoded proof: three scalars per round, one per table.
        public var proofByteCount: Int { Scalar.encodedByteCount * (3 * variableCount + tableCount) }
    }

    /// What the verifier leaves to the caller: table `table`'s extension at `point` (the last
    /// `n_k` coordinates of the sum-check point) is claimed to be `value`.
    public struct EvaluationClaim: Sendable, Equatable {
        /// The table's index in the statement.
        public let table: Int
        /// `s_k`, `n_k` coordinates.
        public let point: [Scalar]
        /// `c_k`, the claimed `P̃_k(s_k)`.
        public let value: Scalar
    }
}
