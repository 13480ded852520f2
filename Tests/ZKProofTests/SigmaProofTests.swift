import Testing
@testable import ZKProof

/// Hiding commitments and the Σ-protocols: completeness, and rejection of every changed
/// message, response and commitment and of false statements.
@Suite struct SigmaProofTests {
    @Test func commitments_AreHomomorphicAndHiding() {
        var rng = SeededRandom(seed: 1)
        let a = ZK.scalar(&rng), b = ZK.scalar(&rng), r = ZK.scalar(&rng), s = ZK.scalar(&rng)
        #expect(ZK.commit(a, r).adding(ZK.commit(b, s)).isEqual(to: ZK.commit(a + b, r + s)))
        let u = ZK.scalars(4, &rng), v = ZK.scalars(4, &rng)
        #expect(ZK.commit(vector: u, r).adding(ZK.commit(vector: v, s)).isEqual(to: ZK.commit(vector: zip(u, v).map(+), r + s)))
        // The same value under two fresh blindings gives two different points.
        #expect(!ZK.commit(a, Pedersen.randomScalar()).isEqual(to: ZK.commit(a, Pedersen.randomScalar())))
        // The scalar generator is none of the vector generators nor H.
        for g in Generators.shared.g(count: 8) + [Pedersen.blindingBase] { #expect(!g.isEqual(to: Pedersen.scalarGenerator)) }
        #expect(Pedersen.randomScalar() != Pedersen.randomScalar())
    }

    @Test func opening_CompletesAndRejectsChanges() throws {
        var rng = SeededRandom(seed: 2)
        let a = ZK.scalar(&rng), r = ZK.scalar(&rng)
        let c = ZK.commit(a, r)
        var t = ZK.transcript()
        let proof = try #require(OpeningProof.prove(commitment: c, value: a, blinding: r, transcript: &t))
        var v = ZK.transcript()
        try proof.verify(commitment: c, transcript: &v)
        #expect(v.state == t.state)
        let changed = [
            OpeningProof(nonceCommitment: ZK.moved(proof.nonceCommitment), valueResponse: proof.valueResponse, blindingResponse: proof.blindingResponse),
            OpeningProof(nonceCommitment: proof.nonceCommitment, valueResponse: proof.valueResponse + .one, blindingResponse: proof.blindingResponse),
            OpeningProof(nonceCommitment: proof.nonceCommitment, valueResponse: proof.valueResponse, blindingResponse: proof.blindingResponse + .one),
        ]
        for bad in changed {
            var v = ZK.transcript()
            #expect(throws: ZKVerificationError.equationFailed(proof: "opening", equation: 1)) { try bad.verify(commitment: c, transcript: &v) }
        }
        var w = ZK.transcript()
        #expect(throws: ZKVerificationError.self) { try proof.verify(commitment: ZK.moved(c), transcript: &w) }
        // A prover with a wrong opening fails.
        var tw = ZK.transcript()
        let wrong = try #require(OpeningProof.prove(commitment: c, value: a + .one, blinding: r, transcript: &tw))
        var vw = ZK.transcript()
        #expect(throws: ZKVerificationError.self) { try wrong.verify(commitment: c, transcript: &vw) }
        // The encoding round-trips.
        var writer = ProofWriter()
        proof.encode(to: &writer)
        #expect(writer.bytes.count == OpeningProof.encodedByteCount)
        var reader = ProofReader(writer.bytes)
        let decoded = try OpeningProof(from: &reader)
        try reader.finish()
        var vd = ZK.transcript()
        try decoded.verify(commitment: c, transcript: &vd)
    }

    @Test func equality_CompletesAndRejectsDifferentValues() throws {
        var rng = SeededRandom(seed: 3)
        let a = ZK.scalar(&rng), r1 = ZK.scalar(&rng), r2 = ZK.scalar(&rng)
        let c1 = ZK.commit(a, r1), c2 = ZK.commit(a, r2)
        var t = ZK.transcript()
        let proof = try #require(EqualityProof.prove(first: c1, second: c2, firstBlinding: r1, secondBlinding: r2, transcript: &t))
        var v = ZK.transcript()
        try proof.verify(first: c1, second: c2, transcript: &v)
        for bad in [EqualityProof(nonceCommitment: ZK.moved(proof.nonceCommitment), response: proof.response),
                    EqualityProof(nonceCommitment: proof.nonceCommitment, response: proof.response + .one)] {
            var v = ZK.transcript()
            #expect(throws: ZKVerificationError.equationFailed(proof: "equality", equation: 1)) { try bad.verify(first: c1, second: c2, transcript: &v) }
        }
        for (x, y) in [(ZK.moved(c1), c2), (c1, ZK.moved(c2)), (c2, c1)] {
            var v = ZK.transcript()
            #expect(throws: ZKVerificationError.self) { try proof.verify(first: x, second: y, transcript: &v) }
        }
        // False statement: the values differ by one.
        let c3 = ZK.commit(a + .one, r2)
        var tf = ZK.transcript()
        let false1 = try #require(EqualityProof.prove(first: c1, second: c3, firstBlinding: r1, secondBlinding: r2, transcript: &tf))
        var vf = ZK.transcript()
        #expect(throws: ZKVerificationError.self) { try false1.verify(first: c1, second: c3, transcript: &vf) }
    }

    @Test func product_CompletesAndRejectsEveryChange() throws {
        var rng = SeededRandom(seed: 4)
        let x = ZK.scalar(&rng), y = ZK.scalar(&rng), rx = ZK.scalar(&rng), ry = ZK.scalar(&rng), rz = ZK.scalar(&rng)
        let cx = ZK.commit(x, rx), cy = ZK.commit(y, ry), cz = ZK.commit(x * y, rz)
        var t = ZK.transcript()
        let proof = try #require(ProductProof.prove(x: cx, y: cy, z: cz, xValue: x, xBlinding: rx, yValue: y, yBlinding: ry,
                                                    zBlinding: rz, transcript: &t))
        var v = ZK.transcript()
        try proof.verify(x: cx, y: cy, z: cz, transcript: &v)
        var changed = [
            ProductProof(alpha: ZK.moved(proof.alpha), beta: proof.beta, delta: proof.delta, responses: proof.responses),
            ProductProof(alpha: proof.alpha, beta: ZK.moved(proof.beta), delta: proof.delta, responses: proof.responses),
            ProductProof(alpha: proof.alpha, beta: proof.beta, delta: ZK.moved(proof.delta), responses: proof.responses),
        ]
        for i in 0..<5 {
            var z = proof.responses
            z[i] += .one
            changed.append(ProductProof(alpha: proof.alpha, beta: proof.beta, delta: proof.delta, responses: z))
        }
        for bad in changed {
            var v = ZK.transcript()
            #expect(throws: ZKVerificationError.self) { try bad.verify(x: cx, y: cy, z: cz, transcript: &v) }
        }
        for (a, b, c) in [(ZK.moved(cx), cy, cz), (cx, ZK.moved(cy), cz), (cx, cy, ZK.moved(cz))] {
            var v = ZK.transcript()
            #expect(throws: ZKVerificationError.self) { try proof.verify(x: a, y: b, z: c, transcript: &v) }
        }
        // False statement: a·b ≠ c.
        let wrongZ = ZK.commit(x * y + .one, rz)
        var tf = ZK.transcript()
        let falseProof = try #require(ProductProof.prove(x: cx, y: cy, z: wrongZ, xValue: x, xBlinding: rx, yValue: y,
                                                         yBlinding: ry, zBlinding: rz, transcript: &tf))
        var vf = ZK.transcript()
        #expect(throws: ZKVerificationError.equationFailed(proof: "product", equation: 3)) {
            try falseProof.verify(x: cx, y: cy, z: wrongZ, transcript: &vf)
        }
        var writer = ProofWriter()
        proof.encode(to: &writer)
        #expect(writer.bytes.count == ProductProof.encodedByteCount)
        var reader = ProofReader(writer.bytes)
        let decoded = try ProductProof(from: &reader)
        try reader.finish()
        var vd = ZK.transcript()
        try decoded.verify(x: cx, y: cy, z: cz, transcript: &vd)
    }

    @Test func dotProduct_CompletesAndRejectsEveryChange() throws {
        var rng = SeededRandom(seed: 5)
        let n = 8
        let x = ZK.scalars(n, &rng), a = ZK.scalars(n, &rng), rx = ZK.scalar(&rng), ry = ZK.scalar(&rng)
        let xi = ZK.commit(vector: x, rx), tau = ZK.commit(Multilinear.innerProduct(a, x), ry)
        var t = ZK.transcript()
        let proof = try #require(DotProductProof.prove(vectorCommitment: xi, valueCommitment: tau, publicVector: a, vector: x,
                                                       vectorBlinding: rx, valueBlinding: ry, transcript: &t))
        var v = ZK.transcript()
        try proof.verify(vectorCommitment: xi, valueCommitment: tau, publicVector: a, transcript: &v)
        #expect(v.state == t.state)
        var changed = [
            DotProductProof(delta: ZK.moved(proof.delta), beta: proof.beta, response: proof.response,
                            deltaBlindingResponse: proof.deltaBlindingResponse, betaBlindingResponse: proof.betaBlindingResponse),
            DotProductProof(delta: proof.delta, beta: ZK.moved(proof.beta), response: proof.response,
                            deltaBlindingResponse: proof.deltaBlindingResponse, betaBlindingResponse: proof.betaBlindingResponse),
            DotProductProof(delta: proof.delta, beta: proof.beta, response: proof.response,
                            deltaBlindingResponse: proof.deltaBlindingResponse + .one, betaBlindingResponse: proof.betaBlindingResponse),
            DotProductProof(delta: proof.delta, beta: proof.beta, response: proof.response,
                            deltaBlindingResponse: proof.deltaBlindingResponse, betaBlindingResponse: proof.betaBlindingResponse + .one),
            DotProductProof(delta: proof.delta, beta: proof.beta, response: Array(proof.response.dropLast()),
                            deltaBlindingResponse: proof.deltaBlindingResponse, betaBlindingResponse: proof.betaBlindingResponse),
        ]
        for i in 0..<n {
            var z = proof.response
            z[i] += .one
            changed.append(DotProductProof(delta: proof.delta, beta: proof.beta, response: z,
                                           deltaBlindingResponse: proof.deltaBlindingResponse, betaBlindingResponse: proof.betaBlindingResponse))
        }
        for bad in changed {
            var v = ZK.transcript()
            #expect(throws: ZKVerificationError.self) { try bad.verify(vectorCommitment: xi, valueCommitment: tau, publicVector: a, transcript: &v) }
        }
        var a2 = a
        a2[3] += .one
        for (p, q, w) in [(ZK.moved(xi), tau, a), (xi, ZK.moved(tau), a), (xi, tau, a2)] {
            var v = ZK.transcript()
            #expect(throws: ZKVerificationError.self) { try proof.verify(vectorCommitment: p, valueCommitment: q, publicVector: w, transcript: &v) }
        }
        // False statement: y ≠ ⟨a, x⟩.
        let wrongTau = ZK.commit(Multilinear.innerProduct(a, x) + .one, ry)
        var tf = ZK.transcript()
        let falseProof = try #require(DotProductProof.prove(vectorCommitment: xi, valueCommitment: wrongTau, publicVector: a,
                                                            vector: x, vectorBlinding: rx, valueBlinding: ry, transcript: &tf))
        var vf = ZK.transcript()
        #expect(throws: ZKVerificationError.equationFailed(proof: "dot product", equation: 2)) {
            try falseProof.verify(vectorCommitment: xi, valueCommitment: wrongTau, publicVector: a, transcript: &vf)
        }
        var writer = ProofWriter()
        proof.encode(to: &writer)
        #expect(writer.bytes.count == DotProductProof.encodedByteCount(length: n))
        var reader = ProofReader(writer.bytes)
        let decoded = try DotProductProof(from: &reader, length: n)
        try reader.finish()
        var vd = ZK.transcript()
        try decoded.verify(vectorCommitment: xi, valueCommitment: tau, publicVector: a, transcript: &vd)
        var wrongLength = ProofReader(writer.bytes)
        #expect(throws: ProofFormatError.self) { try DotProductProof(from: &wrongLength, length: n + 1) }
    }

    @Test func blindedHyrax_EvaluatesInZeroKnowledge() throws {
        var rng = SeededRandom(seed: 6)
        let columnCount = 8
        let table = (0..<(5 * columnCount - 3)).map { _ in Int64.random(in: -200...200, using: &rng) }
        let committed = try #require(BlindedHyrax.commit(table, columnCount: columnCount))
        #expect(committed.rows.count == 5)
        // Each row opens with its own blinding, and the rows combine homomorphically.
        let padded = table + [Int64](repeating: 0, count: 3)
        for i in 0..<5 {
            let row = padded[(i * columnCount)..<((i + 1) * columnCount)].map { Scalar($0) }
            #expect(committed.rows[i].isEqual(to: ZK.commit(vector: row, committed.blindings[i])))
        }
        let point = ZK.scalars(6, &rng)
        let weights = Multilinear.eqTable(Array(point.prefix(3)))
        let combined = try #require(BlindedHyrax.combineRows(committed.rows, weights: weights))
        let t = Hyrax.rowCombination(table, columnCount: columnCount, weights: weights)
        #expect(combined.isEqual(to: ZK.commit(vector: t, BlindedHyrax.combineBlindings(committed.blindings, weights: weights))))

        var tp = ZK.transcript()
        let out = try #require(BlindedHyrax.proveEvaluation(table, columnCount: columnCount, rows: committed.rows,
                                                            blindings: committed.blindings, at: point, transcript: &tp))
        #expect(out.value == Multilinear.evaluate(padded, at: point))
        var tv = ZK.transcript()
        let tau = try BlindedHyrax.verifyEvaluation(rows: committed.rows, columnCount: columnCount, at: point, proof: out.proof, transcript: &tv)
        #expect(tau.isEqual(to: ZK.commit(out.value, out.valueBlinding)))
        #expect(tv.state == tp.state)
        // Another table's rows, another point, or a changed row: refused.
        var other = table
        other[9] += 1
        let otherRows = try #require(BlindedHyrax.commit(other, columnCount: columnCount)).rows
        var changedRows = committed.rows
        changedRows[2] = ZK.moved(changedRows[2])
        var otherPoint = point
        otherPoint[1] += .one
        for (rows, p) in [(otherRows, point), (changedRows, point), (committed.rows, otherPoint)] {
            var v = ZK.transcript()
            #expect(throws: ZKVerificationError.self) {
                _ = try BlindedHyrax.verifyEvaluation(rows: rows, columnCount: columnCount, at: p, proof: out.proof, transcript: &v)
            }
        }
        var writer = ProofWriter()
        out.proof.encode(to: &writer)
        var reader = ProofReader(writer.bytes)
        let decoded = try BlindedHyrax.EvaluationProof(from: &reader, columnCount: columnCount)
        try reader.finish()
        var vd = ZK.transcript()
        _ = try BlindedHyrax.verifyEvaluation(rows: committed.rows, columnCount: columnCount, at: point, proof: decoded, transcript: &vd)
        // Shapes the statement cannot have are refused before any work.
        var vs = ZK.transcript()
        #expect(throws: ZKVerificationError.self) {
            _ = try BlindedHyrax.verifyEvaluation(rows: committed.rows, columnCount: 6, at: point, proof: out.proof, transcript: &vs)
        }
    }
}
