/// The named maxima of private proofs.
public enum PrivateProofLimits {
    /// The largest private proof a verifier decodes.
    public static let proofBytesMax = 16 * 1024 * 1024
    /// The largest encoded private commitment or material.
    public static let commitmentBytesMax = 64 * 1024 * 1024
    /// The most entries (rows times columns, padded) one bit table has: it bounds a proof's
    /// group elements and the prover's memory (a table is `entries × columnCount` cells).
    public static let tableEntriesMax = 1 << 18
    /// The most items one private proof covers.
    public static let itemsMax = 4096
    /// The most input values a hidden input's opening holds (its table has at most four
    /// times as many rows: rows and items each round up to a power of two).
    public static let inputValuesMax = 1 << 20
}
