/// One method per supported ONNX operator; attribute defaults follow the ONNX operator specs.
extension ONNXGraphWalker {
    /// Elements of a shape, refusing one past `tensorElementsMax`.
    static func elements(_ shape: [Int], _ name: String) throws(InferenceError) -> Int {
        var n = 1
        for d in shape {
            n *= d
            guard n <= InferenceLimits.tensorElementsMax else {
                throw .tensorTooLarge(name: name, elements: n, limit: InferenceLimits.tensorElementsMax)
            }
        }
        return n
    }

    /// Flatten: `[d0 … d(axis−1)] × [d(axis) …]`; the flat data is unchanged.
    mutating func flatten(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["axis"], node, name)
        var axis = Int(node.int("axis", default: 1))
        if axis < 0 { axis += shape.count }
        guard (0...shape.count).contains(axis) else {
            throw .unsupportedAttribute(op: "Flatten", node: name, detail: "axis out of range")
        }
        shape = [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)]
    }

    /// Reshape to a constant shape (`0` copies a dimension, one `-1` is inferred).
    mutating func reshape(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["allowzero"], node, name)
        guard node.int("allowzero", default: 0) == 0 else {
            throw .unsupportedAttribute(op: "Reshape", node: name, detail: "allowzero=1 is not supported")
        }
        let target = try initializer(node, 1, name)
        guard target.shape.count == 1, target.count <= InferenceLimits.rankMax else {
            throw .shapeMismatch(detail: "Reshape '\(name)': the shape input must be a short 1-D tensor")
        }
        let total = try Self.elements(shape, name)
        var dims: [Int] = []
        var inferred: Int?
        for (i, v) in target.values.enumerated() {
            guard v >= -1, v <= Double(InferenceLimits.tensorElementsMax) else {
                throw .shapeMismatch(detail: "Reshape '\(name)': dimension \(v) out of range")
            }
            switch Int(v) {
            case 0:
                guard i < shape.count else { throw .shapeMismatch(detail: "Reshape '\(name)': 0 refers to a missing dimension") }
                dims.append(shape[i])
            case -1:
                guard inferred == nil else { throw .shapeMismatch(detail: "Reshape '\(name)': more than one -1") }
                inferred = i
                dims.append(1)
            case let d:
                dims.append(d)
            }
        }
        let known = try Self.elements(dims, name)
        if let i = inferred {
            guard known > 0, total % known == 0 else { throw .shapeMismatch(detail: "Reshape '\(name)': cannot infer -1") }
            dims[i] = total / known
        }
        guard try Self.elements(dims, name) == total else {
            throw .shapeMismatch(detail: "Reshape '\(name)': \(shape) has \(total) elements, target \(dims) does not")
        }
        shape = dims
    }

    /// Gemm: `Y = alpha · A · op(B) + beta · C` with `A` the current row vector `[1, K]`.
    mutating func gemm(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["alpha", "beta", "transA", "transB"], node, name)
        guard node.int("transA", default: 0) == 0 else {
            throw .unsupportedAttribute(op: "Gemm", node: name, detail: "transA=1 is not supported (the input is a row vector)")
        }
        let alpha = node.float("alpha", default: 1), beta = node.float("beta", default: 1)
        let transB = node.int("transB", default: 0) != 0
        let b = try initializer(node, 1, name)
        guard shape.count == 2, shape[0] == 1, b.shape.count == 2 else {
            throw .shapeMismatch(detail: "Gemm '\(name)': needs input [1, K] and a 2-D weight, got \(shape) and \(b.shape)")
        }
        let (k, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == shape[1], n >= 1 else {
            throw .shapeMismatch(detail: "Gemm '\(name)': input has \(shape[1]) features, weight expects \(k)")
        }
        var w = [Double](repeating: 0, count: n * k)
        for o in 0..<n {
            for j in 0..<k { w[o * k + j] = alpha * (transB ? b.values[o * k + j] : b.values[j * n + o]) }
        }
        var bias = [Double](repeating: 0, count: n)
        if let c = try optionalInitializer(node, 2, name) {
            guard c.count == 1 || (c.count == n && c.shape.last == n) else {
                throw .shapeMismatch(detail: "Gemm '\(name)': bias shape \(c.shape) does not broadcast to [1, \(n)]")
            }
            for o in 0..<n { bias[o] = beta * c.values[c.count == 1 ? 0 : o] }
        }
        try startLayer(kind: .dense, rows: n, inner: k, weights: w, bias: bias)
        shape = [1, n]
    }

    /// MatMul: `Y = A · B` with `A` the current `[1, K]` and `B` a constant `[K, N]`.
    mutating func matMul(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly([], node, name)
        let b = try initializer(node, 1, name)
        guard shape.count == 2, shape[0] == 1, b.shape.count == 2, b.shape[0] == shape[1] else {
            throw .shapeMismatch(detail: "MatMul '\(name)': needs input [1, K] and weight [K, N], got \(shape) and \(b.shape)")
        }
        let k = b.shape[0], n = b.shape[1]
        var w = [Double](repeating: 0, count: n * k)
        for o in 0..<n { for j in 0..<k { w[o * k + j] = b.values[j * n + o] } }
        try startLayer(kind: .dense, rows: n, inner: k, weights: w, bias: [Double](repeating: 0, count: n))
        shape = [1, n]
    }

    /// Conv (2-D, batch 1, dilation 1, group 1, explicit pads).
    mutating func conv(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"], node, name)
        let w = try initializer(node, 1, name)
        guard shape.count == 4, shape[0] == 1, w.shape.count == 4, w.shape[1] == shape[1] else {
            throw .shapeMismatch(detail: "Conv '\(name)': needs input [1, C, H, W] and weight [M, C, kh, kw], got \(shape) and \(w.shape)")
        }
        guard node.string("auto_pad", default: "NOTSET") == "NOTSET" else {
            throw .unsupportedAttribute(op: "Conv", node: name, detail: "auto_pad is not supported; use explicit pads")
        }
        guard node.int("group", default: 1) == 1 else {
            throw .unsupportedAttribute(op: "Conv", node: name, detail: "group must be 1")
        }
        guard (node.ints("dilations") ?? [1, 1]) == [1, 1] else {
            throw .unsupportedAttribute(op: "Conv", node: name, detail: "dilations must be 1")
        }
        let m = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        if let ks = node.ints("kernel_shape"), ks != [kh, kw] {
            throw .shapeMismatch(detail: "Conv '\(name)': kernel_shape \(ks) differs from the weight's [\(kh), \(kw)]")
        }
        let strides = node.ints("strides") ?? [1, 1]
        let pads = node.ints("pads") ?? [0, 0, 0, 0]
        guard strides.count == 2, pads.count == 4 else {
            throw .unsupportedAttribute(op: "Conv", node: name, detail: "strides must have 2 values and pads 4")
        }
        // ONNX orders pads as [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right].
        let g = try ConvolutionGeometry(inputChannels: shape[1], inputHeight: shape[2], inputWidth: shape[3],
                                        kernelHeight: kh, kernelWidth: kw, strideHeight: strides[0], strideWidth: strides[1],
                                        padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3])
        var bias = [Double](repeating: 0, count: m)
        if let b = try optionalInitializer(node, 2, name) {
            guard b.shape == [m] else { throw .shapeMismatch(detail: "Conv '\(name)': bias shape \(b.shape), expected [\(m)]") }
            bias = b.values
        }
        try startLayer(kind: .convolution(g), rows: m, inner: g.inner, weights: w.values, bias: bias)
        shape = [1, m, g.outputHeight, g.outputWidth]
    }

    /// Add of a constant directly after a linear node: folded into that layer's bias.
    mutating func add(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly([], node, name)
        guard node.input.count == 2, let last = layers.indices.last, layers[last].acceptsBias, pending.isEmpty else {
            throw .unsupportedGraph(node: name, detail: "Add is supported only as a constant bias right after Gemm, MatMul or Conv")
        }
        let other = node.input[0] == current ? 1 : 0
        let c = try initializer(node, other, name)
        let rows = layers[last].rows
        let perRow: Bool
        switch layers[last].kind {
        case .dense:
            perRow = shape == [1, rows] && (c.shape == [rows] || c.shape == [1, rows])
        case .convolution(let g):
            perRow = shape == [1, rows, g.outputHeight, g.outputWidth] && (c.shape == [rows, 1, 1] || c.shape == [1, rows, 1, 1])
        }
        guard perRow || c.count == 1 else {
            throw .shapeMismatch(detail: "Add '\(name)': constant shape \(c.shape) is not a per-output bias for \(shape)")
        }
        for o in 0..<rows { layers[last].bias[o] += c.values[perRow ? o : 0] }
    }

    /// Clip with bounds from constant inputs (opset ≥ 11) or attributes (older opsets).
    mutating func clip(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["min", "max"], node, name)
        var bounds: [Double?] = [node.attribute("min").map { Double($0.f) }, node.attribute("max").map { Double($0.f) }]
        for i in 0..<2 {
            if let t = try optionalInitializer(node, i + 1, name) {
                guard t.count == 1 else { throw .shapeMismatch(detail: "Clip '\(name)': bounds must be scalars") }
                bounds[i] = t.values[0]
            }
        }
        let fraction = config.activationFractionBits
        var lo = config.activationMin, hi = config.activationMax
        if let v = bounds[0] {
            guard let q = IntegerSemantics.quantize(v, fractionBits: fraction) else {
                throw .unsupportedAttribute(op: "Clip", node: name, detail: "min \(v) is not a usable number")
            }
            lo = q
        }
        if let v = bounds[1] {
            guard let q = IntegerSemantics.quantize(v, fractionBits: fraction) else {
                throw .unsupportedAttribute(op: "Clip", node: name, detail: "max \(v) is not a usable number")
            }
            hi = q
        }
        // Zero must stay representable: padding inserts it, and the bound derivation relies on it.
        guard lo <= 0, hi >= 0 else {
            throw .unsupportedAttribute(op: "Clip", node: name, detail: "the range [\(bounds[0] ?? -.infinity), \(bounds[1] ?? .infinity)] must contain 0")
        }
        try clamp(lo: lo, hi: hi)
    }

    /// MaxPool / AveragePool (2-D, no padding, floor mode, dilation 1).
    mutating func pool(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        let op = node.opType
        try requireOnly(["kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "dilations",
                         "storage_order", "count_include_pad"], node, name)
        guard shape.count == 4, shape[0] == 1 else {
            throw .shapeMismatch(detail: "\(op) '\(name)': needs input [1, C, H, W], got \(shape)")
        }
        guard node.string("auto_pad", default: "NOTSET") == "NOTSET",
              (node.ints("pads") ?? [0, 0, 0, 0]).allSatisfy({ $0 == 0 }) else {
            throw .unsupportedAttribute(op: op, node: name, detail: "padding is not supported for pooling")
        }
        guard node.int("ceil_mode", default: 0) == 0, node.int("storage_order", default: 0) == 0,
              (node.ints("dilations") ?? [1, 1]) == [1, 1] else {
            throw .unsupportedAttribute(op: op, node: name, detail: "ceil_mode, storage_order and dilations must be defaults")
        }
        guard let kernel = node.ints("kernel_shape"), kernel.count == 2 else {
            throw .unsupportedAttribute(op: op, node: name, detail: "kernel_shape must have 2 values")
        }
        let strides = node.ints("strides") ?? [1, 1]
        guard strides.count == 2 else { throw .unsupportedAttribute(op: op, node: name, detail: "strides must have 2 values") }
        let g = try PoolGeometry(channels: shape[1], inputHeight: shape[2], inputWidth: shape[3],
                                 kernelHeight: kernel[0], kernelWidth: kernel[1],
                                 strideHeight: strides[0], strideWidth: strides[1])
        pending.append(op == "MaxPool" ? .maxPool(g) : .averagePool(g))
        if let last = layers.indices.last { layers[last].acceptsBias = false }
        shape = [1] + g.outputShape
    }
}
