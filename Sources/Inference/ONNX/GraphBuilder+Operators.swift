/// One method per ONNX operator that becomes model steps; attribute defaults follow the
/// ONNX operator specs. Every refusal names the node, the operator and what is accepted.
extension GraphBuilder {
    /// The operators the model graph implements (constant-only nodes are folded instead).
    static let operators: Set<String> = [
        "Identity", "Dropout", "Cast", "Gemm", "MatMul", "Conv", "Add", "Sub", "Mul", "Div", "Max", "Min",
        "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
        "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Pad", "Gather",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "Softmax", "Shape", "Neg",
        "Sigmoid", "Tanh", "Erf", "Gelu", "Exp", "Log", "Softplus", "Elu", "Selu", "LeakyRelu", "HardSigmoid",
        "HardSwish", "Sqrt", "Reciprocal", "Pow", "LogSoftmax", "LayerNormalization",
        "LSTM", "GRU", "ArgMax", "ArgMin", "PRelu",
    ]

    /// Lowers one node whose inputs include a model tensor.
    mutating func lower(_ node: Onnx_NodeProto, name: String, opset: Int64, isGraphOutput: (String) -> Bool) throws(InferenceError) {
        let op = node.opType
        switch op {
        case "Identity", "Dropout":
            try requireOnly(op == "Dropout" ? ["ratio", "seed", "training_mode"] : [], node, name)
            if op == "Dropout", node.output.count > 1, !node.output[1].isEmpty, readers[node.output[1], default: 0] > 0 {
                throw .unsupportedAttribute(op: op, node: name, detail: "the mask output is not supported (inference only)")
            }
            // In training mode (a constant true third input, opset ≥ 12) Dropout zeroes a random
            // part of its input and scales the rest; only a ratio of 0 leaves it the identity.
            if op == "Dropout", let mode = try constant(node, 2, name), mode.values.contains(where: { $0 != 0 }) {
                let ratio = try constant(node, 1, name)?.values.first ?? 0.5
                guard ratio == 0 else {
                    throw .unsupportedAttribute(op: op, node: name, detail: "training_mode true with ratio \(ratio) is not supported (inference only: training_mode false, or ratio 0)")
                }
            }
            try alias(node, try value(node, 0, name))
        case "Cast":
            let to = node.int("to", default: 1)
            guard to == 1 || to == 11 || to == 10 else {
                throw .unsupportedAttribute(op: op, node: name, detail: "a model tensor may only be cast to a float type, not type \(to)")
            }
            try alias(node, try value(node, 0, name))
        case "Gemm": try gemm(node, name)
        case "MatMul": try matMul(node, name)
        case "Conv": try conv(node, name)
        case "Add", "Sub", "Mul", "Div", "Max", "Min": try binary(node, name)
        case "PRelu": try prelu(node, name)
        case "Neg":
            let x = try tensor(node, 0, name)
            try output(node, try add(.binary(BinaryOperation(kind: .sub, constant: .init(value: 0, fractionBits: 0, first: true),
                                                             outputFractionBits: tensors[x].fractionBits,
                                                             lo: activationRange.lo, hi: activationRange.hi)), inputs: [x], name: name))
        case "Relu":
            try requireOnly([], node, name)
            try clamp(node, name, lo: 0, hi: activationRange.hi)
        case "Clip": try clip(node, name)
        case "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool": try pool(node, name)
        case "BatchNormalization": try batchNorm(node, name)
        case "Flatten", "Reshape", "Squeeze", "Unsqueeze": try reshape(node, name, opset: opset)
        case "Transpose":
            try requireOnly(["perm"], node, name)
            let x = try tensor(node, 0, name)
            let rank = tensors[x].shape.count
            try output(node, try add(.transpose(permutation: node.ints("perm") ?? Array((0..<rank).reversed())), inputs: [x], name: name))
        case "Concat": try concat(node, name)
        case "Split": try split(node, name, opset: opset)
        case "Slice":
            let x = try tensor(node, 0, name)
            let w = try ShapeRules.sliceWindow(tensors[x].shape, node: node, inputs: try constants(node, from: 1, name),
                                               opset: opset, name: name)
            try output(node, try add(.slice(starts: w.starts, counts: w.counts, steps: w.steps), inputs: [x], name: name))
        case "Pad": try pad(node, name, opset: opset)
        case "Gather": try gather(node, name)
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin": try reduce(node, name, opset: opset)
        case "ArgMax", "ArgMin": try argExtreme(node, name)
        case "Softmax", "LogSoftmax":
            try requireOnly(["axis"], node, name)
            let x = try value(node, 0, name)
            // A trailing Softmax is dropped: the output is the logits (argmax is unchanged).
            if op == "Softmax", let out = node.output.first, isGraphOutput(out), readers[out, default: 0] == 1 {
                try alias(node, x)
                return
            }
            try softmax(node, name, opset: opset)
        case "Sigmoid", "Tanh", "Erf", "Gelu", "Exp", "Log", "Softplus", "Elu", "Selu", "LeakyRelu", "HardSigmoid",
             "HardSwish", "Sqrt", "Reciprocal", "Pow":
            try element(node, name)
        case "LayerNormalization": try layerNorm(node, name)
        case "LSTM", "GRU": try recurrent(node, name)
        case "Shape":
            let x = try tensor(node, 0, name)
            let dims = try ConstantFolding.slicedShape(tensors[x].shape, node: node)
            values[node.output.first ?? name] = .constant(ONNXTensor(name: name, shape: [dims.count], values: dims.map(Double.init), type: .int64))
        default:
            throw .unsupportedOperator(op: op, node: name)
        }
    }

    // MARK: - Inputs and outputs of a node

    /// The value at input `i`.
    func value(_ node: Onnx_NodeProto, _ i: Int, _ name: String) throws(InferenceError) -> ImportedValue {
        guard i < node.input.count, !node.input[i].isEmpty else {
            throw .unsupportedGraph(node: name, detail: "\(node.opType) needs input \(i)")
        }
        guard let v = values[node.input[i]] else {
            throw .unsupportedGraph(node: name, detail: "input '\(node.input[i])' is not computed before this node")
        }
        return v
    }

    /// The model tensor at input `i` (a constant there is refused, naming the operator).
    func tensor(_ node: Onnx_NodeProto, _ i: Int, _ name: String) throws(InferenceError) -> Int {
        guard case .tensor(let id) = try value(node, i, name) else {
            throw .unsupportedGraph(node: name, detail: "\(node.opType) input \(i) must be computed from the model input, not a constant")
        }
        return id
    }

    /// The constant at input `i`, or nil when absent (empty name or missing).
    func constant(_ node: Onnx_NodeProto, _ i: Int, _ name: String) throws(InferenceError) -> ONNXTensor? {
        guard i < node.input.count, !node.input[i].isEmpty else { return nil }
        guard case .constant(let t) = try value(node, i, name) else {
            throw .unsupportedGraph(node: name, detail: "\(node.opType) input \(i) ('\(node.input[i])') must be a constant (an initializer or computed from constants)")
        }
        return t
    }

    /// The constants at inputs `from...` (nil where absent), as constant folding takes them.
    func constants(_ node: Onnx_NodeProto, from: Int, _ name: String) throws(InferenceError) -> [ONNXTensor?] {
        var out: [ONNXTensor?] = [nil]
        for i in from..<max(from, node.input.count) { out.append(try constant(node, i, name)) }
        return out
    }

    /// Binds the node's first output to `v`.
    mutating func alias(_ node: Onnx_NodeProto, _ v: ImportedValue) throws(InferenceError) {
        guard let out = node.output.first, !out.isEmpty else { throw .unsupportedGraph(node: node.name, detail: "no output") }
        values[out] = v
    }

    /// Binds the node's first output to a model tensor.
    mutating func output(_ node: Onnx_NodeProto, _ id: Int) throws(InferenceError) {
        try alias(node, .tensor(id))
    }

    /// Refuses attributes this importer does not read, so none is silently ignored.
    func requireOnly(_ allowed: Set<String>, _ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        if let extra = node.attributeNames.subtracting(allowed).sorted().first {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "attribute '\(extra)' is not supported (supported: \(allowed.sorted()))")
        }
    }

    /// Quantises a real value at the activation scale, or at `fractionBits` (for clamps, pads).
    func quantizeActivation(_ v: Double, _ node: Onnx_NodeProto, _ name: String, _ what: String,
                            fractionBits: Int? = nil) throws(InferenceError) -> Int64 {
        guard let q = IntegerSemantics.quantize(v, fractionBits: fractionBits ?? config.activationFractionBits) else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "\(what) \(v) is not a usable number")
        }
        return IntegerSemantics.clamp(q, config.activationMin, config.activationMax)
    }

    // MARK: - Linear layers

    /// Opens a linear layer reading tensor `x` and returns its output tensor.
    mutating func linear(_ x: Int, kind: LayerSpec.Kind, rows: Int, inner: Int, weights: [Double], bias: [Double],
                         shape: [Int], name: String) throws(InferenceError) -> Int {
        guard layers.count < InferenceLimits.layerCountMax else {
            throw .tooManyLayers(count: layers.count + 1, limit: InferenceLimits.layerCountMax)
        }
        guard weights.count == rows * inner, bias.count == rows else {
            throw .shapeMismatch(detail: "node '\(name)': weights \(weights.count) / bias \(bias.count) do not fit \(rows)×\(inner)")
        }
        layers.append(FloatLayer(kind: kind, rows: rows, inner: inner, weights: weights, bias: bias,
                                 lo: activationRange.lo, hi: activationRange.hi, acceptsBias: true, node: name))
        return try add(.linear(layer: layers.count - 1, shape: shape), inputs: [x], name: name)
    }

    /// A dense layer `y = x·Wᵀ + b` on the last axis of `x` (`[1, K]`, or `[1, …, T, K]` per token).
    mutating func dense(_ x: Int, weights w: [Double], rows n: Int, bias: [Double], name: String) throws(InferenceError) -> Int {
        let shape = tensors[x].shape
        guard let k = shape.last, w.count == n * k else {
            throw .shapeMismatch(detail: "node '\(name)': input \(shape) does not fit a weight of \(n) outputs")
        }
        let count = tensors[x].elements / k
        let kind: LayerSpec.Kind = count == 1 ? .dense : .tokens(count: count)
        return try linear(x, kind: kind, rows: n, inner: k, weights: w, bias: bias, shape: Array(shape.dropLast()) + [n], name: name)
    }

    /// Gemm: `Y = alpha · A · op(B) + beta · C` with `A` a model tensor `[1, K]` and `B` constant.
    mutating func gemm(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["alpha", "beta", "transA", "transB"], node, name)
        guard node.int("transA", default: 0) == 0 else {
            throw .unsupportedAttribute(op: "Gemm", node: name, detail: "transA=1 is not supported (the input is a row vector)")
        }
        let alpha = node.float("alpha", default: 1), beta = node.float("beta", default: 1)
        let transB = node.int("transB", default: 0) != 0
        let x = try tensor(node, 0, name)
        guard let b = try constant(node, 1, name) else { throw .unsupportedGraph(node: name, detail: "Gemm needs a weight B") }
        let shape = tensors[x].shape
        guard shape.count == 2, b.shape.count == 2 else {
            throw .shapeMismatch(detail: "Gemm '\(name)': needs input [1, K] and a 2-D weight, got \(shape) and \(b.shape)")
        }
        let (k, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == shape[1], n >= 1 else {
            throw .shapeMismatch(detail: "Gemm '\(name)': input has \(shape[1]) features, weight expects \(k)")
        }
        var w = [Double](repeating: 0, count: n * k)
        for o in 0..<n { for j in 0..<k { w[o * k + j] = alpha * (transB ? b.values[o * k + j] : b.values[j * n + o]) } }
        var bias = [Double](repeating: 0, count: n)
        if let c = try constant(node, 2, name) {
            guard c.count == 1 || (c.count == n && c.shape.last == n) else {
                throw .shapeMismatch(detail: "Gemm '\(name)': bias shape \(c.shape) does not broadcast to [1, \(n)]")
            }
            for o in 0..<n { bias[o] = beta * c.values[c.count == 1 ? 0 : o] }
        }
        try output(node, try dense(x, weights: w, rows: n, bias: bias, name: name))
    }

    /// MatMul: with a constant `B [K, N]` a dense layer (per token for rank ≥ 3); with two
    /// model tensors a product step.
    mutating func matMul(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly([], node, name)
        let a = try value(node, 0, name), b = try value(node, 1, name)
        switch (a, b) {
        case (.tensor(let x), .constant(let w)):
            guard w.shape.count == 2, w.shape[0] == tensors[x].shape.last else {
                throw .shapeMismatch(detail: "MatMul '\(name)': needs a weight [K, N] with K = \(tensors[x].shape.last ?? 0), got \(w.shape)")
            }
            let k = w.shape[0], n = w.shape[1]
            var t = [Double](repeating: 0, count: n * k)
            for o in 0..<n { for j in 0..<k { t[o * k + j] = w.values[j * n + o] } }
            try output(node, try dense(x, weights: t, rows: n, bias: [Double](repeating: 0, count: n), name: name))
        case (.tensor(let x), .tensor(let y)):
            let shift = tensors[x].fractionBits + tensors[y].fractionBits - config.activationFractionBits
            let act = try Activation(shift: shift, lo: activationRange.lo, hi: activationRange.hi)
            try output(node, try add(.matMul(activation: act), inputs: [x, y], name: name))
        default:
            throw .unsupportedGraph(node: name, detail: "MatMul of a constant by a model tensor (W·x) is not supported; x·W and products of two model tensors are")
        }
    }

    /// ONNX spatial padding for one axis from `auto_pad`.
    static func autoPad(_ mode: String, input n: Int, kernel k: Int, stride s: Int, dilation d: Int) -> (Int, Int)? {
        switch mode {
        case "VALID": return (0, 0)
        case "SAME_UPPER", "SAME_LOWER":
            let out = (n + s - 1) / s
            let total = max(0, (out - 1) * s + (k - 1) * d + 1 - n)
            return mode == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
        default: return nil
        }
    }

    /// Spatial geometry of Conv and pooling on `[1, C, L]` or `[1, C, H, W]`: kernel, strides,
    /// pads `[top, left, bottom, right]`, dilations, all as 2-D (a 1-D axis is the width).
    func spatial(_ node: Onnx_NodeProto, _ name: String, shape: [Int], kernel: [Int]) throws(InferenceError)
        -> (h: Int, w: Int, kernel: [Int], strides: [Int], pads: [Int], dilations: [Int]) {
        let op = node.opType
        let dims = shape.count - 2
        guard dims == 1 || dims == 2, shape.count >= 3, kernel.count == dims else {
            throw .shapeMismatch(detail: "\(op) '\(name)': supports 1-D and 2-D inputs [1, C, L] / [1, C, H, W] with a kernel of as many axes, got \(shape) and kernel \(kernel)")
        }
        let strides = node.ints("strides") ?? [Int](repeating: 1, count: dims)
        let dilations = node.ints("dilations") ?? [Int](repeating: 1, count: dims)
        guard strides.count == dims, dilations.count == dims, (strides + dilations + kernel).allSatisfy({ $0 >= 1 }) else {
            throw .unsupportedAttribute(op: op, node: name, detail: "strides \(strides) and dilations \(dilations) must have \(dims) positive values")
        }
        let spatialIn = Array(shape[2...])
        var begins = [Int](repeating: 0, count: dims), ends = begins
        let mode = node.string("auto_pad", default: "NOTSET")
        if mode == "NOTSET" {
            let pads = node.ints("pads") ?? [Int](repeating: 0, count: 2 * dims)
            guard pads.count == 2 * dims, pads.allSatisfy({ $0 >= 0 }) else {
                throw .unsupportedAttribute(op: op, node: name, detail: "pads \(pads) must have \(2 * dims) non-negative values")
            }
            begins = Array(pads[..<dims])
            ends = Array(pads[dims...])
        } else {
            for i in 0..<dims {
                guard let (b, e) = Self.autoPad(mode, input: spatialIn[i], kernel: kernel[i], stride: strides[i], dilation: dilations[i]) else {
                    throw .unsupportedAttribute(op: op, node: name, detail: "auto_pad '\(mode)' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER")
                }
                begins[i] = b
                ends[i] = e
            }
        }
        if dims == 1 {
            return (1, spatialIn[0], [1, kernel[0]], [1, strides[0]], [0, begins[0], 0, ends[0]], [1, dilations[0]])
        }
        return (spatialIn[0], spatialIn[1], kernel, strides, [begins[0], begins[1], ends[0], ends[1]], dilations)
    }

    /// Conv: 1-D or 2-D, any stride, padding (explicit or `auto_pad`), dilation; `group > 1`
    /// (depthwise included) becomes a block-diagonal kernel.
    mutating func conv(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"], node, name)
        let x = try tensor(node, 0, name)
        guard let w = try constant(node, 1, name) else { throw .unsupportedGraph(node: name, detail: "Conv needs a constant kernel") }
        let shape = tensors[x].shape
        guard shape.count == w.shape.count, shape.count >= 3 else {
            throw .shapeMismatch(detail: "Conv '\(name)': input \(shape) and kernel \(w.shape) must both be [1, C, L] / [1, C, H, W] and [M, C/group, …]")
        }
        let group = Int(node.int("group", default: 1))
        let c = shape[1], m = w.shape[0]
        guard group >= 1, c % group == 0, m % group == 0, w.shape[1] * group == c else {
            throw .unsupportedAttribute(op: "Conv", node: name, detail: "group \(group) does not fit \(c) input and \(m) output channels with kernel \(w.shape)")
        }
        let kernel = Array(w.shape[2...])
        if let ks = node.ints("kernel_shape"), ks != kernel {
            throw .shapeMismatch(detail: "Conv '\(name)': kernel_shape \(ks) differs from the weight's \(kernel)")
        }
        let s = try spatial(node, name, shape: shape, kernel: kernel)
        let g = try ConvolutionGeometry(inputChannels: c, inputHeight: s.h, inputWidth: s.w,
                                        kernelHeight: s.kernel[0], kernelWidth: s.kernel[1],
                                        strideHeight: s.strides[0], strideWidth: s.strides[1],
                                        padTop: s.pads[0], padLeft: s.pads[1], padBottom: s.pads[2], padRight: s.pads[3],
                                        dilationHeight: s.dilations[0], dilationWidth: s.dilations[1])
        // Block-diagonal expansion: output channel o of group o/(M/group) reads only its group's inputs.
        let taps = s.kernel[0] * s.kernel[1], perGroupIn = c / group, perGroupOut = m / group
        var weights = w.values
        if group > 1 {
            guard m * c * taps <= InferenceLimits.tensorElementsMax else {
                throw .tensorTooLarge(name: "\(name) (grouped kernel expanded)", elements: m * c * taps, limit: InferenceLimits.tensorElementsMax)
            }
            weights = [Double](repeating: 0, count: m * c * taps)
            for o in 0..<m {
                let base = (o / perGroupOut) * perGroupIn
                for ci in 0..<perGroupIn {
                    for t in 0..<taps { weights[(o * c + base + ci) * taps + t] = w.values[(o * perGroupIn + ci) * taps + t] }
                }
            }
        }
        var bias = [Double](repeating: 0, count: m)
        if let b = try constant(node, 2, name) {
            guard b.count == m else { throw .shapeMismatch(detail: "Conv '\(name)': bias shape \(b.shape), expected [\(m)]") }
            bias = b.values
        }
        let out = shape.count == 4 ? [1, m, g.outputHeight, g.outputWidth] : [1, m, g.outputWidth]
        try output(node, try linear(x, kind: .convolution(g), rows: m, inner: g.inner, weights: weights, bias: bias, shape: out, name: name))
    }

    /// A per-channel affine step `y[c] = scale[c]·x[c] + shift[c]` on channel axis 1 of
    /// `[1, C, …]` (or the last axis of `[1, …, d]` when `lastAxis`), as an element-wise layer,
    /// so that its parameters are committed like any other.
    mutating func channelAffine(_ x: Int, scale: [Double], shift: [Double], lastAxis: Bool, name: String) throws(InferenceError) -> Int {
        let shape = tensors[x].shape
        let channels = scale.count
        var parameterShape = [Int](repeating: 1, count: shape.count)
        if lastAxis || shape.count == 2 {
            guard shape.last == channels else { throw .shapeMismatch(detail: "node '\(name)': \(channels) parameters for \(shape)") }
            parameterShape[shape.count - 1] = channels
        } else {
            guard shape.count >= 3, shape[1] == channels else { throw .shapeMismatch(detail: "node '\(name)': \(channels) channels for \(shape)") }
            parameterShape[1] = channels
        }
        return try affine(x, parameterShape: parameterShape, scale: scale, shift: shift, name: name)
    }

    /// An element-wise affine layer `y = scale ⊙ x + shift` with parameters of `parameterShape`
    /// (same rank as `x`, each dimension 1 or `x`'s), row-major.
    mutating func affine(_ x: Int, parameterShape: [Int], scale: [Double], shift: [Double], name: String) throws(InferenceError) -> Int {
        let g = try ElementwiseGeometry(shape: tensors[x].shape, parameterShape: parameterShape)
        return try linear(x, kind: .elementwise(g), rows: g.channels, inner: 1, weights: scale, bias: shift,
                          shape: tensors[x].shape, name: name)
    }

    /// BatchNormalization (inference): folded into the linear layer before it when that
    /// layer's output is read only here, else a per-channel affine step.
    mutating func batchNorm(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["epsilon", "momentum", "training_mode", "spatial"], node, name)
        guard node.int("training_mode", default: 0) == 0 else {
            throw .unsupportedAttribute(op: "BatchNormalization", node: name, detail: "training_mode=1 is not supported (inference only)")
        }
        let x = try tensor(node, 0, name)
        let eps = node.float("epsilon", default: 1e-5)
        var parts: [ONNXTensor] = []
        for i in 1...4 {
            guard let t = try constant(node, i, name) else { throw .unsupportedGraph(node: name, detail: "BatchNormalization needs constant scale, B, mean and var") }
            parts.append(t)
        }
        let channels = tensors[x].shape.count >= 2 ? tensors[x].shape[1] : 0
        guard parts.allSatisfy({ $0.count == channels }) else {
            throw .shapeMismatch(detail: "BatchNormalization '\(name)': parameters must have \(channels) values")
        }
        let scale = (0..<channels).map { parts[0].values[$0] / (parts[3].values[$0] + eps).squareRoot() }
        let shift = (0..<channels).map { parts[1].values[$0] - parts[2].values[$0] * scale[$0] }
        if let k = foldableLinear(x, name: node.input[0]), layers[k].acceptsBias, layers[k].rows == channels,
           !{ if case .tokens = layers[k].kind { return true } else { return false } }() {
            for o in 0..<channels {
                for j in 0..<layers[k].inner { layers[k].weights[o * layers[k].inner + j] *= scale[o] }
                layers[k].bias[o] = layers[k].bias[o] * scale[o] + shift[o]
            }
            try output(node, x)
            return
        }
        try output(node, try channelAffine(x, scale: scale, shift: shift, lastAxis: false, name: name))
    }

    // MARK: - Element-wise

    /// Relu/Clip: narrows a foldable linear layer's clamp, else a clamp step.
    mutating func clamp(_ node: Onnx_NodeProto, _ name: String, lo: Int64, hi: Int64) throws(InferenceError) {
        let x = try tensor(node, 0, name)
        guard lo <= 0, hi >= 0 else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "the range must contain 0")
        }
        if foldableLinear(x, name: node.input[0]) != nil {
            narrowLinear(x, lo: lo, hi: hi)
            try output(node, x)
            return
        }
        try output(node, try add(.rescale(shift: 0, lo: max(lo, activationRange.lo), hi: min(hi, activationRange.hi)), inputs: [x], name: name))
    }

    /// Clip with bounds from constant inputs (opset ≥ 11) or attributes (older opsets).
    mutating func clip(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["min", "max"], node, name)
        var bounds: [Double?] = [node.attribute("min").map { Double($0.f) }, node.attribute("max").map { Double($0.f) }]
        for i in 0..<2 {
            if let t = try constant(node, i + 1, name) {
                guard t.count == 1 else { throw .shapeMismatch(detail: "Clip '\(name)': bounds must be scalars") }
                bounds[i] = t.values[0]
            }
        }
        // The bounds are at the scale of the tensor they clamp.
        let f = tensors[try tensor(node, 0, name)].fractionBits
        let lo = try bounds[0].map { v throws(InferenceError) in try quantizeActivation(v, node, name, "min", fractionBits: f) } ?? activationRange.lo
        let hi = try bounds[1].map { v throws(InferenceError) in try quantizeActivation(v, node, name, "max", fractionBits: f) } ?? activationRange.hi
        guard lo <= 0, hi >= 0 else {
            throw .unsupportedAttribute(op: "Clip", node: name, detail: "the range [\(bounds[0] ?? -.infinity), \(bounds[1] ?? .infinity)] must contain 0")
        }
        try clamp(node, name, lo: lo, hi: hi)
    }

    /// Add, Sub, Mul, Div, Max, Min: of two model tensors (broadcasting), of a tensor and a
    /// scalar constant, or of a tensor and a constant tensor (a bias folded
    /// into the linear layer before, or an element-wise layer).
    mutating func binary(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly([], node, name)
        guard node.input.count == 2 else { throw .unsupportedGraph(node: name, detail: "\(node.opType) takes two inputs") }
        let kind: BinaryOperation.Kind
        switch node.opType {
        case "Add": kind = .add
        case "Sub": kind = .sub
        case "Mul": kind = .mul
        case "Div": kind = .div
        case "Max": kind = .max
        default: kind = .min
        }
        let a = try value(node, 0, name), b = try value(node, 1, name)
        let fo = config.activationFractionBits
        let (lo, hi) = activationRange
        switch (a, b) {
        case (.tensor(let x), .tensor(let y)):
            try output(node, try add(.binary(BinaryOperation(kind: kind, constant: nil, outputFractionBits: fo, lo: lo, hi: hi)),
                                     inputs: [x, y], name: name))
        case (.tensor(let x), .constant(let c)) where kind == .mul && c.values == [1] && c.shape.isEmpty && isTreeOutput(x),
             (.constant(let c), .tensor(let x)) where kind == .mul && c.values == [1] && c.shape.isEmpty && isTreeOutput(x):
            // A tree ensemble's scores times the scalar 1 (onnxmltools writes it after
            // LightGBM's probabilities): the scores themselves, at their own scale.
            try alias(node, .tensor(x))
        case (.tensor(let x), .constant(let c)), (.constant(let c), .tensor(let x)):
            let constantFirst: Bool = { if case .constant = a { return true } else { return false } }()
            try constantOperand(node, name, kind: kind, x: x, c: c, constantFirst: constantFirst)
        default:
            throw .unsupportedGraph(node: name, detail: "internal: constant operands are folded")
        }
    }

    /// Whether tensor `x` is the output of a tree-ensemble step.
    func isTreeOutput(_ x: Int) -> Bool {
        guard x >= 1, x - 1 < nodes.count, case .treeEnsemble = nodes[x - 1].op else { return false }
        return true
    }

    /// PRelu: `x` where `x ≥ 0`, `slope · x` below, for a constant `slope` that broadcasts onto
    /// `x` (one value, one per channel, or any shape that does not grow `x`). Three steps: the
    /// positive part and the negative part (clamps), the negative part times the slope as an
    /// element-wise layer (so the slopes are committed like every parameter), and their sum.
    mutating func prelu(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly([], node, name)
        guard node.input.count == 2 else { throw .unsupportedGraph(node: name, detail: "PRelu takes two inputs, X and slope") }
        let x = try tensor(node, 0, name)
        guard let slope = try constant(node, 1, name) else {
            throw .unsupportedGraph(node: name, detail: "PRelu needs a constant slope (an initializer)")
        }
        let shape = tensors[x].shape
        guard slope.shape.count <= shape.count, let out = TensorSemantics.broadcastShape(shape, slope.shape), out == shape else {
            throw .shapeMismatch(detail: "PRelu '\(name)': slope of shape \(slope.shape) does not broadcast onto \(shape) without growing it")
        }
        let (lo, hi) = activationRange
        let positive = try add(.rescale(shift: 0, lo: 0, hi: hi), inputs: [x], name: "\(name) (x ≥ 0)")
        let negative = try add(.rescale(shift: 0, lo: lo, hi: 0), inputs: [x], name: "\(name) (x < 0)")
        let padded = [Int](repeating: 1, count: shape.count - slope.shape.count) + slope.shape
        let scaled = try affine(negative, parameterShape: padded, scale: slope.values,
                                shift: [Double](repeating: 0, count: slope.count), name: "\(name) slope")
        let sum = BinaryOperation(kind: .add, constant: nil, outputFractionBits: tensors[x].fractionBits, lo: lo, hi: hi)
        try output(node, try add(.binary(sum), inputs: [positive, scaled], name: name))
    }

    /// `x ∘ c` for a constant `c`.
    mutating func constantOperand(_ node: Onnx_NodeProto, _ name: String, kind: BinaryOperation.Kind, x: Int,
                                  c: ONNXTensor, constantFirst: Bool) throws(InferenceError) {
        let shape = tensors[x].shape
        let (lo, hi) = activationRange
        guard let outShape = TensorSemantics.broadcastShape(shape, c.shape), outShape == shape else {
            throw .shapeMismatch(detail: "\(node.opType) '\(name)': constant of shape \(c.shape) does not broadcast onto \(shape) without growing it")
        }
        // The intercept of a one-output dense layer (a scikit-learn regressor's last layer) is its bias.
        if c.count == 1, kind == .add || (kind == .sub && !constantFirst),
           let k = foldableLinear(x, name: node.input[constantFirst ? 1 : 0]), layers[k].acceptsBias, layers[k].rows == 1,
           { if case .dense = layers[k].kind { return true } else { return false } }() {
            layers[k].bias[0] += kind == .add ? c.values[0] : -c.values[0]
            try output(node, x)
            return
        }
        if c.count == 1 {
            let v = c.values[0]
            // A public scalar: as many fraction bits as keep it exact to 2^-16 and small.
            let f = 16
            guard let q = IntegerSemantics.quantize(v, fractionBits: f), q.magnitude < (1 << 40) else {
                throw .unsupportedAttribute(op: node.opType, node: name, detail: "constant \(v) is out of range")
            }
            if kind == .div, !constantFirst, v == 0 {
                throw .unsupportedAttribute(op: node.opType, node: name, detail: "division by the constant 0")
            }
            let op = BinaryOperation(kind: kind, constant: .init(value: q, fractionBits: f, first: constantFirst),
                                     outputFractionBits: config.activationFractionBits, lo: lo, hi: hi)
            try output(node, try add(.binary(op), inputs: [x], name: name))
            return
        }
        // Any other constant that broadcasts onto x: an element-wise affine layer (committed),
        // with one parameter per constant element.
        let padded = [Int](repeating: 1, count: shape.count - c.shape.count) + c.shape
        guard [.add, .sub, .mul, .div].contains(kind) else {
            throw .unsupportedGraph(node: name, detail: "\(node.opType) with a constant of shape \(c.shape) on \(shape): supported are scalars, and constant tensors with Add, Sub, Mul, Div")
        }
        let n = c.count
        var scale = [Double](repeating: 1, count: n), shift = [Double](repeating: 0, count: n)
        switch (kind, constantFirst) {
        case (.add, _): shift = c.values
        case (.sub, false): shift = c.values.map { -$0 }
        case (.sub, true): scale = [Double](repeating: -1, count: n); shift = c.values
        case (.mul, _): scale = c.values
        case (.div, false):
            guard c.values.allSatisfy({ $0 != 0 }) else { throw .unsupportedAttribute(op: "Div", node: name, detail: "division by a constant 0") }
            scale = c.values.map { 1 / $0 }
        default:
            throw .unsupportedGraph(node: name, detail: "a constant tensor divided by a model tensor is not supported; x / c is")
        }
        // A per-channel (axis 1 of [1, C, …]) or per-feature (last axis) bias right after a
        // linear layer is folded into it.
        let nonUnit = padded.indices.filter { padded[$0] != 1 }
        if nonUnit.count == 1, let axis = nonUnit.first, axis == 1 || axis == shape.count - 1 {
            let lastAxis = axis == shape.count - 1 && !(axis == 1 && shape.count > 2)
            if kind == .add || (kind == .sub && !constantFirst), let k = foldableLinear(x, name: node.input[constantFirst ? 1 : 0]),
               layers[k].acceptsBias, layers[k].rows == n,
               lastAxis == { if case .convolution = layers[k].kind { return false } else { return true } }() {
                for o in 0..<n { layers[k].bias[o] += shift[o] }
                try output(node, x)
                return
            }
        }
        try output(node, try affine(x, parameterShape: padded, scale: scale, shift: shift, name: name))
    }

    // MARK: - Pooling, reductions

    /// MaxPool, AveragePool (1-D, 2-D; padding, ceil mode, dilation, count_include_pad) and
    /// the global pools.
    mutating func pool(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        let op = node.opType
        let x = try tensor(node, 0, name)
        let shape = tensors[x].shape
        guard node.output.count == 1 || node.output.dropFirst().allSatisfy({ $0.isEmpty || readers[$0, default: 0] == 0 }) else {
            throw .unsupportedAttribute(op: op, node: name, detail: "the Indices output is not supported")
        }
        let global = op.hasPrefix("Global")
        if global {
            try requireOnly([], node, name)
        } else {
            try requireOnly(["kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "dilations", "storage_order", "count_include_pad"], node, name)
        }
        guard shape.count == 3 || shape.count == 4 else {
            throw .shapeMismatch(detail: "\(op) '\(name)': needs [1, C, L] or [1, C, H, W], got \(shape)")
        }
        let kernel = global ? Array(shape[2...]) : (node.ints("kernel_shape") ?? [])
        let s = try spatial(node, name, shape: shape, kernel: kernel)
        let spec = PoolSpec(isMax: op.hasSuffix("MaxPool"), kernel: s.kernel, strides: s.strides, pads: s.pads, dilations: s.dilations,
                            ceilMode: node.int("ceil_mode", default: 0) != 0, countIncludePad: node.int("count_include_pad", default: 0) != 0)
        try output(node, try add(.pool(spec), inputs: [x], name: name))
    }

    /// ReduceMean / ReduceSum / ReduceMax / ReduceMin over constant axes.
    mutating func reduce(_ node: Onnx_NodeProto, _ name: String, opset: Int64) throws(InferenceError) {
        try requireOnly(["axes", "keepdims", "noop_with_empty_axes"], node, name)
        let x = try tensor(node, 0, name)
        let rank = tensors[x].shape.count
        var axes = node.ints("axes")
        if axes == nil, let t = try constant(node, 1, name) { axes = t.values.map { Int($0) } }
        if axes?.isEmpty ?? true {
            if node.int("noop_with_empty_axes", default: 0) != 0 { try output(node, x); return }
            axes = Array(0..<rank)
        }
        let normal = (axes ?? []).map { $0 < 0 ? $0 + rank : $0 }.sorted()
        let kind: ReduceSpec.Kind = switch node.opType {
        case "ReduceSum": .sum
        case "ReduceMax": .max
        case "ReduceMin": .min
        default: .mean
        }
        let r = ReduceSpec(kind: kind, axes: normal, keepDimensions: node.int("keepdims", default: 1) != 0,
                           lo: activationRange.lo, hi: activationRange.hi)
        try output(node, try add(.reduce(r), inputs: [x], name: name))
    }

    /// ArgMax, ArgMin: the index along `axis` (first or, with `select_last_index`, last),
    /// an integer tensor the verifier recomputes from the proven one it reads.
    mutating func argExtreme(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["axis", "keepdims", "select_last_index"], node, name)
        let x = try tensor(node, 0, name)
        let shape = tensors[x].shape
        let axis = Int(node.int("axis", default: 0))
        guard (-shape.count..<shape.count).contains(axis) else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "axis \(axis) outside the rank \(shape.count) of \(shape)")
        }
        let a = axis < 0 ? axis + shape.count : axis
        let last = node.int("select_last_index", default: 0) != 0
        let kind: ReduceSpec.Kind = node.opType == "ArgMax" ? (last ? .argMaxLast : .argMax) : (last ? .argMinLast : .argMin)
        let r = ReduceSpec(kind: kind, axes: [a], keepDimensions: node.int("keepdims", default: 1) != 0,
                           lo: 0, hi: Int64(shape[a] - 1))
        try output(node, try add(.reduce(r), inputs: [x], name: name))
    }

    // MARK: - Data movement

    /// Flatten, Reshape, Squeeze, Unsqueeze: the same values under another shape.
    mutating func reshape(_ node: Onnx_NodeProto, _ name: String, opset: Int64) throws(InferenceError) {
        let x = try tensor(node, 0, name)
        let shape = tensors[x].shape
        let target: [Int]
        switch node.opType {
        case "Flatten":
            try requireOnly(["axis"], node, name)
            target = try ShapeRules.flatten(shape, axis: Int(node.int("axis", default: 1)), node: name)
        case "Reshape":
            try requireOnly(["allowzero"], node, name)
            guard let t = try constant(node, 1, name) else { throw .unsupportedGraph(node: name, detail: "Reshape needs a constant shape") }
            target = try ShapeRules.reshape(shape, target: t.values.map { Int($0) }, allowZero: node.int("allowzero", default: 0) != 0, node: name)
        case "Squeeze":
            try requireOnly(["axes"], node, name)
            target = try ShapeRules.squeeze(shape, axes: try ConstantFolding.axes(node, try constants(node, from: 1, name), opset: opset, since: 13), node: name)
        default:
            try requireOnly(["axes"], node, name)
            target = try ShapeRules.unsqueeze(shape, axes: try ConstantFolding.axes(node, try constants(node, from: 1, name), opset: opset, since: 13), node: name)
        }
        try output(node, try add(.reshape(shape: target), inputs: [x], name: name))
    }

    /// Concat of model tensors (constants among them become part of the model only through
    /// a linear layer, so they are refused here).
    mutating func concat(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["axis"], node, name)
        var ids: [Int] = []
        for i in node.input.indices where !node.input[i].isEmpty { ids.append(try tensor(node, i, name)) }
        guard let first = ids.first else { throw .unsupportedGraph(node: name, detail: "Concat needs inputs") }
        var axis = Int(node.int("axis", default: 0))
        if axis < 0 { axis += tensors[first].shape.count }
        // Inputs at different scales (calibrated branches) join at the coarsest of them.
        if let coarsest = ids.map({ tensors[$0].fractionBits }).min() {
            for (i, id) in ids.enumerated() where tensors[id].fractionBits > coarsest {
                ids[i] = try add(.rescale(shift: tensors[id].fractionBits - coarsest, lo: activationRange.lo, hi: activationRange.hi),
                                 inputs: [id], name: "\(name) (to 2^-\(coarsest))")
            }
        }
        try output(node, try add(.concat(axis: axis), inputs: ids, name: name))
    }

    /// Split into slices along an axis (sizes from the attribute, the input, `num_outputs`, or equal).
    mutating func split(_ node: Onnx_NodeProto, _ name: String, opset: Int64) throws(InferenceError) {
        try requireOnly(["axis", "split", "num_outputs"], node, name)
        let x = try tensor(node, 0, name)
        let shape = tensors[x].shape
        var axis = Int(node.int("axis", default: 0))
        if axis < 0 { axis += shape.count }
        guard (0..<shape.count).contains(axis) else { throw .unsupportedAttribute(op: "Split", node: name, detail: "axis out of range") }
        var sizes = node.ints("split")
        if sizes == nil, let t = try constant(node, 1, name) { sizes = t.values.map { Int($0) } }
        let parts = node.output.count
        if sizes == nil {
            let n = shape[axis], each = (n + parts - 1) / parts
            sizes = (0..<parts).map { min(each, max(0, n - $0 * each)) }
        }
        guard let sizes, sizes.count == parts, sizes.allSatisfy({ $0 >= 1 }), sizes.reduce(0, +) == shape[axis] else {
            throw .unsupportedAttribute(op: "Split", node: name, detail: "split sizes do not add up to \(shape[axis]) over \(parts) outputs")
        }
        var start = 0
        for (i, size) in sizes.enumerated() {
            var starts = [Int](repeating: 0, count: shape.count), counts = shape
            starts[axis] = start
            counts[axis] = size
            let id = try add(.slice(starts: starts, counts: counts, steps: [Int](repeating: 1, count: shape.count)), inputs: [x], name: "\(name)[\(i)]")
            if !node.output[i].isEmpty { values[node.output[i]] = .tensor(id) }
            start += size
        }
    }

    /// Pad (constant mode).
    mutating func pad(_ node: Onnx_NodeProto, _ name: String, opset: Int64) throws(InferenceError) {
        try requireOnly(["mode", "pads", "value"], node, name)
        guard node.string("mode", default: "constant") == "constant" else {
            throw .unsupportedAttribute(op: "Pad", node: name, detail: "only mode 'constant' is supported")
        }
        let x = try tensor(node, 0, name)
        let rank = tensors[x].shape.count
        var pads = node.ints("pads")
        if pads == nil, let t = try constant(node, 1, name) { pads = t.values.map { Int($0) } }
        var value = node.float("value", default: 0)
        if let t = try constant(node, 2, name), let v = t.values.first { value = v }
        var begins = [Int](repeating: 0, count: rank), ends = begins
        if let axesTensor = try constant(node, 3, name) {
            let axes = axesTensor.values.map { Int($0) < 0 ? Int($0) + rank : Int($0) }
            guard let pads, pads.count == 2 * axes.count, axes.allSatisfy({ (0..<rank).contains($0) }) else {
                throw .unsupportedAttribute(op: "Pad", node: name, detail: "pads do not fit the axes")
            }
            for (i, a) in axes.enumerated() { begins[a] = pads[i]; ends[a] = pads[axes.count + i] }
        } else {
            guard let pads, pads.count == 2 * rank else { throw .unsupportedAttribute(op: "Pad", node: name, detail: "pads must have \(2 * rank) values") }
            begins = Array(pads[..<rank])
            ends = Array(pads[rank...])
        }
        guard (begins + ends).allSatisfy({ $0 >= 0 }) else {
            throw .unsupportedAttribute(op: "Pad", node: name, detail: "negative pads (cropping) are not supported")
        }
        let q = try quantizeActivation(value, node, name, "value", fractionBits: tensors[x].fractionBits)
        try output(node, try add(.pad(begins: begins, ends: ends, value: q), inputs: [x], name: name))
    }

    /// Gather of a model tensor at constant indices.
    mutating func gather(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["axis"], node, name)
        if case .constant(let table) = try value(node, 0, name) {
            try embedding(node, name, table: table)
            return
        }
        guard case .tensor(let x) = try value(node, 0, name) else {
            throw .unsupportedGraph(node: name, detail: "internal: constant operands are folded")
        }
        guard let idx = try constant(node, 1, name) else { throw .unsupportedGraph(node: name, detail: "Gather needs indices") }
        let shape = tensors[x].shape
        var axis = Int(node.int("axis", default: 0))
        if axis < 0 { axis += shape.count }
        guard (0..<shape.count).contains(axis) else { throw .unsupportedAttribute(op: "Gather", node: name, detail: "axis out of range") }
        let indices = idx.values.map { v -> Int in let i = Int(v); return i < 0 ? i + shape[axis] : i }
        try output(node, try add(.gather(axis: axis, indices: indices, indexShape: idx.shape.isEmpty ? [] : idx.shape), inputs: [x], name: name))
    }

    /// Gather of rows of a constant table `[V, …]` (axis 0) by the integer model input: an
    /// embedding layer over the ids' one-hot columns, whose table is committed. The ids must be
    /// the model input itself; its admissible range becomes `0…V−1`.
    mutating func embedding(_ node: Onnx_NodeProto, _ name: String, table: ONNXTensor) throws(InferenceError) {
        let ids = try tensor(node, 1, name)
        var axis = Int(node.int("axis", default: 0))
        if axis < 0 { axis += table.shape.count }
        guard axis == 0, table.shape.count >= 1 else {
            throw .unsupportedAttribute(op: "Gather", node: name, detail: "an embedding lookup gathers rows (axis 0) of its table, got axis \(axis)")
        }
        guard ids == 0, integerInput else {
            throw .unsupportedGraph(node: name, detail: "Gather of a constant table needs its indices to be the model's integer (int64 or int32) input")
        }
        let vocabulary = table.shape[0], rows = table.shape.dropFirst().reduce(1, *)
        let count = tensors[ids].elements
        var w = [Double](repeating: 0, count: rows * vocabulary)
        for v in 0..<vocabulary { for d in 0..<rows { w[d * vocabulary + v] = table.values[v * rows + d] } }
        let input = tensors[0]
        tensors[0] = try TensorInfo(shape: input.shape, fractionBits: 0, lo: 0, hi: min(input.hi, Int64(vocabulary - 1)), name: "input")
        let shape = input.shape + Array(table.shape.dropFirst())
        try output(node, try linear(ids, kind: .oneHot(vocabulary: vocabulary, count: count, fractionBits: config.activationFractionBits),
                                    rows: rows, inner: vocabulary, weights: w, bias: [Double](repeating: 0, count: rows),
                                    shape: shape, name: name))
    }

    // MARK: - Non-linear functions

    /// An ONNX float attribute as the integer `ElementFunction` attributes take.
    func attribute(_ node: Onnx_NodeProto, _ name: String, _ key: String, default value: Float) throws(InferenceError) -> Int64 {
        let v = node.attribute(key).map(\.f) ?? value
        guard let q = ElementFunction.quantizeAttribute(v) else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "\(key) = \(v) must be finite and below 128 in magnitude")
        }
        return q
    }

    /// Sigmoid, Tanh, Erf, Gelu, Exp, Log, Softplus, Elu, Selu, LeakyRelu, HardSigmoid,
    /// HardSwish, Sqrt, Reciprocal, and Pow by the constant 2 or 0.5: an element step at the
    /// activation scale, clamped to the activation range.
    mutating func element(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        let op = node.opType
        let function: ElementFunction
        switch op {
        case "Sigmoid": function = .sigmoid
        case "Tanh": function = .tanh
        case "Erf": function = .erf
        case "Gelu":
            try requireOnly(["approximate"], node, name)
            switch node.string("approximate", default: "none") {
            case "none": function = .gelu
            case "tanh": function = .geluTanh
            case let other: throw .unsupportedAttribute(op: op, node: name, detail: "approximate '\(other)' is not 'none' or 'tanh'")
            }
        case "Exp": function = .exp
        case "Log": function = .log
        case "Softplus": function = .softplus
        case "Elu":
            try requireOnly(["alpha"], node, name)
            function = .elu(alpha: try attribute(node, name, "alpha", default: 1))
        case "Selu":
            try requireOnly(["alpha", "gamma"], node, name)
            function = .selu(alpha: try attribute(node, name, "alpha", default: 1.67326319217681884765625),
                             gamma: try attribute(node, name, "gamma", default: 1.05070102214813232421875))
        case "LeakyRelu":
            try requireOnly(["alpha"], node, name)
            function = .leakyRelu(alpha: try attribute(node, name, "alpha", default: 0.01))
        case "HardSigmoid":
            try requireOnly(["alpha", "beta"], node, name)
            function = .hardSigmoid(alpha: try attribute(node, name, "alpha", default: 0.2), beta: try attribute(node, name, "beta", default: 0.5))
        case "HardSwish": function = .hardSwish
        case "Sqrt": function = .sqrt
        case "Reciprocal": function = .reciprocal
        default:
            guard let e = try constant(node, 1, name), e.count == 1 else {
                throw .unsupportedGraph(node: name, detail: "Pow is supported with a constant scalar exponent 2, 1 or 0.5")
            }
            switch e.values[0] {
            case 2: function = .square
            case 0.5: function = .sqrt
            case 1: try alias(node, try value(node, 0, name)); return
            case let v: throw .unsupportedAttribute(op: op, node: name, detail: "exponent \(v): supported are 2, 1 and 0.5")
            }
        }
        if !["Gelu", "Elu", "Selu", "LeakyRelu", "HardSigmoid"].contains(op) { try requireOnly([], node, name) }
        let x = try tensor(node, 0, name)
        let f = tensors[x].fractionBits
        let e = try ElementOperator(function, inputFractionBits: f, outputFractionBits: config.activationFractionBits,
                                    lo: activationRange.lo, hi: activationRange.hi)
        try output(node, try add(.element(e), inputs: [x], name: name))
    }

    /// Softmax / LogSoftmax over one axis (opset ≥ 13; older opsets only over the last axis,
    /// where their flattening rule means the same).
    mutating func softmax(_ node: Onnx_NodeProto, _ name: String, opset: Int64) throws(InferenceError) {
        let x = try tensor(node, 0, name)
        let rank = tensors[x].shape.count
        var axis = Int(node.int("axis", default: opset >= 13 ? -1 : 1))
        if axis < 0 { axis += rank }
        guard (0..<rank).contains(axis), opset >= 13 || axis == rank - 1 else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "axis \(axis) of rank \(rank) (before opset 13 only the last axis)")
        }
        let fo = config.activationFractionBits
        let log = node.opType == "LogSoftmax"
        let (lo, hi) = log ? activationRange : (0, Int64(1) << Int64(fo))
        try output(node, try add(.softmax(axis: axis, log: log, outputFractionBits: fo, lo: lo, hi: min(hi, activationRange.hi)),
                                 inputs: [x], name: name))
    }

    /// LayerNormalization over the last axis: the normalisation step, then the scale and
    /// bias as a per-feature affine layer (committed).
    mutating func layerNorm(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["axis", "epsilon", "stash_type"], node, name)
        guard node.output.dropFirst().allSatisfy({ $0.isEmpty || readers[$0, default: 0] == 0 }) else {
            throw .unsupportedAttribute(op: "LayerNormalization", node: name, detail: "the Mean and InvStdDev outputs are not supported")
        }
        let x = try tensor(node, 0, name)
        let shape = tensors[x].shape
        var axis = Int(node.int("axis", default: -1))
        if axis < 0 { axis += shape.count }
        guard axis == shape.count - 1 else {
            throw .unsupportedAttribute(op: "LayerNormalization", node: name, detail: "axis \(axis): only the last axis is supported")
        }
        let eps = node.float("epsilon", default: 1e-5)
        guard let epsilon = AxisReductions.quantizeEpsilon(Float(eps)) else {
            throw .unsupportedAttribute(op: "LayerNormalization", node: name, detail: "epsilon \(eps) is out of range")
        }
        let normalized = try add(.normalize(axis: axis, epsilon: epsilon, centered: true, outputFractionBits: config.activationFractionBits,
                                            lo: activationRange.lo, hi: activationRange.hi), inputs: [x], name: name)
        let d = shape[axis]
        let scale = try constant(node, 1, name)?.values ?? [Double](repeating: 1, count: d)
        let bias = try constant(node, 2, name)?.values ?? [Double](repeating: 0, count: d)
        guard scale.count == d, bias.count == d else {
            throw .shapeMismatch(detail: "LayerNormalization '\(name)': scale and bias must have \(d) values")
        }
        if scale.allSatisfy({ $0 == 1 }) && bias.allSatisfy({ $0 == 0 }) {
            try output(node, normalized)
            return
        }
        try output(node, try channelAffine(normalized, scale: scale, shift: bias, lastAxis: true, name: "\(name) (scale, bias)"))
    }
}
