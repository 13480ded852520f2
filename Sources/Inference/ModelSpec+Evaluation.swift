/// Everything one run of the graph computed for one item.
struct GraphRun {
    /// Every tensor's values: the input, then each node's output.
    var values: [[Int64]]
    /// Each linear layer's columns `X_k` (`inner × positions`).
    var columns: [[Int64]]
    /// Each linear layer's pre-activation `Z_k` (`rows × positions`).
    var preActivations: [[Int64]]
    /// Each linear layer's output tensor.
    var layerOutputs: [[Int64]]
    /// Each product step's operands and `Z = A · B` (before its rescale).
    var productOperands: [([Int64], [Int64])]
    /// Each product step's `Z`.
    var products: [[Int64]]
    /// Each tree-ensemble step's input (one item's features), in node order.
    var treeInputs: [[Int64]] = []
    /// Values that a rescale pushed outside the activation range and were clamped to it.
    var saturated: Int
    /// The output tensors concatenated.
    var output: [Int64]
}

extension ModelSpec {
    /// The tree closure of a run that has no tree tables: refuses every tree-ensemble step.
    static func withoutTrees(_ e: Int, _ x: [Int64]) throws(InferenceError) -> [Int64] {
        throw .traceMismatch(layer: e, step: "a tree-ensemble step needs its committed tables", index: 0)
    }

    /// Runs the graph on one item, taking each linear layer's `Z` from `linear(k, X_k)` and
    /// each product's `Z` from `product(j, A, B)` and each tree-ensemble step's output from
    /// `tree(e, X)` (`e` counts the tree steps in node order).
    ///
    /// The engine passes closures that compute; the verifier passes the proof's claims (after
    /// `checkBounds`), so both run this one function and the non-linear steps cannot differ.
    /// Throws only when a closure returns a value of the wrong length or the input does not
    /// fit; never traps on claimed values.
    func evaluate(_ input: [Int64],
                  linear: (Int, [Int64]) -> [Int64],
                  product: (Int, [Int64], [Int64]) -> [Int64],
                  tree: (Int, [Int64]) throws(InferenceError) -> [Int64] = ModelSpec.withoutTrees) throws(InferenceError) -> GraphRun {
        guard input.count == inputElements else { throw .inputShapeMismatch(expected: inputShape, actual: [input.count]) }
        var run = GraphRun(values: [input], columns: [], preActivations: [], layerOutputs: [], productOperands: [],
                           products: [], saturated: 0, output: [])
        run.values.reserveCapacity(nodes.count + 1)
        let rangeLo = config.activationMin, rangeHi = config.activationMax
        for (i, node) in nodes.enumerated() {
            let reads = node.inputs.map { run.values[$0] }
            let shapes = node.inputs.map { tensors[$0] }
            let out: [Int64]
            switch node.op {
            case .linear(let k, _):
                let layer = layers[k]
                let x = try layer.columns(reads[0])
                let z = linear(k, x)
                guard z.count == layer.outputElements else { throw .traceMismatch(layer: k, step: "pre-activation length", index: 0) }
                for v in z {
                    let r = IntegerSemantics.roundShift(v, layer.activation.shift)
                    if r < rangeLo || r > rangeHi { run.saturated += 1 }
                }
                out = layer.activate(z)
                run.columns.append(x)
                run.preActivations.append(z)
                run.layerOutputs.append(out)
            case .matMul(let act):
                let j = run.products.count
                let (a, b) = (shapes[0].shape, shapes[1].shape)
                let (m, n) = (a[a.count - 2], b[b.count - 1])
                let batchA = a.dropLast(2).reduce(1, *), batchB = b.dropLast(2).reduce(1, *)
                let z = product(j, reads[0], reads[1])
                guard z.count == max(batchA, batchB) * m * n else {
                    throw .traceMismatch(layer: layers.count + j, step: "product length", index: 0)
                }
                for v in z {
                    let r = IntegerSemantics.roundShift(v, act.shift)
                    if r < rangeLo || r > rangeHi { run.saturated += 1 }
                }
                out = act.apply(z)
                run.productOperands.append((reads[0], reads[1]))
                run.products.append(z)
            case .rescale(let shift, let lo, let hi):
                let f = shapes[0].fractionBits
                out = reads[0].map { v in
                    let r = TensorSemantics.rescale(v, from: f, to: f - shift)
                    if r < rangeLo || r > rangeHi { run.saturated += 1 }
                    return IntegerSemantics.clamp(r, lo, hi)
                }
            case .binary(let op):
                let outShape = tensors[i + 1].shape
                let fo = op.outputFractionBits
                var result = [Int64](repeating: 0, count: tensors[i + 1].elements)
                if let c = op.constant {
                    let fx = shapes[0].fractionBits
                    for (e, v) in reads[0].enumerated() {
                        result[e] = c.first
                            ? TensorSemantics.binary(op.kind, c.value, c.fractionBits, v, fx, fo, lo: op.lo, hi: op.hi)
                            : TensorSemantics.binary(op.kind, v, fx, c.value, c.fractionBits, fo, lo: op.lo, hi: op.hi)
                    }
                } else {
                    let ia = TensorSemantics.broadcastIndices(from: shapes[0].shape, to: outShape)
                    let ib = TensorSemantics.broadcastIndices(from: shapes[1].shape, to: outShape)
                    let (fa, fb) = (shapes[0].fractionBits, shapes[1].fractionBits)
                    for e in result.indices {
                        result[e] = TensorSemantics.binary(op.kind, reads[0][ia[e]], fa, reads[1][ib[e]], fb, fo, lo: op.lo, hi: op.hi)
                    }
                }
                out = result
            case .pool(let p):
                let s = shapes[0].shape, o = tensors[i + 1].shape
                let (h, w) = s.count == 4 ? (s[2], s[3]) : (1, s[2])
                let (oh, ow) = o.count == 4 ? (o[2], o[3]) : (1, o[2])
                out = TensorSemantics.pool(reads[0], channels: s[1], height: h, width: w, spec: p, outputHeight: oh, outputWidth: ow)
            case .reduce(let r):
                out = TensorSemantics.reduce(reads[0], shape: shapes[0].shape, axes: r.axes, kind: r.kind, lo: r.lo, hi: r.hi)
            case .transpose(let perm):
                out = TensorSemantics.transpose(reads[0], shape: shapes[0].shape, permutation: perm)
            case .reshape:
                out = reads[0]
            case .concat(let axis):
                out = TensorSemantics.concat(reads, shapes: shapes.map(\.shape), axis: axis)
            case .slice(let starts, let counts, let steps):
                out = TensorSemantics.slice(reads[0], shape: shapes[0].shape, starts: starts, counts: counts, steps: steps)
            case .pad(let begins, let ends, let value):
                out = TensorSemantics.pad(reads[0], shape: shapes[0].shape, begins: begins, ends: ends, value: value)
            case .gather(let axis, let indices, _):
                out = TensorSemantics.gather(reads[0], shape: shapes[0].shape, axis: axis, indices: indices)
            case .element(let e):
                // The table is the same function computed once for every 16-bit input (and
                // evaluates directly outside them); small tensors skip building it.
                out = reads[0].count > 256 ? e.lookupTable.apply(reads[0]) : e.apply(reads[0])
            case .softmax(let axis, let log, let fo, let lo, let hi):
                let view = try node.op.axisShape(shapes[0].shape, axis: axis, trailing: false)
                let fi = shapes[0].fractionBits
                out = log
                    ? try AxisReductions.logSoftmax(reads[0], view, inputFractionBits: fi, outputFractionBits: fo, lo: lo, hi: hi)
                    : try AxisReductions.softmax(reads[0], view, inputFractionBits: fi, outputFractionBits: fo)
                        .map { IntegerSemantics.clamp($0, lo, hi) }
            case .softmaxZero(let axis, let fo, let lo, let hi):
                let view = try node.op.axisShape(shapes[0].shape, axis: axis, trailing: false)
                out = try AxisReductions.softmaxZero(reads[0], view, inputFractionBits: shapes[0].fractionBits, outputFractionBits: fo)
                    .map { IntegerSemantics.clamp($0, lo, hi) }
            case .normalize(let axis, let epsilon, let centered, let fo, let lo, let hi):
                let view = try node.op.axisShape(shapes[0].shape, axis: axis, trailing: true)
                out = try AxisReductions.normalize(reads[0], view, inputFractionBits: shapes[0].fractionBits, outputFractionBits: fo,
                                                   epsilon: epsilon, centered: centered, lo: lo, hi: hi)
            case .treeEnsemble(let e):
                let index = run.treeInputs.count
                let y = try tree(index, reads[0])
                guard y.count == e.outputElements else { throw .traceMismatch(layer: index, step: "tree output length", index: 0) }
                run.treeInputs.append(reads[0])
                out = y
            }
            run.values.append(out)
        }
        run.output = outputs.flatMap { run.values[$0] }
        return run
    }
}

/// The dimensions of one product step: `Z[t] = A[t] · B[t]` for `t < batch`, with `A`
/// `batchA × m × k` and `B` `batchB × k × n` (a batch of 1 is shared by every `t`).
struct ProductDimensions: Equatable {
    let batch: Int, batchA: Int, batchB: Int, m: Int, k: Int, n: Int
}

extension ModelSpec {
    /// The dimensions of product step `j` (from the validated tensor shapes).
    func productDimensions(_ j: Int) -> ProductDimensions {
        let node = nodes[productNodes[j]]
        let a = tensors[node.inputs[0]].shape, b = tensors[node.inputs[1]].shape
        let batchA = a.dropLast(2).reduce(1, *), batchB = b.dropLast(2).reduce(1, *)
        return ProductDimensions(batch: max(batchA, batchB), batchA: batchA, batchB: batchB,
                                 m: a[a.count - 2], k: a[a.count - 1], n: b[b.count - 1])
    }

    /// `Z = A · B` of product step `j`, computed.
    func product(_ j: Int, _ a: [Int64], _ b: [Int64]) -> [Int64] {
        let d = productDimensions(j)
        return TensorSemantics.matMul(a, b, batch: d.batch, batchA: d.batchA, batchB: d.batchB, m: d.m, k: d.k, n: d.n)
    }
}
