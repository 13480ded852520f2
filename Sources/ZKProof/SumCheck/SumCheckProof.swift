/// The prover's messages of one (batched) sum-check, and their encoding.
///
/// Format: for each round `j = 0 … n−1`, `g_j(0)`, `g_j(1)`, `g_j(2)`; then `c_k` for each
/// table in statement order. Every value is a canonical 32-byte scalar; there is no count or
/// tag, since `n` and `K` come from the verifier's `SumCheck.Shape`. The encoding is
/// `32·(3n + K)` bytes.
///
/// All three values of each round are sent (rather than two, with `g_j(1)` derived from the
/// running claim) so that a wrong claim or a corrupted round is reported at the round where
/// it breaks; it costs 32 bytes per round, against the `32·2^c` of every opening.
public struct SumCheckProof: Sendable, Equatable {
    /// One round's polynomial `g_j`, given by its values at `0`, `1` and `2`.
    public struct Round: Sendable, Equatable {
        /// `g_j(0)`.
        public var atZero: Scalar
        /// `g_j(1)`.
        public var atOne: Scalar
        /// `g_j(2)`.
        public var atTwo: Scalar

        /// A round from its three values.
        public init(atZero: Scalar, atOne: Scalar, atTwo: Scalar) {
            self.atZero = atZero
            self.atOne = atOne
            self.atTwo = atTwo
        }

        /// The values in the order they are absorbed and written.
        public var values: [Scalar] { [atZero, atOne, atTwo] }
    }

    /// `g_0 … g_(n−1)`.
    public var rounds: [Round]
    /// `c_k = P̃_k(s_k)`, one per table, in statement order.
    public var evaluations: [Scalar]

    /// A proof from its parts.
    public init(rounds: [Round], evaluations: [Scalar]) {
        self.rounds = rounds
        self.evaluations = evaluations
    }

    /// Appends the encoding.
    public func write(to writer: inout ProofWriter) {
        for round in rounds { writer.scalars(round.values) }
        writer.scalars(evaluations)
    }

    /// The encoding alone.
    public var encoded: [UInt8] {
        var w = ProofWriter()
        write(to: &w)
        return w.bytes
    }

    /// Reads a proof for `shape` from inside a larger encoding (nothing after it is checked).
    public init(reading reader: inout ProofReader, shape: SumCheck.Shape) throws(ProofFormatError) {
        let values = try reader.scalars(3 * shape.variableCount)
        rounds = stride(from: 0, to: values.count, by: 3).map {
            Round(atZero: values[$0], atOne: values[$0 + 1], atTwo: values[$0 + 2])
        }
        evaluations = try reader.scalars(shape.tableCount)
    }

    /// Decodes a proof that is the whole of `bytes`; refuses trailing bytes.
    public init(decoding bytes: [UInt8], shape: SumCheck.Shape) throws(ProofFormatError) {
        var reader = ProofReader(bytes)
        try self.init(reading: &reader, shape: shape)
        try reader.finish()
    }
}
