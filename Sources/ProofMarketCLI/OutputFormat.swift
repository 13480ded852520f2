import Foundation
import Inference

/// How the proof commands print a model output.
enum OutputFormat {
    /// `output [..integers..] = [..reals..] argmax N`, then for a classifier ` label L` (one
    /// item) or ` labels [L, …]` (a batch), the classes its proven scores give.
    static func line(_ spec: ModelSpec, _ y: [Int64]) -> String {
        let reals = spec.dequantizeOutput(y).map { String(format: "%.4f", $0) }
        var best = 0
        for i in y.indices where y[i] > y[best] { best = i }
        let line = "output \(y) = [\(reals.joined(separator: ", "))] argmax \(best)"
        let labels = spec.labels(forOutput: y)
        switch labels.count {
        case 0: return line
        case 1: return line + " label \(labels[0])"
        default: return line + " labels [\(labels.map(\.description).joined(separator: ", "))]"
        }
    }
}
