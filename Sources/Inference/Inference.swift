import ZKProof
/// ONNX import, quantisation and exact integer inference.
public enum InferenceModule {}
