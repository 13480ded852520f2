import ZKProof

/// How large a batch of a model one proof can carry.
///
/// A proof of `B` items (see `InferenceProof` for the format) is a fixed part — the header,
/// each layer's and product's count and width bytes, the weight and bias row combinations, the
/// sum-check, and each tree-ensemble step's table sum-check and row combinations `t_N`, `t_V` —
/// plus, per item, every layer's pre-activations `Z_k` (`m_k · P_k` values), every product's
/// values, and each tree-ensemble step's paths (`TreeProof`). Each packed value takes at most
/// 8 bytes (width 64), and a path of tree `t` at most `1 + (d_t + 1) · s` bytes (its length
/// byte and `d_t + 1` steps of at most `s = max(26, 5 + 8·targets)` bytes: an internal step's
/// id, kind, feature, threshold, mode and children, or a leaf's id, kind and values), so
///
///     bound(B) = fixed + B · perItem,
///     perItem = 8 · (Σ_k m_k·P_k + Σ_j |Z_j|) + Σ_e Σ_t (1 + (d_t + 1) · s_e)
///
/// is the most bytes any proof of `B` items can take, whatever its values. A batch whose bound
/// stays within `ProofLimits.proofBytesMax` can always be submitted and read.
extension ModelCommitment {
    /// The most bytes a proof of `items` inputs can take (saturating at `Int.max`).
    public func proofByteBound(items: Int) -> Int {
        let (scaled, overflow) = proofBytesPerItem.multipliedReportingOverflow(by: max(1, items))
        guard !overflow else { return .max }
        let (total, overflowSum) = proofBytesFixed.addingReportingOverflow(scaled)
        return overflowSum ? .max : total
    }

    /// The largest batch whose every proof fits `ProofLimits.proofBytesMax`, also capped by
    /// `InferenceLimits.batchItemsMax`; 1 for a model that is not batchable (or 0 if not even
    /// one item's proof is bounded by the limit).
    public var batchItemsMax: Int {
        guard proofByteBound(items: 1) <= ProofLimits.proofBytesMax else { return 0 }
        guard spec.batchable else { return 1 }
        let fitting = (ProofLimits.proofBytesMax - proofBytesFixed) / max(1, proofBytesPerItem)
        return max(1, min(fitting, InferenceLimits.batchItemsMax))
    }

    /// The bytes of a proof that do not grow with the batch.
    var proofBytesFixed: Int {
        InferenceProof.headerByteCount
            + layout.layers.reduce(0) { $0 + 4 + 1 + Scalar.encodedByteCount * ($1.weights.width + $1.bias.width) }
            + spec.productNodes.count * (4 + 1)
            + (layout.sumCheckShape?.proofByteCount ?? 0)
            + layout.trees.reduce(0) { sum, tables in
                // A layout exists only when both tree tables fit the sum-check (`TreeTables`).
                sum + ((try? TreeProtocol.shape(tables))?.proofByteCount ?? 0)
                    + Scalar.encodedByteCount * (tables.node.width + tables.value.width)
            }
    }

    /// The most bytes each item adds: its pre-activations and product values at 8 bytes each,
    /// and its path through every tree at the longest step.
    var proofBytesPerItem: Int {
        let preActivations = layout.layers.reduce(0) { $0 + $1.rows * $1.positions }
        let products = spec.productNodes.reduce(0) { $0 + spec.tensors[$1 + 1].elements }
        let paths = spec.treeEnsembles.reduce(0) { sum, e in
            let step = max(Self.internalStepBytes, Self.leafStepBytes(targets: e.targetCount))
            return sum + e.trees.reduce(0) { $0 + 1 + ($1.depth + 1) * step }
        }
        return 8 * (preActivations + products) + paths
    }

    /// An internal step of a tree path: u32 id, u8 kind, u32 feature, i64 threshold, u8 mode,
    /// u32 true child, u32 false child.
    static let internalStepBytes = 4 + 1 + 4 + 8 + 1 + 4 + 4
    /// A leaf step: u32 id, u8 kind, an i64 per target.
    static func leafStepBytes(targets: Int) -> Int { 4 + 1 + 8 * targets }
}
