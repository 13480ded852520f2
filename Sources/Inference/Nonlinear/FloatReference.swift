import Foundation

/// Floating-point versions of the non-linear operators, for the importer's calibration pass
/// only: running a model in floats to choose its fraction bits and ranges.
///
/// NOT the statement's function. Nothing here may decide a value a proof is about; the
/// engine, the prover and the verifier use `ElementOperator` and `AxisReductions`, which are
/// exact integer arithmetic. Attributes are read from the same integers those use (so a
/// calibration run sees the quantised `alpha`, not the ONNX float).
public enum CalibrationFloatReference {
    /// `f(x)` in `Double`.
    public static func evaluate(_ function: ElementFunction, _ x: Double) -> Double {
        let attributeScale = Double(1 << ElementFunction.attributeFractionBits)
        switch function {
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .erf: return Foundation.erf(x)
        case .gelu: return x * (1 + Foundation.erf(x / 2.0.squareRoot())) / 2
        case .geluTanh:
            return x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) / 2
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .softplus: return Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
        case .elu(let a): return x >= 0 ? x : Double(a) / attributeScale * Foundation.expm1(x)
        case .selu(let a, let g):
            let alpha = Double(a) / attributeScale
            let gamma = Double(g) / attributeScale
            return x > 0 ? gamma * x : gamma * alpha * Foundation.expm1(x)
        case .leakyRelu(let a): return x >= 0 ? x : Double(a) / attributeScale * x
        case .hardSigmoid(let a, let b):
            return Swift.min(1, Swift.max(0, Double(a) / attributeScale * x + Double(b) / attributeScale))
        case .hardSwish: return x * Swift.min(1, Swift.max(0, x / 6 + 0.5))
        case .sqrt: return x < 0 ? 0 : x.squareRoot()
        case .reciprocal: return 1 / x
        case .square: return x * x
        }
    }

    /// Softmax of one row.
    public static func softmax(_ row: [Double]) -> [Double] {
        let top = row.max() ?? 0
        let e = row.map { Foundation.exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    /// LogSoftmax of one row.
    public static func logSoftmax(_ row: [Double]) -> [Double] {
        let top = row.max() ?? 0
        let logTotal = Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
        return row.map { $0 - top - logTotal }
    }

    /// The normalisation of LayerNormalization (`centered`) or RMS normalisation of one row.
    public static func normalize(_ row: [Double], epsilon: Double, centered: Bool) -> [Double] {
        let n = Double(row.count)
        let mean = centered ? row.reduce(0, +) / n : 0
        let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let scale = 1 / (variance + epsilon).squareRoot()
        return row.map { ($0 - mean) * scale }
    }
}
