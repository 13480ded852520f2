import Foundation
import SwiftProtobuf

/// Reads an ONNX model into a `QuantizedModel`.
///
/// The graph is imported as a DAG of steps over named tensors: every node whose inputs are
/// all constants (initializers, `Constant`, shape arithmetic on static shapes) is folded at
/// import; the others become model steps (`GraphBuilder.lower`). An input whose first
/// dimension is symbolic or unnamed is read as a batch dimension. Every refusal names the
/// node, the operator and what would be accepted; malformed bytes give `malformedModel`,
/// never a crash.
public enum ONNXImporter {
    /// The `onnx` operator-set versions whose semantics the importer implements.
    public static let opsetVersions: ClosedRange<Int64> = 7...25

    /// Every operator the importer accepts (as a model step or folded as a constant).
    public static var supportedOperators: [String] {
        GraphBuilder.operators.union(ConstantFolding.operators).union(["Constant"])
            .union(GraphBuilder.mlOperators.map { "ai.onnx.ml.\($0)" }).sorted()
    }

    /// Parses, checks and quantises an ONNX model.
    public static func importModel(_ bytes: [UInt8], config: QuantizationConfig = .default) throws(InferenceError) -> QuantizedModel {
        return try importModel(try parse(bytes), config: config)
    }

    /// Decodes the protobuf, refusing an empty or oversized file.
    static func parse(_ bytes: [UInt8]) throws(InferenceError) -> Onnx_ModelProto {
        guard bytes.count <= InferenceLimits.modelBytesMax else {
            throw .modelTooLarge(bytes: bytes.count, limit: InferenceLimits.modelBytesMax)
        }
        guard !bytes.isEmpty else { throw .malformedModel(detail: "empty file") }
        do {
            return try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw .malformedModel(detail: "protobuf decoding failed (\(error))")
        }
    }

    /// Checks and quantises an already decoded model; with a `plan`, the input and the linear
    /// layers' outputs take the scales it names (see `Calibration`).
    static func importModel(_ proto: Onnx_ModelProto, config: QuantizationConfig,
                            plan: ScalePlan? = nil) throws(InferenceError) -> QuantizedModel {
        try importGraph(proto, config: config, plan: plan, calibration: []).model
    }

    /// `importModel(_:config:plan:)`, also following the float graph on `calibration` up to each
    /// tree-ensemble step (see `GraphBuilder+Real`): the model and its builder's tree checks.
    static func importGraph(_ proto: Onnx_ModelProto, config: QuantizationConfig, plan: ScalePlan?,
                            calibration: [[Double]]) throws(InferenceError) -> (model: QuantizedModel, builder: GraphBuilder) {
        // Random bytes often decode as a protobuf with only unknown fields; these checks are
        // what turns such input into a clear error.
        guard proto.hasGraph, !proto.graph.node.isEmpty else { throw .malformedModel(detail: "no graph or no nodes") }
        // A graph of ai.onnx.ml operators only (onnxmltools' XGBoost export) may import no
        // default operator set.
        let onlyML = proto.graph.node.allSatisfy { $0.domain == "ai.onnx.ml" }
        let defaultOpset = proto.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })?.version
        guard let opset = defaultOpset ?? (onlyML ? opsetVersions.upperBound : nil), opsetVersions.contains(opset) else {
            throw .malformedModel(detail: "the default operator set version must be in \(opsetVersions)")
        }
        let mlOpset = proto.opsetImport.first(where: { $0.domain == "ai.onnx.ml" })?.version
        if let mlOpset, !GraphBuilder.mlOpsetVersions.contains(mlOpset) {
            throw .malformedModel(detail: "the ai.onnx.ml operator set version must be in \(GraphBuilder.mlOpsetVersions)")
        }
        let graph = proto.graph
        guard graph.node.count <= InferenceLimits.nodeCountMax else {
            throw .unsupportedGraph(node: graph.name, detail: "\(graph.node.count) nodes, the limit is \(InferenceLimits.nodeCountMax)")
        }
        // Initializers are decoded when first read, so one the graph never uses (a class-label
        // table, say) cannot stop the import.
        var initializerProtos: [String: Onnx_TensorProto] = [:]
        for t in graph.initializer {
            guard initializerProtos.updateValue(t, forKey: t.name) == nil else {
                throw .invalidInitializer(name: t.name, detail: "defined twice")
            }
        }
        let inputs = graph.input.filter { initializerProtos[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            throw .unsupportedGraph(node: graph.name, detail: "the graph must have exactly one input that is not an initializer, it has \(inputs.count) (\(inputs.map(\.name)))")
        }
        guard !graph.output.isEmpty else { throw .unsupportedGraph(node: graph.name, detail: "the graph has no output") }
        let (inputShape, _, integerInput) = try Self.inputShape(input)
        var readers: [String: Int] = [:]
        for node in graph.node { for i in node.input where !i.isEmpty { readers[i, default: 0] += 1 } }
        for o in graph.output { readers[o.name, default: 0] += 1 }
        let outputNames = Set(graph.output.map(\.name))
        // Token ids start with every id an embedding table could have; each lookup narrows the range.
        let inputInfo = integerInput
            ? try TensorInfo(shape: inputShape, fractionBits: 0, lo: 0, hi: Int64(InferenceLimits.tensorElementsMax), name: input.name)
            : try TensorInfo(shape: inputShape, fractionBits: plan?.inputFractionBits ?? config.activationFractionBits,
                             lo: config.activationMin, hi: config.activationMax, name: input.name)
        var builder = GraphBuilder(config: config, input: inputInfo, inputName: input.name, initializers: [:], readers: readers)
        builder.integerInput = integerInput
        builder.plan = plan
        if !integerInput { builder.startReal(inputName: input.name, calibration: calibration) }

        for (i, node) in graph.node.enumerated() {
            let name = node.displayName(index: i)
            let ml = node.domain == "ai.onnx.ml" && mlOpset != nil
            guard node.domain.isEmpty || node.domain == "ai.onnx" || ml else {
                throw .unsupportedOperator(op: "\(node.domain).\(node.opType)", node: name)
            }
            // A classifier's label (and what only reshapes or casts it) is not a model tensor.
            if try builder.lowerLabel(node, name: name, initializers: initializerProtos) { continue }
            // Bind initializers on first use.
            for input in node.input where !input.isEmpty && builder.values[input] == nil {
                if let proto = initializerProtos[input] { builder.values[input] = .constant(try ONNXTensor(proto)) }
            }
            builder.propagateReal(node)
            if node.opType == "Constant" {
                builder.values[node.output.first ?? name] = .constant(try ConstantFolding.constant(node, name: name))
                continue
            }
            var constants: [ONNXTensor?] = []
            var allConstant = true
            for input in node.input {
                if input.isEmpty { constants.append(nil); continue }
                switch builder.values[input] {
                case .constant(let t)?: constants.append(t)
                case .tensor?: allConstant = false
                case nil: throw .unsupportedGraph(node: name, detail: "input '\(input)' is not computed before this node")
                }
            }
            if ml {
                try builder.lowerML(node, name: name)
                continue
            }
            if allConstant && !node.input.isEmpty && ConstantFolding.operators.contains(node.opType) {
                let outs = try ConstantFolding.fold(node, name: name, inputs: constants, opset: opset)
                for (o, t) in zip(node.output, outs) where !o.isEmpty { builder.values[o] = .constant(t) }
                continue
            }
            if allConstant && !node.input.isEmpty {
                throw .unsupportedGraph(node: name, detail: "\(node.opType) of constants only cannot be folded at import (foldable: \(ConstantFolding.operators.sorted().joined(separator: ", ")))")
            }
            try builder.lower(node, name: name, opset: opset, isGraphOutput: { outputNames.contains($0) })
        }
        var outputs: [Int] = []
        var labels: [LabelValue] = []
        for o in graph.output {
            if let label = builder.labelValues[o.name] {
                labels.append(label)
                continue
            }
            guard !builder.integerCasts.contains(o.name) else {
                throw .unsupportedAttribute(op: "Cast", node: o.name, detail: "a model tensor may only be cast to a float type (a cast to an integer type only for OneHotEncoder), and the graph output '\(o.name)' is one")
            }
            guard case .tensor(let id)? = builder.values[o.name] else {
                throw .unsupportedGraph(node: o.name, detail: "the graph output '\(o.name)' is not computed from the model input")
            }
            outputs.append(id)
        }
        let classLabels = try GraphBuilder.labelOutput(labels, outputs: &outputs)
        if integerInput { try Self.checkTokenInput(builder, name: input.name) }
        var columnShifts: [Int: [Int]] = [:]
        if let e = plan?.featureFractionBits {
            guard !integerInput, e.count == inputShape.last,
                  let columns = Self.featureColumns(nodes: builder.nodes, shapes: builder.tensors.map(\.shape),
                                                    kinds: builder.layers.map(\.kind)) else {
                throw .invalidQuantization(detail: "per-feature input scales need every step reading the input to be a linear layer over its features")
            }
            let fin = builder.tensors[0].fractionBits
            for (k, features) in columns { columnShifts[k] = features.map { fin - e[$0] } }
        }
        let parameters = try Self.quantize(builder.layers, config: config, scales: Self.layerScales(builder),
                                           columnShifts: columnShifts)
        let model = try QuantizedModel(config: config, input: builder.tensors[0], nodes: builder.nodes, parameters: parameters,
                                       outputs: outputs, batchable: Self.keepsItemsApart(builder),
                                       integerInput: integerInput, labels: classLabels,
                                       inputFeatureFractionBits: columnShifts.isEmpty ? nil : plan?.featureFractionBits,
                                       trees: builder.trees)
        return (model, builder)
    }

    /// An integer input must be token ids read only by embedding lookups (`Gather` of a
    /// constant table), so that no step treats the ids as numbers.
    static func checkTokenInput(_ b: GraphBuilder, name: String) throws(InferenceError) {
        var lookups = 0
        for node in b.nodes where node.inputs.contains(0) {
            guard case .linear(let k, _) = node.op, case .oneHot = b.layers[k].kind else {
                throw .unsupportedGraph(node: node.name, detail: "the integer input '\(name)' holds token ids and may only be read by Gather of a constant table (an embedding lookup)")
            }
            lookups += 1
        }
        guard lookups > 0 else {
            throw .unsupportedGraph(node: name, detail: "the integer input is read by no embedding lookup (Gather of a constant table); a model input must be float, or int64/int32 token ids")
        }
    }

    /// The declared input shape with the batch dimension read as 1, and whether it is a batch
    /// dimension (symbolic, unnamed or absent in the declaration).
    /// An int64 or int32 input is read as token ids (`integer`).
    static func inputShape(_ input: Onnx_ValueInfoProto) throws(InferenceError) -> (shape: [Int], batchable: Bool, integer: Bool) {
        let integerTypes = [ONNXTensor.DataType.int64.rawValue, ONNXTensor.DataType.int32.rawValue]
        guard case .tensorType(let tensor)? = input.type.value,
              tensor.elemType == ONNXTensor.DataType.float.rawValue || integerTypes.contains(tensor.elemType), tensor.hasShape else {
            throw .unsupportedGraph(node: input.name, detail: "the input must be a float tensor (or int64/int32 token ids) with a declared shape")
        }
        var shape: [Int] = []
        var batchable = false
        for (i, dim) in tensor.shape.dim.enumerated() {
            switch dim.value {
            case .dimValue(let v)? where v >= 1 && v <= Int64(InferenceLimits.tensorElementsMax):
                shape.append(Int(v))
            case .dimParam? where i == 0, nil where i == 0:
                shape.append(1)
                batchable = true
            default:
                throw .unsupportedGraph(node: input.name, detail: "input dimension \(i) must be a positive constant (only the first, the batch, may be symbolic)")
            }
        }
        let integer = integerTypes.contains(tensor.elemType)
        guard !shape.isEmpty, shape.count <= InferenceLimits.rankMax, shape[0] == 1 else {
            let what = integer ? "an integer input holds token ids for an embedding lookup and" : "the input"
            throw .unsupportedGraph(node: input.name, detail: "\(what) must have batch size 1 or a symbolic batch dimension, got \(shape)")
        }
        return (shape, batchable, integer)
    }

    /// Whether every step treats axis 0 as the batch: every tensor keeps it at length 1 and no
    /// step moves, joins, slices or reduces across it. Only then are `B` runs of the graph the
    /// batched model.
    static func keepsItemsApart(_ b: GraphBuilder) -> Bool {
        guard b.tensors.allSatisfy({ $0.shape.first == 1 }) else { return false }
        for node in b.nodes {
            switch node.op {
            case .transpose(let perm): if perm.first != 0 { return false }
            case .concat(let axis): if axis == 0 { return false }
            case .gather(let axis, _, _): if axis == 0 { return false }
            case .reduce(let r): if r.axes.contains(0) && !r.keepDimensions { return false }
            case .matMul:
                if node.inputs.contains(where: { b.tensors[$0].shape.count < 3 }) { return false }
            default: break
            }
        }
        return true
    }

    /// Each linear layer's input and output fraction bits, from the tensors the builder made.
    static func layerScales(_ b: GraphBuilder) -> [(input: Int, output: Int)] {
        b.nodes.enumerated().compactMap { i, node in
            guard case .linear(let k, _) = node.op, let x = node.inputs.first else { return nil }
            // An embedding's columns are one-hot at their own scale, whatever the ids' (2^0) is.
            if k < b.layers.count, case .oneHot(_, _, let f) = b.layers[k].kind { return (f, b.tensors[i + 1].fractionBits) }
            return (b.tensors[x].fractionBits, b.tensors[i + 1].fractionBits)
        }
    }

    /// Real weights and biases to integers: `W` at `2^weightFractionBits`, `b` at the
    /// accumulator scale `2^(f_in + weightFractionBits)` of the layer's input scale `f_in`,
    /// round half up; the rescale shift `f_in + weightFractionBits − f_out` brings the
    /// accumulator to the output scale `f_out` (with every tensor at the activation scale,
    /// the shift is `weightFractionBits`).
    /// With `columnShifts[k]`, column `j` of layer `k` is multiplied by `2^columnShifts[k][j]`
    /// first (per-feature input scales).
    static func quantize(_ layers: [FloatLayer], config: QuantizationConfig,
                         scales: [(input: Int, output: Int)],
                         columnShifts: [Int: [Int]] = [:]) throws(InferenceError) -> [QuantizedModel.LayerParameters] {
        var out: [QuantizedModel.LayerParameters] = []
        for (k, layer) in layers.enumerated() {
            let (fin, fout) = k < scales.count ? scales[k] : (config.activationFractionBits, config.activationFractionBits)
            var w = [Int64]()
            w.reserveCapacity(layer.weights.count)
            let shifts = columnShifts[k]
            let perChannel: Bool = { if case .elementwise = layer.kind { return true } else { return false } }()
            for (index, real) in layer.weights.enumerated() {
                var v = real
                if let shifts {
                    let column = perChannel ? index : index % max(1, layer.inner)
                    if column < shifts.count { v *= Double(sign: .plus, exponent: shifts[column], significand: 1) }
                }
                guard let q = IntegerSemantics.quantize(v, fractionBits: config.weightFractionBits) else {
                    throw .weightOutOfRange(layer: k, value: v)
                }
                w.append(q)
            }
            var b = [Int64]()
            for v in layer.bias {
                guard let q = IntegerSemantics.quantize(v, fractionBits: fin + config.weightFractionBits) else {
                    throw .weightOutOfRange(layer: k, value: v)
                }
                b.append(q)
            }
            let shift = fin + config.weightFractionBits - fout
            guard shift >= 0 else {
                throw .invalidQuantization(detail: "node '\(layer.node)': output scale 2^-\(fout) is finer than its accumulator's 2^-\(fin + config.weightFractionBits)")
            }
            let activation = try Activation(shift: shift, lo: layer.lo, hi: layer.hi)
            out.append(.init(prepare: [], kind: layer.kind, rows: layer.rows, activation: activation, weights: w, bias: b))
        }
        return out
    }
}
