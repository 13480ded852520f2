// zkml-bench: times one fixture end to end and prints one table row.
//
// Usage: zkml-bench MODEL.onnx SAMPLE.json [ITERATIONS [BATCH | --batches=1,16,256 | --private | --private-hide-input]]
// Times: import (parse + quantise + bound), commit (Hyrax row commitments), plain integer
// inference, prove (includes its own inference), verify; medians over the sample inputs.
// Run through Benchmarks/zkml/run, which builds in release mode and runs one process per
// fixture so that the peak memory (getrusage ru_maxrss) belongs to that fixture alone.
import Foundation
import Inference
import ZKProof
#if canImport(Glibc)
import Glibc
#endif

/// Median wall time of `iterations` calls, in milliseconds.
func medianMilliseconds(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<iterations {
        let d = try clock.measure(body)
        times.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15)
    }
    return times.sorted()[times.count / 2]
}

/// The rows of a scikit-learn fixture's inputs file (`{"inputs": [[…], …]}`), or nil for
/// another kind of sample file.
func tableRows(_ path: String) -> [[Double]]? {
    struct Table: Decodable { let inputs: [[Double]] }
    guard path.hasSuffix(".json"), let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
    return try? JSONDecoder().decode(Table.self, from: data).inputs
}

/// The inputs of a sample file: the digits sample (JSON, floats in [0, 1]), a zoo inputs file
/// (raw little-endian float32, `elements` values per input) or a scikit-learn inputs file.
func sampleInputs(_ path: String, elements: Int) throws -> [[Double]] {
    if let rows = tableRows(path) { return rows }
    if path.hasSuffix(".f32") {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let floats = stride(from: 0, to: bytes.count - 3, by: 4).map { i in
            Double(Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24))
        }
        return stride(from: 0, to: floats.count - elements + 1, by: elements).map { Array(floats[$0..<($0 + elements)]) }
    }
    struct Sample: Decodable { let pixelScale: Double; let pixels: [[Int]] }
    let sample = try JSONDecoder().decode(Sample.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    return sample.pixels.map { row in row.map { Double($0) * sample.pixelScale } }
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: zkml-bench MODEL.onnx SAMPLE.json|INPUTS.f32 [ITERATIONS [BATCH]]\n".utf8))
    exit(2)
}
let iterations = args.count > 3 ? Int(args[3]) ?? 50 : 50
let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: args[1])))
let name = URL(fileURLWithPath: args[1]).deletingPathExtension().lastPathComponent

var model: QuantizedModel?
let importMs: Double
do {
    // A scikit-learn model is registered as its users would: scales from 64 of its rows, one
    // per feature where the graph allows it.
    if let rows = tableRows(args[2]) {
        let calibration = Array(rows.prefix(64))
        let perFeature = QuantisationOptions(fractionBits: .auto, calibration: calibration, inputScales: .perFeature)
        let options = (try? ONNXImporter.importModel(bytes, options: perFeature)) != nil
            ? perFeature : QuantisationOptions(fractionBits: .auto, calibration: calibration)
        // A tree model compares features at one input scale: 32-bit activations keep the
        // small features' thresholds apart from the large ones'.
        let trees = try ONNXImporter.importModel(bytes, options: options).spec.treeEnsembles.isEmpty == false
        let chosen = trees ? QuantisationOptions(activationBits: 32, fractionBits: .auto, calibration: calibration) : options
        importMs = try medianMilliseconds(5) { model = try ONNXImporter.importModel(bytes, options: chosen) }
    } else {
        importMs = try medianMilliseconds(5) { model = try ONNXImporter.importModel(bytes) }
    }
} catch {
    // A refused model is a row of the table, not a crash.
    FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
    exit(1)
}
guard let model else { exit(1) }
let inputs = try sampleInputs(args[2], elements: model.spec.inputElements).prefix(iterations)
    .map { try model.quantizeInput(floats: $0, shape: model.spec.inputShape) }
let batchArgument = args.count > 4 ? args[4] : ""
let batch = Int(batchArgument) ?? 0
// `--batches 1,16,256`: one row per batch size (prove, verify, proof bytes, bytes per
// inference, and the points of the verifier's one multi-scalar multiplication), then exit.
if batchArgument.hasPrefix("--batches=") {
    let sizes = batchArgument.dropFirst("--batches=".count).split(separator: ",").compactMap { Int($0) }
    guard model.spec.batchable else { print("\(name)\tnot batchable"); exit(0) }
    let commitment = try ModelCommitment(committing: model)
    let context = BindingContext(jobID: "bench-job", workerID: "bench-worker", nonce: "bench-nonce")
    for size in sizes {
        let items = (0..<size).flatMap { inputs[$0 % inputs.count] }
        var proof: [UInt8] = []
        let rounds = size >= 1024 ? 1 : 3
        let proveMs = try medianMilliseconds(rounds) {
            proof = try InferenceProver.prove(model: model, commitment: commitment, input: items, context: context).proof
        }
        let perItem = String(format: "%.0f", Double(proof.count) / Double(size))
        guard proof.count <= ProofLimits.proofBytesMax else {
            print([name, "\(size)", String(format: "%.3f", proveMs), "refused: over proofBytesMax (\(ProofLimits.proofBytesMax) B)",
                   "\(proof.count)", perItem, "-"].joined(separator: "\t"))
            continue
        }
        var points = 0
        let verifyMs = try medianMilliseconds(rounds == 1 ? 3 : 11) {
            let prepared = try InferenceVerifier.prepare(commitment: commitment, input: items, proof: proof, context: context)
            guard prepared.opening.verify() else { throw ProofVerificationError.commitmentOpeningFailed }
            points = Hyrax.combinedPointCount([prepared.opening])
        }
        print([name, "\(size)", String(format: "%.3f", proveMs), String(format: "%.3f", verifyMs), "\(proof.count)", perItem,
               "\(points)"].joined(separator: "\t"))
    }
    exit(0)
}

// `--private`: private proofs (protocol v2) of one item and of four (when the model batches),
// one row each, then exit.
// `--private-hide-input`: the same with the input hidden (PMZK version 2).
if batchArgument == "--private" || batchArgument == "--private-hide-input" {
    let hideInput = batchArgument == "--private-hide-input"
    let context = BindingContext(jobID: "bench-job", workerID: "bench-worker", nonce: "bench-nonce")
    var committed: (commitment: PrivateCommitment, material: PrivateMaterial)?
    let commitMs = try medianMilliseconds(3) { committed = try PrivateProver.commit(model) }
    guard let committed else { exit(1) }
    for size in [1, 4] where model.spec.batchSize(values: size * model.spec.inputElements) != nil {
        let items = (0..<size).flatMap { inputs[$0 % inputs.count] }
        var proof: [UInt8] = []
        let proveMs = try medianMilliseconds(max(3, iterations / 5)) {
            proof = try PrivateProver.prove(model: model, commitment: committed.commitment, material: committed.material,
                                            input: items, context: context, hideInput: hideInput).proof
        }
        let verifyMs = try medianMilliseconds(max(3, iterations / 5)) {
            if hideInput {
                _ = try PrivateVerifier.verifyHidingInput(commitment: committed.commitment, proof: proof, context: context)
            } else {
                _ = try PrivateVerifier.verify(commitment: committed.commitment, input: items, proof: proof, context: context)
            }
        }
        print([name, "\(size)", String(format: "%.3f", commitMs), String(format: "%.3f", proveMs), String(format: "%.3f", verifyMs),
               "\(proof.count)", "\(committed.commitment.encoded.count)"].joined(separator: "\t"))
    }
    exit(0)
}

var k = 0
let inferMs = try medianMilliseconds(inputs.count) {
    _ = try model.run(inputs[k % inputs.count])
    k += 1
}
// Weights and biases, and tree tables' entries (nodes × 8 + nodes × targets).
let parameters = model.layers.reduce(0) { $0 + $1.weights.count + $1.bias.count }
    + model.trees.reduce(0) { $0 + $1.nodeTable.count + $1.values.count }

var commitment: ModelCommitment?
let commitMs = try medianMilliseconds(3) { commitment = try ModelCommitment(committing: model) }
guard let commitment else { exit(1) }
let context = BindingContext(jobID: "bench-job", workerID: "bench-worker", nonce: "bench-nonce")
var proofs: [[UInt8]] = []
k = 0
let proveMs = try medianMilliseconds(inputs.count) {
    proofs.append(try InferenceProver.prove(model: model, commitment: commitment, input: inputs[k % inputs.count],
                                            context: context).proof)
    k += 1
}
k = 0
let verifyMs = try medianMilliseconds(inputs.count) {
    _ = try InferenceVerifier.verify(commitment: commitment, input: inputs[k % inputs.count], proof: proofs[k % proofs.count],
                                     context: context)
    k += 1
}
let proofBytes = proofs.map(\.count).max() ?? 0

// One proof for `batch` inputs (a batchable model), verified: the per-batch figures.
var batchColumns = ["-", "-", "-"]
if batch > 1, model.spec.batchable {
    let items = (0..<batch).flatMap { inputs[$0 % inputs.count] }
    var batchProof: [UInt8] = []
    let batchProveMs = try medianMilliseconds(5) {
        batchProof = try InferenceProver.prove(model: model, commitment: commitment, input: items, context: context).proof
    }
    let batchVerifyMs = try medianMilliseconds(5) {
        _ = try InferenceVerifier.verify(commitment: commitment, input: items, proof: batchProof, context: context)
    }
    batchColumns = [String(format: "%.3f", batchProveMs), String(format: "%.3f", batchVerifyMs), "\(batchProof.count)"]
}

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let peakMiB = Double(usage.ru_maxrss) / 1024

func f(_ v: Double) -> String { String(format: "%.3f", v) }
print(([name, "\(parameters)", f(importMs), f(commitMs), f(inferMs), f(proveMs), f(verifyMs), "\(proofBytes)",
       "\(commitment.encoded.count)", String(format: "%.1f", peakMiB), String(format: "%.1fx", proveMs / inferMs)] + batchColumns)
    .joined(separator: "\t"))
