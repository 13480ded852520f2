/// Why a sum-check statement is ill-formed, or why a sum-check proof or a table opening was
/// rejected. Each case names the rule that was broken; `code` is stable.
///
/// The statement cases (`emptyBatch` … `proofShapeMismatch`) are raised before any
/// arithmetic; the verification cases name the round or table and the two values that
/// differ.
public enum SumCheckError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A batch names no table.
    case emptyBatch
    /// More tables than `SumCheck.tablesMax`.
    case tooManyTables(count: Int, limit: Int)
    /// A table has no entries (or a negative count).
    case emptyTable(table: Int)
    /// A table has no claim.
    case tableWithoutClaims(table: Int)
    /// More claims, over all tables, than `SumCheck.claimsMax`.
    case tooManyClaims(count: Int, limit: Int)
    /// The tables, each padded to a power of two, hold more than `SumCheck.paddedEntriesMax`
    /// entries together.
    case batchTooLarge(paddedEntries: Int, limit: Int)
    /// A table, a weight vector or a value list does not have the length the shape fixes.
    case lengthMismatch(field: String, table: Int, expected: Int, actual: Int)
    /// A proof value does not have the round or evaluation count the shape fixes (only a
    /// proof built in memory can; a decoded one has its lengths from the shape).
    case proofShapeMismatch(field: String, expected: Int, actual: Int)
    /// Round `round`: `g(0) + g(1)` differs from the running claim.
    case roundSumMismatch(round: Int, expected: Scalar, actual: Scalar)
    /// After the last round the running claim differs from `P̃(s)·Ũ(s)` for the claimed
    /// evaluations and the verifier's own `Ũ(s)`.
    case finalCheckFailed(expected: Scalar, actual: Scalar)
    /// A table layout outside the limits: no entries, too many, or rows wider than the
    /// generator list.
    case invalidLayout(entries: Int, columnVariables: Int)
    /// An opening's row commitments, row combination or point has the wrong length.
    case openingShapeMismatch(field: String, expected: Int, actual: Int)
    /// `⟨t, eq(s_lo)⟩` differs from the claimed evaluation `c`.
    case openingFoldMismatch(expected: Scalar, actual: Scalar)

    /// The stable machine-readable code.
    public var code: String {
        switch self {
        case .emptyBatch: "sumcheck_empty_batch"
        case .tooManyTables: "sumcheck_too_many_tables"
        case .emptyTable: "sumcheck_empty_table"
        case .tableWithoutClaims: "sumcheck_table_without_claims"
        case .tooManyClaims: "sumcheck_too_many_claims"
        case .batchTooLarge: "sumcheck_batch_too_large"
        case .lengthMismatch: "sumcheck_length_mismatch"
        case .proofShapeMismatch: "sumcheck_proof_shape_mismatch"
        case .roundSumMismatch: "sumcheck_round_sum_mismatch"
        case .finalCheckFailed: "sumcheck_final_check_failed"
        case .invalidLayout: "table_layout_invalid"
        case .openingShapeMismatch: "table_opening_shape_mismatch"
        case .openingFoldMismatch: "table_opening_fold_mismatch"
        }
    }

    /// A sentence a person can act on.
    public var description: String {
        switch self {
        case .emptyBatch: "a sum-check batch needs at least one table"
        case .tooManyTables(let count, let limit): "\(count) tables in one sum-check batch, over the limit \(limit)"
        case .emptyTable(let table): "table \(table) has no entries"
        case .tableWithoutClaims(let table): "table \(table) has no claim"
        case .tooManyClaims(let count, let limit): "\(count) claims in one sum-check batch, over the limit \(limit)"
        case .batchTooLarge(let padded, let limit):
            "the tables hold \(padded) entries once padded, over the limit \(limit)"
        case .lengthMismatch(let field, let table, let expected, let actual):
            "table \(table): \(field) has length \(actual) where the shape needs \(expected)"
        case .proofShapeMismatch(let field, let expected, let actual):
            "sum-check proof: \(actual) \(field) where the shape needs \(expected)"
        case .roundSumMismatch(let round, let expected, let actual):
            "sum-check round \(round): g(0) + g(1) = \(actual), the running claim is \(expected)"
        case .finalCheckFailed(let expected, let actual):
            "sum-check final check failed: the running claim is \(expected), P̃(s)·Ũ(s) = \(actual)"
        case .invalidLayout(let entries, let columnVariables):
            "no table layout has \(entries) entries in rows of 2^\(columnVariables)"
        case .openingShapeMismatch(let field, let expected, let actual):
            "table opening: \(field) has length \(actual) where the layout needs \(expected)"
        case .openingFoldMismatch(let expected, let actual):
            "table opening: ⟨t, eq(s_lo)⟩ = \(actual), the claimed evaluation is \(expected)"
        }
    }
}
