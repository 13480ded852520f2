/// Which proof system a job asks for.
public enum ProofMode: String, Sendable, Codable, CaseIterable {
    /// Protocol v1: the trace in the clear, the weights committed.
    case `public`
    /// Protocol v2: hiding commitments and zero-knowledge arguments; reveals only the output.
    case `private`
}

/// Tells proof formats apart by their leading bytes.
public enum ProofFormat {
    /// The mode a proof's bytes declare (by magic: "PMIP" public, "PMZK" private), nil if neither.
    public static func mode(of proof: [UInt8]) -> ProofMode? {
        let head = Array(proof.prefix(4))
        if head == InferenceProof.magic { return .public }
        if head == PrivateProtocol.proofMagic { return .private }
        return nil
    }

    /// Whether a private proof's bytes declare a hidden input (PMZK version 2).
    public static func hidesInput(_ proof: [UInt8]) -> Bool {
        proof.count >= 6 && Array(proof.prefix(4)) == PrivateProtocol.proofMagic
            && UInt16(proof[4]) << 8 | UInt16(proof[5]) == PrivateProtocol.hiddenInputVersion
    }
}
