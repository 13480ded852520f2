/// Fixed-point parameters, all powers of two, chosen when a model is registered.
///
/// Activations (and the model input and output) are integers at scale `2^activationFractionBits`
/// unless the scales were chosen per tensor (`Calibration`: the input's and each linear layer's
/// output's); weights at `2^weightFractionBits`; biases at `2^(f_in + weightFractionBits)`, the
/// scale of the accumulator of a layer reading a tensor at `f_in`. After each linear layer the
/// accumulator is rescaled to its output's scale (by `2^-weightFractionBits` when every tensor
/// is at the activation scale) and clamped to the signed `activationBits`-bit range.
public struct QuantizationConfig: Sendable, Equatable, Hashable {
    /// Fraction bits of activations, input and output.
    public let activationFractionBits: Int
    /// Fraction bits of weights; also the rescale shift of a linear layer whose input and
    /// output are at the activation scale.
    public let weightFractionBits: Int
    /// Total signed width of an activation: values lie in `[−2^(bits−1), 2^(bits−1) − 1]`.
    public let activationBits: Int

    /// The registration default: 8 fraction bits for both, 16-bit activations.
    ///
    /// On the digits fixtures this keeps argmax agreement with the float model at or above
    /// 99 % (see `InferenceAccuracyTests`) while accumulators stay near 2^30, far from any limit.
    public static let `default` = QuantizationConfig(validated: 8, 8, 16)

    /// Validates `0 ≤ fraction bits ≤ 30`, `2 ≤ activationBits ≤ 32` and that the activation
    /// range can hold the value 1.0 (otherwise the scale makes no sense).
    public init(activationFractionBits: Int, weightFractionBits: Int, activationBits: Int) throws(InferenceError) {
        guard (0...30).contains(activationFractionBits), (0...30).contains(weightFractionBits) else {
            throw .invalidQuantization(detail: "fraction bits must be in 0...30")
        }
        guard (2...32).contains(activationBits), activationFractionBits < activationBits - 1 else {
            throw .invalidQuantization(detail: "activationBits must be in 2...32 and exceed activationFractionBits + 1")
        }
        self.activationFractionBits = activationFractionBits
        self.weightFractionBits = weightFractionBits
        self.activationBits = activationBits
    }

    /// For constants that satisfy the checks above by inspection.
    private init(validated activationFractionBits: Int, _ weightFractionBits: Int, _ activationBits: Int) {
        self.activationFractionBits = activationFractionBits
        self.weightFractionBits = weightFractionBits
        self.activationBits = activationBits
    }

    /// Smallest activation value, `−2^(activationBits−1)`.
    public var activationMin: Int64 { -(Int64(1) << Int64(activationBits - 1)) }
    /// Largest activation value, `2^(activationBits−1) − 1`.
    public var activationMax: Int64 { (Int64(1) << Int64(activationBits - 1)) - 1 }
}
