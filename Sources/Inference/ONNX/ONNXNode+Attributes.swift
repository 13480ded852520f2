import Foundation

/// Typed attribute access for ONNX nodes, with the defaults the ONNX operator specs give.
extension Onnx_NodeProto {
    /// The node's name, or its position when the exporter left the name empty.
    func displayName(index: Int) -> String {
        name.isEmpty ? "#\(index) (\(opType))" : name
    }

    /// The attribute called `key`, if present.
    func attribute(_ key: String) -> Onnx_AttributeProto? {
        attribute.first { $0.name == key }
    }

    /// An `INT` attribute, or `defaultValue` when absent.
    func int(_ key: String, default defaultValue: Int64) -> Int64 {
        attribute(key)?.i ?? defaultValue
    }

    /// A `FLOAT` attribute, or `defaultValue` when absent.
    func float(_ key: String, default defaultValue: Double) -> Double {
        attribute(key).map { Double($0.f) } ?? defaultValue
    }

    /// An `INTS` attribute, or nil when absent.
    func ints(_ key: String) -> [Int]? {
        attribute(key).map { $0.ints.map { Int(clamping: $0) } }
    }

    /// A `STRING` attribute decoded as UTF-8, or `defaultValue` when absent.
    func string(_ key: String, default defaultValue: String) -> String {
        attribute(key).map { String(decoding: $0.s, as: UTF8.self) } ?? defaultValue
    }

    /// The names of every attribute present, for refusing ones an operator does not support.
    var attributeNames: Set<String> { Set(attribute.map(\.name)) }
}
