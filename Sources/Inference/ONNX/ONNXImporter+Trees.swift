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
        /// The integer threshold as a real number, `T · 2^-f_in` (the integer comparison is
        /// `X ≤ T`, or `X = T`, on the quantised value `X`).
        public let quantisedThreshold: Double
        /// The calibration value at the ensemble's input, as the float graph computes it.
        public let value: Double
        /// The same value as the integer model computes it, as a real number `X · 2^-f_in`: on
        /// the other side (the input's rounding, or the quantisation of the steps before).
        public let quantisedValue: Double
    }

    /// Where a node of the integer table comes from: the ONNX node, and whether quantisation
    /// swapped its children (`GTE`, `GT`, `NEQ`).
    struct Origin: Sendable {
        let node: TreeAttributes.Node
        let swapped: Bool
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
    /// The first `TreeThresholdReport.listed` thresholds moved across a calibration value.
    public let movedThresholds: [MovedThreshold]
    /// How many (node, calibration value) pairs quantisation moved, in all.
    public let movedThresholdCount: Int
    /// The ONNX node of each node of `ensemble`, in the same order.
    let origins: [Origin]

    /// The same ensemble with a moved-threshold report.
    func reporting(_ report: TreeThresholdReport) -> TreeModelImport {
        TreeModelImport(ensemble: ensemble, classLabels: classLabels, classNames: classNames, isClassifier: isClassifier,
                        movedThresholds: report.moved, movedThresholdCount: report.movedCount, origins: origins)
    }

    /// Compares, for every internal node and every calibration item, ONNX's float comparison
    /// (`real[i]`: the item's values at the ensemble's input as the float graph computes them,
    /// the threshold as written, the original mode) with the integer one (`integer[i]`: the
    /// same values as the integer model computes them). Lists the first `listed` disagreements.
    func movedThresholds(real: [[Double]], integer: [[Int64]], listed: Int) -> (count: Int, moved: [MovedThreshold]) {
        let nodes = ensemble.nodes
        let unit = Double(sign: .plus, exponent: -ensemble.spec.inputFractionBits, significand: 1)
        var count = 0
        var moved: [MovedThreshold] = []
        for (x, xi) in zip(real, integer) where x.count == ensemble.spec.featureCount && xi.count == x.count {
            for (node, origin) in zip(nodes, origins) where !node.isLeaf {
                let j = origin.node.feature
                let float = TreeQuantiser.holds(origin.node.mode, x[j], origin.node.threshold)
                guard float != (node.holds(xi[j]) != origin.swapped) else { continue }
                count += 1
                if moved.count < listed {
                    moved.append(MovedThreshold(tree: origin.node.tree, node: origin.node.id, feature: j, threshold: origin.node.threshold,
                                                quantisedThreshold: Double(node.threshold) * unit, value: x[j],
                                                quantisedValue: Double(xi[j]) * unit))
                }
            }
        }
        return (count, moved)
    }
}

/// What registration reports about one tree-ensemble step's thresholds (docs/PROTOCOL.md,
/// "Moved thresholds"): on how many calibration items they were checked, how many
/// (node, item) pairs quantisation moved across the item's value, and the first of them.
public struct TreeThresholdReport: Sendable, Equatable {
    /// The ONNX node of the step.
    public let step: String
    /// Whether the float values at the step's input could be computed: the steps before it
    /// are ones the importer evaluates in float (`GraphBuilder.realOperators`). When not, no
    /// calibration item is checked and `calibrationInputs` is 0.
    public let checked: Bool
    /// Calibration items checked.
    public let calibrationInputs: Int
    /// (node, calibration item) pairs whose comparison quantisation changed.
    public let movedCount: Int
    /// The first `listed` of them.
    public let moved: [TreeModelImport.MovedThreshold]
    /// The most moved thresholds a report lists.
    public static let listed = 8
}

/// A model imported for registration, with what registration reports beside its scales.
public struct ModelImport: Sendable {
    /// The quantised model.
    public let model: QuantizedModel
    /// One report per tree-ensemble step, in node order.
    public let treeThresholds: [TreeThresholdReport]
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
    /// The ensemble is quantised as `importModel(_:options:)` quantises the graph's step (one
    /// import path): this only checks first that the graph is the ensemble alone.
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
        guard !integer, shape.last != nil, shape.count == 2 else {
            throw .unsupportedGraph(node: input.name, detail: "a tree model reads one float tensor [N, features]")
        }
        // The ensemble is the graph import's one tree step.
        let trees = try importReporting(proto, options: options).trees
        guard trees.count == 1, let tree = trees.first else {
            throw .unsupportedGraph(node: graph.name, detail: "the model has \(trees.count) tree-ensemble steps")
        }
        return tree
    }
}
