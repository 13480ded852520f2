/// What a spec knows about one tensor of the graph without running it: its shape, its scale
/// and the range every admissible run keeps it in.
public struct TensorInfo: Sendable, Equatable, Hashable {
    /// Shape, batch dimension first (always 1 in a spec: a batch is several runs).
    public let shape: [Int]
    /// `real = v · 2^-fractionBits`.
    public let fractionBits: Int
    /// Every value lies in `lo...hi`.
    public let lo: Int64
    /// Every value lies in `lo...hi`.
    public let hi: Int64

    /// Validates the shape (rank 1…`rankMax`, positive dimensions, at most `tensorElementsMax`
    /// elements) and the range.
    public init(shape: [Int], fractionBits: Int, lo: Int64, hi: Int64, name: String = "tensor") throws(InferenceError) {
        guard !shape.isEmpty, shape.count <= InferenceLimits.rankMax,
              shape.allSatisfy({ $0 >= 1 && $0 <= InferenceLimits.tensorElementsMax }) else {
            throw .shapeMismatch(detail: "\(name): shape \(shape) is not a valid tensor shape (rank 1…\(InferenceLimits.rankMax), positive dimensions)")
        }
        var elements = 1
        for d in shape {
            elements *= d
            guard elements <= InferenceLimits.tensorElementsMax else {
                throw .tensorTooLarge(name: name, elements: elements, limit: InferenceLimits.tensorElementsMax)
            }
        }
        guard (0...30).contains(fractionBits) else {
            throw .invalidQuantization(detail: "\(name): fraction bits \(fractionBits) outside 0…30")
        }
        guard lo <= hi else { throw .invalidQuantization(detail: "\(name): range [\(lo), \(hi)] is empty") }
        self.shape = shape
        self.fractionBits = fractionBits
        self.lo = lo
        self.hi = hi
    }

    /// Elements of the tensor.
    public var elements: Int { shape.reduce(1, *) }
    /// The range as a closed range.
    public var range: ClosedRange<Int64> { lo...hi }
    /// The largest magnitude a value can have.
    var magnitude: UInt64 { max(lo.magnitude, hi.magnitude) }
}

extension GraphOperator {
    /// The `outer × length × inner` view of `shape` around `axis` (with `trailing`, every axis
    /// from `axis` on is the reduced one).
    func axisShape(_ shape: [Int], axis: Int, trailing: Bool) throws(InferenceError) -> AxisShape {
        let outer = shape[..<axis].reduce(1, *)
        let length = trailing ? shape[axis...].reduce(1, *) : shape[axis]
        let inner = trailing ? 1 : shape[(axis + 1)...].reduce(1, *)
        return try AxisShape(outer: outer, length: length, inner: inner)
    }

    /// The output tensor of this step from its inputs, validating every shape and parameter;
    /// errors name the node. `layers` are the spec's linear layers.
    func infer(_ inputs: [TensorInfo], layers: [LayerSpec], config: QuantizationConfig,
               node name: String) throws(InferenceError) -> TensorInfo {
        func fail(_ detail: String) -> InferenceError { .shapeMismatch(detail: "node '\(name)': \(detail)") }
        func count(_ n: Int) throws(InferenceError) {
            guard inputs.count == n else { throw fail("takes \(n) input(s), has \(inputs.count)") }
        }
        switch self {
        case .linear(let index, let shape):
            try count(1)
            guard layers.indices.contains(index) else { throw fail("refers to linear layer \(index) of \(layers.count)") }
            let layer = layers[index]
            guard layer.inputElements == inputs[0].elements else {
                throw fail("the layer reads \(layer.inputElements) elements, the input has \(inputs[0].elements)")
            }
            let columnScale = layer.columnFractionBits(incoming: inputs[0].fractionBits)
            let out = try TensorInfo(shape: shape, fractionBits: columnScale + config.weightFractionBits - layer.activation.shift,
                                     lo: layer.activation.lo, hi: layer.activation.hi, name: name)
            guard out.elements == layer.outputElements else { throw fail("output shape \(shape) does not hold \(layer.outputElements) values") }
            return out
        case .matMul(let act):
            try count(2)
            let (a, b) = (inputs[0].shape, inputs[1].shape)
            guard a.count >= 2, b.count >= 2 else { throw fail("MatMul operands must have rank ≥ 2, got \(a) and \(b)") }
            let (m, k, k2, n) = (a[a.count - 2], a[a.count - 1], b[b.count - 2], b[b.count - 1])
            guard k == k2 else { throw fail("MatMul inner dimensions \(k) and \(k2) differ") }
            let leadA = Array(a.dropLast(2)), leadB = Array(b.dropLast(2))
            let batchA = leadA.reduce(1, *), batchB = leadB.reduce(1, *)
            guard leadA == leadB || batchA == 1 || batchB == 1 else {
                throw fail("MatMul leading dimensions \(leadA) and \(leadB) must be equal or one of them all 1")
            }
            let lead = batchA >= batchB ? leadA : leadB
            let shift = inputs[0].fractionBits + inputs[1].fractionBits
            guard act.shift <= shift else { throw fail("MatMul rescale \(act.shift) exceeds the product's \(shift) fraction bits") }
            return try TensorInfo(shape: lead + [m, n], fractionBits: shift - act.shift, lo: act.lo, hi: act.hi, name: name)
        case .rescale(let shift, let lo, let hi):
            try count(1)
            let f = inputs[0].fractionBits - shift
            guard (0...30).contains(f), abs(shift) <= 30 else { throw fail("rescale by 2^\(shift) leaves the scale range") }
            return try TensorInfo(shape: inputs[0].shape, fractionBits: f, lo: lo, hi: hi, name: name)
        case .binary(let op):
            try count(op.constant == nil ? 2 : 1)
            var shape = inputs[0].shape
            if op.constant == nil {
                guard let s = TensorSemantics.broadcastShape(inputs[0].shape, inputs[1].shape) else {
                    throw fail("shapes \(inputs[0].shape) and \(inputs[1].shape) do not broadcast")
                }
                shape = s
            } else if let c = op.constant, !(0...30).contains(c.fractionBits) {
                throw fail("constant scale \(c.fractionBits) outside 0…30")
            }
            return try TensorInfo(shape: shape, fractionBits: op.outputFractionBits, lo: op.lo, hi: op.hi, name: name)
        case .pool(let p):
            try count(1)
            let s = inputs[0].shape
            guard s.count == 3 || s.count == 4, s[0] == 1 else { throw fail("pooling needs [1, C, L] or [1, C, H, W], got \(s)") }
            let (h, w) = s.count == 4 ? (s[2], s[3]) : (1, s[2])
            let values = p.kernel + p.strides + p.dilations
            guard p.kernel.count == 2, p.strides.count == 2, p.dilations.count == 2, p.pads.count == 4,
                  values.allSatisfy({ $0 >= 1 && $0 <= LayerGeometryLimits.dimensionMax }),
                  p.pads.allSatisfy({ $0 >= 0 && $0 < LayerGeometryLimits.dimensionMax }),
                  p.pads[0] < (p.kernel[0] - 1) * p.dilations[0] + 1, p.pads[2] < (p.kernel[0] - 1) * p.dilations[0] + 1,
                  p.pads[1] < (p.kernel[1] - 1) * p.dilations[1] + 1, p.pads[3] < (p.kernel[1] - 1) * p.dilations[1] + 1,
                  let oh = PoolSpec.outputLength(input: h, kernel: p.kernel[0], stride: p.strides[0], padBegin: p.pads[0],
                                                 padEnd: p.pads[2], dilation: p.dilations[0], ceil: p.ceilMode),
                  let ow = PoolSpec.outputLength(input: w, kernel: p.kernel[1], stride: p.strides[1], padBegin: p.pads[1],
                                                 padEnd: p.pads[3], dilation: p.dilations[1], ceil: p.ceilMode) else {
                throw fail("pooling geometry kernel \(p.kernel) strides \(p.strides) pads \(p.pads) dilations \(p.dilations) does not fit \(s)")
            }
            let out = s.count == 4 ? [1, s[1], oh, ow] : [1, s[1], ow]
            guard s.count == 4 || oh == 1 else { throw fail("1-D pooling must have height 1") }
            let lo = min(inputs[0].lo, 0), hi = max(inputs[0].hi, 0)
            return try TensorInfo(shape: out, fractionBits: inputs[0].fractionBits, lo: lo, hi: hi, name: name)
        case .reduce(let r):
            try count(1)
            let s = inputs[0].shape
            guard !r.axes.isEmpty, r.axes == r.axes.sorted(), Set(r.axes).count == r.axes.count,
                  r.axes.allSatisfy({ (0..<s.count).contains($0) }) else { throw fail("reduce axes \(r.axes) do not fit rank \(s.count)") }
            var out: [Int] = []
            for (i, d) in s.enumerated() {
                if r.axes.contains(i) { if r.keepDimensions { out.append(1) } } else { out.append(d) }
            }
            if out.isEmpty { out = [1] }
            if r.kind.isIndex {
                // An index along one axis: an integer in 0..<length at scale 2^0.
                guard r.axes.count == 1 else { throw fail("an index reduction takes one axis, got \(r.axes)") }
                let length = Int64(s[r.axes[0]])
                guard r.lo == 0, r.hi == length - 1 else { throw fail("index range [\(r.lo), \(r.hi)] must be [0, \(length - 1)]") }
                return try TensorInfo(shape: out, fractionBits: 0, lo: 0, hi: length - 1, name: name)
            }
            let (lo, hi) = r.kind == .sum ? (r.lo, r.hi) : (max(r.lo, inputs[0].lo), min(r.hi, inputs[0].hi))
            guard lo <= hi else { throw fail("reduce clamp [\(r.lo), \(r.hi)] misses the input range") }
            return try TensorInfo(shape: out, fractionBits: inputs[0].fractionBits, lo: lo, hi: hi, name: name)
        case .transpose(let perm):
            try count(1)
            let s = inputs[0].shape
            guard perm.count == s.count, perm.sorted() == Array(0..<s.count) else { throw fail("permutation \(perm) does not fit rank \(s.count)") }
            return try TensorInfo(shape: perm.map { s[$0] }, fractionBits: inputs[0].fractionBits, lo: inputs[0].lo, hi: inputs[0].hi, name: name)
        case .reshape(let shape):
            try count(1)
            let out = try TensorInfo(shape: shape, fractionBits: inputs[0].fractionBits, lo: inputs[0].lo, hi: inputs[0].hi, name: name)
            guard out.elements == inputs[0].elements else { throw fail("reshape of \(inputs[0].shape) to \(shape) changes the element count") }
            return out
        case .concat(let axis):
            guard let first = inputs.first else { throw fail("Concat needs inputs") }
            guard (0..<first.shape.count).contains(axis) else { throw fail("axis \(axis) outside rank \(first.shape.count)") }
            var length = 0
            for t in inputs {
                guard t.shape.count == first.shape.count, t.fractionBits == first.fractionBits,
                      t.shape.indices.allSatisfy({ $0 == axis || t.shape[$0] == first.shape[$0] }) else {
                    throw fail("Concat inputs \(inputs.map(\.shape)) (scales \(inputs.map(\.fractionBits))) do not fit along axis \(axis)")
                }
                length += t.shape[axis]
            }
            var shape = first.shape
            shape[axis] = length
            return try TensorInfo(shape: shape, fractionBits: first.fractionBits, lo: inputs.map(\.lo).min() ?? 0,
                                  hi: inputs.map(\.hi).max() ?? 0, name: name)
        case .slice(let starts, let counts, let steps):
            try count(1)
            let s = inputs[0].shape
            guard starts.count == s.count, counts.count == s.count, steps.count == s.count else { throw fail("slice ranks differ from \(s.count)") }
            for i in s.indices {
                guard starts[i] >= 0, counts[i] >= 1, steps[i] >= 1, steps[i] <= s[i],
                      starts[i] + (counts[i] - 1) * steps[i] < s[i] else {
                    throw fail("slice on axis \(i): start \(starts[i]), \(counts[i]) values, step \(steps[i]) leave [0, \(s[i]))")
                }
            }
            return try TensorInfo(shape: counts, fractionBits: inputs[0].fractionBits, lo: inputs[0].lo, hi: inputs[0].hi, name: name)
        case .pad(let begins, let ends, let value):
            try count(1)
            let s = inputs[0].shape
            guard begins.count == s.count, ends.count == s.count,
                  (begins + ends).allSatisfy({ $0 >= 0 && $0 <= LayerGeometryLimits.dimensionMax }) else {
                throw fail("pads \(begins) \(ends) do not fit rank \(s.count)")
            }
            let shape = s.indices.map { s[$0] + begins[$0] + ends[$0] }
            return try TensorInfo(shape: shape, fractionBits: inputs[0].fractionBits, lo: min(inputs[0].lo, value),
                                  hi: max(inputs[0].hi, value), name: name)
        case .element(let e):
            try count(1)
            guard e.inputFractionBits == inputs[0].fractionBits else {
                throw fail("\(e.function.name) expects its input at 2^-\(e.inputFractionBits), it is at 2^-\(inputs[0].fractionBits)")
            }
            let range = e.outputRange(for: inputs[0].range)
            return try TensorInfo(shape: inputs[0].shape, fractionBits: e.outputFractionBits, lo: range.lowerBound,
                                  hi: range.upperBound, name: name)
        case .treeEnsemble(let e):
            try count(1)
            guard inputs[0].elements == e.featureCount, inputs[0].fractionBits == e.inputFractionBits,
                  inputs[0].lo >= e.activationMin, inputs[0].hi <= e.activationMax else {
                throw fail("a tree ensemble over \(e.featureCount) features at 2^-\(e.inputFractionBits) reads \(inputs[0].shape) at 2^-\(inputs[0].fractionBits)")
            }
            return try TensorInfo(shape: [1, e.outputElements], fractionBits: e.outputValueFractionBits,
                                  lo: e.activationMin, hi: e.activationMax, name: name)
        case .softmax(let axis, _, let fo, let lo, let hi), .softmaxZero(let axis, let fo, let lo, let hi),
             .normalize(let axis, _, _, let fo, let lo, let hi):
            try count(1)
            let s = inputs[0].shape
            guard (0..<s.count).contains(axis) else { throw fail("axis \(axis) outside rank \(s.count)") }
            _ = try axisShape(s, axis: axis, trailing: { if case .normalize = self { return true } else { return false } }())
            return try TensorInfo(shape: s, fractionBits: fo, lo: lo, hi: hi, name: name)
        case .gather(let axis, let indices, let indexShape):
            try count(1)
            let s = inputs[0].shape
            guard (0..<s.count).contains(axis), !indices.isEmpty, indices.allSatisfy({ (0..<s[axis]).contains($0) }),
                  indexShape.reduce(1, *) == indices.count, indexShape.allSatisfy({ $0 >= 1 }) else {
                throw fail("gather on axis \(axis) with \(indices.count) indices does not fit \(s)")
            }
            var shape = Array(s[..<axis]) + indexShape + Array(s[(axis + 1)...])
            if shape.isEmpty { shape = [1] }
            return try TensorInfo(shape: shape, fractionBits: inputs[0].fractionBits, lo: inputs[0].lo, hi: inputs[0].hi, name: name)
        }
    }
}
