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
        case uint8 = 2
        case int8 = 3
        case int16 = 5
        case int32 = 6
        case int64 = 7
        case bool = 9
        case double = 11

        /// Bytes per element in `raw_data`.
        var width: Int {
            switch self {
            case .uint8, .int8, .bool: 1
            case .int16: 2
            case .float, .int32: 4
            case .int64, .double: 8
            }
        }

        /// Whether the values are integers (shape tensors, indices, class labels).
        var isInteger: Bool { self != .float && self != .double }
    }

    /// The element type.
    let type: DataType

    /// Number of elements of this shape.
    var count: Int { values.count }

    /// A tensor computed at import (constant folding).
    init(name: String, shape: [Int], values: [Double], type: DataType) {
        self.name = name
        self.shape = shape
        self.values = values
        self.type = type
    }

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
            throw .invalidInitializer(name: name, detail: "data type \(proto.dataType) is not a number type the importer reads (float, double, int8/16/32/64, uint8, bool)")
        }
        self.type = type
        let raw = proto.rawData
        if !raw.isEmpty {
            let width = type.width
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
            // ONNX stores these in `int32_data`, one element per entry.
            case .int32, .int16, .int8, .uint8, .bool: typed = proto.int32Data.map(Double.init)
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
            let w = type.width
            var bits: UInt64 = 0
            for b in (0..<w).reversed() { bits = bits << 8 | UInt64(bytes[i * w + b]) }
            switch type {
            case .float: out.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
            case .double: out.append(Double(bitPattern: bits))
            case .int64: out.append(Double(Int64(bitPattern: bits)))
            case .int32: out.append(Double(Int32(bitPattern: UInt32(truncatingIfNeeded: bits))))
            case .int16: out.append(Double(Int16(bitPattern: UInt16(truncatingIfNeeded: bits))))
            case .int8: out.append(Double(Int8(bitPattern: UInt8(truncatingIfNeeded: bits))))
            case .uint8, .bool: out.append(Double(bits))
            }
        }
        return out
    }
}
