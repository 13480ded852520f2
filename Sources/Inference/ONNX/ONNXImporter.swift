import Foundation
import SwiftProtobuf

/// Reads an ONNX model into a `QuantizedModel`.
///
/// Supported: one float input (batch 1), a single chain of Gemm, MatMul, Add, Relu, Conv,
/// MaxPool, AveragePool, Flatten, Reshape, Clip and Identity nodes, and a trailing Softmax,
/// which is dropped (the logits are the output; argmax is unchanged). Every other operator is
/// refused with its name and the node's; malformed bytes give `malformedModel`, never a crash.
public enum ONNXImporter {
    /// The `onnx` operator-set versions whose semantics the importer implements.
    public static let opsetVersions: ClosedRange<Int64> = 7...23

    /// Parses, checks and quantises an ONNX model.
    public static func importModel(_ bytes: [UInt8], config: QuantizationConfig = .default) throws(InferenceError) -> QuantizedModel {
        guard bytes.count <= InferenceLimits.modelBytesMax else {
            throw .modelTooLarge(bytes: bytes.count, limit: InferenceLimits.modelBytesMax)
        }
        guard !bytes.isEmpty else { throw .malformedModel(detail: "empty file") }
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw .malformedModel(detail: "protobuf decoding failed (\(error))")
        }
        return try importModel(proto, config: config)
    }

    /// Checks and quantises an already decoded model.
    static func importModel(_ proto: Onnx_ModelProto, config: QuantizationConfig) throws(InferenceError) -> QuantizedModel {
        // Random bytes often decode as a protobuf with only unknown fields; these checks are
        // what turns such input into a clear error.
        guard proto.hasGraph, !proto.graph.node.isEmpty else { throw .malformedModel(detail: "no graph or no nodes") }
        guard let opset = proto.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })?.version,
              opsetVersions.contains(opset) else {
            throw .malformedModel(detail: "the default operator set version must be in \(opsetVersions)")
        }
        let graph = proto.graph
        guard graph.node.count <= InferenceLimits.nodeCountMax else {
            throw .unsupportedGraph(node: graph.name, detail: "\(graph.node.count) nodes, the limit is \(InferenceLimits.nodeCountMax)")
        }
        var initializers: [String: ONNXTensor] = [:]
        for t in graph.initializer {
            let tensor = try ONNXTensor(t)
            guard initializers.updateValue(tensor, forKey: t.name) == nil else {
                throw .invalidInitializer(name: t.name, detail: "defined twice")
            }
        }
        let inputs = graph.input.filter { initializers[$0.name] == nil }
        guard inputs.count == 1, graph.output.count == 1, let input = inputs.first else {
            throw .unsupportedGraph(node: graph.name, detail: "the graph must have exactly one input and one output")
        }
        let inputShape = try Self.inputShape(input)
        var walker = ONNXGraphWalker(config: config, initializers: initializers, input: input.name, shape: inputShape)
        for (i, node) in graph.node.enumerated() {
            try walker.visit(node, index: i, isLast: i == graph.node.count - 1)
        }
        guard walker.current == graph.output[0].name else {
            throw .unsupportedGraph(node: graph.output[0].name, detail: "the graph output is not the end of the node chain")
        }
        let layers = try walker.finish()
        return try QuantizedModel(config: config, inputShape: inputShape,
                                  layers: Self.quantize(layers, config: config))
    }

    /// The declared input shape; a symbolic batch dimension is read as 1.
    static func inputShape(_ input: Onnx_ValueInfoProto) throws(InferenceError) -> [Int] {
        guard case .tensorType(let tensor)? = input.type.value,
              tensor.elemType == ONNXTensor.DataType.float.rawValue, tensor.hasShape else {
            throw .unsupportedGraph(node: input.name, detail: "the input must be a float tensor with a declared shape")
        }
        var shape: [Int] = []
        for (i, dim) in tensor.shape.dim.enumerated() {
            switch dim.value {
            case .dimValue(let v)? where v >= 1 && v <= Int64(InferenceLimits.tensorElementsMax):
                shape.append(Int(v))
            case .dimParam? where i == 0:
                shape.append(1)
            default:
                throw .unsupportedGraph(node: input.name, detail: "input dimension \(i) must be a positive constant")
            }
        }
        guard !shape.isEmpty, shape.count <= InferenceLimits.rankMax, shape[0] == 1 else {
            throw .unsupportedGraph(node: input.name, detail: "the input must have batch size 1, got \(shape)")
        }
        _ = try ONNXGraphWalker.elements(shape, input.name)
        return shape
    }

    /// Real weights and biases to integers: `W` at `2^weightFractionBits`, `b` at the
    /// accumulator scale `2^(activationFractionBits + weightFractionBits)`, round half up.
    static func quantize(_ layers: [FloatLayer], config: QuantizationConfig) throws(InferenceError) -> [QuantizedModel.LayerParameters] {
        var out: [QuantizedModel.LayerParameters] = []
        for (k, layer) in layers.enumerated() {
            var w = [Int64]()
            w.reserveCapacity(layer.weights.count)
            for v in layer.weights {
                guard let q = IntegerSemantics.quantize(v, fractionBits: config.weightFractionBits) else {
                    throw .weightOutOfRange(layer: k, value: v)
                }
                w.append(q)
            }
            var b = [Int64]()
            for v in layer.bias {
                guard let q = IntegerSemantics.quantize(v, fractionBits: config.activationFractionBits + config.weightFractionBits) else {
                    throw .weightOutOfRange(layer: k, value: v)
                }
                b.append(q)
            }
            let activation = try Activation(shift: config.weightFractionBits, lo: layer.lo, hi: layer.hi)
            out.append(.init(prepare: layer.prepare, kind: layer.kind, rows: layer.rows,
                             activation: activation, weights: w, bias: b))
        }
        return out
    }
}
