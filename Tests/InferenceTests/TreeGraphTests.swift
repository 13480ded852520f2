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

    /// The root of the first tree of a fixture's ensemble: its feature and threshold (float32).
    static func rootSplit(_ name: String) throws -> (feature: Int, threshold: Float) {
        let proto = try Onnx_ModelProto(serializedBytes: TreeFixtures.bytes(name))
        let node = try #require(proto.graph.node.first { $0.opType.hasPrefix("TreeEnsemble") })
        let ids = try #require(node.attribute.first { $0.name == "nodes_nodeids" }).ints
        let trees = try #require(node.attribute.first { $0.name == "nodes_treeids" }).ints
        let root = try #require(zip(ids, trees).enumerated().first { $0.element == (0, 0) }).offset
        let feature = try #require(node.attribute.first { $0.name == "nodes_featureids" }).ints[root]
        let threshold = try #require(node.attribute.first { $0.name == "nodes_values" }).floats[root]
        return (Int(feature), threshold)
    }

    @Test func movedThresholds_AreReportedByTheGraphImport() throws {
        // The iris tree at the fixtures' scales: no threshold moves across the 64 calibration inputs.
        let record = try TreeFixtures.record("tree_iris")
        let fine = try ONNXImporter.importModelReporting(TreeFixtures.bytes("tree_iris"), options: TreeFixtures.options(record))
        #expect(fine.treeThresholds.count == 1)
        let report = try #require(fine.treeThresholds.first)
        #expect(report.checked && report.calibrationInputs == 64 && report.movedCount == 0 && report.moved.isEmpty, "\(report)")
        #expect(fine.model == (try ONNXImporter.importModel(TreeFixtures.bytes("tree_iris"), options: TreeFixtures.options(record))))
        // Two calibration values of the root's feature on either side of its threshold, closer
        // than the input's quantum: they quantise to one integer, which is on one side only.
        let (j, t) = try Self.rootSplit("tree_iris")
        var below = record.inputs[0], above = record.inputs[0]
        below[j] = Double(t.nextDown)
        above[j] = Double(t.nextUp)
        let options = QuantisationOptions(activationBits: 16, fractionBits: .auto, calibration: Array(record.inputs.prefix(30)) + [below, above])
        let imported = try ONNXImporter.importModelReporting(TreeFixtures.bytes("tree_iris"), options: options)
        let f = imported.model.spec.treeEnsembles[0].inputFractionBits
        #expect(Double(t.nextUp) - Double(t.nextDown) < Double(sign: .plus, exponent: -f, significand: 1))
        let moved = try #require(imported.treeThresholds.first)
        #expect(moved.checked && moved.calibrationInputs == 32)
        #expect(moved.movedCount >= 1 && moved.movedCount <= moved.calibrationInputs * imported.model.trees[0].spec.nodeCount)
        let root = try #require(moved.moved.first { $0.tree == 0 && $0.node == 0 }, "\(moved)")
        #expect(root.feature == j && root.threshold == Double(t) && [Double(t.nextDown), Double(t.nextUp)].contains(root.value))
        // The integer threshold is the real one rounded down to the quantum.
        let quantum = Double(sign: .plus, exponent: -f, significand: 1)
        #expect(root.quantisedThreshold <= root.threshold && root.threshold - root.quantisedThreshold < quantum)
        // The standalone import reports the same.
        let alone = try ONNXImporter.importTreeEnsemble(TreeFixtures.bytes("tree_iris"), options: options)
        #expect(alone.movedThresholdCount == moved.movedCount && alone.movedThresholds == moved.moved)
        #expect(alone.ensemble == imported.model.trees[0])
    }

    @Test(arguments: ["pipeline_scaler_forest_cancer", "pipeline_scaler_gb_diabetes"])
    func movedThresholds_AfterAScaler_AreCheckedOnTheFloatScalerOutput(_ name: String) throws {
        let record = try TreeFixtures.record(name)
        let imported = try ONNXImporter.importModelReporting(TreeFixtures.bytes(name), options: TreeFixtures.options(record))
        let report = try #require(imported.treeThresholds.first)
        #expect(imported.treeThresholds.count == 1 && report.checked && report.calibrationInputs == 64, "\(report)")
        #expect(report.moved.count == min(report.movedCount, TreeThresholdReport.listed))
        print("\(name): \(report.movedCount) (node, input) pairs moved across 64 calibration inputs")
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
