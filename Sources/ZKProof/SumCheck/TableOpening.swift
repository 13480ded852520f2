/// Opening a Hyrax-committed table's extension at a point, to discharge a sum-check's final
/// claim `P̃(s) = c`.
///
/// Math: the table `P` (`N` entries, `n = ⌈log₂ N⌉` variables) is committed in rows of
/// `w = 2^c` entries, `C_i = Σ_j P_(i·w+j)·G_j + H` (`Hyrax.commit`). Split the point
/// `s ∈ F^n` into its first `n − c` coordinates `s_hi` (which row) and the rest `s_lo` (which
/// column). The prover sends `t = eq(s_hi)ᵀ·T`, the row combination; the verifier checks
///
///     ⟨t, eq(s_lo)⟩ = c
///
/// and hands `Hyrax.Claim(rows: C, rowWeights: eq(s_hi), combination: t)` to the proof's one
/// batched multi-scalar multiplication, which binds `t` to the committed rows. When the
/// table is narrower than a row (`n < c`) it is one row, `s_hi` is empty and `s_lo` is `s`
/// preceded by `c − n` zeros: zero-padding a table adds leading variables that must be 0.
///
/// Soundness: the fold check is exact; the claim is bound to the commitment only once the
/// returned `Hyrax.Claim` passes `Hyrax.verifyBatch` with coefficients drawn after `t` was
/// absorbed (`absorbCombination`).
public enum TableOpening {
    /// How a committed table is cut into rows. Public: a verifier derives every length from it.
    public struct Layout: Sendable, Equatable {
        /// `N`, the entries of the table before padding.
        public let entries: Int
        /// `c`, the row width's `log₂`.
        public let columnVariables: Int

        /// A layout of `entries ≥ 1` entries (at most `SumCheck.paddedEntriesMax`) in rows of
        /// `2^columnVariables ≤ Generators.countMax` entries.
        public init(entries: Int, columnVariables: Int) throws(SumCheckError) {
            guard entries >= 1, entries <= SumCheck.paddedEntriesMax, columnVariables >= 0,
                  columnVariables < Int.bitWidth - 1, 1 << columnVariables <= Generators.countMax else {
                throw .invalidLayout(entries: entries, columnVariables: columnVariables)
            }
            self.entries = entries
            self.columnVariables = columnVariables
        }

        /// The row width `2^c`, also the length of a row combination.
        public var width: Int { 1 << columnVariables }
        /// Committed rows, `⌈N / 2^c⌉`.
        public var rowCount: Int { (entries + width - 1) / width }
        /// `n`, the coordinates of an evaluation point.
        public var pointVariables: Int { Multilinear.variableCount(entries) }
        /// Coordinates of the point that select a row: `max(0, n − c)`.
        public var rowVariables: Int { max(0, pointVariables - columnVariables) }
        /// Bytes of one encoded row combination.
        public var combinationByteCount: Int { Scalar.encodedByteCount * width }
    }

    /// The row commitments of `table` under `layout` (`table.count` must be `layout.entries`).
    public static func commit(_ table: [Int64], layout: Layout) throws(SumCheckError) -> [CurvePoint] {
        guard table.count == layout.entries else {
            throw .openingShapeMismatch(field: "table", expected: layout.entries, actual: table.count)
        }
        return Hyrax.commit(table, columnCount: layout.width)
    }

    /// `eq(s_hi)`: the weights of the committed rows (`2^(n−c)` of them, covering every row).
    public static func rowWeights(_ layout: Layout, point: [Scalar]) -> [Scalar] {
        Multilinear.eqTable(Array(point.prefix(layout.rowVariables)))
    }

    /// `eq(s_lo)` over a whole row: `s_lo` is the last `min(n, c)` coordinates, preceded by
    /// `c − n` zeros when the table is narrower than a row.
    public static func columnWeights(_ layout: Layout, point: [Scalar]) -> [Scalar] {
        let own = min(layout.pointVariables, layout.columnVariables)
        let padding = [Scalar](repeating: .zero, count: layout.columnVariables - own)
        return Multilinear.eqTable(padding + point.suffix(own))
    }

    /// The prover's message: `t = eq(s_hi)ᵀ·T` for the committed table.
    public static func combination(_ table: [Int64], layout: Layout, point: [Scalar]) throws(SumCheckError) -> [Scalar] {
        guard table.count == layout.entries else {
            throw .openingShapeMismatch(field: "table", expected: layout.entries, actual: table.count)
        }
        guard point.count == layout.pointVariables else {
            throw .openingShapeMismatch(field: "point", expected: layout.pointVariables, actual: point.count)
        }
        return Hyrax.rowCombination(table, columnCount: layout.width, weights: rowWeights(layout, point: point))
    }

    /// `⟨t, eq(s_lo)⟩`, the evaluation a row combination stands for.
    public static func fold(_ combination: [Scalar], layout: Layout, point: [Scalar]) -> Scalar {
        Multilinear.innerProduct(combination, columnWeights(layout, point: point))
    }

    /// The verifier's side: checks the shapes and `⟨t, eq(s_lo)⟩ = value`, and returns the
    /// commitment claim for `Hyrax.verifyBatch`.
    public static func claim(rows: [CurvePoint], layout: Layout, point: [Scalar], value: Scalar,
                             combination t: [Scalar]) throws(SumCheckError) -> Hyrax.Claim {
        guard rows.count == layout.rowCount else {
            throw .openingShapeMismatch(field: "row commitments", expected: layout.rowCount, actual: rows.count)
        }
        guard point.count == layout.pointVariables else {
            throw .openingShapeMismatch(field: "point", expected: layout.pointVariables, actual: point.count)
        }
        guard t.count == layout.width else {
            throw .openingShapeMismatch(field: "combination", expected: layout.width, actual: t.count)
        }
        let folded = fold(t, layout: layout, point: point)
        guard folded == value else { throw .openingFoldMismatch(expected: value, actual: folded) }
        return Hyrax.Claim(rows: rows, rowWeights: rowWeights(layout, point: point), combination: t)
    }

    /// A sum-check evaluation claim as a commitment claim (the point and value it carries).
    public static func claim(rows: [CurvePoint], layout: Layout, evaluation: SumCheck.EvaluationClaim,
                             combination t: [Scalar]) throws(SumCheckError) -> Hyrax.Claim {
        try claim(rows: rows, layout: layout, point: evaluation.point, value: evaluation.value, combination: t)
    }

    /// Absorbs a row combination; every combination must be absorbed before the batch
    /// coefficients of `Hyrax.verifyBatch` are drawn.
    public static func absorbCombination(_ transcript: inout Transcript, _ t: [Scalar]) {
        transcript.absorb(TranscriptLabel.messageTableCombination, scalars: t)
    }

    /// Appends a row combination (no count: the layout fixes it).
    public static func writeCombination(_ t: [Scalar], to writer: inout ProofWriter) {
        writer.scalars(t)
    }

    /// Reads a row combination of `layout.width` scalars.
    public static func readCombination(from reader: inout ProofReader, layout: Layout) throws(ProofFormatError) -> [Scalar] {
        try reader.scalars(layout.width)
    }
}
