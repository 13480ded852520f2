import Foundation
@testable import Inference

/// The largest difference, per output element, that the integer engine may show against a
/// conformance case's expected output: the quantisation bound of docs/PROTOCOL.md
/// ("Conformance").
///
/// Every bound is the sum of
/// - the input's quantisation, `ε = 2^-(fa+1)` per input value (round half up at the model's
///   scale), carried through the operator by its sensitivity at the case's own values (a
///   Lipschitz constant over `[x − ε, x + ε]`, or the exact propagation of a sum);
/// - the quantisation of the operator's constants: weights `2^-(fw+1)`, biases and scalar
///   constants `2^-(fa+fw+1)`, attributes `2^-25`;
/// - the operator's documented integer error (docs/PROTOCOL-nonlinear.md: below `2^-40`
///   relative at these scales) and the rounding of its result to the output scale,
///   `2^-(fo+1)`;
/// - the expected value's own precision: `2^-20` relative for `float32` results (a few ulps
///   of the generator's numpy arithmetic), the half ulp of a narrower output type.
struct ConformanceBound {
    let c: ConformanceCase
    let node: Onnx_NodeProto
    let config: QuantizationConfig

    /// Input rounding, `2^-(fa+1)`.
    var eps: Double { 0.5 * unit }
    /// One unit of the activation scale, `2^-fa` (the output scale of every step here).
    var unit: Double { Double(sign: .plus, exponent: -config.activationFractionBits, significand: 1) }
    /// Weight rounding, `2^-(fw+1)`.
    var weightEps: Double { Double(sign: .plus, exponent: -config.weightFractionBits - 1, significand: 1) }
    /// Bias and scalar-constant rounding (16 fraction bits for both), `2^-17`.
    var biasEps: Double { Double(sign: .plus, exponent: -17, significand: 1) }
    /// Attribute rounding, `2^-25`.
    static let attributeEps = Double(sign: .plus, exponent: -25, significand: 1)
    /// The documented integer error of the non-linear kernels, relative to `1 + |y|`.
    static let kernelError = Double(sign: .plus, exponent: -40, significand: 1)

    /// An operand of the node: its real values, shape and whether it is fed at run time.
    struct Operand {
        let values: [Double]
        let shape: [Int]
        let runtime: Bool
    }

    func operand(_ i: Int) -> Operand? {
        guard i < node.input.count, !node.input[i].isEmpty else { return nil }
        let name = node.input[i]
        if let t = c.description.inputs.first(where: { $0.name == name }) { return Operand(values: t.reals, shape: t.shape, runtime: true) }
        if let t = c.initializer(name) { return Operand(values: t.reals, shape: t.shape, runtime: false) }
        return nil
    }

    func float(_ key: String, _ value: Double) -> Double { node.float(key, default: value) }

    /// The bound for each element of output `index`, whose expected values are `expected`
    /// with shape `shape` and type `dtype`; nil for an operator without a documented bound.
    func bounds(output index: Int, expected: [Double], shape: [Int], dtype: String) -> [Double]? {
        guard let x = operand(0) else { return nil }
        let op = c.opType
        let reference = expected.map { Self.referencePrecision(dtype) * abs($0) }
        let out = eps   // the rounding of a result to the output scale
        var b: [Double]
        switch op {
        case "Identity", "Dropout", "Cast", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split",
             "Slice", "Gather", "Pad", "MaxPool", "GlobalMaxPool", "ReduceMax", "ReduceMin", "Relu", "Clip", "Neg", "Max", "Min":
            // Selections, clamps and sign changes of the rounded inputs (Clip's bounds and Pad's
            // value are rounded at the same scale): 1-Lipschitz in the largest input error.
            b = expected.map { _ in eps }
        case "Add", "Sub", "Mul", "Div":
            guard let pair = binary(expected.count, shape) else { return nil }
            b = pair
        case "PRelu":
            // x for x ≥ 0 (its rounding), else slope·x as a product of two rounded values (the
            // slope at the weight scale), rounded once more.
            guard let slope = operand(1), let outShape = TensorSemantics.broadcastShape(x.shape, slope.shape),
                  outShape.reduce(1, *) == expected.count else { return nil }
            let ix = TensorSemantics.broadcastIndices(from: x.shape, to: outShape)
            let isl = TensorSemantics.broadcastIndices(from: slope.shape, to: outShape)
            // Even one slope is a committed weight, rounded at the weight scale.
            let dx = rounding(x), ds = slope.runtime ? eps : weightEps
            b = (0..<expected.count).map { e in
                let v = abs(x.values[ix[e]]), s = abs(slope.values[isl[e]])
                return max(1, s) * dx + v * ds + dx * ds + eps
            }
        case "ReduceSum":
            // The exact sum of n rounded values.
            let n = Double(x.values.count / max(1, expected.count))
            b = expected.map { _ in n * eps }
        case "ReduceMean", "AveragePool", "GlobalAveragePool":
            // A mean of rounded values, then rounded.
            b = expected.map { _ in eps + out }
        case "Softmax":
            // Each p_k moves by at most a factor e^(±2ε) when every logit moves by ε.
            b = expected.map { p in abs(p) * expm1(2 * eps) + out + Self.kernelError }
        case "LogSoftmax":
            b = expected.map { _ in 2 * eps + out + Self.kernelError }
        case "Gemm", "MatMul", "Conv":
            guard let linear = linear(expected.count, shape) else { return nil }
            b = linear
        case "BatchNormalization":
            guard let affine = batchNorm(x, expected.count, shape) else { return nil }
            b = affine
        case "LayerNormalization":
            guard index == 0, let norm = layerNorm(x, expected) else { return nil }
            b = norm
        default:
            guard x.values.count == expected.count, let f = elementSensitivity(op) else { return nil }
            b = zip(x.values, expected).map { v, y in f(v) + out + Self.kernelError * (1 + abs(y)) }
        }
        return zip(b, reference).map { $0 + $1 }
    }

    /// Operators whose output is an index (an integer tensor) rather than a value.
    static let indexOperators: Set<String> = ["ArgMax", "ArgMin"]

    /// ArgMax, ArgMin: for each output position, the input value its index selects along the
    /// axis (nil when an index is outside the axis or the geometry does not fit). The engine
    /// picks the extreme of the rounded inputs, so the value it selects is within `2ε` of the
    /// true extreme: `x_m − x_j ≤ (x̂_m + ε) − (x̂_j − ε) ≤ 2ε`; where the extreme is apart from
    /// the others by more than `2ε` it is the expected index itself. Equal inputs round
    /// equally, so between exactly equal values the tie rule (first, or with
    /// `select_last_index` last) must pick the expected index.
    func indexedValues(_ indices: [Double]) -> [Double]? {
        guard let x = operand(0), !x.shape.isEmpty else { return nil }
        var axis = Int(node.int("axis", default: 0))
        if axis < 0 { axis += x.shape.count }
        guard (0..<x.shape.count).contains(axis) else { return nil }
        let n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *)
        guard indices.count * n == x.values.count else { return nil }
        var out: [Double] = []
        for (e, index) in indices.enumerated() {
            guard index.isFinite, index == index.rounded(), index >= 0, index < Double(n) else { return nil }
            let outer = e / inner, i = e % inner
            out.append(x.values[(outer * n + Int(index)) * inner + i])
        }
        return out
    }

    /// Relative precision of an expected value of type `dtype`.
    static func referencePrecision(_ dtype: String) -> Double {
        switch dtype {
        case "float16": Double(sign: .plus, exponent: -11, significand: 1)
        case "bfloat16": Double(sign: .plus, exponent: -8, significand: 1)
        case "float64": Double(sign: .plus, exponent: -50, significand: 1)
        default: Double(sign: .plus, exponent: -20, significand: 1)
        }
    }

    /// Rounding of an operand: `ε` for a runtime input, the scalar-constant or weight rounding
    /// for a constant (a per-channel constant becomes a diagonal weight).
    func rounding(_ o: Operand) -> Double {
        o.runtime ? eps : (o.values.count == 1 ? biasEps : weightEps)
    }

    /// Add, Sub, Mul, Div element by element (ONNX broadcasting).
    func binary(_ count: Int, _ shape: [Int]) -> [Double]? {
        guard let a = operand(0), let b = operand(1),
              let outShape = TensorSemantics.broadcastShape(a.shape, b.shape), outShape.reduce(1, *) == count else { return nil }
        let ia = TensorSemantics.broadcastIndices(from: a.shape, to: outShape)
        let ib = TensorSemantics.broadcastIndices(from: b.shape, to: outShape)
        let da = rounding(a), db = rounding(b)
        // Two runtime tensors at one scale add exactly; a constant brings a final rounding.
        let out = a.runtime && b.runtime ? 0 : eps
        return (0..<count).map { e in
            let x = abs(a.values[ia[e]]), y = abs(b.values[ib[e]])
            switch c.opType {
            case "Add", "Sub": return da + db + out
            case "Mul": return x * db + y * da + da * db + eps
            default:
                // |â/b̂ − a/b| ≤ (δa·|b| + |a|·δb) / (|b|·(|b| − δb)), then rounded.
                guard y > db else { return .infinity }
                return (da * y + x * db) / (y * (y - db)) + eps
            }
        }
    }

    /// Gemm, MatMul (constant B), Conv: per output channel `o` with taps `w_o` (alpha applied)
    /// over `K` inputs, `ε·Σ|ŵ_o| + K·max|x|·2^-(fw+1) + bias rounding + output rounding`.
    func linear(_ count: Int, _ shape: [Int]) -> [Double]? {
        guard let x = operand(0), let w = operand(1), !w.runtime, w.shape.count >= 2 else {
            // Two runtime operands (MatMul): |âb̂ − ab| over K terms.
            guard c.opType == "MatMul", let a = operand(0), let b = operand(1), a.runtime, b.runtime else { return nil }
            let k = Double(a.shape.last ?? 1)
            let am = a.values.map(abs).max() ?? 0, bm = b.values.map(abs).max() ?? 0
            return [Double](repeating: k * (am * eps + bm * eps + eps * eps) + eps, count: count)
        }
        let xMax = x.values.map(abs).max() ?? 0
        var l1: [Double] = []
        var channel: (Int) -> Int
        var taps: Int
        switch c.opType {
        case "Gemm":
            let alpha = abs(float("alpha", 1)), transB = node.int("transB", default: 0) != 0
            let (k, n) = transB ? (w.shape[1], w.shape[0]) : (w.shape[0], w.shape[1])
            l1 = (0..<n).map { o in (0..<k).reduce(0) { $0 + alpha * abs(w.values[transB ? o * k + $1 : $1 * n + o]) } }
            taps = k
            channel = { $0 % n }
        case "MatMul":
            let (k, n) = (w.shape[0], w.shape[1])
            l1 = (0..<n).map { o in (0..<k).reduce(0) { $0 + abs(w.values[$1 * n + o]) } }
            taps = k
            channel = { $0 % n }
        default:
            let m = w.shape[0], per = w.values.count / max(1, m)
            l1 = (0..<m).map { o in w.values[(o * per)..<((o + 1) * per)].reduce(0) { $0 + abs($1) } }
            taps = per
            let spatial = shape.count > 2 ? shape[2...].reduce(1, *) : 1
            channel = { ($0 / spatial) % m }
        }
        let k = Double(taps)
        return (0..<count).map { e in
            eps * (l1[channel(e)] + k * weightEps) + k * xMax * weightEps + biasEps + eps
        }
    }

    /// BatchNormalization (inference) as a per-channel affine step with weight `s/√(v + ε)`.
    func batchNorm(_ x: Operand, _ count: Int, _ shape: [Int]) -> [Double]? {
        guard let scale = operand(1), let variance = operand(4), shape.count >= 2 else { return nil }
        let epsilon = float("epsilon", 1e-5)
        let channels = shape[1], spatial = shape[2...].reduce(1, *)
        guard scale.values.count == channels, variance.values.count == channels else { return nil }
        let xMax = x.values.map(abs).max() ?? 0
        return (0..<count).map { e in
            let ch = (e / spatial) % channels
            let s = abs(scale.values[ch]) / (variance.values[ch] + epsilon).squareRoot()
            return eps * (s + weightEps) + xMax * weightEps + biasEps + eps
        }
    }

    /// LayerNormalization over the last axis: `y = c/s` with `c = x − mean`, `s = √(var + ε)`.
    /// Moving every input by at most ε moves `s` by at most ε (centring is a projection and
    /// `√(a² + e)` is 1-Lipschitz in `a`), so `|ŷ − y| ≤ ε·(2 + |y|)/(s − ε)`; then the
    /// normalisation's rounding, and the scale and bias as a diagonal layer.
    func layerNorm(_ x: Operand, _ expected: [Double]) -> [Double]? {
        guard let n = x.shape.last, n >= 1, x.values.count == expected.count else { return nil }
        let epsilon = float("epsilon", 1e-5)
        let gamma = operand(1)?.values, beta = operand(2)?.values
        let affine = !(gamma?.allSatisfy { $0 == 1 } ?? true) || !(beta?.allSatisfy { $0 == 0 } ?? true)
        var out = [Double](repeating: 0, count: expected.count)
        for row in 0..<(expected.count / n) {
            let v = x.values[(row * n)..<((row + 1) * n)]
            let mean = v.reduce(0, +) / Double(n)
            let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            let s = (variance + epsilon).squareRoot()
            for j in 0..<n {
                let e = row * n + j
                let y = (x.values[e] - mean) / s
                guard s > eps else { out[e] = .infinity; continue }
                let normalized = eps * (2 + abs(y)) / (s - eps) + eps + Self.kernelError * (1 + abs(y))
                if affine {
                    let g = abs(gamma?[j] ?? 1)
                    out[e] = g * normalized + (abs(y) + normalized) * weightEps + biasEps + eps
                } else {
                    out[e] = normalized
                }
            }
        }
        return out
    }

    /// The input-rounding term of an element function at `x`: the largest `|f'|` over
    /// `[x − ε, x + ε]` times ε (or the exact modulus of continuity for Sqrt and Reciprocal),
    /// plus the attributes' rounding.
    func elementSensitivity(_ op: String) -> ((Double) -> Double)? {
        let e = eps
        let attr = Self.attributeEps
        /// Smallest |t| over [x − ε, x + ε].
        func near(_ x: Double) -> Double { max(0, abs(x) - e) }
        switch op {
        case "Sigmoid":
            return { x in let s = 1 / (1 + Foundation.exp(near(x))); return s * (1 - s) * e }
        case "Tanh":
            return { x in let t = Foundation.tanh(near(x)); return (1 - t * t) * e }
        case "Erf":
            return { x in 2 / Double.pi.squareRoot() * Foundation.exp(-near(x) * near(x)) * e }
        case "Gelu":
            // sup |d/dx x·Φ(x)| = 1.1289 (at x ≈ 1.41); the tanh form's is the same to 10^-3.
            return { _ in 1.13 * e }
        case "Exp":
            return { x in Foundation.exp(x + e) * e }
        case "Log":
            return { x in x - e > 0 ? e / (x - e) : .infinity }
        case "Softplus":
            return { x in e / (1 + Foundation.exp(-(x + e))) }
        case "Elu":
            let alpha = abs(float("alpha", 1))
            return { x in max(1, alpha) * e + attr }
        case "Selu":
            let alpha = abs(float("alpha", 1.67326319217681884765625)), gamma = abs(float("gamma", 1.05070102214813232421875))
            return { x in gamma * max(1, alpha) * e + attr * (1 + gamma) * (1 + abs(x)) }
        case "LeakyRelu":
            let alpha = abs(float("alpha", 0.01))
            return { x in max(1, alpha) * e + attr * abs(x) }
        case "HardSigmoid":
            let alpha = abs(float("alpha", 0.2))
            return { x in alpha * e + attr * (1 + abs(x)) }
        case "HardSwish":
            // f'(t) = (2t + 3)/6 on [−3, 3], 0 below, 1 above.
            return { x in
                let lo = x - e, hi = x + e
                var slope = hi > 3 ? 1.0 : 0
                if hi >= -3 && lo <= 3 {
                    slope = max(slope, abs(2 * max(lo, -3) + 3) / 6, abs(2 * min(hi, 3) + 3) / 6)
                }
                return slope * e
            }
        case "Sqrt":
            return { x in Self.sqrtModulus(x, e) }
        case "Reciprocal":
            return { x in abs(x) > e ? e / (abs(x) * (abs(x) - e)) : .infinity }
        case "Pow":
            guard let exponent = operand(1)?.values, exponent.count == 1 else { return nil }
            switch exponent[0] {
            case 2: return { x in e * (2 * abs(x) + e) }
            case 0.5: return { x in Self.sqrtModulus(x, e) }
            case 1: return { _ in e }
            default: return nil
            }
        default:
            return nil
        }
    }

    /// `|√x̂ − √x|` for `|x̂ − x| ≤ e`: at most `√e`, and `e/(√x̂ + √x)`.
    static func sqrtModulus(_ x: Double, _ e: Double) -> Double {
        x - e > 0 ? min(e.squareRoot(), e / (2 * (x - e).squareRoot())) : e.squareRoot()
    }
}
