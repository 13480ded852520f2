import Foundation

/// Evaluates ONNX nodes whose inputs are all constants, at import: shape arithmetic
/// (`Shape → Gather → Unsqueeze → Concat → Reshape`), `Constant`, `ConstantOfShape` and small
/// constant expressions. Nothing computed here is part of a proof's statement except through
/// the weights and shapes it produces, which the model's digest fixes.
enum ConstantFolding {
    /// Operators this folder evaluates.
    static let operators: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Neg", "Sqrt", "Pow", "Reciprocal", "Abs", "Floor", "Ceil", "Cast", "Identity",
        "Reshape", "Unsqueeze", "Squeeze", "Concat", "Gather", "Slice", "Transpose", "Equal", "Where", "Range",
        "Shape", "Size", "Min", "Max", "ReduceProd", "Expand", "ConstantOfShape", "Flatten", "Not", "Mod",
    ]

    /// The node's outputs from constant inputs; `inputs[i]` is nil for an absent optional input.
    static func fold(_ node: Onnx_NodeProto, name: String, inputs: [ONNXTensor?], opset: Int64) throws(InferenceError) -> [ONNXTensor] {
        func fail(_ detail: String) -> InferenceError { .unsupportedAttribute(op: node.opType, node: name, detail: detail) }
        func input(_ i: Int) throws(InferenceError) -> ONNXTensor {
            guard i < inputs.count, let t = inputs[i] else { throw fail("input \(i) is missing") }
            return t
        }
        let out = node.output.first ?? name
        func make(_ shape: [Int], _ values: [Double], _ type: ONNXTensor.DataType) throws(InferenceError) -> [ONNXTensor] {
            guard shape.reduce(1, *) == values.count, values.count <= InferenceLimits.tensorElementsMax else {
                throw fail("folded constant of shape \(shape) is not valid")
            }
            return [ONNXTensor(name: out, shape: shape, values: values, type: type)]
        }
        switch node.opType {
        case "Identity":
            let a = try input(0)
            return try make(a.shape, a.values, a.type)
        case "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Equal", "Mod":
            var acc = try input(0)
            for i in 1..<max(2, inputs.count) {
                let b = try input(i)
                guard let shape = TensorSemantics.broadcastShape(acc.shape, b.shape) else {
                    throw fail("shapes \(acc.shape) and \(b.shape) do not broadcast")
                }
                let ia = TensorSemantics.broadcastIndices(from: acc.shape, to: shape)
                let ib = TensorSemantics.broadcastIndices(from: b.shape, to: shape)
                let integer = acc.type.isInteger && b.type.isInteger
                // Pow folds only where IEEE arithmetic is exact on every machine (each step
                // correctly rounded): integer exponents by repeated multiplication, 0.5 as a
                // square root. The results become weights, so the model digest depends on them.
                if node.opType == "Pow", let bad = b.values.first(where: { !Self.foldablePowExponent($0) }) {
                    throw fail("a constant exponent \(bad) is folded only when it is an integer of magnitude ≤ 64 or 0.5")
                }
                // Mod folds whole numbers only (shape arithmetic), in exact integer arithmetic.
                if node.opType == "Mod" {
                    let whole = { (v: Double) in v.rounded(.towardZero) == v && v.magnitude < 0x1p53 }
                    guard acc.values.allSatisfy(whole), b.values.allSatisfy(whole), !b.values.contains(0) else {
                        throw fail("Mod is folded for whole numbers with a non-zero divisor only")
                    }
                }
                let cRemainder = node.int("fmod", default: 0) != 0
                let values: [Double] = (0..<ia.count).map { e in
                    let x = acc.values[ia[e]], y = b.values[ib[e]]
                    switch node.opType {
                    case "Add": return x + y
                    case "Sub": return x - y
                    case "Mul": return x * y
                    case "Div": return integer ? (y == 0 ? 0 : (x / y).rounded(.towardZero)) : x / y
                    case "Pow": return Self.power(x, y)
                    case "Min": return Swift.min(x, y)
                    case "Max": return Swift.max(x, y)
                    case "Mod":
                        // fmod = 1: the sign of the dividend (C); fmod = 0: the sign of the divisor.
                        let (p, q) = (Int64(x), Int64(y))
                        var r = p % q
                        if !cRemainder, r != 0, (r < 0) != (q < 0) { r += q }
                        return Double(r)
                    default: return x == y ? 1 : 0
                    }
                }
                acc = ONNXTensor(name: out, shape: shape, values: values,
                                 type: node.opType == "Equal" ? .bool : (integer ? acc.type : .float))
            }
            return [acc]
        case "Neg", "Sqrt", "Reciprocal", "Abs", "Floor", "Ceil", "Not":
            let a = try input(0)
            let values = a.values.map { x -> Double in
                switch node.opType {
                case "Neg": return -x
                case "Sqrt": return x.squareRoot()
                case "Reciprocal": return 1 / x
                case "Abs": return abs(x)
                case "Floor": return x.rounded(.down)
                case "Ceil": return x.rounded(.up)
                default: return x == 0 ? 1 : 0
                }
            }
            return try make(a.shape, values, a.type)
        case "Cast":
            let a = try input(0)
            let to = node.int("to", default: 1)
            guard let type = ONNXTensor.DataType(rawValue: Int32(clamping: to)) else { throw fail("cast to type \(to) is not supported") }
            let values = type.isInteger ? a.values.map { $0.rounded(.towardZero) } : a.values
            return try make(a.shape, values, type)
        case "Shape", "Size":
            let a = try input(0)
            if node.opType == "Size" { return try make([], [Double(a.count)], .int64) }
            let dims = try slicedShape(a.shape, node: node)
            return try make([dims.count], dims.map(Double.init), .int64)
        case "Reshape", "Flatten", "Unsqueeze", "Squeeze", "Expand":
            let a = try input(0)
            let shape: [Int]
            switch node.opType {
            case "Reshape": shape = try ShapeRules.reshape(a.shape, target: try input(1).values.map { Int($0) },
                                                           allowZero: node.int("allowzero", default: 0) != 0, node: name)
            case "Flatten": shape = try ShapeRules.flatten(a.shape, axis: Int(node.int("axis", default: 1)), node: name)
            case "Unsqueeze": shape = try ShapeRules.unsqueeze(a.shape, axes: try axes(node, inputs, opset: opset, since: 13), node: name)
            case "Squeeze": shape = try ShapeRules.squeeze(a.shape, axes: try axes(node, inputs, opset: opset, since: 13), node: name)
            default:
                let target = try input(1).values.map { Int($0) }
                guard let s = TensorSemantics.broadcastShape(a.shape, target) else { throw fail("cannot expand \(a.shape) to \(target)") }
                let idx = TensorSemantics.broadcastIndices(from: a.shape, to: s)
                return try make(s, idx.map { a.values[$0] }, a.type)
            }
            return try make(shape, a.values, a.type)
        case "Concat":
            let parts = try (0..<inputs.count).map { i throws(InferenceError) in try input(i) }.filter { $0.count > 0 || $0.shape.count > 0 }
            guard let first = parts.first else { throw fail("no inputs") }
            var axis = Int(node.int("axis", default: 0))
            if axis < 0 { axis += first.shape.count }
            guard axis >= 0, parts.allSatisfy({ $0.shape.count == first.shape.count && axis < $0.shape.count }) else {
                throw fail("inputs do not concatenate along axis \(axis)")
            }
            let shapes = parts.map(\.shape)
            var shape = first.shape
            shape[axis] = shapes.reduce(0) { $0 + $1[axis] }
            let outer = first.shape[..<axis].reduce(1, *)
            var values: [Double] = []
            for o in 0..<outer {
                for p in parts {
                    let block = p.shape[axis...].reduce(1, *)
                    values.append(contentsOf: p.values[(o * block)..<((o + 1) * block)])
                }
            }
            return try make(shape, values, first.type)
        case "Gather":
            let a = try input(0), idx = try input(1)
            var axis = Int(node.int("axis", default: 0))
            if axis < 0 { axis += a.shape.count }
            guard axis >= 0, axis < max(a.shape.count, 1) else { throw fail("axis out of range") }
            let length = a.shape.isEmpty ? 1 : a.shape[axis]
            let indices = idx.values.map { v -> Int in let i = Int(v); return i < 0 ? i + length : i }
            guard indices.allSatisfy({ (0..<length).contains($0) }) else { throw fail("index out of range") }
            let outer = a.shape[..<axis].reduce(1, *), inner = a.shape.count > axis ? a.shape[(axis + 1)...].reduce(1, *) : 1
            var values: [Double] = []
            for o in 0..<outer { for i in indices { let base = (o * length + i) * inner; values += a.values[base..<(base + inner)] } }
            let shape = Array(a.shape[..<axis]) + idx.shape + (a.shape.count > axis ? Array(a.shape[(axis + 1)...]) : [])
            return try make(shape, values, a.type)
        case "Slice":
            let a = try input(0)
            // Shape arithmetic may slice nothing (the dimensions after the last, say).
            let window = try ShapeRules.sliceWindow(a.shape, node: node, inputs: inputs, opset: opset, name: name, allowEmpty: true)
            let idx = TensorSemantics.slice(a.values.indices.map { Int64($0) }, shape: a.shape, starts: window.starts,
                                            counts: window.counts, steps: window.steps)
            return try make(window.counts, idx.map { a.values[Int($0)] }, a.type)
        case "Transpose":
            let a = try input(0)
            let perm = node.ints("perm") ?? Array((0..<a.shape.count).reversed())
            guard perm.sorted() == Array(0..<a.shape.count) else { throw fail("permutation \(perm) does not fit \(a.shape)") }
            let idx = TensorSemantics.transpose(a.values.indices.map { Int64($0) }, shape: a.shape, permutation: perm)
            return try make(perm.map { a.shape[$0] }, idx.map { a.values[Int($0)] }, a.type)
        case "Where":
            let c = try input(0), x = try input(1), y = try input(2)
            guard let s1 = TensorSemantics.broadcastShape(c.shape, x.shape), let shape = TensorSemantics.broadcastShape(s1, y.shape) else {
                throw fail("shapes do not broadcast")
            }
            let ic = TensorSemantics.broadcastIndices(from: c.shape, to: shape)
            let ix = TensorSemantics.broadcastIndices(from: x.shape, to: shape)
            let iy = TensorSemantics.broadcastIndices(from: y.shape, to: shape)
            return try make(shape, (0..<ic.count).map { c.values[ic[$0]] != 0 ? x.values[ix[$0]] : y.values[iy[$0]] }, x.type)
        case "Range":
            let start = try input(0).values.first ?? 0, limit = try input(1).values.first ?? 0, delta = try input(2).values.first ?? 1
            guard delta != 0 else { throw fail("delta is 0") }
            let n = max(0, Int(((limit - start) / delta).rounded(.up)))
            guard n <= InferenceLimits.tensorElementsMax else { throw fail("range of \(n) values") }
            return try make([n], (0..<n).map { start + Double($0) * delta }, try input(0).type)
        case "ReduceProd":
            let a = try input(0)
            return try make([1], [a.values.reduce(1, *)], a.type)
        case "ConstantOfShape":
            let shape = try input(0).values.map { Int($0) }
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) <= InferenceLimits.tensorElementsMax else {
                throw fail("shape \(shape) is not valid")
            }
            var value = 0.0, type = ONNXTensor.DataType.float
            if let t = node.attribute("value"), t.hasT {
                let v = try ONNXTensor(t.t)
                value = v.values.first ?? 0
                type = v.type
            }
            return try make(shape, [Double](repeating: value, count: shape.reduce(1, *)), type)
        default:
            throw .unsupportedOperator(op: node.opType, node: name)
        }
    }

    /// Whether `power` computes `x^y` with IEEE operations only.
    static func foldablePowExponent(_ y: Double) -> Bool {
        y == 0.5 || (y == y.rounded() && abs(y) <= 64)
    }

    /// `x^y` for a `foldablePowExponent` `y`: square-and-multiply in IEEE doubles (the same
    /// result on every machine), a reciprocal for negative exponents, `squareRoot` for 0.5.
    static func power(_ x: Double, _ y: Double) -> Double {
        if y == 0.5 { return x.squareRoot() }
        var n = Int(abs(y)), base = x, result = 1.0
        while n > 0 {
            if n & 1 == 1 { result *= base }
            base *= base
            n >>= 1
        }
        return y < 0 ? 1 / result : result
    }

    /// The `Constant` node's value.
    static func constant(_ node: Onnx_NodeProto, name: String) throws(InferenceError) -> ONNXTensor {
        let out = node.output.first ?? name
        if let a = node.attribute("value"), a.hasT {
            let t = try ONNXTensor(a.t)
            return ONNXTensor(name: out, shape: t.shape, values: t.values, type: t.type)
        }
        if let a = node.attribute("value_float") { return ONNXTensor(name: out, shape: [], values: [Double(a.f)], type: .float) }
        if let a = node.attribute("value_floats") { return ONNXTensor(name: out, shape: [a.floats.count], values: a.floats.map(Double.init), type: .float) }
        if let a = node.attribute("value_int") { return ONNXTensor(name: out, shape: [], values: [Double(a.i)], type: .int64) }
        if let a = node.attribute("value_ints") { return ONNXTensor(name: out, shape: [a.ints.count], values: a.ints.map(Double.init), type: .int64) }
        throw .unsupportedAttribute(op: "Constant", node: name, detail: "only value, value_float(s) and value_int(s) are supported")
    }

    /// `Shape`'s `start`/`end` window (opset 15).
    static func slicedShape(_ shape: [Int], node: Onnx_NodeProto) throws(InferenceError) -> [Int] {
        let rank = shape.count
        func clampAxis(_ v: Int64) -> Int { let a = Int(clamping: v); return min(max(a < 0 ? a + rank : a, 0), rank) }
        let start = clampAxis(node.int("start", default: 0)), end = clampAxis(node.int("end", default: Int64(rank)))
        return start < end ? Array(shape[start..<end]) : []
    }

    /// Axes from the `axes` attribute (before `since`) or the second input (from `since`).
    static func axes(_ node: Onnx_NodeProto, _ inputs: [ONNXTensor?], opset: Int64, since: Int64) throws(InferenceError) -> [Int]? {
        if let attr = node.ints("axes") { return attr }
        if inputs.count > 1, let t = inputs[1] { return t.values.map { Int($0) } }
        return nil
    }
}

/// Shape rules shared by constant folding and the model graph.
enum ShapeRules {
    /// `Reshape`: `0` copies a dimension (unless `allowZero`), one `-1` is inferred.
    static func reshape(_ shape: [Int], target: [Int], allowZero: Bool, node: String) throws(InferenceError) -> [Int] {
        func fail(_ detail: String) -> InferenceError { .shapeMismatch(detail: "Reshape '\(node)': \(detail)") }
        guard target.count <= InferenceLimits.rankMax else { throw fail("target rank \(target.count)") }
        let total = shape.reduce(1, *)
        var dims: [Int] = []
        var inferred: Int?
        for (i, v) in target.enumerated() {
            switch v {
            case 0 where allowZero:
                throw .unsupportedAttribute(op: "Reshape", node: node, detail: "allowzero=1 with a 0 in the shape makes an empty tensor")
            case 0:
                guard i < shape.count else { throw fail("0 refers to a missing dimension") }
                dims.append(shape[i])
            case -1:
                guard inferred == nil else { throw fail("more than one -1") }
                inferred = i
                dims.append(1)
            case let d where d >= 1 && d <= InferenceLimits.tensorElementsMax:
                dims.append(d)
            default:
                throw fail("dimension \(v) out of range")
            }
        }
        let known = dims.reduce(1, *)
        if let i = inferred {
            guard known > 0, total % known == 0 else { throw fail("cannot infer -1 for \(shape) → \(target)") }
            dims[i] = total / known
        }
        guard dims.reduce(1, *) == total else { throw fail("\(shape) has \(total) elements, target \(target) does not") }
        return dims
    }

    /// `Flatten` at `axis`.
    static func flatten(_ shape: [Int], axis a: Int, node: String) throws(InferenceError) -> [Int] {
        let axis = a < 0 ? a + shape.count : a
        guard (0...shape.count).contains(axis) else {
            throw .unsupportedAttribute(op: "Flatten", node: node, detail: "axis \(a) out of range for rank \(shape.count)")
        }
        return [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)]
    }

    /// `Unsqueeze`: insert length-1 axes at `axes` (of the output rank).
    static func unsqueeze(_ shape: [Int], axes: [Int]?, node: String) throws(InferenceError) -> [Int] {
        guard let axes, !axes.isEmpty else { throw .unsupportedAttribute(op: "Unsqueeze", node: node, detail: "axes are required") }
        let rank = shape.count + axes.count
        let normal = axes.map { $0 < 0 ? $0 + rank : $0 }
        guard Set(normal).count == normal.count, normal.allSatisfy({ (0..<rank).contains($0) }), rank <= InferenceLimits.rankMax else {
            throw .unsupportedAttribute(op: "Unsqueeze", node: node, detail: "axes \(axes) do not fit rank \(shape.count)")
        }
        var out: [Int] = []
        var source = shape.makeIterator()
        for i in 0..<rank { out.append(normal.contains(i) ? 1 : (source.next() ?? 1)) }
        return out
    }

    /// `Squeeze`: drop the length-1 axes at `axes` (all of them when absent).
    static func squeeze(_ shape: [Int], axes: [Int]?, node: String) throws(InferenceError) -> [Int] {
        let normal = (axes ?? shape.indices.filter { shape[$0] == 1 }).map { $0 < 0 ? $0 + shape.count : $0 }
        guard normal.allSatisfy({ shape.indices.contains($0) && shape[$0] == 1 }) else {
            throw .unsupportedAttribute(op: "Squeeze", node: node, detail: "axes \(axes ?? []) are not length-1 axes of \(shape)")
        }
        let out = shape.indices.filter { !normal.contains($0) }.map { shape[$0] }
        return out.isEmpty ? [1] : out
    }

    /// `Slice`'s window from its inputs (opset ≥ 10) or attributes, with ONNX's clamping of
    /// starts and ends; negative steps are refused, and so are empty windows unless `allowEmpty`.
    static func sliceWindow(_ shape: [Int], node: Onnx_NodeProto, inputs: [ONNXTensor?], opset: Int64,
                            name: String, allowEmpty: Bool = false) throws(InferenceError) -> (starts: [Int], counts: [Int], steps: [Int]) {
        func fail(_ detail: String) -> InferenceError { .unsupportedAttribute(op: "Slice", node: name, detail: detail) }
        let rank = shape.count
        var starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if opset < 10 || node.attribute("starts") != nil {
            guard let s = node.ints("starts"), let e = node.ints("ends") else { throw fail("starts and ends are required") }
            starts = s
            ends = e
            axes = node.ints("axes")
        } else {
            guard inputs.count >= 3, let s = inputs[1], let e = inputs[2] else { throw fail("starts and ends must be constants") }
            starts = s.values.map { Int(clamping: Int64(max(min($0, 9e18), -9e18))) }
            ends = e.values.map { Int(clamping: Int64(max(min($0, 9e18), -9e18))) }
            axes = inputs.count > 3 ? inputs[3]?.values.map { Int($0) } : nil
            steps = inputs.count > 4 ? inputs[4]?.values.map { Int($0) } : nil
        }
        let axisList = (axes ?? Array(0..<starts.count)).map { $0 < 0 ? $0 + rank : $0 }
        guard starts.count == ends.count, axisList.count == starts.count, axisList.allSatisfy({ (0..<rank).contains($0) }),
              Set(axisList).count == axisList.count else { throw fail("starts, ends and axes do not fit rank \(rank)") }
        var outStarts = [Int](repeating: 0, count: rank), counts = shape, outSteps = [Int](repeating: 1, count: rank)
        for (i, axis) in axisList.enumerated() {
            let n = shape[axis]
            let step = steps?[safe: i] ?? 1
            guard step >= 1 else { throw fail("step \(step) on axis \(axis): only positive steps are supported") }
            var s = starts[i] < 0 ? starts[i] + n : starts[i]
            var e = ends[i] < 0 ? ends[i] + n : ends[i]
            s = min(max(s, 0), n)
            e = min(max(e, 0), n)
            let count = e > s ? (e - s + step - 1) / step : 0
            guard count >= 1 || allowEmpty else { throw fail("the slice on axis \(axis) is empty") }
            outStarts[axis] = s
            counts[axis] = count
            outSteps[axis] = min(step, n)
        }
        return (outStarts, counts, outSteps)
    }
}
