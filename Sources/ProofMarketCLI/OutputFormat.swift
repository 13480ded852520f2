import Foundation
import Inference

/// How the proof commands print a model output.
enum OutputFormat {
    /// `output [..integers..] = [..reals..] argmax N`.
    static func line(_ spec: ModelSpec, _ y: [Int64]) -> String {
        let reals = spec.dequantizeOutput(y).map { String(format: "%.4f", $0) }
        var best = 0
        for i in y.indices where y[i] > y[best] { best = i }
        return "output \(y) = [\(reals.joined(separator: ", "))] argmax \(best)"
    }
}
