import Foundation
import ZKProof

/// Sum-check over a committed parameter table: `⟨P, u⟩ = v` for `N = 2^10, 2^14, 2^17`
/// entries (8-bit parameters, arbitrary field weights), alone and with the opening of
/// `P̃(s)` against the table's Hyrax rows (square-ish layout, `c = ⌈n/2⌉`). Best of `repeats`.
/// Run alone with `zkproof-bench sumcheck`.
func runSumCheckBenchmark(repeats: Int = 5) {
    var rng = Rng(state: 0x5C)
    print("sum-check ⟨P, u⟩ (best of \(repeats)):")
    for n in [10, 14, 17] {
        let size = 1 << n
        let table = (0..<size).map { _ in rng.small() }
        let entries = table.map { Scalar($0) }
        let weights = (0..<size).map { _ in rng.scalar() }
        let c = (n + 1) / 2
        guard let layout = try? TableOpening.Layout(entries: size, columnVariables: c) else {
            print("  N=2^\(n): layout refused")
            continue
        }
        var rows: [CurvePoint] = []
        let tc = seconds { rows = (try? TableOpening.commit(table, layout: layout)) ?? [] }
        _ = Generators.shared.g(count: layout.width) // derived once per process, not timed below

        let start = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        var output: SumCheckProver.Output?
        let tp = best(repeats) {
            var t = start
            output = try? SumCheckProver.prove(table: entries, weights: weights, transcript: &t)
        }
        guard let out = output, let point = out.claims.first?.point,
              let combination = try? TableOpening.combination(table, layout: layout, point: point) else {
            print("  N=2^\(n): proving failed")
            continue
        }
        let to = best(repeats) { _ = try? TableOpening.combination(table, layout: layout, point: point) }

        var ok = false
        let tv = best(repeats) {
            var t = start
            ok = (try? SumCheckVerifier.verify(weights: weights, value: out.values[0][0], proof: out.proof, transcript: &t)) != nil
        }
        var opened = false
        let tvo = best(repeats) {
            var t = start
            guard let verified = try? SumCheckVerifier.verify(weights: weights, value: out.values[0][0], proof: out.proof, transcript: &t),
                  let claim = try? TableOpening.claim(rows: rows, layout: layout, evaluation: verified.claims[0], combination: combination)
            else { opened = false; return }
            TableOpening.absorbCombination(&t, combination)
            opened = Hyrax.verifyBatch([claim], coefficients: [t.challenge(TranscriptLabel.challengeBatchCoefficient)])
        }
        let bytes = out.proof.encoded.count + layout.combinationByteCount
        print(String(format: "  N=2^%-2d  prove %7.2f ms  (row combination +%6.2f ms)  verify %6.2f ms  (with opening, MSM of %4d points: %6.2f ms)  proof %5d B  commit %7.1f ms  %@",
                     n, tp * 1e3, to * 1e3, tv * 1e3, layout.rowCount + layout.width + 1, tvo * 1e3, bytes, tc * 1e3,
                     ok && opened ? "VALID" : "INVALID"))
    }
}
