import ZKProof

/// ONNX import, quantisation and exact integer inference.
///
/// Map of the module, in the order data flows:
/// - `ONNXImporter` reads ONNX bytes into a `QuantizedModel` (the `ONNX/` folder holds the
///   generated protobuf code).
/// - `QuantizedModel` = `ModelSpec` (public description, what a verifier holds) + weights
///   per `QuantizedLayer` + `digest`. `run(_:)` gives an `InferenceTrace`.
/// - `IntegerSemantics` is the single implementation of rounding, clamping, padding and
///   pooling; `LayerSpec.columns(_:)` and `LayerSpec.activate(_:)` apply it per layer, and
///   `ModelSpec.checkTrace(_:)` recomputes every non-linear step of a trace with it.
public enum InferenceModule {}
