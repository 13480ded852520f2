import Foundation
import Testing
import ZKProof
@testable import Inference

/// Tree ensembles as steps of the model graph: every fixture through `ONNXImporter.importModel`
/// → `ModelCommitment.commit` → `InferenceProver.prove` → `InferenceVerifier.verify`, batches
/// of several items, two proofs finished together, class labels, and tampered paths.
@Suite struct TreeGraphTests {
    static let context = BindingContext(jobID: "job-tree-graph", workerID: "worker-1", nonce: "n-72")

    static func load(_ name: String) throws -> (QuantizedModel, TreeFixtures.Record) {
        let record = try TreeFixtures.record(name)
        return (try ONNXImporter.importModel(TreeFixtures.bytes(name), options: TreeFixtures.options(record)), record)
    }

    @Test(arguments: TreeFixtures.names)
    func fixture_ProvesAndVerifiesThroughTheModelGraph(_ name: String) throws {
        let (model, record) = try Self.load(name)
        #expect(model.trees.count == 1)
        #expect(model.spec.treeEnsembles == model.trees.map(\.spec))
        // The same integers as the ensemble on its own.
        let alone = try ONNXImporter.importTreeEnsemble(TreeFixtures.bytes(name), options: TreeFixtures.options(record))
        #expect(model.trees[0] == alone.ensemble)
        let commitment = try ModelCommitment(decoding: ModelCommitment.commit(model).encoded)
        let x = try model.quantizeInput(floats: record.inputs[0])
        let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        #expect(output == (try model.trees[0].evaluate(x)))
        try InferenceVerifier.verify(commitment: commitment, input: x, expectedOutput: output, proof: proof, context: Self.context)
        // A classifier's label output is classes[argmax(probabilities)] of the proven output;
        // it agrees with onnxruntime's labels as the ensemble's own scores do.
        if record.kind == "classifier", let labels = record.labels {
            #expect(model.spec.labels?.classes.count == model.spec.outputElements)
            var agree = 0
            for (i, input) in record.inputs.enumerated() {
                let y = try model.run(try model.quantizeInput(floats: input)).output
                if model.spec.labels(forOutput: y) == [.integer(Int64(labels[i]))] { agree += 1 }
            }
            #expect(Double(agree) >= 0.99 * Double(record.inputs.count), "\(name): \(agree) of \(record.inputs.count) labels")
        }
    }

    @Test(arguments: ["forest_cancer", "gb_iris", "xgb_diabetes"])
    func batchOfItems_ProvesInOneProof(_ name: String) throws {
        let (model, record) = try Self.load(name)
        #expect(model.spec.batchable)
        let commitment = try ModelCommitment.commit(model)
        var x: [Int64] = []
        var expected: [Int64] = []
        for i in 0..<5 {
            let item = try model.quantizeInput(floats: record.inputs[i])
            x += item
            expected += try model.trees[0].evaluate(item)
        }
        let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        #expect(output == expected)
        try InferenceVerifier.verify(commitment: commitment, input: x, expectedOutput: expected, proof: proof, context: Self.context)
    }

    /// StandardScaler before a forest and before gradient boosting: one model, the scaler an
    /// element-wise layer whose output the trees read at its own scale.
    @Test(arguments: ["pipeline_scaler_forest_cancer", "pipeline_scaler_gb_diabetes"])
    func scalerPipeline_IsOneModelThatAgreesProvesAndVerifies(_ name: String) throws {
        let (model, record) = try Self.load(name)
        #expect(model.layers.count == 1)
        #expect(model.trees.count == 1)
        var agree = 0
        for (i, input) in record.inputs.enumerated() {
            let y = try model.run(try model.quantizeInput(floats: input)).output
            if let labels = record.labels {
                if model.spec.labels(forOutput: y) == [.integer(Int64(labels[i]))] { agree += 1 }
            } else if let expected = record.scores?[i].first {
                let real = IntegerSemantics.dequantize(y[0], fractionBits: model.spec.tensors[model.spec.outputs[0]].fractionBits)
                if abs(real - expected) <= 1e-3 * (1 + abs(expected)) { agree += 1 }
            }
        }
        print("\(name): \(agree)/\(record.inputs.count) agree with onnxruntime")
        #expect(Double(agree) >= 0.95 * Double(record.inputs.count), "\(name): \(agree) of \(record.inputs.count)")
        let commitment = try ModelCommitment(decoding: ModelCommitment.commit(model).encoded)
        let x = try model.quantizeInput(floats: record.inputs[0]) + model.quantizeInput(floats: record.inputs[1])
        let (output, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        try InferenceVerifier.verify(commitment: commitment, input: x, expectedOutput: output, proof: proof, context: Self.context)
    }

    @Test func twoProofs_FinishTogether() throws {
        let (forest, fr) = try Self.load("forest_cancer")
        let (boost, br) = try Self.load("gb_iris")
        let fc = try ModelCommitment.commit(forest), bc = try ModelCommitment.commit(boost)
        let fx = try forest.quantizeInput(floats: fr.inputs[3]), bx = try boost.quantizeInput(floats: br.inputs[4])
        let fp = try InferenceProver.prove(model: forest, commitment: fc, input: fx, context: Self.context).proof
        let bp = try InferenceProver.prove(model: boost, commitment: bc, input: bx, context: Self.context).proof
        let prepared = [try InferenceVerifier.prepare(commitment: fc, input: fx, proof: fp, context: Self.context),
                        try InferenceVerifier.prepare(commitment: bc, input: bx, proof: bp, context: Self.context)]
        #expect(InferenceVerifier.verifyTogether(prepared).errors.allSatisfy { $0 == nil })
        // The forest's proof under the boosting model's commitment fails.
        #expect(throws: ProofVerificationError.self) {
            _ = try InferenceVerifier.verify(commitment: bc, input: bx, proof: fp, context: Self.context)
        }
    }

    /// The verdict's code for the honest run with one tree step's paths replaced.
    static func verdict(_ name: String = "gb_iris", _ edit: (inout [[TreeProof.Step]], TreeEnsemble) -> Void) throws -> String {
        let (model, record) = try load(name)
        let commitment = try ModelCommitment.commit(model)
        let x = try model.quantizeInput(floats: record.inputs[5])
        let trace = try model.run(x)
        var paths = TreeProtocol.steps(model.trees[0], trace.treeInputs[0])
        edit(&paths, model.trees[0])
        let proof = InferenceProver.proveTrace(model: model, commitment: commitment, input: x,
                                               preActivations: [], products: [], treePaths: [[paths]],
                                               output: trace.output, context: context)
        do {
            _ = try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof.encoded(), context: context)
            return "accepted"
        } catch { return error.code }
    }

    @Test func honestPaths_AreAccepted() throws {
        #expect(try Self.verdict { _, _ in } == "accepted")
    }

    @Test func differentLeafValue_IsRejectedByTheTables() throws {
        #expect(try Self.verdict { paths, _ in
            let t = paths.indices.first { paths[$0].count >= 2 } ?? 0
            let last = paths[t].count - 1
            paths[t][last].values[0] += 1
        } == "tree_table_check_failed")
    }

    @Test func differentThreshold_IsRejected() throws {
        let code = try Self.verdict { paths, _ in
            let t = paths.indices.first { paths[$0].count >= 2 } ?? 0
            paths[t][0].node.threshold += 1
        }
        #expect(code == "tree_table_check_failed" || code == "tree_branch_mismatch")
    }

    @Test func pathStoppingEarly_IsRejected() throws {
        #expect(try Self.verdict { paths, _ in
            let t = paths.indices.first { paths[$0].count >= 2 } ?? 0
            paths[t].removeLast()
        } == "tree_path_incomplete")
    }

    @Test func pathNotAtTheRoot_IsRejected() throws {
        #expect(try Self.verdict { paths, _ in
            let t = paths.indices.first { paths[$0].count >= 2 } ?? 0
            paths[t].removeFirst()
        } == "tree_path_root")
    }

    @Test func otherContextAndTruncation_AreRejected() throws {
        let (model, record) = try Self.load("forest_cancer")
        let commitment = try ModelCommitment.commit(model)
        let x = try model.quantizeInput(floats: record.inputs[0])
        let (_, proof) = try InferenceProver.prove(model: model, commitment: commitment, input: x, context: Self.context)
        let other = BindingContext(jobID: "job-other", workerID: "worker-1", nonce: "n-72")
        #expect(throws: ProofVerificationError.self) {
            _ = try InferenceVerifier.verify(commitment: commitment, input: x, proof: proof, context: other)
        }
        for cut in [1, 17, proof.count / 2] {
            #expect(throws: ProofVerificationError.self) {
                _ = try InferenceVerifier.verify(commitment: commitment, input: x, proof: Array(proof.dropLast(cut)), context: Self.context)
            }
        }
    }
}
