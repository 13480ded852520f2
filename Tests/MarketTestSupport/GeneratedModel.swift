import Foundation

/// Real ONNX files of any size, written in code: a dense network
/// `x[1, inputs] → MatMul → Add → Relu → MatMul → y[1, outputs]` with seeded random weights.
///
/// The protobuf is written field by field (the few ONNX fields the importer reads), so tests
/// of the market and the API can upload models far larger than the fixtures, and different
/// seeds give different bytes (different content addresses) of the same cost to import.
public enum GeneratedModel {
    /// The ONNX bytes of a `inputs → hidden → outputs` network whose weights come from `seed`.
    public static func onnx(inputs: Int, hidden: Int, outputs: Int = 10, seed: UInt64) -> [UInt8] {
        var random = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func weights(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                // xorshift64*: quick, seeded, and spread over [-0.5, 0.5).
                random ^= random >> 12; random ^= random << 25; random ^= random >> 27
                let bits = (random &* 0x2545_F491_4F6C_DD1D) >> 40
                return Float(bits) / Float(1 << 24) - 0.5
            }
        }
        let initializers = [
            tensor("w1", [inputs, hidden], weights(inputs * hidden)),
            tensor("b1", [hidden], weights(hidden)),
            tensor("w2", [hidden, outputs], weights(hidden * outputs)),
        ]
        let nodes = [
            node("MatMul", ["x", "w1"], "h1"), node("Add", ["h1", "b1"], "h2"),
            node("Relu", ["h2"], "h3"), node("MatMul", ["h3", "w2"], "y"),
        ]
        var graph: [UInt8] = []
        for n in nodes { graph += field(1, n) }
        graph += field(2, Array("generated".utf8))
        for t in initializers { graph += field(5, t) }
        graph += field(11, valueInfo("x", [1, inputs]))
        graph += field(12, valueInfo("y", [1, outputs]))
        var model = varintField(1, 8)                      // ir_version
        model += field(8, varintField(2, 13))              // opset_import { version: 13 }
        model += field(7, graph)
        return model
    }

    // MARK: protobuf wire format (varint = 0, length-delimited = 2)

    private static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
        return out
    }

    private static func varintField(_ number: Int, _ value: Int) -> [UInt8] {
        varint(UInt64(number << 3)) + varint(UInt64(value))
    }

    private static func field(_ number: Int, _ bytes: [UInt8]) -> [UInt8] {
        varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes
    }

    private static func tensor(_ name: String, _ dims: [Int], _ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        for d in dims { out += varintField(1, d) }       // dims
        out += varintField(2, 1)                         // data_type = FLOAT
        out += field(8, Array(name.utf8))                // name
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw += $0 } }
        out += field(9, raw)                             // raw_data
        return out
    }

    private static func node(_ op: String, _ inputs: [String], _ output: String) -> [UInt8] {
        var out: [UInt8] = []
        for i in inputs { out += field(1, Array(i.utf8)) }
        out += field(2, Array(output.utf8))
        out += field(3, Array("\(op)_\(output)".utf8))
        out += field(4, Array(op.utf8))
        return out
    }

    private static func valueInfo(_ name: String, _ shape: [Int]) -> [UInt8] {
        var dims: [UInt8] = []
        for d in shape { dims += field(1, varintField(1, d)) }         // dim { dim_value }
        let tensorType = varintField(1, 1) + field(2, dims)            // elem_type, shape
        return field(1, Array(name.utf8)) + field(2, field(1, tensorType))
    }
}
