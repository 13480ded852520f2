/// Named limits of the inference proof, each enforced where the bytes first arrive.
public enum ProofLimits {
    /// Largest proof the verifier reads at all, in bytes (checked before decoding).
    public static let proofBytesMax = 8 * 1024 * 1024
    /// Largest model commitment decoded, in bytes.
    public static let commitmentBytesMax = 64 * 1024 * 1024
    /// Proof size the commitment layout aims to stay under, in bytes (64 KiB less headroom).
    public static let proofBytesTarget = 60 * 1024
    /// Largest job id, worker id or nonce of a binding context, in bytes of UTF-8.
    public static let contextFieldBytesMax = 256
    /// Largest canonical model description carried in a commitment, in bytes.
    public static let modelSpecBytesMax = 1024 * 1024
}
