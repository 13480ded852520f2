/// The calibration items as the float graph computes them, for the steps before a tree
/// ensemble: registration compares the ensemble's float comparisons on these values with the
/// integer ones (docs/PROTOCOL.md, "Moved thresholds"). Only operators whose float32 result
/// the importer computes exactly as onnxruntime does are followed; a tree ensemble after any
/// other step is reported as not checked.
extension GraphBuilder {
    /// The operators followed in float (`Cast` to float or double only).
    static let realOperators: Set<String> = ["Identity", "Cast", "Flatten", "Reshape", "Scaler", "ArrayFeatureExtractor", "Imputer"]

    /// The calibration items at the model input, as float32 values.
    mutating func startReal(inputName: String, calibration: [[Double]]) {
        realValues[inputName] = calibration.map { item in item.map { Double(Float($0)) } }
    }

    /// Computes `node`'s first output in float when its first input is known in float and its
    /// operator is one of `realOperators`; otherwise leaves the output unknown.
    mutating func propagateReal(_ node: Onnx_NodeProto) {
        guard let first = node.input.first, let x = realValues[first], let out = node.output.first, !out.isEmpty,
              GraphBuilder.realOperators.contains(node.opType) else { return }
        let ml = node.domain == "ai.onnx.ml"
        switch (node.opType, ml) {
        case ("Identity", false), ("Flatten", false), ("Reshape", false):
            // Row-major values unchanged.
            realValues[out] = x
        case ("Cast", false):
            switch node.int("to", default: 1) {
            case 1: realValues[out] = x.map { $0.map { Double(Float($0)) } }
            case 11: realValues[out] = x
            default: return
            }
        case ("Imputer", true):
            // Only NaN is replaced (the importer refuses other `replaced_value_float`), and
            // calibration values are finite.
            realValues[out] = x
        case ("Scaler", true):
            let offset = floats(node, "offset"), scale = floats(node, "scale")
            func at(_ v: [Double], _ j: Int, _ d: Double) -> Float {
                v.isEmpty ? Float(d) : Float(v.count == 1 ? v[0] : (j < v.count ? v[j] : d))
            }
            realValues[out] = x.map { item in
                item.enumerated().map { j, v in Double((Float(v) - at(offset, j, 0)) * at(scale, j, 1)) }
            }
        case ("ArrayFeatureExtractor", true):
            guard node.input.count > 1, case .constant(let t)? = values[node.input[1]],
                  case .tensor(let id)? = values[first], tensors[id].shape.last == tensors[id].elements else { return }
            let width = tensors[id].elements
            var indices: [Int] = []
            for v in t.values {
                guard v == v.rounded(), v >= 0, v < Double(width) else { return }
                indices.append(Int(v))
            }
            realValues[out] = x.map { item in item.count == width ? indices.map { item[$0] } : [] }
        default:
            return
        }
    }
}
