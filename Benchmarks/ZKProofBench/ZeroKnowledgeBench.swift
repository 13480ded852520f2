import Foundation
import ZKProof

/// The zero-knowledge building blocks (docs/PROTOCOL-zk.md): commitments, each Σ-protocol's
/// prove and verify, a blinded Hyrax evaluation of a 256×256 table and zero-knowledge
/// sum-checks. Best of `repeats`. Run alone with `zkproof-bench zk`.
func runZeroKnowledgeBenchmark(repeats: Int = 5) {
    var rng = Rng(state: 0x2B)
    let start = Transcript(protocolLabel: TranscriptLabel.testProtocol)
    func report(_ name: String, _ t: Double) { print(String(format: "  %-34@ %8.3f ms", name as NSString, t * 1e3)) }
    print("zero-knowledge building blocks (best of \(repeats)):")
    _ = Generators.shared.g(count: 256)
    _ = Pedersen.scalarGenerator

    let a = rng.scalar(), b = rng.scalar(), ra = rng.scalar(), rb = rng.scalar(), rc = rng.scalar()
    report("random scalar (RAND_bytes)", best(repeats) { for _ in 0..<100 { _ = Pedersen.randomScalar() } } / 100)
    report("scalar commitment", best(repeats) { _ = Pedersen.commit(a, blinding: ra) })
    guard let ca = Pedersen.commit(a, blinding: ra), let cb = Pedersen.commit(b, blinding: rb),
          let cc = Pedersen.commit(a * b, blinding: rc), let cb2 = Pedersen.commit(a, blinding: rb) else { return print("  commit failed") }

    var opening: OpeningProof?
    report("opening prove", best(repeats) { var t = start; opening = OpeningProof.prove(commitment: ca, value: a, blinding: ra, transcript: &t) })
    report("opening verify", best(repeats) { var t = start; _ = try? opening?.verify(commitment: ca, transcript: &t) })
    var equality: EqualityProof?
    report("equality prove", best(repeats) {
        var t = start
        equality = EqualityProof.prove(first: ca, second: cb2, firstBlinding: ra, secondBlinding: rb, transcript: &t)
    })
    report("equality verify", best(repeats) { var t = start; _ = try? equality?.verify(first: ca, second: cb2, transcript: &t) })
    var product: ProductProof?
    report("product prove", best(repeats) {
        var t = start
        product = ProductProof.prove(x: ca, y: cb, z: cc, xValue: a, xBlinding: ra, yValue: b, yBlinding: rb, zBlinding: rc, transcript: &t)
    })
    report("product verify", best(repeats) { var t = start; _ = try? product?.verify(x: ca, y: cb, z: cc, transcript: &t) })

    for n in [4, 256] {
        let x = (0..<n).map { _ in rng.scalar() }, v = (0..<n).map { _ in rng.scalar() }
        let rx = rng.scalar(), ry = rng.scalar()
        guard let xi = Pedersen.commit(vector: x, blinding: rx),
              let tau = Pedersen.commit(Multilinear.innerProduct(v, x), blinding: ry) else { return print("  commit failed") }
        report("vector commitment n=\(n)", best(repeats) { _ = Pedersen.commit(vector: x, blinding: rx) })
        var proof: DotProductProof?
        report("dot product prove n=\(n)", best(repeats) {
            var t = start
            proof = DotProductProof.prove(vectorCommitment: xi, valueCommitment: tau, publicVector: v, vector: x,
                                          vectorBlinding: rx, valueBlinding: ry, transcript: &t)
        })
        report("dot product verify n=\(n)", best(repeats) {
            var t = start
            _ = try? proof?.verify(vectorCommitment: xi, valueCommitment: tau, publicVector: v, transcript: &t)
        })
    }

    // A 256×256 layer of 8-bit weights, blinded rows, evaluated at a random point.
    let table = (0..<(256 * 256)).map { _ in rng.small() }
    var committed: (rows: [CurvePoint], blindings: [Scalar])?
    report("blinded Hyrax commit 256×256", best(1) { committed = BlindedHyrax.commit(table, columnCount: 256) })
    if let committed {
        let point = (0..<16).map { _ in rng.scalar() }
        var evaluation: BlindedHyrax.EvaluationProof?
        report("blinded Hyrax evaluation prove", best(repeats) {
            var t = start
            evaluation = BlindedHyrax.proveEvaluation(table, columnCount: 256, rows: committed.rows, blindings: committed.blindings,
                                                      at: point, transcript: &t)?.proof
        })
        report("blinded Hyrax evaluation verify", best(repeats) {
            var t = start
            if let evaluation { _ = try? BlindedHyrax.verifyEvaluation(rows: committed.rows, columnCount: 256, at: point, proof: evaluation, transcript: &t) }
        })
    }

    for (m, d) in [(8, 2), (16, 2), (8, 3)] {
        let tables = (0..<d).map { _ in (0..<(1 << m)).map { _ in rng.scalar() } }
        var sum = Scalar.zero
        for i in 0..<(1 << m) { sum += tables.reduce(Scalar.one) { $0 * $1[i] } }
        let r0 = rng.scalar()
        guard let claim = Pedersen.commit(sum, blinding: r0) else { return print("  commit failed") }
        var out: ZKSumCheck.ProverResult?
        report("zk sum-check prove m=\(m) d=\(d)", best(repeats) {
            var t = start
            out = ZKSumCheck.prove(tables: tables, claimCommitment: claim, claimBlinding: r0, transcript: &t)
        })
        report("zk sum-check verify m=\(m) d=\(d)", best(repeats) {
            var t = start
            if let out { _ = try? ZKSumCheck.verify(out.proof, variableCount: m, degree: d, claimCommitment: claim, transcript: &t) }
        })
        if let out { print("    proof \(out.proof.encoded.count) bytes") }
    }
}
