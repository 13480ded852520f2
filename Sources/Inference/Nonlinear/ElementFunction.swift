/// A non-linear function applied element by element, as ONNX names it.
///
/// Real-valued attributes (ONNX floats) are integers with `attributeFractionBits` fraction
/// bits, made once by `quantizeAttribute`; the functions never see a float. The exact integer
/// definition of each case is in docs/PROTOCOL-nonlinear.md and in `ElementOperator.apply`.
public enum ElementFunction: Sendable, Hashable {
    /// `1 / (1 + e^−x)`.
    case sigmoid
    /// `tanh x`.
    case tanh
    /// `erf x`.
    case erf
    /// `x · Φ(x) = x · (1 + erf(x/√2)) / 2` (ONNX `Gelu`, `approximate="none"`).
    case gelu
    /// `x · (1 + tanh(√(2/π) · (x + 0.044715 x³))) / 2` (ONNX `Gelu`, `approximate="tanh"`).
    case geluTanh
    /// `e^x`.
    case exp
    /// `ln x`; for `x ≤ 0` the result is the low end of the output range.
    case log
    /// `ln(1 + e^x)`.
    case softplus
    /// `x` for `x ≥ 0`, `α(e^x − 1)` for `x < 0`.
    case elu(alpha: Int64)
    /// `γx` for `x > 0`, `γα(e^x − 1)` for `x ≤ 0`.
    case selu(alpha: Int64, gamma: Int64)
    /// `x` for `x ≥ 0`, `αx` for `x < 0`.
    case leakyRelu(alpha: Int64)
    /// `max(0, min(1, αx + β))`.
    case hardSigmoid(alpha: Int64, beta: Int64)
    /// `x · max(0, min(1, x/6 + 1/2))`.
    case hardSwish
    /// `√x`, exactly rounded; `0` for `x < 0`.
    case sqrt
    /// `1/x`, exactly rounded; the high end of the output range for `x = 0`.
    case reciprocal
    /// `x²` (ONNX `Pow` with the constant exponent 2), exact.
    case square

    /// Fraction bits of every real-valued attribute (`alpha`, `beta`, `gamma`).
    public static let attributeFractionBits = 24
    /// Attributes are integers of magnitude below this (real magnitude below 128).
    public static let attributeMagnitudeLimit: Int64 = 1 << 31

    /// The attribute integer of an ONNX float: `⌊x · 2^24 + 1/2⌋` (round half up), or nil when
    /// `x` is not finite or its magnitude reaches 128.
    ///
    /// Exact: a `Float` times a power of two is exact in `Double`, and adding 1/2 to a value
    /// below 2^31 is exact too, so the rounding is the mathematical one.
    public static func quantizeAttribute(_ x: Float) -> Int64? {
        let scaled = Double(x) * Double(1 << attributeFractionBits)
        guard scaled.isFinite, scaled.magnitude < Double(attributeMagnitudeLimit) else { return nil }
        let q = Int64((scaled + 0.5).rounded(.down))
        return q.magnitude < UInt64(attributeMagnitudeLimit) ? q : nil
    }

    /// The attributes carried by this case.
    var attributes: [Int64] {
        switch self {
        case .elu(let a), .leakyRelu(let a): [a]
        case .selu(let a, let g): [a, g]
        case .hardSigmoid(let a, let b): [a, b]
        default: []
        }
    }

    /// The ONNX-style name, for messages.
    public var name: String {
        switch self {
        case .sigmoid: "Sigmoid"
        case .tanh: "Tanh"
        case .erf: "Erf"
        case .gelu: "Gelu"
        case .geluTanh: "Gelu(tanh)"
        case .exp: "Exp"
        case .log: "Log"
        case .softplus: "Softplus"
        case .elu: "Elu"
        case .selu: "Selu"
        case .leakyRelu: "LeakyRelu"
        case .hardSigmoid: "HardSigmoid"
        case .hardSwish: "HardSwish"
        case .sqrt: "Sqrt"
        case .reciprocal: "Reciprocal"
        case .square: "Pow(2)"
        }
    }

    /// Whether the integer function is the exactly rounded value of the real function (no
    /// approximation beyond the final round half up).
    public var isExact: Bool {
        switch self {
        case .leakyRelu, .hardSigmoid, .hardSwish, .sqrt, .reciprocal, .square: true
        default: false
        }
    }
}
