/// A registered model's public description: shapes, quantisation and layers, without weights.
///
/// This is what a verifier holds (next to the weight commitment): every count a proof is
/// checked against — the number of layers, their dimensions, their bounds — comes from here
/// and never from the proof. Its canonical byte form is `encoded()` (see `ModelSpec+Encoding`).
public struct ModelSpec: Sendable, Equatable, Hashable {
    /// Fixed-point parameters.
    public let config: QuantizationConfig
    /// Shape of the model input as the ONNX graph declares it, batch 1 included (e.g. `[1, 64]`).
    public let inputShape: [Int]
    /// The linear layers in order; the output of each is the incoming activation of the next.
    public let layers: [LayerSpec]

    /// Validates that the layers chain (each reads as many elements as the previous produces).
    public init(config: QuantizationConfig, inputShape: [Int], layers: [LayerSpec]) throws(InferenceError) {
        guard !inputShape.isEmpty, inputShape.count <= InferenceLimits.rankMax,
              inputShape.allSatisfy({ $0 >= 1 && $0 <= InferenceLimits.tensorElementsMax }) else {
            throw .shapeMismatch(detail: "input shape \(inputShape) is not a valid tensor shape")
        }
        var elements = 1
        for d in inputShape {
            elements *= d
            guard elements <= InferenceLimits.tensorElementsMax else {
                throw .tensorTooLarge(name: "input", elements: elements, limit: InferenceLimits.tensorElementsMax)
            }
        }
        guard !layers.isEmpty else { throw .shapeMismatch(detail: "a model needs at least one linear layer") }
        guard layers.count <= InferenceLimits.layerCountMax else {
            throw .tooManyLayers(count: layers.count, limit: InferenceLimits.layerCountMax)
        }
        for (k, layer) in layers.enumerated() {
            guard layer.inputElements == elements else {
                throw .shapeMismatch(detail: "layer \(k) reads \(layer.inputElements) elements, gets \(elements)")
            }
            elements = layer.outputElements
        }
        self.config = config
        self.inputShape = inputShape
        self.layers = layers
    }

    /// Elements of the model input.
    public var inputElements: Int { inputShape.reduce(1, *) }
    /// Elements of the model output (the last layer's output).
    public var outputElements: Int { layers.last?.outputElements ?? inputElements }
    /// Fraction bits of the quantised input.
    public var inputFractionBits: Int { config.activationFractionBits }
    /// Fraction bits of the quantised output.
    public var outputFractionBits: Int { config.activationFractionBits }
    /// Range every quantised input value must lie in.
    public var inputRange: ClosedRange<Int64> { config.activationMin...config.activationMax }
    /// The largest accumulator width over all layers: every admissible `|z| < 2^bound`.
    public var accumulatorBoundBits: Int { layers.map(\.accumulatorBits).max() ?? 0 }

    /// Quantises a float input: `clamp(⌊x · 2^f + 1/2⌋, inputRange)`.
    ///
    /// `shape` must equal `inputShape`; non-finite values are refused rather than clamped,
    /// since they mean the caller's data is broken.
    public func quantizeInput(floats: [Double], shape: [Int]) throws(InferenceError) -> [Int64] {
        guard shape == inputShape, floats.count == inputElements else {
            throw .inputShapeMismatch(expected: inputShape, actual: shape == inputShape ? [floats.count] : shape)
        }
        var out = [Int64]()
        out.reserveCapacity(floats.count)
        for (i, x) in floats.enumerated() {
            // Clamp in floating point first so huge values quantise instead of failing.
            let bound = Double(inputRange.upperBound) + 1
            let scaled = x * Double(sign: .plus, exponent: inputFractionBits, significand: 1)
            guard x.isFinite else { throw .inputOutOfRange(index: i, value: "\(x)") }
            let limited = min(max(scaled, -bound), bound)
            let q = Int64((limited + 0.5).rounded(.down))
            out.append(IntegerSemantics.clamp(q, inputRange.lowerBound, inputRange.upperBound))
        }
        return out
    }

    /// Checks that a quantised input has the right length and lies in `inputRange`.
    public func validateInput(_ x: [Int64]) throws(InferenceError) {
        guard x.count == inputElements else {
            throw .inputShapeMismatch(expected: inputShape, actual: [x.count])
        }
        for (i, v) in x.enumerated() where !inputRange.contains(v) {
            throw .inputOutOfRange(index: i, value: "\(v)")
        }
    }

    /// The real values of a quantised output: `y · 2^-f`.
    public func dequantizeOutput(_ y: [Int64]) -> [Double] {
        y.map { IntegerSemantics.dequantize($0, fractionBits: outputFractionBits) }
    }

    /// Checks every step of a trace that does not involve the weights.
    ///
    /// For each layer: the trace's lengths match this description; `columns` equals
    /// `LayerSpec.columns` of the previous output (or of the input); every pre-activation
    /// satisfies `|z| < 2^accumulatorBits`; `output` equals `LayerSpec.activate(preActivation)`.
    /// The layer count comes from this description, never from the trace.
    ///
    /// Soundness: this does not check `preActivation = W · columns + b`; the caller must
    /// discharge that against the weight commitment (the per-layer linear checks).
    public func checkTrace(_ trace: InferenceTrace) throws(InferenceError) {
        guard trace.layers.count == layers.count else {
            throw .traceMismatch(layer: min(trace.layers.count, layers.count), step: "layer count", index: 0)
        }
        let columns = try checkNonLinearSteps(input: trace.input,
                                              preActivations: trace.layers.map(\.preActivation),
                                              outputs: trace.layers.map(\.output))
        for (k, record) in trace.layers.enumerated() {
            guard record.columns.count == columns[k].count else {
                throw .traceMismatch(layer: k, step: "columns length", index: 0)
            }
            if let i = record.columns.indices.first(where: { record.columns[$0] != columns[k][$0] }) {
                throw .traceMismatch(layer: k, step: "columns", index: i)
            }
        }
    }

    /// The verifier's half of a trace: from the public input and the claimed pre-activations
    /// and outputs, recomputes and checks every non-linear step and returns each layer's
    /// columns `X_k` (what the linear check `Z_k = W_k · X_k + b_k` must then be proven on).
    ///
    /// Checks, per layer `k` in the order of this description: the lengths; `|z| < 2^B_k` for
    /// every claimed pre-activation (so field equalities are integer equalities);
    /// `outputs[k] == activate(preActivations[k])`. `X_k` is computed from `outputs[k−1]` only
    /// after that output was checked, so every value it reads is clamped. Never traps.
    public func checkNonLinearSteps(input: [Int64], preActivations: [[Int64]],
                                    outputs: [[Int64]]) throws(InferenceError) -> [[Int64]] {
        try validateInput(input)
        guard preActivations.count == layers.count, outputs.count == layers.count else {
            throw .traceMismatch(layer: min(preActivations.count, outputs.count, layers.count), step: "layer count", index: 0)
        }
        var incoming = input
        var columns: [[Int64]] = []
        columns.reserveCapacity(layers.count)
        for (k, layer) in layers.enumerated() {
            columns.append(try layer.columns(incoming))
            let z = preActivations[k], a = outputs[k]
            guard z.count == layer.outputElements, a.count == layer.outputElements else {
                throw .traceMismatch(layer: k, step: "pre-activation length", index: 0)
            }
            // |z| < 2^bits without computing |Int64.min|, which would trap.
            let limit = Int64(1) << Int64(layer.accumulatorBits)
            if let i = z.firstIndex(where: { $0 <= -limit || $0 >= limit }) {
                throw .traceMismatch(layer: k, step: "pre-activation bound", index: i)
            }
            for i in z.indices where layer.activation.apply(z[i]) != a[i] {
                throw .traceMismatch(layer: k, step: "activation", index: i)
            }
            incoming = a
        }
        return columns
    }
}
