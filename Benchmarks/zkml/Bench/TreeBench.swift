// The tree-ensemble rows of zkml-bench: a tree fixture (Tests/InferenceTests/Fixtures/sklearn)
// and its onnxruntime record, timed like the other fixtures.
import Foundation
import Inference
#if canImport(Glibc)
import Glibc
#endif

/// Times one tree fixture and prints one table row (same columns as the other fixtures).
func runTreeBenchmark(model path: String, record: String, iterations: Int) throws {
    struct Record: Decodable { let inputs: [[Double]] }
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    let floats = try JSONDecoder().decode(Record.self, from: Data(contentsOf: URL(fileURLWithPath: record))).inputs
    let options = QuantisationOptions(activationBits: 32, fractionBits: .auto, calibration: Array(floats.prefix(64)))
    var imported: TreeModelImport?
    let importMs = try medianMilliseconds(5) { imported = try ONNXImporter.importTreeEnsemble(bytes, options: options) }
    guard let model = imported?.ensemble else { exit(1) }
    let inputs = try floats.prefix(iterations).map { try model.spec.quantizeInput($0) }
    var k = 0
    let inferMs = try medianMilliseconds(inputs.count) {
        _ = try model.evaluate(inputs[k % inputs.count])
        k += 1
    }
    var commitment: TreeCommitment?
    let commitMs = try medianMilliseconds(3) { commitment = try TreeCommitment.commit(model) }
    guard let commitment else { exit(1) }
    let context = BindingContext(jobID: "bench-job", workerID: "bench-worker", nonce: "bench-nonce")
    var proofs: [[UInt8]] = []
    k = 0
    let proveMs = try medianMilliseconds(inputs.count) {
        proofs.append(try TreeProver.prove(model: model, commitment: commitment, input: inputs[k % inputs.count], context: context).proof)
        k += 1
    }
    k = 0
    let verifyMs = try medianMilliseconds(inputs.count) {
        _ = try TreeVerifier.verify(commitment: commitment, input: inputs[k % inputs.count], proof: proofs[k % proofs.count], context: context)
        k += 1
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func f(_ v: Double) -> String { String(format: "%.3f", v) }
    // "params": committed table entries (nodes × 8 + nodes × targets).
    let entries = model.spec.nodeCount * (8 + model.spec.targetCount)
    print([name, "\(entries)", f(importMs), f(commitMs), f(inferMs), f(proveMs), f(verifyMs), "\(proofs.map(\.count).max() ?? 0)",
           "\(commitment.encoded.count)", String(format: "%.1f", Double(usage.ru_maxrss) / 1024),
           String(format: "%.1fx", proveMs / inferMs), "-", "-", "-"].joined(separator: "\t"))
}
