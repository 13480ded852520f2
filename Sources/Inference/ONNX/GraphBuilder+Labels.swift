/// A classifier's label while the graph is imported: not a model tensor but a function of
/// one, `classes[argmax(scores)]`, computed from the proven scores by whoever reads them.
struct LabelValue {
    /// The model tensor holding one score per class.
    var scores: Int
    /// The classes, in score order.
    var classes: ClassLabels.Classes
}

/// The label outputs of classifiers: `ArrayFeatureExtractor(classes, ArgMax(scores))` as
/// scikit-learn's MLP exports write it, the label output of the `ai.onnx.ml` classifiers,
/// and the steps that only change a label's type or shape on its way to the graph output.
extension GraphBuilder {
    /// Operators a label may pass through unchanged (type and shape changes of one value per item).
    static let labelPassThrough: Set<String> = ["Identity", "Cast", "Reshape", "Squeeze", "Unsqueeze", "Flatten"]

    /// Handles `node` when it reads a label, or picks a label out of a constant class table;
    /// returns false for every other node. `initializers` are the graph's, undecoded (a
    /// string class table is not a number tensor).
    mutating func lowerLabel(_ node: Onnx_NodeProto, name: String,
                             initializers: [String: Onnx_TensorProto]) throws(InferenceError) -> Bool {
        if let source = node.input.first(where: { labelValues[$0] != nil }), let label = labelValues[source] {
            guard Self.labelPassThrough.contains(node.opType), node.input.first == source else {
                throw .unsupportedGraph(node: name, detail: "\(node.opType) reads the class label '\(source)'; a label may only pass through \(Self.labelPassThrough.sorted().joined(separator: ", ")) to a graph output")
            }
            guard let out = node.output.first, !out.isEmpty else { throw .unsupportedGraph(node: name, detail: "no output") }
            labelValues[out] = label
            return true
        }
        guard node.opType == "ArrayFeatureExtractor", node.domain == "ai.onnx.ml", node.input.count == 2,
              let table = initializers[node.input[0]], values[node.input[0]] == nil || isConstant(node.input[0]),
              case .tensor(let index)? = values[node.input[1]] else { return false }
        try requireOnly([], node, name)
        let classes = try Self.classes(table, name: name)
        // The index must be the first largest score along the last axis.
        guard index >= 1, case .reduce(let r) = nodes[index - 1].op, r.kind == .argMax,
              let scores = nodes[index - 1].inputs.first, r.axes == [tensors[scores].shape.count - 1] else {
            throw .unsupportedGraph(node: name, detail: "ArrayFeatureExtractor of the class table '\(node.input[0])' must read ArgMax over the last axis of the scores")
        }
        guard tensors[scores].shape.last == classes.count else {
            throw .invalidLabels(detail: "node '\(name)': \(classes.count) classes for scores of shape \(tensors[scores].shape)")
        }
        // The ArgMax step itself is dropped when nothing else reads it: the label replaces it.
        if index == tensors.count - 1, readers[node.input[1], default: 0] == 1 {
            nodes.removeLast()
            tensors.removeLast()
            values[node.input[1]] = nil
        }
        guard let out = node.output.first, !out.isEmpty else { throw .unsupportedGraph(node: name, detail: "no output") }
        labelValues[out] = LabelValue(scores: scores, classes: classes)
        return true
    }

    func isConstant(_ name: String) -> Bool {
        if case .constant? = values[name] { true } else { false }
    }

    /// A class table: int64 or int32 integers, or strings.
    static func classes(_ t: Onnx_TensorProto, name: String) throws(InferenceError) -> ClassLabels.Classes {
        let count = t.dims.reduce(1) { $0 * max(0, Int(clamping: $1)) }
        guard t.dims.count == 1, (1...ClassLabels.classCountMax).contains(count) else {
            throw .invalidLabels(detail: "node '\(name)': the class table '\(t.name)' must be one-dimensional with 1…\(ClassLabels.classCountMax) classes, it has shape \(t.dims)")
        }
        switch t.dataType {
        case ONNXTensor.DataType.int64.rawValue, ONNXTensor.DataType.int32.rawValue:
            let v = try ONNXTensor(t).values
            guard v.allSatisfy({ $0 == $0.rounded() && $0.magnitude < 0x1p62 }) else {
                throw .invalidLabels(detail: "node '\(name)': class table '\(t.name)' holds values that are not integers")
            }
            return .integers(v.map { Int64($0) })
        case 8:
            guard t.stringData.count == count else {
                throw .invalidLabels(detail: "node '\(name)': class table '\(t.name)' has \(t.stringData.count) strings, shape needs \(count)")
            }
            return .strings(t.stringData.map { String(decoding: $0, as: UTF8.self) })
        default:
            throw .invalidLabels(detail: "node '\(name)': class table '\(t.name)' has data type \(t.dataType); accepted are int64, int32 and string")
        }
    }

    /// The class list of an `ai.onnx.ml` classifier (`classlabels_ints` or `classlabels_strings`).
    func classLabelAttributes(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) -> ClassLabels.Classes {
        if let ints = node.attribute("classlabels_ints"), !ints.ints.isEmpty {
            return .integers(ints.ints)
        }
        if let strings = node.attribute("classlabels_strings"), !strings.strings.isEmpty {
            return .strings(strings.strings.map { String(decoding: $0, as: UTF8.self) })
        }
        throw .unsupportedAttribute(op: node.opType, node: name, detail: "needs classlabels_ints or classlabels_strings")
    }

    /// The model's label, when one graph output is a label: its classes and the scores
    /// tensor, which joins the outputs if it is not one already.
    static func labelOutput(_ labels: [LabelValue], outputs: inout [Int]) throws(InferenceError) -> ClassLabels? {
        guard let label = labels.first else { return nil }
        guard labels.allSatisfy({ $0.scores == label.scores && $0.classes == label.classes }) else {
            throw .unsupportedGraph(node: "graph", detail: "the graph has more than one class label output")
        }
        if !outputs.contains(label.scores) { outputs.append(label.scores) }
        guard let position = outputs.firstIndex(of: label.scores) else { return nil }
        return try ClassLabels(classes: label.classes, scoresOutput: position)
    }
}
