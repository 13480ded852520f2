import Testing
@testable import Inference

/// The 16-bit lookup table is the operator evaluated once per input, so the two must agree
/// on every entry, and the cache must hand back the table of the operator asked for.
@Suite struct NonlinearTableTests {
    @Test(arguments: NonlinearSamples.functions)
    func table_EqualsDirectEvaluation_OnEveryEntry(_ function: ElementFunction) throws {
        for (fi, fo, lo, hi) in [(8, 8, Int64(-32768), Int64(32767)), (13, 20, -NonlinearSamples.wide, NonlinearSamples.wide)] {
            let op = try ElementOperator(function, inputFractionBits: fi, outputFractionBits: fo, lo: lo, hi: hi)
            let table = op.lookupTable
            #expect(table.values.count == 65536)
            var mismatches = 0
            for v in ElementTable.inputMin...ElementTable.inputMax where table.apply(v) != op.apply(v) {
                mismatches += 1
            }
            #expect(mismatches == 0, "\(function.name) fi=\(fi) fo=\(fo)")
        }
    }

    @Test func table_OutsideItsRange_EvaluatesDirectly() throws {
        let op = try ElementOperator(.tanh, inputFractionBits: 12, outputFractionBits: 12, lo: -4096, hi: 4096)
        let table = op.lookupTable
        let inputs: [Int64] = [.min, -32769, 32768, 40000, .max]
        #expect(table.apply(inputs) == op.apply(inputs))
        #expect(table.apply(inputs) == [-4096, -4096, 4096, 4096, 4096])
    }

    @Test func cache_KeepsOneTablePerOperator() throws {
        let a = try ElementOperator(.sigmoid, inputFractionBits: 9, outputFractionBits: 9, lo: 0, hi: 512)
        let b = try ElementOperator(.sigmoid, inputFractionBits: 9, outputFractionBits: 10, lo: 0, hi: 1024)
        let ta = a.lookupTable
        let tb = b.lookupTable
        #expect(ta.element == a && tb.element == b)
        #expect(ta.apply(512) == 374)    // σ(1) · 512 = 374.30…
        #expect(tb.apply(512) == 749)    // σ(1) · 1024 = 748.61…
        #expect(a.lookupTable.values == ta.values)
    }

    @Test func parameterisedFunctions_WithDifferentAttributes_GetDifferentTables() throws {
        let small = try ElementOperator(.leakyRelu(alpha: 1 << 20), inputFractionBits: 8, outputFractionBits: 8, lo: -32768, hi: 32767)
        let large = try ElementOperator(.leakyRelu(alpha: 1 << 23), inputFractionBits: 8, outputFractionBits: 8, lo: -32768, hi: 32767)
        #expect(small.lookupTable.apply(-1024) == -64)   // −1024 / 16
        #expect(large.lookupTable.apply(-1024) == -512)  // −1024 / 2
    }
}
