import Foundation
@testable import Inference
import Testing
import TestSupport
@testable import ZKProof

/// The weight recoveries that defeat public proofs, executed against what a verifier sees.
///
/// A verifier holding only commitments, inputs, contexts and proofs recovers every weight of a
/// digits MLP from public (v1) proofs: from the clear trace (`Z_0 = W_0·x + b_0` for 65 inputs
/// is a linear system) and from the row combinations `t_k` (one linear equation per committed
/// row and proof, or one proof and a lattice reduction when the table has few rows). Each attack
/// here runs on 256 proofs of `mlp_small` for one set of chosen inputs: on public proofs, where
/// it must give back the model's quantised weights exactly (the control that shows the attack
/// works and the test can fail), and on private proofs under one private commitment, where
/// every scalar the proof carries must fit no affine function of the input, no solved candidate
/// may be a weight row, no point may repeat or satisfy a group-affine relation, and no scalar
/// may be a small integer. The small-integer recovery is an exact LLL (`IntegerLattice`): on a
/// public proof it reads the 5-row table of layer 1 out of one `t_1`; on private proofs it finds
/// nothing short at any position.
///
/// The fits use the input and a 1, not the private verifier's challenges: those are drawn from
/// a transcript of every message and no public entry returns them.
///
/// `mlp_small` (64→32→10), not `mlp_large`: measured in a debug build on a loaded machine, a
/// private proof of the large MLP takes ≈ 0.5 s, so 256 of them take about two minutes on one
/// thread before any attack runs (the small one's ≈ 0.25 s); the attacks are the same.
@Suite struct PrivateProofAuditTests {
    static let proofCount = 256
    /// The first layer's unknowns per row: 64 weights and the bias.
    static let unknowns = 65

    /// 256 chosen inputs, each proved publicly and privately under its own context.
    struct Collection: Sendable {
        let c: PrivateFixtures.Committed
        let publicCommitment: ModelCommitment
        let inputs: [[Int64]]
        let contexts: [BindingContext]
        let outputs: [[Int64]]
        let publicProofs: [[UInt8]]
        let privateProofs: [[UInt8]]
    }

    /// Made once for the suite (off the concurrency pool: callers reach it through `OwnThread`).
    static let collection: Result<Collection, any Error> = Result {
        let c = try PrivateFixtures.committed("mlp_small")
        let publicCommitment = try ModelCommitment(committing: c.model)
        // The auditor chooses the inputs (a requester may send any admissible input): seeded
        // uniform pixels, so that any 65 of them with a 1 appended are independent.
        let range = c.model.spec.inputRange
        let width = UInt64(range.upperBound - range.lowerBound + 1)
        var g = SeededBytes(seed: 0xA0D1)
        let inputs = (0..<proofCount).map { _ in
            (0..<c.model.spec.inputElements).map { _ in range.lowerBound + Int64(g.next64() % width) }
        }
        let contexts = (0..<proofCount).map { BindingContext(jobID: "audit-job-\($0)", workerID: "audit-worker", nonce: "audit-\($0)") }
        var outputs: [[Int64]] = [], publicProofs: [[UInt8]] = [], privateProofs: [[UInt8]] = []
        for (x, context) in zip(inputs, contexts) {
            let (y, p) = try InferenceProver.prove(model: c.model, commitment: publicCommitment, input: x, context: context)
            let (z, q) = try PrivateProver.prove(model: c.model, commitment: c.commitment, material: c.material, input: x, context: context)
            guard y == z else { throw AuditFailure(reason: "public and private outputs differ") }
            outputs.append(y)
            publicProofs.append(p)
            privateProofs.append(q)
        }
        return Collection(c: c, publicCommitment: publicCommitment, inputs: inputs, contexts: contexts, outputs: outputs,
                          publicProofs: publicProofs, privateProofs: privateProofs)
    }

    /// The private proofs' layout, read once from all 256.
    static let privateLayout: Result<PrivateProofLayout, any Error> = Result {
        let k = try collection.get()
        return try PrivateProofLayout(k.privateProofs, outputs: k.outputs[0].count)
    }

    static func collected() async throws -> Collection {
        try await PrivateFixtures.ready()
        return try await OwnThread.run { try collection.get() }
    }

    struct AuditFailure: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// The regressors of proof `j`: its input and a 1 (for the bias).
    static func regressors(_ x: [Int64]) -> [Scalar] { x.map { Scalar($0) } + [.one] }

    /// The affine fit of the 256 proofs: solved on the first 65 (the basis), then predicted on
    /// the other 191 (63 more of the first half, all 128 of the held-out half).
    struct AffineFit {
        /// The basis matrix's inverse.
        let inverse: [[Scalar]]
        /// Row `h`: the coefficients that predict proof `65 + h` from the basis proofs' values.
        let predictors: [[Scalar]]

        init(inputs: [[Int64]]) throws {
            let a = inputs.map(regressors)
            guard let inverse = FieldMatrix.inverse(Array(a.prefix(unknowns))) else {
                throw AuditFailure(reason: "the basis inputs are dependent")
            }
            self.inverse = inverse
            predictors = a.dropFirst(unknowns).map { FieldMatrix.rowTimes($0, inverse) }
        }

        /// The coefficients `c` with `⟨a_j, c⟩ = s_j` on the basis.
        func solve(_ s: [Scalar]) -> [Scalar] { FieldMatrix.times(inverse, Array(s.prefix(unknowns))) }

        /// `s_h − prediction` for every proof outside the basis.
        func residuals(_ s: [Scalar]) -> [Scalar] {
            let basis = Array(s.prefix(unknowns))
            return predictors.enumerated().map { h, p in s[unknowns + h] - Multilinear.innerProduct(p, basis) }
        }
    }

    // MARK: Positive controls: public proofs give the weights up

    @Test func publicProofs_GiveUpTheFirstLayerFromTheClearTrace() async throws {
        let k = try await Self.collected()
        let layer = k.c.model.layers[0]
        let (recovered, residualsZero) = try await OwnThread.run { () -> ([[Scalar]], Bool) in
            let fit = try AffineFit(inputs: k.inputs)
            let traces = try k.publicProofs.map { bytes in
                try InferenceProof(decoding: bytes, layout: k.publicCommitment.layout, spec: k.publicCommitment.spec, items: 1)
                    .preActivations[0]
            }
            var recovered: [[Scalar]] = [], zero = true
            for i in 0..<layer.spec.rows {
                let s = traces.map { Scalar($0[i]) }
                recovered.append(fit.solve(s))
                zero = zero && fit.residuals(s).allSatisfy(\.isZero)
            }
            return (recovered, zero)
        }
        #expect(residualsZero, "every pre-activation of the other 191 proofs is predicted exactly")
        for i in 0..<layer.spec.rows {
            let truth = (0..<layer.spec.inner).map { Scalar(layer.weights[i * layer.spec.inner + $0]) } + [Scalar(layer.bias[i])]
            #expect(recovered[i] == truth, "row \(i) of W_0 | b_0 recovered from the clear trace")
        }
    }

    @Test func publicProofs_GiveUpEveryWeightTableFromTheRowCombinations() async throws {
        let k = try await Self.collected()
        let layout = k.publicCommitment.layout
        let outcome = try await OwnThread.run { () -> [(weights: Bool, bias: Bool, heldOut: Bool)] in
            // Each proof's row points, replayed the verifier's way from the statement and trace.
            var weightRows: [[[Scalar]]] = [[], []], biasRows: [[[Scalar]]] = [[], []]
            var t: [[[Scalar]]] = [[], []], beta: [[[Scalar]]] = [[], []]
            for j in 0..<Self.proofCount {
                let proof = try InferenceProof(decoding: k.publicProofs[j], layout: layout, spec: k.publicCommitment.spec, items: 1)
                var transcript = InferenceProtocol.beginTranscript(commitment: k.publicCommitment, context: k.contexts[j],
                                                                   input: k.inputs[j], output: k.outputs[j])
                InferenceProtocol.absorbTrace(&transcript, proof.preActivations, products: proof.products)
                let points = InferenceProtocol.drawPoints(&transcript, layout: layout, items: 1)
                for l in 0..<2 {
                    weightRows[l].append(InferenceProtocol.rowWeights(points[l].row, layout.layers[l].weights))
                    biasRows[l].append(InferenceProtocol.rowWeights(points[l].row, layout.layers[l].bias))
                    t[l].append(proof.weightCombinations[l])
                    beta[l].append(proof.biasCombinations[l])
                }
            }
            return try (0..<2).map { l in
                let shape = layout.layers[l], layer = k.c.model.layers[l]
                let (w, wHeld) = try Self.solveTable(weightRows[l], t[l], rowCount: shape.weights.rowCount)
                let (b, bHeld) = try Self.solveTable(biasRows[l], beta[l], rowCount: shape.bias.rowCount)
                let table = ModelCommitment.paddedWeights(layer, shape)
                let weightsMatch = (0..<(shape.weights.rowCount * shape.weights.width)).allSatisfy { f in
                    w[f / shape.weights.width][f % shape.weights.width] == Scalar(f < table.count ? table[f] : 0)
                }
                let biasMatch = (0..<(shape.bias.rowCount * shape.bias.width)).allSatisfy { f in
                    b[f / shape.bias.width][f % shape.bias.width] == Scalar(f < layer.bias.count ? layer.bias[f] : 0)
                }
                return (weightsMatch, biasMatch, wHeld && bHeld)
            }
        }
        for (l, o) in outcome.enumerated() {
            #expect(o.weights, "layer \(l): W recovered exactly from its row combinations")
            #expect(o.bias, "layer \(l): b recovered exactly from its row combinations")
            #expect(o.heldOut, "layer \(l): the recovered table predicts every other proof's combination")
        }
    }

    /// Solves `t_j = Σ_l L_j[l]·T[l]` for the table rows `T` from the first `rowCount` proofs;
    /// also whether the other proofs' `t_j` follow.
    static func solveTable(_ l: [[Scalar]], _ t: [[Scalar]], rowCount: Int) throws -> ([[Scalar]], Bool) {
        let m = l.prefix(rowCount).map { Array($0.prefix(rowCount)) }
        guard let inverse = FieldMatrix.inverse(m) else { throw AuditFailure(reason: "the row weights are dependent") }
        let width = t[0].count
        let table = (0..<rowCount).map { r in
            (0..<width).map { col in (0..<rowCount).reduce(Scalar.zero) { $0 + inverse[r][$1] * t[$1][col] } }
        }
        let follows = (rowCount..<l.count).allSatisfy { j in
            (0..<width).allSatisfy { col in
                (0..<rowCount).reduce(Scalar.zero) { $0 + l[j][$1] * table[$1][col] } == t[j][col]
            }
        }
        return (table, follows)
    }

    // MARK: Private proofs give nothing up

    @Test func privateProofs_ParseIntoFieldElementsAndPointsByPosition() async throws {
        let k = try await Self.collected()
        let layout = try await OwnThread.run { try Self.privateLayout.get() }
        // The bit tables of both layers (32 and 16 entries) are among the points; every proof verifies.
        #expect(layout.points.count > 48 && layout.scalars.count > 100, "\(layout.points.count) points, \(layout.scalars.count) scalars")
        #expect(layout.counts.first?.value == 32, "the first count is layer 0's bit-table rows")
        print("private proof of mlp_small: \(k.privateProofs[0].count) bytes, \(layout.points.count) points,",
              "\(layout.scalars.count) scalars, \(layout.counts.count) counts")
        let accepted = try await OwnThread.run {
            (0..<4).allSatisfy { j in
                (try? PrivateVerifier.verify(commitment: k.c.commitment, input: k.inputs[j], proof: k.privateProofs[j],
                                             context: k.contexts[j])) == k.outputs[j]
            }
        }
        #expect(accepted)
    }

    @Test func privateProofs_NoScalarIsAnAffineFunctionOfTheInput() async throws {
        let k = try await Self.collected()
        let layer = k.c.model.layers[0]
        let rows = (0..<layer.spec.rows).map { i in
            (0..<layer.spec.inner).map { Scalar(layer.weights[i * layer.spec.inner + $0]) } + [Scalar(layer.bias[i])]
        }
        let (positions, fitting, candidates) = try await OwnThread.run { () -> (Int, [Int], [Int]) in
            let layout = try Self.privateLayout.get()
            let fit = try AffineFit(inputs: k.inputs)
            let truth = Set(rows + rows.map { $0.map { -$0 } })
            var fitting: [Int] = [], candidates: [Int] = []
            for offset in layout.scalars {
                let s = k.privateProofs.map { layout.scalar($0, at: offset) }
                if fit.residuals(s).contains(where: \.isZero) { fitting.append(offset) }
                if truth.contains(fit.solve(s)) { candidates.append(offset) }
            }
            return (layout.scalars.count, fitting, candidates)
        }
        #expect(positions > 100)
        #expect(fitting.isEmpty, "scalars at offsets \(fitting) fit an affine function of the input on some held-out proof")
        #expect(candidates.isEmpty, "scalars at offsets \(candidates) solve to a row of W_0 | b_0")
    }

    @Test func privateProofs_NoPointRepeatsOrIsAGroupAffineFunctionOfTheInput() async throws {
        let k = try await Self.collected()
        let (total, distinct, rowsHit, affine) = try await OwnThread.run { () -> (Int, Int, Int, [Int]) in
            let layout = try Self.privateLayout.get()
            var xs = Set<Data>()
            for proof in k.privateProofs { for o in layout.points { xs.insert(Data(proof[(o + 1)..<(o + 33)])) } }
            let committed = Set(k.c.commitment.weightRows.flatMap { $0 }.map { Data($0.compressed.dropFirst()) })
            // A point P_j = Σ_i x_j[i]·A_i + B for fixed A, B would predict every other proof from
            // the basis: P_h − Σ_j c_hj·P_j = O. Checked on four held-out proofs per position.
            let fit = try AffineFit(inputs: k.inputs)
            var affine: [Int] = []
            for o in layout.points {
                let basis = try k.privateProofs.prefix(Self.unknowns).map { try CurvePoint(compressed: $0[o..<(o + 33)]) }
                for h in [0, 63, 64, 190] {
                    let point = try CurvePoint(compressed: k.privateProofs[Self.unknowns + h][o..<(o + 33)])
                    let residual = CurvePoint.multiScalarMultiply(basis + [point], fit.predictors[h].map { -$0 } + [.one])
                    if residual?.isInfinity ?? true { affine.append(o) }
                }
            }
            return (layout.points.count * Self.proofCount, xs.count, xs.intersection(committed).count, affine)
        }
        #expect(distinct == total, "\(total - distinct) points repeat (up to sign) among the 256 proofs")
        #expect(rowsHit == 0, "\(rowsHit) proof points are commitment rows (up to sign)")
        #expect(affine.isEmpty, "points at offsets \(affine) follow a group-affine function of the input")
    }

    @Test func privateProofs_NoScalarOrDifferenceAtAPositionIsSmall() async throws {
        let k = try await Self.collected()
        let small = try await OwnThread.run { () -> [Int] in
            let layout = try Self.privateLayout.get()
            var small: [Int] = []
            for offset in layout.scalars {
                let s = k.privateProofs.map { layout.scalar($0, at: offset) }
                var found = s.contains(where: Self.isSmall)
                for a in 0..<s.count where !found {
                    for b in (a + 1)..<s.count where Self.isSmall(s[a] - s[b]) { found = true; break }
                }
                if found { small.append(offset) }
            }
            return small
        }
        #expect(small.isEmpty, "scalars at offsets \(small) are, or differ by, an integer below 2^64 in magnitude")
    }

    /// `|v| < 2^64` as a signed integer (`v` or `n − v` fits in one limb).
    static func isSmall(_ v: Scalar) -> Bool {
        let (_, a1, a2, a3) = v.canonicalLimbs, (_, b1, b2, b3) = (-v).canonicalLimbs
        return (a1 | a2 | a3) == 0 || (b1 | b2 | b3) == 0
    }

    // MARK: Small-integer recovery by lattice reduction

    @Test func integerLattice_FindsAPlantedSmallRatio() {
        // s = a/b (mod n) with small a, b: (a, b) / gcd is a short vector of {(v, e) : v ≡ e·s}.
        let (a, b): (Int64, Int64) = (-12_345_678, 987_654_321)
        let s = Scalar(a) * (Scalar(b).inverse() ?? .zero)
        let vectors = IntegerLattice.relations(multipliers: [.one], target: s) ?? []
        #expect(vectors.first?.entries == [-1_371_742, 109_739_369] || vectors.first?.entries == [1_371_742, -109_739_369],
                "the shortest vector is a/b in lowest terms (gcd 9): \(vectors.map(\.entries))")
        #expect(vectors.count == 2 && vectors[1].bits > 200, "the other vector is long")
        // Two values related by small integers, s' = 3·s + 5: (−5, 1, 3) solves v_0 + s'·v_1 ≡ e·s.
        let related = IntegerLattice.relations(multipliers: [.one, Scalar(Int64(3)) * s + Scalar(Int64(5))], target: s) ?? []
        #expect(related.contains { $0.entries == [-5, 1, 3] || $0.entries == [5, -1, -3] }, "\(related.map(\.entries))")
    }

    @Test func publicProofs_GiveUpTheirSmallTablesToLatticeReductionOfOneProof() async throws {
        let k = try await Self.collected()
        let layout = k.publicCommitment.layout
        // A table of R committed rows: each column of t_k is Σ_l L_l·T[l][col] with small T, a
        // short vector (T[·][col], 1) of a lattice of dimension R + 1 (R ≤ 16 here).
        let layers = (0..<layout.layers.count).filter { layout.layers[$0].weights.rowCount <= 16 }
        #expect(!layers.isEmpty, "a layer with at most 16 committed weight rows")
        print("public mlp_small weight tables (committed rows × width):",
              layout.layers.map { "\($0.weights.rowCount)×\($0.weights.width)" }, "reduced by lattice:", layers)
        let recovered = try await OwnThread.run { () -> [(columns: Int, found: Int)] in
            let proof = try InferenceProof(decoding: k.publicProofs[0], layout: layout, spec: k.publicCommitment.spec, items: 1)
            var transcript = InferenceProtocol.beginTranscript(commitment: k.publicCommitment, context: k.contexts[0],
                                                               input: k.inputs[0], output: k.outputs[0])
            InferenceProtocol.absorbTrace(&transcript, proof.preActivations, products: proof.products)
            let points = InferenceProtocol.drawPoints(&transcript, layout: layout, items: 1)
            return layers.map { l in
                let shape = layout.layers[l]
                let rows = shape.weights.rowCount, width = shape.weights.width
                let weights = Array(InferenceProtocol.rowWeights(points[l].row, shape.weights).prefix(rows))
                let table = ModelCommitment.paddedWeights(k.c.model.layers[l], shape)
                var found = 0
                for col in 0..<width {
                    let truth = (0..<rows).map { r in r * width + col < table.count ? table[r * width + col] : 0 } + [1]
                    let vectors = IntegerLattice.relations(multipliers: weights, target: proof.weightCombinations[l][col]) ?? []
                    if vectors.contains(where: { $0.entries == truth || $0.entries == truth.map { -$0 } }) { found += 1 }
                }
                return (width, found)
            }
        }
        for (l, r) in zip(layers, recovered) {
            #expect(r.found == r.columns, "layer \(l): \(r.found) of \(r.columns) weight columns recovered from one proof's t_k")
        }
    }

    @Test func privateProofs_LatticeReductionFindsNoSmallIntegers() async throws {
        let k = try await Self.collected()
        let short = try await OwnThread.run { () -> [Int] in
            let layout = try Self.privateLayout.get()
            var p64 = Scalar(UInt64(1) << 63)
            p64 += p64
            // {v ≡ e·s}: s is a ratio of small integers; {v_0 + 2^128·v_1 ≡ e·s}: s splits into small halves.
            let multipliers: [[Scalar]] = [[.one], [.one, p64 * p64]]
            func hasShort(_ m: [Scalar], _ v: Scalar) -> Bool {
                (IntegerLattice.relations(multipliers: m, target: v) ?? []).contains { $0.bits <= 64 }
            }
            var found: [Int] = []
            for offset in layout.scalars {
                let s = k.privateProofs.prefix(Self.latticeProofs).map { layout.scalar($0, at: offset) }
                let values = s + zip(s, s.dropFirst()).map { $0 - $1 }
                // And two proofs' scalars at one position: {v_0 + s'·v_1 ≡ e·s}, a small-integer relation between them.
                if values.contains(where: { v in multipliers.contains { hasShort($0, v) } })
                    || zip(s, s.dropFirst()).contains(where: { hasShort([.one, $1], $0) }) {
                    found.append(offset)
                }
            }
            return found
        }
        #expect(short.isEmpty, "scalars at offsets \(short) give a lattice vector with every entry below 2^64")
    }

    /// Proofs whose scalars (and consecutive differences) are reduced at every position.
    static let latticeProofs = 16

    @Test func twoPrivateCommitmentsOfOneModel_ShareNoRow() async throws {
        let k = try await Self.collected()
        let (other, _) = try await OwnThread.run { try PrivateProver.commit(k.c.model) }
        let mine = Set(k.c.commitment.weightRows.flatMap { $0 }.map { Data($0.compressed.dropFirst()) })
        let theirs = Set(other.weightRows.flatMap { $0 }.map { Data($0.compressed.dropFirst()) })
        #expect(mine.count == k.c.commitment.weightRows.reduce(0) { $0 + $1.count }, "no row repeats within a commitment")
        #expect(mine.isDisjoint(with: theirs), "two private commitments of one model share a row (up to sign)")
    }
}

/// A private proof's layout read from many honest proofs of one model, the way an outside
/// auditor would without the verifier's code: after the public head (magic, version, the
/// output), each field is a u32 count (the same four bytes in every proof, leading byte zero),
/// a compressed point (leading byte 2 or 3 in every proof) or a 32-byte scalar. Decoding every
/// point and every scalar, and ending exactly at the end, confirms the reading.
struct PrivateProofLayout: Sendable {
    /// Offsets of the scalars and of the points; the counts with their values.
    private(set) var scalars: [Int] = [], points: [Int] = [], counts: [(offset: Int, value: UInt32)] = []

    init(_ proofs: [[UInt8]], outputs: Int) throws {
        let length = proofs[0].count
        guard proofs.allSatisfy({ $0.count == length }) else { throw PrivateProofAuditTests.AuditFailure(reason: "lengths differ") }
        var o = 4 + 2 + 4 + 8 * outputs
        while o < length {
            let first = proofs[0]
            if o + 4 <= length, first[o] == 0, proofs.allSatisfy({ $0[o..<(o + 4)] == first[o..<(o + 4)] }) {
                counts.append((o, first[o..<(o + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
                o += 4
            } else if o + 33 <= length, proofs.allSatisfy({ $0[o] == 2 || $0[o] == 3 }) {
                for p in proofs { _ = try CurvePoint(compressed: p[o..<(o + 33)]) }
                points.append(o)
                o += 33
            } else {
                guard o + 32 <= length else { throw PrivateProofAuditTests.AuditFailure(reason: "a field runs past the end at \(o)") }
                for p in proofs { _ = try Scalar(canonicalBigEndian: Array(p[o..<(o + 32)])) }
                scalars.append(o)
                o += 32
            }
        }
    }

    func scalar(_ proof: [UInt8], at o: Int) -> Scalar {
        (try? Scalar(canonicalBigEndian: Array(proof[o..<(o + 32)]))) ?? .zero
    }
}

/// Dense linear algebra over the scalar field, for the audit's systems (at most 65 × 65).
enum FieldMatrix {
    /// Gauss–Jordan inverse; nil when singular.
    static func inverse(_ m: [[Scalar]]) -> [[Scalar]]? {
        let n = m.count
        var a = m.enumerated().map { i, row in row + (0..<n).map { $0 == i ? Scalar.one : Scalar.zero } }
        for col in 0..<n {
            guard let pivot = (col..<n).first(where: { !a[$0][col].isZero }), let inv = a[pivot][col].inverse() else { return nil }
            a.swapAt(col, pivot)
            a[col] = a[col].map { $0 * inv }
            for r in 0..<n where r != col && !a[r][col].isZero {
                let f = a[r][col]
                for c in col..<(2 * n) { a[r][c] -= f * a[col][c] }
            }
        }
        return a.map { Array($0[n...]) }
    }

    /// `M·v`.
    static func times(_ m: [[Scalar]], _ v: [Scalar]) -> [Scalar] { m.map { Multilinear.innerProduct($0, v) } }

    /// `vᵀ·M`.
    static func rowTimes(_ v: [Scalar], _ m: [[Scalar]]) -> [Scalar] {
        var out = [Scalar](repeating: .zero, count: m[0].count)
        for (i, row) in m.enumerated() { for (j, x) in row.enumerated() { out[j] += v[i] * x } }
        return out
    }
}
