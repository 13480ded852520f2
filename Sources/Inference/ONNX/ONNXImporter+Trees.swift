import Foundation

/// A tree ensemble read from an ONNX file, with what registration reports about it.
public struct TreeModelImport: Sendable {
    /// A threshold that quantisation moved across a calibration value: the float comparison
    /// of ONNX and the integer one disagree on that value.
    public struct MovedThreshold: Sendable, Equatable {
        /// Tree and node (ONNX ids).
        public let tree: Int, node: Int
        /// The feature compared.
        public let feature: Int
        /// The threshold as written.
        public let threshold: Double
        /// The calibration value on the other side after quantisation.
        public let value: Double
    }

    /// The quantised ensemble.
    public let ensemble: TreeEnsemble
    /// A classifier's integer class labels, in score order (empty for regressors and for
    /// string labels).
    public let classLabels: [Int64]
    /// A classifier's string class labels, when the model has those instead.
    public let classNames: [String]
    /// Whether the model is a classifier (its output is the probabilities or scores per class).
    public let isClassifier: Bool
    /// The first `movedThresholdsListed` thresholds moved across a calibration value.
    public let movedThresholds: [MovedThreshold]
    /// How many (node, calibration value) pairs quantisation moved, in all.
    public let movedThresholdCount: Int
    /// The most moved thresholds listed.
    public static let movedThresholdsListed = 64
}

/// Import of `ai.onnx.ml` `TreeEnsembleClassifier` and `TreeEnsembleRegressor` (operator set 1
/// and 3 attributes, `*_as_tensor` included) and `TreeEnsemble` (operator set 5).
///
/// The graph may hold, besides the ensemble reading the model input, only the nodes exporters
/// put after it — `Identity`, `Cast`, `ZipMap` and `Mul` by the constant 1 — which do not
/// change the scores. The imported model's output is the ensemble's second output (the
/// probabilities or scores per class) for a classifier and its only output for a regressor:
/// the label output (`classes[argmax]`) and ZipMap's map are not part of the integer model;
/// `classLabels` carries the classes for a caller that maps the argmax to its label.
extension ONNXImporter {
    /// Operators accepted after the ensemble.
    static let treeTailOperators: Set<String> = ["Identity", "Cast", "ZipMap", "Mul"]

    /// Parses and quantises a tree-ensemble model (see docs/PROTOCOL.md, "Tree ensembles").
    public static func importTreeEnsemble(_ bytes: [UInt8], options: QuantisationOptions = .default) throws(InferenceError) -> TreeModelImport {
        try options.validate()
        let proto = try parse(bytes)
        guard proto.hasGraph, !proto.graph.node.isEmpty else { throw .malformedModel(detail: "no graph or no nodes") }
        let graph = proto.graph
        guard graph.node.count <= InferenceLimits.nodeCountMax else {
            throw .unsupportedGraph(node: graph.name, detail: "\(graph.node.count) nodes")
        }
        let names = ["TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble"]
        let ensembles = graph.node.enumerated().filter { names.contains($0.element.opType) && $0.element.domain == "ai.onnx.ml" }
        guard ensembles.count == 1, let (index, node) = ensembles.first else {
            throw .unsupportedGraph(node: graph.name, detail: "a tree model has exactly one ai.onnx.ml TreeEnsembleClassifier, TreeEnsembleRegressor or TreeEnsemble, this has \(ensembles.count)")
        }
        let initializers = Set(graph.initializer.map(\.name))
        let inputs = graph.input.filter { !initializers.contains($0.name) }
        guard inputs.count == 1, let input = inputs.first, node.input.first == input.name else {
            throw .unsupportedGraph(node: node.displayName(index: index), detail: "the ensemble must read the graph's one input")
        }
        for (i, other) in graph.node.enumerated() where i != index {
            guard treeTailOperators.contains(other.opType) else {
                throw .unsupportedOperator(op: "\(other.domain.isEmpty ? "" : other.domain + ".")\(other.opType)", node: other.displayName(index: i))
            }
            if other.opType == "Mul" {
                let constant = graph.initializer.first { other.input.contains($0.name) }
                guard let c = constant, let t = try? ONNXTensor(c), t.values == [1] else {
                    throw .unsupportedGraph(node: other.displayName(index: i), detail: "Mul after a tree ensemble must be by the constant 1")
                }
            }
        }
        let (shape, _, integer) = try inputShape(input)
        guard !integer, let features = shape.last, shape.count == 2 else {
            throw .unsupportedGraph(node: input.name, detail: "a tree model reads one float tensor [N, features]")
        }
        let raw = node.opType == "TreeEnsemble"
            ? try TreeAttributes(opset5: node, name: node.displayName(index: index), features: features)
            : try TreeAttributes(node, name: node.displayName(index: index), features: features)
        return try TreeQuantiser.quantise(raw, options: options)
    }
}
