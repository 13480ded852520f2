import Foundation
@testable import Inference

/// The test oracle: each element function in `Double`, written from the ONNX definitions and
/// independent of `CalibrationFloatReference` and of the integer kernels.
extension ElementFunction {
    /// `f(x)` in `Double`, with the attributes read as `a · 2^-24`; `nil` where the integer
    /// function is defined by convention (log of x ≤ 0, reciprocal of 0).
    func reference(_ x: Double) -> Double? {
        func attr(_ a: Int64) -> Double { Double(a) / 16_777_216 }
        switch self {
        case .sigmoid: return x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
        case .tanh: return Foundation.tanh(x)
        case .erf: return Foundation.erf(x)
        case .gelu: return 0.5 * x * Foundation.erfc(-x / 2.0.squareRoot())
        case .geluTanh:
            let w = (2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + Foundation.tanh(w))
        case .exp: return Foundation.exp(x)
        case .log: return x > 0 ? Foundation.log(x) : nil
        case .softplus: return x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
        case .elu(let a): return x >= 0 ? x : attr(a) * Foundation.expm1(x)
        case .selu(let a, let g): return x > 0 ? attr(g) * x : attr(g) * attr(a) * Foundation.expm1(x)
        case .leakyRelu(let a): return x >= 0 ? x : attr(a) * x
        case .hardSigmoid(let a, let b): return Swift.min(1, Swift.max(0, attr(a) * x + attr(b)))
        case .hardSwish: return x * Swift.min(1, Swift.max(0, (x + 3) / 6))
        case .sqrt: return x <= 0 ? 0 : x.squareRoot()
        case .reciprocal: return x == 0 ? nil : 1 / x
        case .square: return x * x
        }
    }
}

/// The functions the tests sweep, with typical ONNX attributes quantised to 2^-24.
enum NonlinearSamples {
    static let eluAlpha: Int64 = 1 << 24                       // 1.0
    static let seluAlpha: Int64 = 28_070_626                   // round(1.6732632423543772 · 2^24)
    static let seluGamma: Int64 = 17_627_480                   // round(1.0507009873554805 · 2^24)
    static let leakyAlpha: Int64 = 167_772                     // round(0.01 · 2^24)
    static let hardSigmoidAlpha: Int64 = 3_355_443             // round(0.2 · 2^24)
    static let hardSigmoidBeta: Int64 = 1 << 23                // 0.5

    static let functions: [ElementFunction] = [
        .sigmoid, .tanh, .erf, .gelu, .geluTanh, .exp, .log, .softplus,
        .elu(alpha: eluAlpha), .selu(alpha: seluAlpha, gamma: seluGamma), .leakyRelu(alpha: leakyAlpha),
        .hardSigmoid(alpha: hardSigmoidAlpha, beta: hardSigmoidBeta), .hardSwish, .sqrt, .reciprocal, .square,
    ]

    /// The widest output range an operator accepts.
    static let wide: Int64 = ElementOperator.outputMagnitudeMax
}
