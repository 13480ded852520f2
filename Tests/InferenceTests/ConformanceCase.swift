import Foundation
@testable import Inference

/// One ONNX conformance case as `scripts/onnx_conformance.py` writes it: the one-node model
/// and its `case.json` (runtime inputs, initializers, expected outputs).
struct ConformanceCase: Sendable {
    /// A tensor of `case.json`: flat C-order values with the dtype ONNX gives them.
    struct Tensor: Decodable, Sendable {
        let name: String
        let shape: [Int]
        let dtype: String
        let values: [Value]
        let role: String

        /// Elements of the tensor (a scalar has one).
        var elements: Int { shape.reduce(1, *) }
        /// Whether it is an ONNX `float` (the one element type a model input may have).
        var isFloat32: Bool { dtype == "float32" }
        /// Whether it holds real numbers of any width.
        var isFloating: Bool { dtype.hasPrefix("float") || dtype == "bfloat16" }
        /// The values as reals (booleans as 0 and 1; strings, which no float tensor holds, as NaN).
        var reals: [Double] { values.map(\.real) }
    }

    /// A JSON value of a tensor: a number, a boolean, or a string (non-finite floats are
    /// spelled "NaN", "Infinity", "-Infinity").
    enum Value: Decodable, Sendable {
        case number(Double)
        case bool(Bool)
        case string(String)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else {
                self = .string(try c.decode(String.self))
            }
        }

        var real: Double {
            switch self {
            case .number(let d): d
            case .bool(let b): b ? 1 : 0
            case .string("Infinity"): .infinity
            case .string("-Infinity"): -.infinity
            case .string: .nan
            }
        }
    }

    /// The fields of `case.json`.
    struct Description: Decodable, Sendable {
        let `case`: String
        let opType: String
        let opset: Int
        let inputs: [Tensor]
        let initializers: [Tensor]
        let outputs: [Tensor]

        enum CodingKeys: String, CodingKey {
            case `case`, inputs, initializers, outputs, opset
            case opType = "op_type"
        }
    }

    /// The case's name (`test_…`).
    let name: String
    /// What `case.json` says.
    let description: Description
    /// The case's `model.onnx`, decoded.
    let model: Onnx_ModelProto

    /// The operator under test.
    var opType: String { description.opType }
    /// The model's one node of that operator.
    var node: Onnx_NodeProto? { model.graph.node.last }

    /// Reads `folder/case.json` and `folder/model.onnx`.
    init(folder: URL) throws {
        let json = try Data(contentsOf: folder.appendingPathComponent("case.json"))
        description = try JSONDecoder().decode(Description.self, from: json)
        name = description.case
        model = try Onnx_ModelProto(serializedBytes: [UInt8](try Data(contentsOf: folder.appendingPathComponent("model.onnx"))))
    }

    /// The initializer called `name`, if the case has one.
    func initializer(_ name: String) -> Tensor? {
        description.initializers.first { $0.name == name }
    }
}

/// What the harness feeds the importer: the case's model as is when its interface is the
/// importer's (one float input whose first dimension is 1), else the same node behind an
/// input adapter.
///
/// The importer reads a model with one float input `[1, …]` (the batch axis first). A case
/// with several inputs, or one whose first dimension is not 1, is given one input
/// `conformance.packed` of shape `[1, n]` holding every runtime input's values one after
/// the other; each original input is rebuilt from it by a `Gather` at constant indices along
/// axis 1 (or nothing, for a single input) and a `Reshape` to its own shape. Both are exact
/// data movement, so the adapter adds no error. A `Softmax` whose output is the graph's
/// output is read through an `Identity`, since the importer drops a trailing Softmax (the
/// output is then the logits, as documented) and the step itself is what is under test.
/// Optional outputs the importer documents as not produced (`optionalOutputs`) are removed
/// from the graph's outputs, and the others compared.
struct ConformanceModel {
    /// The model bytes to import.
    let bytes: [UInt8]
    /// The real values of the one model input, in its order.
    let input: [Double]
    /// Whether the adapter was needed.
    let adapted: Bool
    /// The names of the graph outputs left to compare.
    let outputs: [String]

    /// The name of the packed input.
    static let packedName = "conformance.packed"

    /// Per operator, the first of its optional outputs that the importer does not produce
    /// (docs/PROTOCOL.md, "Operators"): Dropout's mask, MaxPool's Indices,
    /// LayerNormalization's Mean and InvStdDev.
    static let optionalOutputs: [String: Int] = ["Dropout": 1, "MaxPool": 1, "LayerNormalization": 1]

    init(_ c: ConformanceCase) throws {
        var model = c.model
        let runtime = c.description.inputs
        let direct = runtime.count == 1 && runtime[0].isFloat32 && runtime[0].shape.first == 1
        let adaptable = !runtime.isEmpty && runtime.allSatisfy(\.isFloat32)
        var adapted = false
        if !direct && adaptable {
            try Self.pack(&model, runtime)
            adapted = true
        }
        if c.opType == "Softmax", let out = c.node?.output.first, model.graph.output.contains(where: { $0.name == out }) {
            Self.readThroughIdentity(&model, out)
            adapted = true
        }
        if let first = Self.optionalOutputs[c.opType], let node = c.node, node.output.count > first {
            let dropped = Set(node.output[first...].filter { !$0.isEmpty })
            if model.graph.output.contains(where: { dropped.contains($0.name) }) {
                model.graph.output.removeAll { dropped.contains($0.name) }
                adapted = true
            }
        }
        self.adapted = adapted
        self.outputs = model.graph.output.map(\.name)
        self.input = runtime.flatMap(\.reals)
        self.bytes = try model.serializedBytes()
    }

    /// Replaces the runtime inputs by one packed `[1, n]` input and the nodes that unpack it.
    static func pack(_ model: inout Onnx_ModelProto, _ runtime: [ConformanceCase.Tensor]) throws {
        var graph = model.graph
        let names = Set(runtime.map(\.name))
        let total = runtime.reduce(0) { $0 + $1.elements }
        var prefix: [Onnx_NodeProto] = []
        var offset = 0
        for (i, t) in runtime.enumerated() {
            var source = packedName
            if runtime.count > 1 {
                let indices = "conformance.indices.\(i)"
                graph.initializer.append(int64s(indices, Array(offset..<(offset + t.elements)), dims: [t.elements]))
                source = "conformance.part.\(i)"
                prefix.append(node("Gather", [packedName, indices], source, ints: ["axis": 1]))
            }
            let shape = "conformance.shape.\(i)"
            graph.initializer.append(int64s(shape, t.shape, dims: [t.shape.count]))
            prefix.append(node("Reshape", [source, shape], t.name))
            offset += t.elements
        }
        graph.node = prefix + graph.node
        graph.input = graph.input.filter { !names.contains($0.name) } + [floatInput(packedName, [1, total])]
        model.graph = graph
    }

    /// Makes the graph output `name` the result of an `Identity` of it.
    static func readThroughIdentity(_ model: inout Onnx_ModelProto, _ name: String) {
        var graph = model.graph
        let inner = "conformance.softmax"
        for i in graph.node.indices {
            graph.node[i].output = graph.node[i].output.map { $0 == name ? inner : $0 }
        }
        graph.node.append(node("Identity", [inner], name))
        model.graph = graph
    }

    static func node(_ op: String, _ inputs: [String], _ output: String, ints: [String: Int64] = [:]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = "conformance.\(op).\(output)"
        n.input = inputs
        n.output = [output]
        for (key, value) in ints {
            var a = Onnx_AttributeProto()
            a.name = key
            a.type = .int
            a.i = value
            n.attribute.append(a)
        }
        return n
    }

    static func int64s(_ name: String, _ values: [Int], dims: [Int]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = 7
        t.int64Data = values.map(Int64.init)
        return t
    }

    static func floatInput(_ name: String, _ shape: [Int]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = 1
        var s = Onnx_TensorShapeProto()
        s.dim = shape.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = Int64(d)
            return dim
        }
        tensor.shape = s
        var type = Onnx_TypeProto()
        type.value = .tensorType(tensor)
        info.type = type
        return info
    }
}
