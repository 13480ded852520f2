import Foundation
@testable import Inference

/// Builds small ONNX models in code, for tests that need a graph no fixture has.
enum ONNXBuilder {
    /// A float initializer stored as `float_data`.
    static func tensor(_ name: String, _ dims: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = 1
        t.floatData = values
        return t
    }

    /// A node with integer, integer-list and float attributes.
    static func node(_ op: String, _ inputs: [String], _ output: String, name: String = "",
                     int: [String: Int] = [:], ints: [String: [Int]] = [:], float: [String: Float] = [:]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = [output]
        n.name = name
        for (k, v) in int.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto(); a.name = k; a.type = .int; a.i = Int64(v); n.attribute.append(a)
        }
        for (k, v) in ints.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto(); a.name = k; a.type = .ints; a.ints = v.map(Int64.init); n.attribute.append(a)
        }
        for (k, v) in float.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto(); a.name = k; a.type = .float; a.f = v; n.attribute.append(a)
        }
        return n
    }

    /// An int64 initializer (shapes, axes, indices) stored as `int64_data`.
    static func int64s(_ name: String, _ values: [Int]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = [Int64(values.count)]
        t.dataType = 7
        t.int64Data = values.map(Int64.init)
        return t
    }

    /// A serialised model with one input `x` (float, or the ONNX element type `inputType`; its
    /// first dimension symbolic when `batch` is set) and the given outputs.
    static func graph(_ nodes: [Onnx_NodeProto], initializers: [Onnx_TensorProto], inputShape: [Int],
                      outputs: [String], batch: Bool = false, opset: Int64 = 17, inputType: Int32 = 1) throws -> [UInt8] {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var op = Onnx_OperatorSetIdProto()
        op.version = opset
        model.opsetImport = [op]
        var graph = Onnx_GraphProto()
        graph.name = "test"
        graph.node = nodes
        graph.initializer = initializers
        var input = valueInfo("x", inputShape, type: inputType)
        if batch, case .tensorType(var t)? = input.type.value {
            t.shape.dim[0].dimParam = "batch"
            input.type.value = .tensorType(t)
        }
        graph.input = [input]
        graph.output = outputs.map { valueInfo($0, [1]) }
        model.graph = graph
        return try model.serializedBytes()
    }

    /// A serialised model with one float input `x` and one output.
    static func model(_ nodes: [Onnx_NodeProto], initializers: [Onnx_TensorProto], inputShape: [Int],
                      output: String, opset: Int64 = 13) throws -> [UInt8] {
        try graph(nodes, initializers: initializers, inputShape: inputShape, outputs: [output], opset: opset)
    }

    private static func valueInfo(_ name: String, _ shape: [Int], type: Int32 = 1) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = type
        var s = Onnx_TensorShapeProto()
        s.dim = shape.map { d in var dim = Onnx_TensorShapeProto.Dimension(); dim.dimValue = Int64(d); return dim }
        tensor.shape = s
        info.type.value = .tensorType(tensor)
        return info
    }

    /// A dense model `x[1, n] → Gemm(W [m, n], transB) → rest…` with constant weights.
    static func gemm(inputs n: Int, outputs m: Int, weight: Float, then extra: [Onnx_NodeProto] = [],
                     output: String? = nil) throws -> [UInt8] {
        let nodes = [node("Gemm", ["x", "W", "B"], "y", name: "fc", int: ["transB": 1])] + extra
        return try model(nodes, initializers: [tensor("W", [m, n], Array(repeating: weight, count: m * n)),
                                               tensor("B", [m], Array(repeating: 0, count: m))],
                         inputShape: [1, n], output: output ?? (extra.last?.output.first ?? "y"))
    }
}

/// A small seeded generator (SplitMix64) so fuzz-style tests replay exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
