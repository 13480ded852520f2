/// LSTM and GRU, unrolled at import into steps the model graph already has, so that a
/// recurrent layer needs no proof machinery of its own.
///
/// For a forward layer over `T` steps with hidden size `H` and `G` gates (4 for LSTM, in
/// ONNX's order i, o, f, c; 3 for GRU: z, r, h):
///
/// - the input products `W·x_t + Wb (+ Rb)` of all steps are one per-token linear layer
///   (`G·H` rows over `T` tokens), committed like any other;
/// - the initial state (`initial_h`, `initial_c`, zero when absent) is a linear layer with
///   zero weights and the state as its bias, read from the first input token, so it is
///   committed with the model and every step has the same shape;
/// - each step `t` has its own dense layer `R·h_{t−1}` (the same weights again: a layer is
///   used by exactly one node), and its gates are slices, the element-wise Sigmoid and Tanh,
///   and products and sums of two activations.
///
/// LSTM, per step: `p = W·x_t + R·h + Wb + Rb`; `(i, o, f) = σ(p[0..<3H])`, `g = tanh(p[3H..<4H])`;
/// `c' = f⊙c + i⊙g`; `h' = o⊙tanh(c')`. GRU: `(z, r) = σ(W·x_t + R_zr·h + b_zr)`; with
/// `linear_before_reset` `ĥ = tanh(W_h·x_t + Wb_h + r⊙(R_h·h + Rb_h))`, without it
/// `ĥ = tanh(W_h·x_t + Wb_h + Rb_h + R_h·(r⊙h))` (a second dense layer per step);
/// `h' = ĥ + z⊙(h − ĥ)`, which is `(1 − z)⊙ĥ + z⊙h`.
///
/// Every intermediate value is at the activation scale. Refused, naming the attribute:
/// `direction` other than forward, activations other than the defaults, `clip`,
/// `input_forget`, peepholes other than zero, a batch other than 1, and `sequence_lens`
/// other than the full length.
extension GraphBuilder {
    /// The two recurrent operators and what sets them apart.
    enum RecurrentCell {
        case lstm
        case gru(linearBeforeReset: Bool)

        /// Gates per step.
        var gates: Int { if case .lstm = self { 4 } else { 3 } }
        /// The default activation list, the only one accepted.
        var activations: [String] { if case .lstm = self { ["Sigmoid", "Tanh", "Tanh"] } else { ["Sigmoid", "Tanh"] } }
    }

    /// A recurrent node's parameters, read and checked.
    struct RecurrentParameters {
        let cell: RecurrentCell
        /// Hidden size `H`.
        let hidden: Int
        /// Input features `I`.
        let features: Int
        /// Sequence length `T`, from the input shape.
        let steps: Int
        /// Axis of the sequence in `X` and `Y`: 0 for `layout = 0`, 1 for `layout = 1`.
        let sequenceAxis: Int
        /// `W` as `G·H × I`, row-major, gates in ONNX order.
        let input: [Double]
        /// `R` as `G·H × H`.
        let recurrence: [Double]
        /// `Wb` and `Rb`, `G·H` each.
        let inputBias: [Double]
        let recurrenceBias: [Double]
        /// `initial_h` and (LSTM) `initial_c`, `H` each.
        let initialHidden: [Double]
        let initialCell: [Double]
    }

    /// LSTM or GRU: reads the parameters, unrolls the steps and binds `Y`, `Y_h` (and `Y_c`).
    mutating func recurrent(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        let p = try recurrentParameters(node, name)
        let x = try tensor(node, 0, name)
        let h = p.hidden, g = p.cell.gates
        // Refused up front, naming the node, rather than at the layer the unrolling runs out at.
        let perStep: Int = if case .gru(linearBeforeReset: false) = p.cell { 2 } else { 1 }
        let needed = layers.count + 1 + (g == 4 ? 2 : 1) + perStep * p.steps
        guard needed <= InferenceLimits.layerCountMax else {
            throw .unsupportedGraph(node: name, detail: "\(node.opType) over \(p.steps) steps unrolls to \(needed) linear layers in all, the limit is \(InferenceLimits.layerCountMax)")
        }
        var inputBias = p.inputBias
        var recurrenceBias = [Double](repeating: 0, count: g * h)
        switch p.cell {
        case .lstm, .gru(linearBeforeReset: false):
            // Both biases are added before any gate reads them, so they go with the input products
            // (for GRU without linear_before_reset Rb_h too: it is added outside R_h·(r⊙h)).
            for i in 0..<(g * h) { inputBias[i] += p.recurrenceBias[i] }
        case .gru(linearBeforeReset: true):
            // Rb_h is multiplied by r with R_h·h, so it stays in the recurrent layer.
            for i in 0..<(2 * h) { inputBias[i] += p.recurrenceBias[i] }
            for i in (2 * h)..<(3 * h) { recurrenceBias[i] = p.recurrenceBias[i] }
        }
        let inputs = try dense(x, weights: p.input, rows: g * h, bias: inputBias, name: "\(name) W·x+b")
        let first = try window(x, p, step: 0, from: 0, count: p.features, name: "\(name) x[0]")
        let zeros = [Double](repeating: 0, count: h * p.features)
        var hidden = try dense(first, weights: zeros, rows: h, bias: p.initialHidden, name: "\(name) initial_h")
        var cell: Int?
        if case .lstm = p.cell {
            cell = try dense(first, weights: zeros, rows: h, bias: p.initialCell, name: "\(name) initial_c")
        }
        var outputs: [Int] = []
        for t in 0..<p.steps {
            let step = "\(name) t=\(t)"
            switch p.cell {
            case .lstm:
                guard let c = cell else { throw .unsupportedGraph(node: name, detail: "internal: LSTM without a cell state") }
                let next = try lstmStep(p, inputs: inputs, hidden: hidden, cell: c, t: t, name: step)
                (hidden, cell) = (next.hidden, next.cell)
            case .gru(let linearBeforeReset):
                hidden = try gruStep(p, inputs: inputs, hidden: hidden, bias: recurrenceBias, linearBeforeReset: linearBeforeReset,
                                     t: t, name: step)
            }
            outputs.append(hidden)
        }
        try bindRecurrentOutputs(node, p, outputs: outputs, cell: cell, name: name)
    }

    /// One LSTM step; returns `(h', c')`.
    mutating func lstmStep(_ p: RecurrentParameters, inputs: Int, hidden: Int, cell: Int, t: Int,
                           name: String) throws(InferenceError) -> (hidden: Int, cell: Int) {
        let h = p.hidden
        let recurrent = try dense(hidden, weights: p.recurrence, rows: 4 * h, bias: [Double](repeating: 0, count: 4 * h),
                                  name: "\(name) R·h")
        let pre = try binaryStep(.add, try window(inputs, p, step: t, from: 0, count: 4 * h, name: "\(name) W·x"), recurrent,
                                 name: "\(name) gates")
        let sig = try elementStep(.sigmoid, try lastAxis(pre, from: 0, count: 3 * h, name: "\(name) i,o,f"), name: "\(name) σ(i,o,f)")
        let candidate = try elementStep(.tanh, try lastAxis(pre, from: 3 * h, count: h, name: "\(name) c̃"), name: "\(name) tanh(c̃)")
        let i = try lastAxis(sig, from: 0, count: h, name: "\(name) i")
        let o = try lastAxis(sig, from: h, count: h, name: "\(name) o")
        let f = try lastAxis(sig, from: 2 * h, count: h, name: "\(name) f")
        let kept = try binaryStep(.mul, f, cell, name: "\(name) f⊙c")
        let written = try binaryStep(.mul, i, candidate, name: "\(name) i⊙c̃")
        let newCell = try binaryStep(.add, kept, written, name: "\(name) c")
        let squashed = try elementStep(.tanh, newCell, name: "\(name) tanh(c)")
        return (try binaryStep(.mul, o, squashed, name: "\(name) h"), newCell)
    }

    /// One GRU step; returns `h'`.
    mutating func gruStep(_ p: RecurrentParameters, inputs: Int, hidden: Int, bias: [Double], linearBeforeReset: Bool,
                          t: Int, name: String) throws(InferenceError) -> Int {
        let h = p.hidden
        let xzr = try window(inputs, p, step: t, from: 0, count: 2 * h, name: "\(name) W·x (z,r)")
        let xh = try window(inputs, p, step: t, from: 2 * h, count: h, name: "\(name) W·x (h)")
        let candidateInput: Int
        let zr: Int
        if linearBeforeReset {
            let recurrent = try dense(hidden, weights: p.recurrence, rows: 3 * h, bias: bias, name: "\(name) R·h")
            zr = try elementStep(.sigmoid, try binaryStep(.add, xzr, try lastAxis(recurrent, from: 0, count: 2 * h, name: "\(name) R·h (z,r)"),
                                                          name: "\(name) z,r"), name: "\(name) σ(z,r)")
            let r = try lastAxis(zr, from: h, count: h, name: "\(name) r")
            let reset = try binaryStep(.mul, r, try lastAxis(recurrent, from: 2 * h, count: h, name: "\(name) R·h (h)"),
                                       name: "\(name) r⊙(R·h+Rb)")
            candidateInput = try binaryStep(.add, xh, reset, name: "\(name) ĥ")
        } else {
            let rzr = Array(p.recurrence[0..<(2 * h * h)]), rh = Array(p.recurrence[(2 * h * h)...])
            let recurrent = try dense(hidden, weights: rzr, rows: 2 * h, bias: [Double](repeating: 0, count: 2 * h), name: "\(name) R·h (z,r)")
            zr = try elementStep(.sigmoid, try binaryStep(.add, xzr, recurrent, name: "\(name) z,r"), name: "\(name) σ(z,r)")
            let r = try lastAxis(zr, from: h, count: h, name: "\(name) r")
            let reset = try binaryStep(.mul, r, hidden, name: "\(name) r⊙h")
            let product = try dense(reset, weights: rh, rows: h, bias: [Double](repeating: 0, count: h), name: "\(name) R·(r⊙h)")
            candidateInput = try binaryStep(.add, xh, product, name: "\(name) ĥ")
        }
        let candidate = try elementStep(.tanh, candidateInput, name: "\(name) tanh(ĥ)")
        let z = try lastAxis(zr, from: 0, count: h, name: "\(name) z")
        let gap = try binaryStep(.sub, hidden, candidate, name: "\(name) h−ĥ")
        return try binaryStep(.add, candidate, try binaryStep(.mul, z, gap, name: "\(name) z⊙(h−ĥ)"), name: "\(name) h")
    }

    /// Binds `Y` (the hidden states of every step, `[T, 1, 1, H]` or `[1, T, 1, H]` for
    /// `layout = 1`), `Y_h` and `Y_c` (`[1, 1, H]`) where the graph reads them.
    mutating func bindRecurrentOutputs(_ node: Onnx_NodeProto, _ p: RecurrentParameters, outputs: [Int], cell: Int?,
                                       name: String) throws(InferenceError) {
        let out = node.output
        func read(_ i: Int) -> Bool { i < out.count && !out[i].isEmpty && readers[out[i], default: 0] > 0 }
        if read(0), !outputs.isEmpty {
            // A step reads at most 64 tensors (`ModelSpec`), so long sequences are joined in rounds.
            var parts = outputs
            while parts.count > 1 {
                var joined: [Int] = []
                for start in stride(from: 0, to: parts.count, by: 64) {
                    let group = Array(parts[start..<min(start + 64, parts.count)])
                    joined.append(group.count == 1 ? group[0] : try add(.concat(axis: p.sequenceAxis), inputs: group, name: "\(name) Y"))
                }
                parts = joined
            }
            let shape = p.sequenceAxis == 0 ? [p.steps, 1, 1, p.hidden] : [1, p.steps, 1, p.hidden]
            values[out[0]] = .tensor(try add(.reshape(shape: shape), inputs: parts, name: "\(name) Y"))
        }
        if read(1), let last = outputs.last { values[out[1]] = .tensor(last) }
        if read(2), let cell { values[out[2]] = .tensor(cell) }
    }

    // MARK: - Steps at the activation scale

    /// `count` values from `from` on the last axis of a `[1, 1, n]` step tensor.
    mutating func lastAxis(_ x: Int, from: Int, count: Int, name: String) throws(InferenceError) -> Int {
        try add(.slice(starts: [0, 0, from], counts: [1, 1, count], steps: [1, 1, 1]), inputs: [x], name: name)
    }

    /// Step `t` of a sequence tensor (`[T, 1, n]`, or `[1, T, n]` for `layout = 1`), last-axis
    /// values `from..<from + count`, as `[1, 1, count]`.
    mutating func window(_ x: Int, _ p: RecurrentParameters, step t: Int, from: Int, count: Int,
                         name: String) throws(InferenceError) -> Int {
        let starts = p.sequenceAxis == 0 ? [t, 0, from] : [0, t, from]
        return try add(.slice(starts: starts, counts: [1, 1, count], steps: [1, 1, 1]), inputs: [x], name: name)
    }

    /// `a ∘ b` of two step tensors, at the activation scale, clamped to the activation range.
    mutating func binaryStep(_ kind: BinaryOperation.Kind, _ a: Int, _ b: Int, name: String) throws(InferenceError) -> Int {
        let op = BinaryOperation(kind: kind, constant: nil, outputFractionBits: config.activationFractionBits,
                                 lo: activationRange.lo, hi: activationRange.hi)
        return try add(.binary(op), inputs: [a, b], name: name)
    }

    /// Sigmoid or Tanh of a step tensor, from its scale to the activation scale.
    mutating func elementStep(_ function: ElementFunction, _ x: Int, name: String) throws(InferenceError) -> Int {
        let e = try ElementOperator(function, inputFractionBits: tensors[x].fractionBits,
                                    outputFractionBits: config.activationFractionBits, lo: activationRange.lo, hi: activationRange.hi)
        return try add(.element(e), inputs: [x], name: name)
    }

    // MARK: - Reading the node

    /// The node's attributes and constant inputs, checked against what the expansion implements.
    func recurrentParameters(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) -> RecurrentParameters {
        let op = node.opType
        func refuse(_ detail: String) -> InferenceError { .unsupportedAttribute(op: op, node: name, detail: detail) }
        var allowed: Set<String> = ["activation_alpha", "activation_beta", "activations", "clip", "direction", "hidden_size", "layout"]
        let cell: RecurrentCell
        if op == "LSTM" {
            allowed.insert("input_forget")
            cell = .lstm
        } else {
            allowed.insert("linear_before_reset")
            cell = .gru(linearBeforeReset: node.int("linear_before_reset", default: 0) != 0)
        }
        try requireOnly(allowed, node, name)
        let direction = node.string("direction", default: "forward")
        guard direction == "forward" else {
            throw refuse("direction '\(direction)': only 'forward' is supported (not 'reverse' or 'bidirectional')")
        }
        if let a = node.attribute("activations") {
            let names = a.strings.map { String(decoding: $0, as: UTF8.self) }
            guard names == cell.activations else {
                throw refuse("activations \(names): only the defaults \(cell.activations) are supported")
            }
        }
        for key in ["activation_alpha", "activation_beta"] where !(node.attribute(key)?.floats.isEmpty ?? true) {
            throw refuse("attribute '\(key)' is not supported (the default activations take none)")
        }
        guard node.attribute("clip") == nil else { throw refuse("attribute 'clip' (cell clipping) is not supported; accepted: absent") }
        guard node.int("input_forget", default: 0) == 0 else { throw refuse("input_forget=1 is not supported; accepted: 0") }
        let layout = node.int("layout", default: 0)
        guard layout == 0 || layout == 1 else { throw refuse("layout \(layout): accepted are 0 and 1") }
        guard node.input.count <= (op == "LSTM" ? 8 : 6) else {
            throw .unsupportedGraph(node: name, detail: "\(op) takes at most \(op == "LSTM" ? 8 : 6) inputs, it has \(node.input.count)")
        }

        let x = try tensor(node, 0, name)
        let shape = tensors[x].shape
        let sequenceAxis = layout == 0 ? 0 : 1
        guard shape.count == 3, shape[1 - sequenceAxis] == 1 else {
            throw .shapeMismatch(detail: "\(op) '\(name)': X must be \(layout == 0 ? "[T, 1, I]" : "[1, T, I]") (batch 1, layout \(layout)), got \(shape)")
        }
        let steps = shape[sequenceAxis], features = shape[2]
        let gates = cell.gates
        guard let w = try constant(node, 1, name), let r = try constant(node, 2, name) else {
            throw .unsupportedGraph(node: name, detail: "\(op) needs constant weights W and R")
        }
        guard w.shape.count == 3, w.shape[0] == 1, w.shape[1] % gates == 0, w.shape[1] >= gates, w.shape[2] == features else {
            throw .shapeMismatch(detail: "\(op) '\(name)': W must be [1, \(gates)·H, \(features)], got \(w.shape)")
        }
        let hidden = w.shape[1] / gates
        if let declared = node.attribute("hidden_size").map({ Int(clamping: $0.i) }), declared != hidden {
            throw refuse("hidden_size \(declared) differs from W's \(hidden)")
        }
        guard r.shape == [1, gates * hidden, hidden] else {
            throw .shapeMismatch(detail: "\(op) '\(name)': R must be [1, \(gates * hidden), \(hidden)], got \(r.shape)")
        }
        var inputBias = [Double](repeating: 0, count: gates * hidden), recurrenceBias = inputBias
        if let b = try constant(node, 3, name) {
            guard b.count == 2 * gates * hidden, b.shape.last == 2 * gates * hidden else {
                throw .shapeMismatch(detail: "\(op) '\(name)': B must be [1, \(2 * gates * hidden)], got \(b.shape)")
            }
            inputBias = Array(b.values[0..<(gates * hidden)])
            recurrenceBias = Array(b.values[(gates * hidden)...])
        }
        if let lengths = try constant(node, 4, name), !lengths.values.allSatisfy({ $0 == Double(steps) }) {
            throw refuse("sequence_lens \(lengths.values.map { Int($0) }): only the full length \(steps) of the input is supported")
        }
        func state(_ i: Int, _ what: String) throws(InferenceError) -> [Double] {
            guard let s = try constant(node, i, name) else { return [Double](repeating: 0, count: hidden) }
            guard s.count == hidden, s.shape.last == hidden else {
                throw .shapeMismatch(detail: "\(op) '\(name)': \(what) must be [1, 1, \(hidden)], got \(s.shape)")
            }
            return s.values
        }
        let initialHidden = try state(5, "initial_h")
        var initialCell: [Double] = []
        if case .lstm = cell {
            initialCell = try state(6, "initial_c")
            if let peepholes = try constant(node, 7, name), !peepholes.values.allSatisfy({ $0 == 0 }) {
                throw refuse("peephole weights P are not supported; accepted: absent or zero")
            }
        }
        return RecurrentParameters(cell: cell, hidden: hidden, features: features, steps: steps, sequenceAxis: sequenceAxis,
                                   input: w.values, recurrence: r.values, inputBias: inputBias, recurrenceBias: recurrenceBias,
                                   initialHidden: initialHidden, initialCell: initialCell)
    }
}
