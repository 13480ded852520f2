import ZKProof

/// Why a tree-ensemble proof was rejected. Each case names the check that failed; `code` is stable.
public enum TreeVerificationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A path does not start at its tree's root.
    case pathRoot(item: Int, tree: Int)
    /// A step's id is not the child its predecessor's comparison selects.
    case branchMismatch(item: Int, tree: Int, step: Int)
    /// A path ends at a node that is not a leaf.
    case pathIncomplete(item: Int, tree: Int)
    /// A path goes on after a leaf.
    case pathPastLeaf(item: Int, tree: Int, step: Int)
    /// A claimed node reads a feature outside the input or names a child outside its tree.
    case nodeInvalid(item: Int, tree: Int, step: Int)
    /// A claimed leaf value is outside `±2^leafBits`.
    case leafOutOfBound(item: Int, tree: Int)
    /// The claimed node contents do not match the committed tables (the sum-check, or the
    /// fold of a row combination, failed).
    case tableCheckFailed(SumCheckError)

    /// The stable machine-readable code.
    public var code: String {
        switch self {
        case .pathRoot: "tree_path_root"
        case .branchMismatch: "tree_branch_mismatch"
        case .pathIncomplete: "tree_path_incomplete"
        case .pathPastLeaf: "tree_path_past_leaf"
        case .nodeInvalid: "tree_node_invalid"
        case .leafOutOfBound: "tree_leaf_out_of_bound"
        case .tableCheckFailed: "tree_table_check_failed"
        }
    }

    /// A sentence a person can act on.
    public var description: String {
        switch self {
        case .pathRoot(let b, let t): "item \(b), tree \(t): the path does not start at the root"
        case .branchMismatch(let b, let t, let s): "item \(b), tree \(t): step \(s) is not the child the comparison selects"
        case .pathIncomplete(let b, let t): "item \(b), tree \(t): the path ends before a leaf"
        case .pathPastLeaf(let b, let t, let s): "item \(b), tree \(t): step \(s) follows a leaf"
        case .nodeInvalid(let b, let t, let s): "item \(b), tree \(t): step \(s) names a feature or child outside the model"
        case .leafOutOfBound(let b, let t): "item \(b), tree \(t): a leaf value is outside the description's bound"
        case .tableCheckFailed(let e): "claimed nodes do not match the committed tables: \(e)"
        }
    }
}
