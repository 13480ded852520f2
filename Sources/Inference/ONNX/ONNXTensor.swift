import Foundation

/// An ONNX initializer read into plain Swift values, with its element count checked.
///
/// Float weights arrive either as `raw_data` (little-endian bytes, what PyTorch and
/// `numpy_helper` write) or as the typed `float_data` / `double_data` fields; integer shape
/// tensors (for Reshape) as `raw_data` or `int64_data`. External data is refused: a
/// registered model must be one self-contained file.
struct ONNXTensor {
    /// The tensor's name in the graph.
    let name: String
    /// Its shape; `[]` for a scalar.
    let shape: [Int]
    /// Its values as doubles (floats convert exactly; int64 shape values are small).
    let values: [Double]

    /// ONNX `TensorProto.DataType` codes this importer reads.
    enum DataType: Int32 {
        case float = 1
        case int64 = 7
        case double = 11
    }

    /// Number of elements of this shape.
    var count: Int { values.count }

    /// Decodes an initializer; every length is checked against the shape before any read.
    init(_ proto: Onnx_TensorProto) throws(InferenceError) {
        name = proto.name
        guard proto.dims.count <= InferenceLimits.rankMax else {
            throw .invalidInitializer(name: name, detail: "rank \(proto.dims.count) exceeds \(InferenceLimits.rankMax)")
        }
        var elements = 1
        var dims: [Int] = []
        for d in proto.dims {
            guard d >= 0, d <= Int64(InferenceLimits.tensorElementsMax) else {
                throw .invalidInitializer(name: name, detail: "dimension \(d) out of range")
            }
            dims.append(Int(d))
            elements *= Int(d)
            guard elements <= InferenceLimits.tensorElementsMax else {
                throw .tensorTooLarge(name: name, elements: elements, limit: InferenceLimits.tensorElementsMax)
            }
        }
        shape = dims
        guard proto.dataLocation != .external else {
            throw .invalidInitializer(name: name, detail: "external data is not supported")
        }
        guard let type = DataType(rawValue: proto.dataType) else {
            throw .invalidInitializer(name: name, detail: "data type \(proto.dataType) is not float, double or int64")
        }
        let raw = proto.rawData
        if !raw.isEmpty {
            let width = type == .float ? 4 : 8
            guard raw.count == elements * width else {
                throw .invalidInitializer(name: name, detail: "raw_data has \(raw.count) bytes, shape needs \(elements * width)")
            }
            values = Self.decodeRaw([UInt8](raw), type: type, count: elements)
        } else {
            let typed: [Double]
            switch type {
            case .float: typed = proto.floatData.map(Double.init)
            case .double: typed = proto.doubleData
            case .int64: typed = proto.int64Data.map(Double.init)
            }
            guard typed.count == elements else {
                throw .invalidInitializer(name: name, detail: "has \(typed.count) values, shape needs \(elements)")
            }
            values = typed
        }
    }

    /// Little-endian decoding of `count` values; the caller checked the byte length.
    private static func decodeRaw(_ bytes: [UInt8], type: DataType, count: Int) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(count)
        for i in 0..<count {
            switch type {
            case .float:
                var bits: UInt32 = 0
                for b in (0..<4).reversed() { bits = bits << 8 | UInt32(bytes[i * 4 + b]) }
                out.append(Double(Float(bitPattern: bits)))
            case .double, .int64:
                var bits: UInt64 = 0
                for b in (0..<8).reversed() { bits = bits << 8 | UInt64(bytes[i * 8 + b]) }
                out.append(type == .double ? Double(bitPattern: bits) : Double(Int64(bitPattern: bits)))
            }
        }
        return out
    }
}
