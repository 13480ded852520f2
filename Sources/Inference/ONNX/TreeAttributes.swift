import Foundation

/// The attributes of an ONNX `TreeEnsembleClassifier` / `TreeEnsembleRegressor`, read and
/// checked (every list's length, every id), before any quantisation.
struct TreeAttributes {
    /// A comparison mode as ONNX writes it.
    enum Mode: String {
        case leq = "BRANCH_LEQ", lt = "BRANCH_LT", gte = "BRANCH_GTE", gt = "BRANCH_GT"
        case eq = "BRANCH_EQ", neq = "BRANCH_NEQ", leaf = "LEAF"
    }

    /// One node as written.
    struct Node {
        let tree: Int, id: Int, feature: Int, mode: Mode, threshold: Double, trueID: Int, falseID: Int
    }

    /// One leaf weight as written: `(tree, node)` adds `weight` to score `target`.
    struct Weight {
        let tree: Int, node: Int, target: Int, weight: Double
    }

    let name: String
    let isClassifier: Bool
    let features: Int
    let nodes: [Node]
    let weights: [Weight]
    /// Score columns the weights address (`n_targets`, or the class count).
    let targets: Int
    let base: [Double]
    let aggregate: String
    let postTransform: String
    let classLabels: [Int64]
    let classNames: [String]

    init(name: String, isClassifier: Bool, features: Int, nodes: [Node], weights: [Weight], targets: Int, base: [Double],
         aggregate: String, postTransform: String, classLabels: [Int64], classNames: [String]) {
        self.name = name
        self.isClassifier = isClassifier
        self.features = features
        self.nodes = nodes
        self.weights = weights
        self.targets = targets
        self.base = base
        self.aggregate = aggregate
        self.postTransform = postTransform
        self.classLabels = classLabels
        self.classNames = classNames
    }

    init(_ node: Onnx_NodeProto, name: String, features: Int) throws(InferenceError) {
        self.name = name
        self.features = features
        let op = node.opType
        isClassifier = op == "TreeEnsembleClassifier"
        func refuse(_ detail: String) -> InferenceError { .unsupportedAttribute(op: op, node: name, detail: detail) }
        func reals(_ key: String) throws(InferenceError) -> [Double]? {
            if let tensor = node.attribute(key + "_as_tensor") { return try ONNXTensor(tensor.t).values }
            return node.attribute(key).map { $0.floats.map(Double.init) }
        }
        let treeIDs = node.ints("nodes_treeids") ?? [], nodeIDs = node.ints("nodes_nodeids") ?? []
        let featureIDs = node.ints("nodes_featureids") ?? []
        let modes = node.attribute("nodes_modes")?.strings.map { String(decoding: $0, as: UTF8.self) } ?? []
        let values = try reals("nodes_values") ?? []
        let trueIDs = node.ints("nodes_truenodeids") ?? [], falseIDs = node.ints("nodes_falsenodeids") ?? []
        let n = treeIDs.count
        guard n >= 1, n <= TreeEnsembleSpec.nodeCountMax else { throw refuse("\(n) nodes; 1…\(TreeEnsembleSpec.nodeCountMax)") }
        for (key, count) in [("nodes_nodeids", nodeIDs.count), ("nodes_featureids", featureIDs.count), ("nodes_modes", modes.count),
                             ("nodes_values", values.count), ("nodes_truenodeids", trueIDs.count), ("nodes_falsenodeids", falseIDs.count)]
            where count != n {
            throw refuse("\(key) has \(count) entries for \(n) nodes")
        }
        var nodes: [Node] = []
        for i in 0..<n {
            guard let mode = Mode(rawValue: modes[i]) else {
                throw refuse("nodes_modes '\(modes[i])'; supported: BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, BRANCH_NEQ, LEAF")
            }
            guard mode == .leaf || (featureIDs[i] >= 0 && featureIDs[i] < features) else {
                throw refuse("node \(nodeIDs[i]) of tree \(treeIDs[i]) reads feature \(featureIDs[i]) of \(features)")
            }
            guard mode == .leaf || values[i].isFinite else { throw refuse("node \(nodeIDs[i]) has threshold \(values[i])") }
            nodes.append(Node(tree: treeIDs[i], id: nodeIDs[i], feature: featureIDs[i], mode: mode, threshold: values[i],
                              trueID: trueIDs[i], falseID: falseIDs[i]))
        }
        self.nodes = nodes
        let prefix = isClassifier ? "class" : "target"
        let wTrees = node.ints("\(prefix)_treeids") ?? [], wNodes = node.ints("\(prefix)_nodeids") ?? []
        let wIDs = node.ints("\(prefix)_ids") ?? [], wValues = try reals("\(prefix)_weights") ?? []
        guard wTrees.count == wNodes.count, wTrees.count == wIDs.count, wTrees.count == wValues.count, !wTrees.isEmpty else {
            throw refuse("\(prefix)_treeids, _nodeids, _ids and _weights must have equal, non-zero lengths")
        }
        guard wValues.allSatisfy(\.isFinite) else { throw refuse("a leaf weight is not finite") }
        if isClassifier {
            classLabels = (node.ints("classlabels_int64s") ?? []).map(Int64.init)
            classNames = node.attribute("classlabels_strings")?.strings.map { String(decoding: $0, as: UTF8.self) } ?? []
            targets = max(classLabels.count, classNames.count)
            guard targets >= 2 else { throw refuse("a classifier needs at least two classlabels_int64s or classlabels_strings") }
            aggregate = "SUM"
        } else {
            classLabels = []
            classNames = []
            targets = Int(node.int("n_targets", default: 1))
            aggregate = node.string("aggregate_function", default: "SUM")
        }
        let scores = targets
        guard scores >= 1, scores <= TreeEnsembleSpec.widthMax else { throw refuse("\(scores) targets") }
        guard wIDs.allSatisfy({ $0 >= 0 && $0 < scores }) else { throw refuse("\(prefix)_ids outside 0…\(scores - 1)") }
        weights = (0..<wTrees.count).map { Weight(tree: wTrees[$0], node: wNodes[$0], target: wIDs[$0], weight: wValues[$0]) }
        let base = try reals("base_values") ?? []
        guard base.isEmpty || base.count == targets || (isClassifier && base.count == 1) else {
            throw refuse("base_values has \(base.count) entries for \(targets) scores")
        }
        guard base.allSatisfy(\.isFinite) else { throw refuse("a base value is not finite") }
        self.base = base
        postTransform = node.string("post_transform", default: "NONE")
        guard ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"].contains(postTransform) else {
            throw refuse("post_transform '\(postTransform)'; supported: NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO")
        }
        guard ["SUM", "AVERAGE", "MIN", "MAX"].contains(aggregate) else {
            throw refuse("aggregate_function '\(aggregate)'; supported: SUM, AVERAGE, MIN, MAX")
        }
    }
}
