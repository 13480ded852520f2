/// The proof system: field, transcript, commitments.
public enum ZKProofModule {}
