import Foundation
import ZKProof

/// Micro-benchmarks of the proof system's building blocks. Not tests: run in release,
/// `swift run -c release zkproof-bench` (or `zkproof-bench sumcheck` for the sum-check part
/// alone, `zkproof-bench zk` for the zero-knowledge building blocks), and read the figures.

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Best of `repeats` runs, in seconds.
func best(_ repeats: Int, _ body: () -> Void) -> Double {
    (0..<repeats).map { _ in seconds(body) }.min() ?? 0
}

struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func scalar() -> Scalar { Scalar(wideBigEndian: (0..<64).map { _ in UInt8(truncatingIfNeeded: next()) }) }
    mutating func small() -> Int64 { Int64(next() % 255) - 127 }
}

var rng = Rng(state: 1)

// `zkproof-bench sumcheck` runs the sum-check benchmark alone (SumCheckBench.swift).
if CommandLine.arguments.dropFirst().first == "sumcheck" {
    runSumCheckBenchmark()
    exit(0)
}

// `zkproof-bench zk` runs the zero-knowledge building blocks alone (ZeroKnowledgeBench.swift).
if CommandLine.arguments.dropFirst().first == "zk" {
    runZeroKnowledgeBenchmark()
    exit(0)
}

// Field multiplication: a dependent chain, so latency is measured, not throughput.
do {
    let count = 5_000_000
    var x = rng.scalar()
    let y = rng.scalar()
    let t = best(3) { for _ in 0..<count { x = x * y } }
    print(String(format: "field mul            %7.1f ns   (chain of %d, result %@)", t / Double(count) * 1e9, count, String(x.description.prefix(10))))
    var a = rng.scalar()
    let ta = best(3) { for _ in 0..<count { a = a + y } }
    print(String(format: "field add            %7.1f ns   (%@)", ta / Double(count) * 1e9, String(a.description.prefix(10))))
    let ti = best(3) { for _ in 0..<100 { x = (x + Scalar.one).inverse() ?? x } }
    print(String(format: "field inverse        %7.1f µs", ti / 100 * 1e6))
}

do {
    var t = Transcript(protocolLabel: TranscriptLabel.testProtocol)
    let c = best(3) { for _ in 0..<1000 { _ = t.challenge(TranscriptLabel.testChallenge) } }
    print(String(format: "transcript challenge %7.2f µs", c / 1000 * 1e6))
}

// Generators are derived once per process; time the first derivation separately.
let tg = seconds { _ = Generators.shared.g(count: 512) }
print(String(format: "derive 512 generators %6.1f ms (once per process)", tg * 1e3))

do {
    let g = Generators.shared.g(count: 512)
    for n in [64, 256, 800] {
        let points = (0..<n).map { g[$0 % 512] }
        let scalars = (0..<n).map { _ in rng.scalar() }
        let t = best(3) { _ = CurvePoint.multiScalarMultiply(points, scalars) }
        print(String(format: "EC_POINTs_mul n=%-4d %7.2f ms  (%.1f µs/point)", n, t * 1e3, t / Double(n) * 1e6))
    }
    let tUnit = best(3) { _ = CurvePoint.multiScalarMultiply(Array(g.prefix(64)), (0..<64).map { _ in Scalar.one }) }
    print(String(format: "EC_POINTs_mul n=64 unit scalars %5.2f ms", tUnit * 1e3))
    let ta = best(3) { var p = g[0]; for i in 0..<1000 { p = p.adding(g[i % 512]) } }
    print(String(format: "point add            %7.2f µs", ta / 1000 * 1e6))
}

// Committing the 64→256→256→10 MLP's weights (85k 8-bit values) in 256-wide rows.
do {
    let shapes = [(256, 64), (256, 256), (10, 256)]
    let tables = shapes.map { (rows, cols) in (0..<(rows * cols)).map { _ in rng.small() } }
    for width in [256, 512] {
        let t = best(2) { for table in tables { _ = Hyrax.commit(table, columnCount: width) } }
        print(String(format: "commit 85k params w=%-4d %6.1f ms", width, t * 1e3))
    }
}

// The inference proof on the committed fixtures (path given as the first argument, default:
// the test fixtures). Commit, prove and verify, best of several runs.
import Inference

let fixtureDirectory = CommandLine.arguments.dropFirst().first ?? "Tests/InferenceTests/Fixtures"
for name in ["mlp_small", "mlp_large", "cnn_max", "cnn_avg", "ops_cover"] {
    // mlp_large is the demo's model, kept with the product's files in models/.
    let path = name == "mlp_large" ? "models/digits-mlp-large.onnx" : "\(fixtureDirectory)/\(name).onnx"
    guard let data = FileManager.default.contents(atPath: path),
          let model = try? ONNXImporter.importModel([UInt8](data)) else {
        print("\(name): fixture not found")
        continue
    }
    var commitment: ModelCommitment?
    let tc = best(2) { commitment = try? ModelCommitment(committing: model) }
    // Verify against the commitment as a verifier holds it: decoded from its bytes.
    guard let made = commitment, let commitment = try? ModelCommitment(decoding: made.encoded) else {
        print("\(name): commit failed")
        continue
    }
    let input = (0..<model.spec.inputElements).map { Int64($0 % 17) * 16 }
    let context = BindingContext(jobID: "bench", workerID: "w", nonce: "0")
    let ti = best(20) { _ = try? model.run(input) }
    var proof: [UInt8] = []
    let tp = best(20) { proof = (try? InferenceProver.prove(model: model, commitment: commitment, input: input, context: context))?.proof ?? [] }
    var ok = false
    // CPU time of 20 verifications (both threads counted): less sensitive to other load.
    var usageBefore = rusage(), usageAfter = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usageBefore)
    for _ in 0..<20 { _ = try? InferenceVerifier.verify(commitment: commitment, input: input, proof: proof, context: context) }
    getrusage(RUSAGE_SELF.rawValue, &usageAfter)
    func cpu(_ u: rusage) -> Double {
        Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }
    let verifyCPU = (cpu(usageAfter) - cpu(usageBefore)) / 20
    let tv = best(20) { ok = (try? InferenceVerifier.verify(commitment: commitment, input: input, proof: proof, context: context)) != nil }
    print(String(format: "%-10@ commit %7.1f ms  infer %6.3f ms  prove %6.2f ms  verify %6.2f ms (cpu %6.2f ms)  proof %6d B  %@",
                 name, tc * 1e3, ti * 1e3, tp * 1e3, tv * 1e3, verifyCPU * 1e3, proof.count, ok ? "VALID" : "INVALID"))
}

runSumCheckBenchmark()
