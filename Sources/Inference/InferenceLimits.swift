/// Named limits of the `Inference` layer; each is enforced where the data first enters.
///
/// Units are last in each name. They are sized for the marketplace's models (the largest
/// fixture is an 85k-parameter MLP) with a wide margin, and small enough that a hostile
/// upload cannot make the coordinator allocate gigabytes.
public enum InferenceLimits {
    /// Largest ONNX file accepted, in bytes.
    public static let modelBytesMax = 16 * 1024 * 1024
    /// Largest number of elements in any one tensor (initializer, activation, im2col matrix).
    public static let tensorElementsMax = 4 * 1024 * 1024
    /// Largest number of linear layers (Gemm, MatMul, Conv) in one model.
    public static let layerCountMax = 256
    /// Largest number of ONNX nodes in one graph.
    public static let nodeCountMax = 4096
    /// Largest number of steps of a model graph after import (recurrent layers unrolled).
    public static let graphNodeCountMax = 4096
    /// Largest number of inputs proven together in one batch.
    public static let batchItemsMax = 4096
    /// Largest number of dimensions of a tensor shape.
    public static let rankMax = 8
    /// Largest accumulator width, in bits, that any pre-activation may need.
    ///
    /// The engine accumulates in `Int64`; 62 bits leaves room for the rounding addend and
    /// for the sign, so no admissible input overflows. This is far below the ~256-bit field
    /// of the proof system, so a field equality of pre-activations is an integer equality.
    public static let accumulatorBitsMax = 62
    /// Largest magnitude of a quantised weight or bias, in bits (values stay exact in `Double`).
    public static let parameterBitsMax = 52
}
