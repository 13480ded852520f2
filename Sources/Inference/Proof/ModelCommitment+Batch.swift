import ZKProof

/// How large a batch of a model one proof can carry.
///
/// A proof of `B` items (see `InferenceProof` for the format) is a fixed part — the header,
/// each layer's and product's count and width bytes, the weight and bias row combinations and
/// the sum-check — plus, per item, every layer's pre-activations `Z_k` (`m_k · P_k` values) and
/// every product's values. Each packed value takes at most 8 bytes (width 64), so
///
///     bound(B) = fixed + B · perItem,   perItem = 8 · (Σ_k m_k·P_k + Σ_j |Z_j|)
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
    }

    /// The most bytes each item adds: its pre-activations and product values at 8 bytes each.
    var proofBytesPerItem: Int {
        let preActivations = layout.layers.reduce(0) { $0 + $1.rows * $1.positions }
        let products = spec.productNodes.reduce(0) { $0 + spec.tensors[$1 + 1].elements }
        return 8 * (preActivations + products)
    }
}
