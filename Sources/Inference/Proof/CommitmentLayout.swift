import ZKProof

/// How a model's weight matrices and bias vectors are cut into committed rows.
///
/// Every layer `k` has `W_k` (`m × n`, row-major) and `b_k` (`m`). Let `ℓ_m = ⌈log₂ m⌉`,
/// `n̂ = 2^⌈log₂ n⌉` and `c = log₂ w` the model's column variables (`w` = the generator count).
///
/// - **Weights.** `W_k` with its columns zero-padded to `n̂` is the flat table
///   `T[i·n̂ + j] = W_ij`, a multilinear table in `ℓ_m + log₂ n̂` variables, row variables first
///   (the convention of `Multilinear`). It is committed in rows of
///   `2^min(max(c, log₂ n̂), ℓ_m + log₂ n̂)` entries (whole matrix rows, at least one), so
///   each committed row holds `2^e` consecutive matrix rows. The first
///   `rowVariables` coordinates of the layer's row point select the committed row; the
///   remaining `e` coordinates select among the matrix rows packed in it.
/// - **Bias.** `b_k` is a table in `ℓ_m` variables, committed in rows of
///   `2^min(c, ⌈ℓ_m/2⌉)` entries (a square-ish layout: a proof then reveals `√m`-sized
///   combinations of it, not the whole vector).
/// - **Element-wise layers** (`Z[c, p] = w[c]·X[c, p] + b[c]`): the weight vector `w` (`m = C`
///   entries) is cut like a bias, in rows of `2^min(c, ⌈ℓ_m/2⌉)` entries. It is opened at the
///   point of the proof's sum-check (`sumCheckShape`: one table per element-wise layer, in
///   layer order, one claim each), not at the layer's row point.
///
/// Everything here follows from the public `ModelSpec` and `c`; a verifier derives all counts
/// from it and never from a proof.
struct CommitmentLayout: Sendable, Equatable {
    /// How one table is cut: its rows are `2^columnVariables` wide.
    struct Table: Sendable, Equatable {
        /// Entries of the table before padding to a whole number of rows.
        let entries: Int
        /// Variables of the row part of the evaluation point (a prefix of the point).
        let rowVariables: Int
        /// `log₂` of the row width.
        let columnVariables: Int
        /// The row width, `2^columnVariables`.
        var width: Int { 1 << columnVariables }
        /// Committed rows, `⌈entries / width⌉`.
        var rowCount: Int { (entries + width - 1) / width }
    }

    /// The tables and point sizes of one linear layer.
    struct Layer: Sendable, Equatable {
        /// `m`, `n`, `P` of `Z = W·X + b·1ᵀ` (`m × P`).
        let rows: Int, inner: Int, positions: Int
        /// `ℓ_m`: coordinates of the row point `r_k`.
        let rowPointVariables: Int
        /// `⌈log₂ P⌉`: coordinates of the position point `q_k` (0 for a dense layer).
        let positionPointVariables: Int
        /// `n̂`, the padded inner dimension.
        let innerPadded: Int
        /// The weight table.
        let weights: Table
        /// The bias table.
        let bias: Table
        /// An element-wise layer: its weight table is a vector opened at the sum-check point.
        let elementwise: Bool

        /// The weight vector of an element-wise layer as a sum-check table layout.
        var weightOpening: TableOpening.Layout? {
            try? TableOpening.Layout(entries: rows, columnVariables: weights.columnVariables)
        }
    }

    /// `c = log₂ w`.
    let columnVariables: Int
    /// One entry per layer of the spec, in order.
    let layers: [Layer]
    /// The element-wise layers, in order: the tables of the proof's sum-check.
    let elementwiseLayers: [Int]
    /// The sum-check over the element-wise layers' weight vectors (nil when there are none).
    let sumCheckShape: SumCheck.Shape?
    /// Each tree-ensemble step's node and value tables, in node order.
    let trees: [TreeTables]

    /// How one tree ensemble's two tables are cut into rows: each in rows of `2^c` entries,
    /// `c = min(12, ⌈n/2⌉)` for its `n = ⌈log₂ |T|⌉` variables (about `√|T|` rows of `√|T|`),
    /// from the description alone.
    struct TreeTables: Sendable, Equatable {
        /// The node table (`Node.fieldCount` entries per node).
        let node: TableOpening.Layout
        /// The value table (`targets` entries per node).
        let value: TableOpening.Layout

        /// Both layouts (the description's limits keep both tables under
        /// `SumCheck.paddedEntriesMax`, so this fails only for a description no import makes).
        init(_ spec: TreeEnsembleSpec) throws(SumCheckError) {
            func layout(_ entries: Int) throws(SumCheckError) -> TableOpening.Layout {
                let n = Multilinear.variableCount(entries)
                return try TableOpening.Layout(entries: entries, columnVariables: min(12, (n + 1) / 2))
            }
            node = try layout(spec.nodeCount * TreeEnsemble.Node.fieldCount)
            value = try layout(spec.nodeCount * spec.targetCount)
        }
    }

    /// The largest `c` a layout may use (the generator count is `2^c`).
    static let columnVariablesMax = 12

    /// The layout for a spec and a column count; nil when `c` or some layer's inner dimension
    /// exceeds `2^columnVariablesMax`.
    init?(spec: ModelSpec, columnVariables c: Int) {
        guard c >= 0, c <= Self.columnVariablesMax else { return nil }
        var layers: [Layer] = []
        var elementwiseLayers: [Int] = []
        for (k, layer) in spec.layers.enumerated() {
            let innerVariables = Multilinear.variableCount(layer.inner)
            guard innerVariables <= Self.columnVariablesMax else { return nil }
            let rowPointVariables = Multilinear.variableCount(layer.rows)
            let innerPadded = 1 << innerVariables
            let biasColumns = min(c, (rowPointVariables + 1) / 2)
            let elementwise: Bool = { if case .elementwise = layer.kind { return true } else { return false } }()
            if elementwise { elementwiseLayers.append(k) }
            // Whole matrix rows, packed up to `2^c` wide: a layer wider than `2^c` keeps its own
            // width, so one wide layer does not widen the others' rows (a proof reveals a row
            // combination as wide as a committed row). An element-wise layer's weights are a
            // vector, cut like a bias.
            let weightColumns = elementwise ? biasColumns : min(max(innerVariables, c), rowPointVariables + innerVariables)
            layers.append(Layer(
                rows: layer.rows, inner: layer.inner, positions: layer.positions,
                rowPointVariables: rowPointVariables,
                positionPointVariables: Multilinear.variableCount(layer.positions),
                innerPadded: innerPadded,
                weights: Table(entries: layer.rows * innerPadded,
                               rowVariables: rowPointVariables + innerVariables - weightColumns,
                               columnVariables: weightColumns),
                bias: Table(entries: layer.rows, rowVariables: rowPointVariables - biasColumns, columnVariables: biasColumns),
                elementwise: elementwise))
        }
        if elementwiseLayers.isEmpty {
            sumCheckShape = nil
        } else {
            // Over the sum-check's limits (2^26 padded entries in all) the model has no layout.
            guard let shape = try? SumCheck.Shape(tableEntries: elementwiseLayers.map { layers[$0].rows },
                                                  claimCounts: elementwiseLayers.map { _ in 1 }) else { return nil }
            sumCheckShape = shape
        }
        var trees: [TreeTables] = []
        for e in spec.treeEnsembles {
            guard let tables = try? TreeTables(e) else { return nil }
            trees.append(tables)
        }
        self.trees = trees
        self.columnVariables = c
        self.layers = layers
        self.elementwiseLayers = elementwiseLayers
    }

    /// Points in the verifier's one multi-scalar multiplication: every committed row, the
    /// generators and `H`. This is what verification time is proportional to.
    var verifierPointCount: Int {
        let widest = layers.map { max($0.weights.width, $0.bias.width) }.max() ?? 0
        return layers.reduce(0) { $0 + $1.weights.rowCount + $1.bias.rowCount } + widest + 1
    }

    /// The most bytes a one-item proof under this layout takes, product steps and tree
    /// sections aside (their size does not depend on `c`; `ModelCommitment.proofByteBound`
    /// counts everything) (see
    /// `InferenceProof` for the format): every `Z` list at the full 64-bit width. Packed, an
    /// honest proof's `Z` takes about a third of that.
    var proofByteBound: Int {
        InferenceProof.headerByteCount + layers.reduce(0) {
            $0 + 4 + 1 + 8 * $1.rows * $1.positions + Scalar.encodedByteCount * ($1.weights.width + $1.bias.width)
        } + (sumCheckShape?.proofByteCount ?? 0)
    }

    /// Picks `c`: the fewest verifier points whose proofs stay within `proofBytesTarget`
    /// (wider rows mean fewer row commitments but longer row combinations in each proof).
    static func choose(for spec: ModelSpec, proofBytesTarget: Int = ProofLimits.proofBytesTarget) -> CommitmentLayout? {
        var best: CommitmentLayout?
        for c in 0...columnVariablesMax {
            guard let layout = CommitmentLayout(spec: spec, columnVariables: c) else { continue }
            // The narrowest layout (the shortest proofs) is kept as a fallback even if it is over target.
            guard let current = best else { best = layout; continue }
            if layout.proofByteBound <= proofBytesTarget, layout.verifierPointCount < current.verifierPointCount {
                best = layout
            }
        }
        return best
    }
}
