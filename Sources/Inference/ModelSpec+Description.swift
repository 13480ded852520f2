/// Human-readable views of a spec, for `model inspect` and the registry's model facts.
extension ModelSpec {
    /// A short name of each step's kind, as `model inspect` and the API list them.
    public var operatorKinds: [String] {
        Set(nodes.map { Self.kindName($0.op, layers: layers) }).sorted()
    }

    static func kindName(_ op: GraphOperator, layers: [LayerSpec]) -> String {
        switch op {
        case .linear(let k, _):
            switch layers[k].kind {
            case .dense, .tokens: return "Gemm"
            case .convolution: return "Conv"
            case .elementwise: return "Affine"
            case .oneHot: return "Embedding"
            }
        case .matMul: return "MatMul"
        case .rescale: return "Clip"
        case .binary(let b):
            switch b.kind {
            case .add: return "Add"
            case .sub: return "Sub"
            case .mul: return "Mul"
            case .div: return "Div"
            case .max: return "Max"
            case .min: return "Min"
            }
        case .pool(let p): return p.isMax ? "MaxPool" : "AveragePool"
        case .reduce(let r):
            switch r.kind {
            case .sum: return "ReduceSum"
            case .mean: return "ReduceMean"
            case .max: return "ReduceMax"
            case .min: return "ReduceMin"
            case .argMax, .argMaxLast: return "ArgMax"
            case .argMin, .argMinLast: return "ArgMin"
            }
        case .transpose: return "Transpose"
        case .reshape: return "Reshape"
        case .concat: return "Concat"
        case .slice: return "Slice"
        case .pad: return "Pad"
        case .gather: return "Gather"
        case .element(let e): return e.function.name
        case .softmax(_, let log, _, _, _): return log ? "LogSoftmax" : "Softmax"
        case .softmaxZero: return "SoftmaxZero"
        case .normalize(_, _, let centered, _, _, _): return centered ? "LayerNormalization" : "RMSNormalization"
        case .treeEnsemble(let e): return "TreeEnsemble(\(e.trees.count) trees)"
        }
    }

    /// One line per step: its index, kind, inputs, output shape and scale, and for linear
    /// layers their dimensions, clamp and accumulator bound.
    public func describeSteps() -> [String] {
        nodes.enumerated().map { i, node in
            let out = tensors[i + 1]
            var line = "step \(i) \(Self.kindName(node.op, layers: layers)) ← \(node.inputs.map { "t\($0)" }.joined(separator: ", ")) → t\(i + 1) \(out.shape) at 2^-\(out.fractionBits)"
            switch node.op {
            case .linear(let k, _):
                let layer = layers[k]
                let kind: String
                switch layer.kind {
                case .dense: kind = "dense"
                case .tokens(let n): kind = "dense ×\(n) tokens"
                case .convolution(let g): kind = "conv \(g.kernelHeight)x\(g.kernelWidth)/\(g.strideHeight)"
                case .elementwise(let g): kind = "element-wise over \(g.shape) by \(g.parameterShape)"
                case .oneHot(let v, let n, _): kind = "embedding of \(n) ids, \(v) rows"
                }
                line += "; layer \(k): \(kind) \(layer.rows)×\(layer.inner)×\(layer.positions), shift \(layer.activation.shift), clamp [\(layer.activation.lo), \(layer.activation.hi)], |z| < 2^\(layer.accumulatorBits)"
            case .matMul(let act):
                if let j = productNodes.firstIndex(of: i) { line += "; product, shift \(act.shift), |z| < 2^\(productBits[j])" }
            default: break
            }
            return line
        }
    }

    /// One line per tensor: its scale and the range of its integers, and the real range that
    /// means (`t0` is the input; `t(i+1)` is step `i`'s output).
    public func describeTensors() -> [String] {
        tensors.enumerated().map { i, t in
            let lo = IntegerSemantics.dequantize(t.lo, fractionBits: t.fractionBits)
            let hi = IntegerSemantics.dequantize(t.hi, fractionBits: t.fractionBits)
            return "tensor t\(i)\(i == 0 ? " (input)" : "") \(t.shape) scale 2^-\(t.fractionBits), range [\(t.lo), \(t.hi)] = real [\(lo), \(hi)]"
        }
    }
}
