/// Every domain-separation label of the proof system, in one place.
///
/// A label names what is being absorbed or drawn. Labels are absorbed length-prefixed
/// (see `Transcript`), so no label can be confused with the prefix of another, and changing
/// any of them changes every challenge: the golden-bytes tests pin them.
public enum TranscriptLabel {
    /// Domain of the transcript construction itself (hashed into the initial state).
    public static let transcriptDomain = "proofmarket.transcript.v1"

    // MARK: Inference proof v1 (docs/PROTOCOL.md, "Proof protocol")

    /// Names the protocol instance a transcript is created for.
    public static let inferenceProtocol = "proofmarket.inference-proof"
    /// Statement: the protocol version number (u16).
    public static let statementProtocolVersion = "statement.protocol-version"
    /// Statement: SHA-256 of the model's canonical encoding.
    public static let statementModelDigest = "statement.model-digest"
    /// Statement: the public model description (quantisation, shapes, layer list, bounds).
    public static let statementModelSpec = "statement.model-spec"
    /// Statement: the weight commitment (layout and every row commitment).
    public static let statementWeightCommitment = "statement.weight-commitment"
    /// Statement: the binding context (job, worker, nonce).
    public static let statementBindingContext = "statement.binding-context"
    /// Statement: the quantised input.
    public static let statementInput = "statement.input"
    /// Statement: the claimed quantised output.
    public static let statementOutput = "statement.output"
    /// Prover message: one layer's pre-activation `Z_k` (the trace).
    public static let tracePreActivation = "trace.pre-activation"
    /// Challenge: one coordinate of a layer's row point `r_k`.
    public static let challengeRowPoint = "challenge.row-point"
    /// Challenge: one coordinate of a convolution layer's position point `q_k`.
    public static let challengePositionPoint = "challenge.position-point"
    /// Prover message: a layer's weight row combination `t_k = eq(r_hi)ᵀ·W_k`.
    public static let messageWeightCombination = "message.weight-combination"
    /// Prover message: a layer's bias row combination `β_k = eq(r_hi')ᵀ·B_k`.
    public static let messageBiasCombination = "message.bias-combination"
    /// Challenge: the coefficients batching all commitment claims into one check.
    public static let challengeBatchCoefficient = "challenge.batch-coefficient"
    /// Prover message: one product step's `Z = A·B` of two activations (the trace).
    public static let traceProduct = "trace.product"
    /// Challenge: one coordinate of a product step's point (batch, row, column parts).
    public static let challengeProductPoint = "challenge.product-point"

    // MARK: Sum-check over committed tables (SumCheck/, docs/PROTOCOL-sumcheck.md)

    /// Statement: the table count, then each table's entry count and claim count (u64 each).
    public static let sumcheckShape = "sumcheck.shape"
    /// Statement: every claimed inner product `v_kj`, tables in order, claims in order.
    public static let sumcheckClaimedValues = "sumcheck.claimed-values"
    /// Challenge: the coefficients `ρ` combining all claims into one (the first is fixed to 1).
    public static let challengeSumcheckBatch = "challenge.sumcheck-batch-coefficient"
    /// Prover message: one round's polynomial as its values at 0, 1 and 2.
    public static let messageSumcheckRound = "message.sumcheck-round"
    /// Challenge: the point coordinate `r_j` binding round `j`'s variable.
    public static let challengeSumcheckRound = "challenge.sumcheck-round"
    /// Prover message: the final evaluations `c_k = P̃_k(s_k)`, one per table.
    public static let messageSumcheckEvaluations = "message.sumcheck-evaluations"
    /// Prover message: a committed table's row combination `t = eq(s_hi)ᵀ·T` opening `c_k`.
    public static let messageTableCombination = "message.table-combination"

    // MARK: Generators (Commitment/Generators.swift)

    /// Hash-to-curve label of the Pedersen generators `G_j`.
    public static let generatorsG = "proofmarket.pedersen.G.v1"
    /// Hash-to-curve label of the row offset generator `H`.
    public static let generatorH = "proofmarket.pedersen.H.v1"

    // MARK: Tests only

    /// Label reserved for transcript unit tests, so their golden bytes never collide with a protocol.
    public static let testProtocol = "proofmarket.transcript-test"
    /// Message label reserved for transcript unit tests.
    public static let testMessage = "message"
    /// Challenge label reserved for transcript unit tests.
    public static let testChallenge = "challenge"

    // MARK: Tree-ensemble proof (docs/PROTOCOL.md, "Tree ensembles")

    /// Prover message: one item's paths (per tree, the visited nodes and their claimed contents).
    public static let traceTreePath = "trace.tree-path"
    /// Challenge: `α`, whose powers weight the point claims on the node and value tables.
    public static let challengeTreeClaim = "challenge.tree-claim-coefficient"
}

// MARK: Zero-knowledge building blocks (ZeroKnowledge/, docs/PROTOCOL-zk.md)

extension TranscriptLabel {
    /// Hash-to-curve label of the scalar commitment generator `G` of `Com(a; r) = a·G + r·H`.
    public static let generatorScalarG = "proofmarket.pedersen.G-scalar.v1"
    /// Statement: the commitments a Σ-protocol speaks about, concatenated in its order.
    public static let zkStatementCommitments = "zk.statement.commitments"
    /// Statement: the public vector `a` of a proof of dot product.
    public static let zkStatementPublicVector = "zk.statement.public-vector"
    /// Prover message: the first message `A` of a proof of opening.
    public static let zkMessageOpening = "zk.message.opening"
    /// Prover message: the first message `A` of a proof of equality.
    public static let zkMessageEquality = "zk.message.equality"
    /// Prover message: the first messages `α ‖ β ‖ δ` of a proof of product.
    public static let zkMessageProduct = "zk.message.product"
    /// Prover message: the first messages `δ ‖ β` of a proof of dot product.
    public static let zkMessageDotProduct = "zk.message.dot-product"
    /// Challenge: the challenge `c` of a Σ-protocol.
    public static let zkChallengeSigma = "zk.challenge.sigma"
    /// Statement: a zero-knowledge sum-check's variable count and degree (u64 each).
    public static let zkSumcheckShape = "zk.sumcheck.shape"
    /// Prover message: one round's commitment to its polynomial's coefficients.
    public static let zkSumcheckCoefficientCommitment = "zk.sumcheck.coefficient-commitment"
    /// Challenge: the point coordinate `r_j` of a zero-knowledge sum-check round.
    public static let zkChallengeSumcheckRound = "zk.challenge.sumcheck-round"
    /// Prover message: one round's commitment to `g_j(r_j)`, the next claim.
    public static let zkSumcheckEvaluationCommitment = "zk.sumcheck.evaluation-commitment"
    /// Prover message: the commitment to a blinded Hyrax table's value at a point.
    public static let zkEvaluationValueCommitment = "zk.evaluation.value-commitment"

    // MARK: Private inference proof (docs/PROTOCOL.md, "Private proofs (protocol v2)")

    /// Names the private protocol's transcripts.
    public static let privateInferenceProtocol = "proofmarket.private-inference-proof"
    /// Statement: the hiding model commitment's canonical bytes.
    public static let privateStatementCommitment = "statement.private-commitment"
    /// Statement: a hidden input's commitment (`PMZX` bytes), absorbed in place of the input.
    public static let privateStatementInputCommitment = "statement.private-input-commitment"
    /// Prover message: the blinded row commitments of one layer's bit table.
    public static let privateBitTable = "private.bit-table"
    /// Challenge: the point of a layer's booleanity zero-check.
    public static let privateChallengeBooleanity = "private.challenge.booleanity-point"
    /// Challenge: the point of a layer's zero-check of `P·(D − A) = 0`.
    public static let privateChallengeClampHigh = "private.challenge.clamp-high-point"
    /// Challenge: the point of a layer's zero-check of `N·A = 0`.
    public static let privateChallengeClampLow = "private.challenge.clamp-low-point"
    /// Challenge: the point at which `A + C = D` is checked.
    public static let privateChallengeComplement = "private.challenge.complement-point"
    /// Challenge: the point of a max pool's zero-check of `S·δ = 0`.
    public static let privateChallengePoolSelector = "private.challenge.pool-selector-point"
    /// Challenge: the point at which each max-pool window's selectors are checked to sum to 1.
    public static let privateChallengePoolSelection = "private.challenge.pool-selection-point"
    /// Challenge: the point at which `m − a − δ = 0` is checked over a max pool's window taps.
    public static let privateChallengePoolDifference = "private.challenge.pool-difference-point"
    /// Challenge: the point `(r, q)` of a layer's product check.
    public static let privateChallengeLinearPoint = "private.challenge.linear-point"
    /// Challenge: the point at which the last layer's activation meets the public output.
    public static let privateChallengeOutputPoint = "private.challenge.output-point"
    /// Prover message: the blinding that opens a commitment to a public value.
    public static let privateOpeningBlinding = "private.opening-blinding"
}
