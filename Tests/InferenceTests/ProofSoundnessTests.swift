import Testing
@testable import Inference
import ZKProof

/// Attacks on the inference proof, each named after what it tries; each must be rejected
/// with a typed error naming the check that caught it.
@Suite struct ProofSoundnessTests {
    // MARK: The claim itself

    @Test func wrongOutput_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        var wrong = c.output
        wrong[0] += 1
        #expect(throws: ProofVerificationError.outputMismatch(index: 0)) {
            try InferenceVerifier.verify(commitment: c.commitment, input: c.input, expectedOutput: wrong, proof: c.proof, context: c.context)
        }
        #expect(throws: ProofVerificationError.outputMismatch(index: -1)) {
            try InferenceVerifier.verify(commitment: c.commitment, input: c.input, expectedOutput: Array(c.output.dropLast()),
                                         proof: c.proof, context: c.context)
        }
    }

    @Test(arguments: Fixtures.trainedModels)
    func adversarialProverClaimingOtherOutput_IsRejected(name: String) throws {
        // Shift every logit of the last layer by one: the claimed output changes, the proof
        // is made honestly for that false trace, and the last layer's product check fails.
        let c = try ProvenCase(name)
        let last = c.model.layers.count - 1
        let (z, output) = try c.adversarialTrace(layer: last) { $0.map { $0 + 256 } }
        #expect(output != c.output)
        #expect(isLinearCheckFailure(c.rejection(c.proveFalseTrace(z, output: output)), layer: last))
    }

    @Test(arguments: Fixtures.trainedModels)
    func traceValueChangedInEachLayer_IsRejected(name: String) throws {
        let c = try ProvenCase(name)
        for k in 0..<c.model.layers.count {
            // Edited in the proof bytes, everything else unchanged. Z_k is absorbed before every
            // challenge, so all points move and the first layer's check already fails.
            var p = try c.decoded()
            p.preActivations[k][p.preActivations[k].count / 2] += 1
            let error = c.rejection(p.encoded())
            #expect((0...k).contains { isLinearCheckFailure(error, layer: $0) }, "layer \(k), edited proof: \(String(describing: error))")
            // Made by an adversarial prover that continues honestly from the changed value.
            let (z, output) = try c.adversarialTrace(layer: k) { z in
                var z = z
                z[0] -= 1
                return z
            }
            #expect(isLinearCheckFailure(c.rejection(c.proveFalseTrace(z, output: output)), layer: k), "layer \(k), adversary")
        }
    }

    // MARK: Prover messages

    @Test(arguments: Fixtures.trainedModels)
    func changedWeightCombination_IsRejected(name: String) throws {
        // A changed v_k (through t_k) in a column the layer reads: the product check fails.
        let c = try ProvenCase(name, sample: 1)
        for k in 0..<c.model.layers.count {
            var p = try c.decoded()
            let columns = try c.model.run(c.input).layers[k].columns
            let j = try #require(columns.firstIndex(where: { $0 != 0 })) % c.commitment.layout.layers[k].inner
            for l in 0..<(p.weightCombinations[k].count / c.commitment.layout.layers[k].innerPadded) {
                p.weightCombinations[k][l * c.commitment.layout.layers[k].innerPadded + j] += Scalar.one
            }
            #expect(c.rejection(p.encoded()) != nil, "layer \(k)")
            #expect(isLinearCheckFailure(c.rejection(p.encoded()), layer: k), "layer \(k)")
        }
    }

    @Test(arguments: Fixtures.trainedModels)
    func changedBiasCombination_IsRejected(name: String) throws {
        let c = try ProvenCase(name)
        for k in 0..<c.model.layers.count {
            var p = try c.decoded()
            for i in p.biasCombinations[k].indices { p.biasCombinations[k][i] += Scalar.one }
            #expect(isLinearCheckFailure(c.rejection(p.encoded()), layer: k), "layer \(k)")
        }
    }

    @Test func changedOpeningInvisibleToTheProductCheck_IsRejected() throws {
        // mlp_large packs 4 matrix rows per committed row of layer 0: change t_0 along a
        // direction the fold with eq(r_lo) cancels, so v_0 and every product check are
        // unchanged; only the commitment opening can notice.
        let c = try ProvenCase("mlp_large")
        var p = try c.decoded()
        let shape = c.commitment.layout.layers[0]
        let n = shape.innerPadded
        #expect(p.weightCombinations[0].count >= 2 * n)
        let points = try c.challenges(p).points
        let low = Multilinear.eqTable(Array(points[0].row.dropFirst(shape.weights.rowVariables)))
        let before = InferenceProtocol.foldWeights(p.weightCombinations[0], point: points[0].row, shape: shape)
        p.weightCombinations[0][5] += low[1]
        p.weightCombinations[0][n + 5] -= low[0]
        // The points do not depend on t, so the fold is comparable.
        #expect(InferenceProtocol.foldWeights(p.weightCombinations[0], point: points[0].row, shape: shape) == before)
        #expect(c.rejection(p.encoded()) == .commitmentOpeningFailed)

        // The same for a bias table (16 × 16): a change orthogonal to eq(r_lo').
        var q = try c.decoded()
        let biasLow = Multilinear.eqTable(Array(points[1].row.dropFirst(shape.bias.rowVariables)))
        q.biasCombinations[1][0] += biasLow[1]
        q.biasCombinations[1][1] -= biasLow[0]
        #expect(c.rejection(q.encoded()) == .commitmentOpeningFailed)
    }

    // MARK: Replay: other model, input, context

    @Test func proofForOtherModel_IsRejected() throws {
        let small = try ProvenCase("mlp_small")
        let large = try ProofFixtures.committed("mlp_large")
        let smallInput = small.input
        // Different shapes: the decoder, driven by the other commitment, refuses the counts.
        if case .malformedProof = small.rejection(small.proof, commitment: large.commitment) {} else {
            Issue.record("a small-MLP proof against the large MLP's commitment must be malformed")
        }
        _ = smallInput
        // Same shapes (max vs average pooling): decodes, then fails a check.
        let maxPool = try ProvenCase("cnn_max")
        let avg = try ProofFixtures.committed("cnn_avg")
        #expect(maxPool.rejection(maxPool.proof, commitment: avg.commitment) != nil)
    }

    @Test func proofForSameArchitectureWithOtherWeights_IsRejected() throws {
        // The same spec with one weight changed: a different model whose proofs have the
        // same shape. The honest proof of the original must fail against it.
        let c = try ProvenCase("mlp_small")
        let other = try Self.modelWithOneWeightChanged(c.model)
        #expect(other.spec == c.model.spec)
        #expect(other.digest != c.model.digest)
        let otherCommitment = try ModelCommitment(committing: other)
        let error = c.rejection(c.proof, commitment: otherCommitment)
        #expect(error != nil)
        // And the prover refuses to prove against a commitment to another model.
        #expect(throws: ProvingError.commitmentMismatch) {
            _ = try InferenceProver.prove(model: c.model, commitment: otherCommitment, input: c.input, context: c.context)
        }
    }

    static func modelWithOneWeightChanged(_ model: QuantizedModel) throws -> QuantizedModel {
        var parameters = model.layers.map { layer in
            QuantizedModel.LayerParameters(prepare: layer.spec.prepare, kind: layer.spec.kind, rows: layer.spec.rows,
                                           activation: layer.spec.activation, weights: layer.weights, bias: layer.bias)
        }
        parameters[0].weights[0] += parameters[0].weights[0] > 0 ? -1 : 1 // keeps the accumulator bound
        return try QuantizedModel(config: model.spec.config, inputShape: model.spec.inputShape, layers: parameters)
    }

    @Test func proofForOtherInput_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        var other = c.input
        other[10] = other[10] == 0 ? 16 : 0
        #expect(c.rejection(c.proof, input: other) != nil)
        // An input outside the model's range is refused before anything else.
        var outOfRange = c.input
        outOfRange[0] = c.model.spec.inputRange.upperBound + 1
        if case .invalidInput = c.rejection(c.proof, input: outOfRange) {} else { Issue.record("out-of-range input accepted") }
        if case .invalidInput = c.rejection(c.proof, input: Array(c.input.dropLast())) {} else { Issue.record("short input accepted") }
    }

    @Test func proofReplayedForOtherContext_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        let ctx = c.context
        for other in [BindingContext(jobID: ctx.jobID + "1", workerID: ctx.workerID, nonce: ctx.nonce),
                      BindingContext(jobID: ctx.jobID, workerID: "worker-8", nonce: ctx.nonce),
                      BindingContext(jobID: ctx.jobID, workerID: ctx.workerID, nonce: ctx.nonce + "0"),
                      // Moving a separator between fields is another context too.
                      BindingContext(jobID: ctx.jobID + ":" + ctx.workerID, workerID: "", nonce: ctx.nonce)] {
            #expect(c.rejection(c.proof, context: other) != nil, "\(other)")
        }
    }

    // MARK: The proof's shape

    @Test func layerAdded_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        var p = try c.decoded()
        p.preActivations.append(p.preActivations[1])
        p.weightCombinations.append(p.weightCombinations[1])
        p.biasCombinations.append(p.biasCombinations[1])
        #expect(c.rejection(p.encoded()) == .malformedProof(.countMismatch(field: "layers", expected: 2, actual: 3, offset: 6)))
    }

    @Test func layerRemoved_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        var p = try c.decoded()
        p.preActivations.removeLast()
        p.weightCombinations.removeLast()
        p.biasCombinations.removeLast()
        #expect(c.rejection(p.encoded()) == .malformedProof(.countMismatch(field: "layers", expected: 2, actual: 1, offset: 6)))
        // With the layer count patched back, the missing layer is still found missing.
        var bytes = p.encoded()
        bytes[7] = 2
        if case .malformedProof = c.rejection(bytes) {} else { Issue.record("proof with a layer removed accepted") }
    }

    @Test func layersReordered_IsRejected() throws {
        // mlp_large's first two layers both produce 256 values, so swapping them keeps every
        // length right; the product checks catch it.
        let c = try ProvenCase("mlp_large")
        var p = try c.decoded()
        p.preActivations.swapAt(0, 1)
        p.weightCombinations.swapAt(0, 1)
        p.biasCombinations.swapAt(0, 1)
        let error = c.rejection(p.encoded())
        #expect(error != nil)
        if case .linearCheckFailed = error {} else if case .preActivationOutOfBound = error {} else {
            Issue.record("unexpected \(String(describing: error))")
        }
    }

    @Test func truncatedProof_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        for length in 0..<c.proof.count {
            guard case .malformedProof(let e) = c.rejection(Array(c.proof.prefix(length))) else {
                Issue.record("truncation to \(length) bytes not reported as malformed")
                continue
            }
            switch e {
            case .truncated, .countMismatch: break
            default: Issue.record("truncation to \(length) bytes: \(e)")
            }
        }
    }

    @Test func extendedProof_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        for extra in [[UInt8(0)], [UInt8](repeating: 0xAB, count: 32), c.proof] {
            #expect(c.rejection(c.proof + extra) == .malformedProof(.trailingBytes(count: extra.count, offset: c.proof.count)))
        }
    }

    @Test func oversizedProof_IsRejectedBeforeDecoding() throws {
        let c = try ProvenCase("mlp_small")
        let huge = [UInt8](repeating: 0, count: ProofLimits.proofBytesMax + 1)
        #expect(c.rejection(huge) == .proofTooLarge(bytes: ProofLimits.proofBytesMax + 1, limit: ProofLimits.proofBytesMax))
    }

    @Test func badMagicOrVersion_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        var magic = c.proof
        magic[0] ^= 0xFF
        #expect(c.rejection(magic) == .malformedProof(.badMagic(offset: 0)))
        // Version 1 (the chain-only protocol) and unknown later versions are both refused.
        for v: UInt8 in [1, 3] {
            var version = c.proof
            version[5] = v
            #expect(c.rejection(version) == .malformedProof(.unsupportedVersion(UInt16(v))))
        }
    }

    @Test func nonCanonicalFieldElement_IsRejected() throws {
        let c = try ProvenCase("mlp_small")
        let p = try c.decoded()
        // The scalars close the proof: the first of them lies 32 bytes per scalar before its end.
        let scalars = zip(p.weightCombinations, p.biasCombinations).reduce(0) { $0 + $1.0.count + $1.1.count }
        let offset = c.proof.count - 32 * scalars
        let value = p.weightCombinations[0][0]
        // value + n, when it still fits 32 bytes, encodes the same residue non-canonically.
        var bytes = c.proof
        bytes.replaceSubrange(offset..<(offset + 32), with: Scalar.orderBigEndian)
        #expect(c.rejection(bytes) == .malformedProof(.nonCanonicalScalar(offset: offset)))
        bytes.replaceSubrange(offset..<(offset + 32), with: [UInt8](repeating: 0xFF, count: 32))
        #expect(c.rejection(bytes) == .malformedProof(.nonCanonicalScalar(offset: offset)))
        _ = value
    }

    // MARK: Range checks and the field

    @Test func preActivationShiftedByFieldOrder_IsRejected() throws {
        // z + n equals z in the field, so a verifier without a range check on z would accept
        // it with the activation of a different integer. On the wire z is an i64, so the
        // adversary's z + n arrives reduced mod 2^64: far outside ±2^B.
        let c = try ProvenCase("mlp_small")
        let nLow = Int64(bitPattern: 0xF3B9_CAC2_FC63_2551) // n mod 2^64
        let (z, output) = try c.adversarialTrace(layer: 0) { z in
            var z = z
            z[3] = z[3] &+ nLow
            return z
        }
        #expect(c.rejection(c.proveFalseTrace(z, output: output)) ==
                .preActivationOutOfBound(layer: 0, index: 3, bits: c.model.spec.layers[0].accumulatorBits))
    }

    @Test func accumulatorOverflow_IsRejected() throws {
        // A pre-activation one past the registered bound is refused by the range check; one
        // just inside it passes the range check and is caught by the product check.
        let c = try ProvenCase("mlp_small")
        let bits = c.model.spec.layers[1].accumulatorBits
        let past = try c.adversarialTrace(layer: 1) { z in var z = z; z[2] = Int64(1) << Int64(bits); return z }
        #expect(c.rejection(c.proveFalseTrace(past.z, output: past.output)) == .preActivationOutOfBound(layer: 1, index: 2, bits: bits))
        let negative = try c.adversarialTrace(layer: 1) { z in var z = z; z[2] = -(Int64(1) << Int64(bits)); return z }
        #expect(c.rejection(c.proveFalseTrace(negative.z, output: negative.output)) == .preActivationOutOfBound(layer: 1, index: 2, bits: bits))
        let inside = try c.adversarialTrace(layer: 1) { z in var z = z; z[2] = (Int64(1) << Int64(bits)) - 1; return z }
        #expect(isLinearCheckFailure(c.rejection(c.proveFalseTrace(inside.z, output: inside.output)), layer: 1))
        let extreme = try c.adversarialTrace(layer: 0) { z in var z = z; z[0] = Int64.min; return z }
        #expect(c.rejection(c.proveFalseTrace(extreme.z, output: extreme.output)) ==
                .preActivationOutOfBound(layer: 0, index: 0, bits: c.model.spec.layers[0].accumulatorBits))
    }

    @Test(arguments: ["mlp_small", "mlp_large"])
    func flippedReLU_IsRejected(name: String) throws {
        // The adversary feeds the next layer a non-zero activation where ReLU gave zero (it
        // keeps Z_k honest, so the verifier's own ReLU of Z_k disagrees with what layer k+1 read).
        // In these dense models layer k+1's columns are layer k's output itself.
        let c = try ProvenCase(name)
        let run = try c.model.run(c.input)
        let k = 0
        let i = try #require(run.layers[k].preActivation.firstIndex(where: { $0 < 0 }))
        #expect(run.layers[k + 1].columns == run.layers[k].output)
        let fed = try c.adversarialColumns(layer: k + 1) { $0[i] = 1 << 8 }
        #expect(isLinearCheckFailure(c.rejection(c.proveFalseTrace(fed.z, output: fed.output)), layer: k + 1))
        // Flipping the sign of Z_k instead (so ReLU passes it) fails layer k's own check.
        let flipped = try c.adversarialTrace(layer: k) { z in var z = z; z[i] = -z[i]; return z }
        #expect(isLinearCheckFailure(c.rejection(c.proveFalseTrace(flipped.z, output: flipped.output)), layer: k))
    }

    @Test func wrongRescaleOrClamp_IsRejected() throws {
        // Layer k+1 reads an activation off by one from rescale(Z_k): caught at layer k+1.
        // (A dense model: behind a pooling step a +1 can round away and change nothing.)
        let c = try ProvenCase("mlp_large")
        let run = try c.model.run(c.input)
        var incoming = run.layers[0].output
        let i = try #require(incoming.firstIndex(where: { $0 > 0 }))
        incoming[i] += 1
        var z = run.layers.map(\.preActivation)
        z[1] = c.model.layers[1].preActivation(columns: try c.model.layers[1].spec.columns(incoming))
        #expect(z[1] != run.layers[1].preActivation)
        var output = c.model.layers[1].spec.activate(z[1])
        z[2] = c.model.layers[2].preActivation(columns: try c.model.layers[2].spec.columns(output))
        output = c.model.layers[2].spec.activate(z[2])
        #expect(isLinearCheckFailure(c.rejection(c.proveFalseTrace(z, output: output)), layer: 1))
    }

    @Test(arguments: ["cnn_max", "cnn_avg"])
    func wrongPooling_IsRejected(name: String) throws {
        // Layer 1 reads the pooled conv output. The adversary pools differently (one pooled
        // value off, as a wrong window or the other pooling would give) and computes layer 1
        // honestly from that: the verifier pools Z_0 itself, so layer 1's check fails.
        let c = try ProvenCase(name, sample: 4)
        let (z, output) = try c.adversarialColumns(layer: 1) { $0[$0.count / 3] += 7 }
        #expect(isLinearCheckFailure(c.rejection(c.proveFalseTrace(z, output: output)), layer: 1))
    }

    @Test func wrongConvolutionPadding_IsRejected() throws {
        // im2col pads with zeros; an adversary padding with another value changes the border
        // columns of X_0. The verifier builds im2col itself from the clear input.
        let c = try ProvenCase("ops_cover", sample: 2)
        let run = try c.model.run(c.input)
        let clean = try c.model.layers[0].spec.columns(c.input)
        #expect(clean == run.layers[0].columns)
        // The first im2col row is the kernel's top-left tap: at output (0, 0) it reads the pad.
        #expect(clean[0] == 0)
        let (z, output) = try c.adversarialColumns(layer: 0) { $0[0] = 1 << 8 }
        #expect(z[0] != run.layers[0].preActivation)
        #expect(isLinearCheckFailure(c.rejection(c.proveFalseTrace(z, output: output)), layer: 0))
    }
}
