import Foundation
import Testing
@testable import Inference
import TestSupport
import ZKProof

/// The ONNX operators' own conformance cases (the pinned `onnx` package's node tests,
/// written by `scripts/onnx_conformance.py` in the test run) against the importer and the
/// integer engine. Every case of every operator the importer lowers to a model step must
/// agree with its expected outputs within the quantisation bound of docs/PROTOCOL.md
/// ("Conformance") or be refused for a reason listed there; the first agreeing case of
/// each operator is also proven and verified. Serialized: the cases are generated and run
/// once, and the proofs share the machine's two cores with the other suites.
@Suite(.serialized) struct ONNXConformanceTests {
    /// Every operator that becomes a model step (`GraphBuilder.operators`; those folded only
    /// as constants have no runtime case to run).
    static let operators = GraphBuilder.operators.sorted()

    /// The one run, shared by the tests.
    static let run = Task { try await ConformanceRun.make(operators: operators) }

    /// Where the table is written.
    static var artifact: URL { PythonTools.root.appendingPathComponent(".build-artifacts/conformance.txt") }

    @Test func everyCase_AgreesWithinItsBound_OrIsRefusedForADocumentedReason() async throws {
        let run = try await Self.run.value
        let table = run.table
        print(table)
        try FileManager.default.createDirectory(at: Self.artifact.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (table + "\nPer case:\n" + run.details).write(to: Self.artifact, atomically: true, encoding: .utf8)

        for r in run.results {
            if case .failed(let why) = r.outcome { Issue.record("\(r.name) (\(r.opType)): \(why)") }
        }
        // Every operator has cases in the pinned onnx, and the suite saw them.
        for op in Self.operators {
            #expect(run.results.contains { $0.opType == op }, "no conformance case of \(op) was written")
        }
    }

    @Test func firstAgreeingCaseOfEachOperator_ProvesAndVerifies() async throws {
        let run = try await Self.run.value
        let context = BindingContext(jobID: "conformance", workerID: "suite", nonce: "1")
        var proven: [String] = []
        for op in Self.operators {
            guard let r = run.results.first(where: { if case .agree = $0.outcome { $0.opType == op } else { false } }) else { continue }
            let model = try #require(r.model)
            let commitment = try ModelCommitment(committing: model)
            let (y, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: r.input, context: context)
            #expect(y == (try model.run(r.input).output), "\(r.name)")
            #expect(try InferenceVerifier.verify(commitment: commitment, input: r.input, proof: proof, context: context) == y, "\(r.name)")
            proven.append("\(r.name) (\(model.layers.count) layers, \(proof.count) B)")
        }
        print("proved and verified \(proven.count) cases: \(proven.joined(separator: ", "))")
        // Every operator with an agreeing case had one proven.
        #expect(proven.count == Set(run.results.compactMap { if case .agree = $0.outcome { $0.opType } else { nil } }).count)
        #expect(!proven.isEmpty)
    }
}
