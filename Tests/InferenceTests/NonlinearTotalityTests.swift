import Testing
@testable import Inference

/// The verifier recomputes these functions on untrusted integers: every input, scale, range
/// and attribute the operator accepts must give a value in `[lo, hi]` without trapping.
@Suite struct NonlinearTotalityTests {
    static let extremes: [Int64] = [.min, .min + 1, -(1 << 62), -(1 << 40) - 1, -65536, -2, -1, 0, 1, 2,
                                    65535, 1 << 40, 1 << 62, .max - 1, .max]

    static let extremeAttributes: [ElementFunction] = {
        let big = ElementFunction.attributeMagnitudeLimit - 1
        return [.elu(alpha: big), .elu(alpha: -big), .selu(alpha: big, gamma: big), .selu(alpha: -big, gamma: big),
                .leakyRelu(alpha: -big), .hardSigmoid(alpha: big, beta: -big), .hardSigmoid(alpha: -big, beta: big)]
    }()

    @Test(arguments: NonlinearSamples.functions + extremeAttributes)
    func extremeInputs_StayInRange_AtEveryExtremeScale(_ function: ElementFunction) throws {
        let wide = NonlinearSamples.wide
        let ranges: [(Int64, Int64)] = [(-wide, wide), (0, 0), (-1, 1), (-32768, 32767), (wide, wide), (-wide, -wide)]
        for fi in [0, 1, 15, 29, 30] {
            for fo in [0, 1, 16, 30] {
                for (lo, hi) in ranges {
                    let op = try ElementOperator(function, inputFractionBits: fi, outputFractionBits: fo, lo: lo, hi: hi)
                    for v in Self.extremes {
                        let y = op.apply(v)
                        #expect(y >= lo && y <= hi, "\(function.name) fi=\(fi) fo=\(fo) v=\(v)")
                    }
                }
            }
        }
    }

    @Test func extremeInputs_GiveTheLimitValues() throws {
        let wide = NonlinearSamples.wide
        func op(_ f: ElementFunction, _ fi: Int = 8, _ fo: Int = 8) throws -> ElementOperator {
            try ElementOperator(f, inputFractionBits: fi, outputFractionBits: fo, lo: -wide, hi: wide)
        }
        #expect(try op(.sigmoid).apply(.max) == 256)
        #expect(try op(.sigmoid).apply(.min) == 0)
        #expect(try op(.tanh).apply(.min) == -256)
        #expect(try op(.erf).apply(.min) == -256)
        #expect(try op(.exp).apply(.max) == wide)
        #expect(try op(.exp).apply(.min) == 0)
        #expect(try op(.log).apply(0) == -wide)
        #expect(try op(.log).apply(.min) == -wide)
        #expect(try op(.log, 0, 16).apply(.max) == 2_861_844)   // ln(2^63 − 1) · 2^16 = 2861843.898…
        #expect(try op(.reciprocal).apply(0) == wide)
        #expect(try op(.reciprocal).apply(.min) == 0)
        #expect(try op(.reciprocal, 30, 30).apply(1) == wide)
        #expect(try op(.sqrt).apply(.min) == 0)
        #expect(try op(.sqrt, 0, 0).apply(.max) == 3_037_000_500)   // √(2^63 − 1) = 3037000499.98
        #expect(try op(.square).apply(.min) == wide)
        #expect(try op(.gelu).apply(.min) == 0)
        #expect(try op(.gelu).apply(.max) == wide)
        #expect(try op(.softplus).apply(.min) == 0)
        #expect(try op(.softplus).apply(.max) == wide)
        #expect(try op(.hardSwish).apply(.min) == 0)
        #expect(try op(.elu(alpha: 1 << 24)).apply(.min) == -256)
    }

    @Test func invalidParameters_AreRefused() {
        #expect(throws: InferenceError.self) { try ElementOperator(.exp, inputFractionBits: 31, outputFractionBits: 8, lo: 0, hi: 1) }
        #expect(throws: InferenceError.self) { try ElementOperator(.exp, inputFractionBits: -1, outputFractionBits: 8, lo: 0, hi: 1) }
        #expect(throws: InferenceError.self) { try ElementOperator(.exp, inputFractionBits: 8, outputFractionBits: 31, lo: 0, hi: 1) }
        #expect(throws: InferenceError.self) { try ElementOperator(.exp, inputFractionBits: 8, outputFractionBits: 8, lo: 2, hi: 1) }
        #expect(throws: InferenceError.self) {
            try ElementOperator(.exp, inputFractionBits: 8, outputFractionBits: 8, lo: 0, hi: (1 << 40) + 1)
        }
        #expect(throws: InferenceError.self) {
            try ElementOperator(.leakyRelu(alpha: 1 << 31), inputFractionBits: 8, outputFractionBits: 8, lo: 0, hi: 1)
        }
        #expect(throws: InferenceError.self) {
            try ElementOperator(.selu(alpha: 1, gamma: -(1 << 31)), inputFractionBits: 8, outputFractionBits: 8, lo: 0, hi: 1)
        }
    }

    @Test func quantizeAttribute_RoundsHalfUp_AndRefusesTheUnrepresentable() {
        #expect(ElementFunction.quantizeAttribute(1.0) == 1 << 24)
        #expect(ElementFunction.quantizeAttribute(0.01) == 167_772)          // 0.01 as Float · 2^24 = 167772.16
        #expect(ElementFunction.quantizeAttribute(-0.5) == -(1 << 23))
        #expect(ElementFunction.quantizeAttribute(Float(0x1p-25)) == 1)     // exactly 1/2 unit: up
        #expect(ElementFunction.quantizeAttribute(Float(-0x1p-25)) == 0)    // exactly −1/2 unit: up
        #expect(ElementFunction.quantizeAttribute(128) == nil)
        #expect(ElementFunction.quantizeAttribute(.nan) == nil)
        #expect(ElementFunction.quantizeAttribute(.infinity) == nil)
        #expect(AxisReductions.quantizeEpsilon(1e-5) == 10_995_116)          // 1e-5 as Float · 2^40 = 10995116 exactly
        #expect(AxisReductions.quantizeEpsilon(-1) == nil)
        #expect(AxisReductions.quantizeEpsilon(257) == nil)
    }

    @Test(arguments: NonlinearSamples.functions)
    func outputRange_HoldsEveryOutput(_ function: ElementFunction) throws {
        // Ranges of inputs, some straddling the pieces' ends; every output must be inside.
        let ranges: [ClosedRange<Int64>] = [-32768...32767, -300...(-100), -700...(-3), -5...5, 0...0,
                                            100...4000, -1024...(-512), -12000...(-1), 1...1]
        for (fi, fo) in [(8, 8), (10, 16), (0, 4), (14, 30)] {
            let op = try ElementOperator(function, inputFractionBits: fi, outputFractionBits: fo,
                                         lo: -NonlinearSamples.wide, hi: NonlinearSamples.wide)
            for r in ranges {
                let bound = op.outputRange(for: r)
                var low = Int64.max
                var high = Int64.min
                for v in r {
                    let y = op.apply(v)
                    low = Swift.min(low, y)
                    high = Swift.max(high, y)
                }
                #expect(bound.contains(low) && bound.contains(high), "\(function.name) fi=\(fi) fo=\(fo) \(r): \(low)…\(high) ⊄ \(bound)")
                // Not vacuous: within two units of the true extremes (or the whole range for 1/x at 0).
                if !(function == .reciprocal && r.contains(0)) {
                    let slack: Int64 = function == .gelu || function == .geluTanh ? Int64(1) << Int64(max(fo - 8, 2)) : 2
                    #expect(bound.lowerBound >= low - slack && bound.upperBound <= high + 2, "\(function.name) \(r): \(bound) vs \(low)…\(high)")
                }
            }
        }
    }

    @Test(arguments: [ElementFunction.sigmoid, .tanh, .erf, .exp, .log, .softplus, .sqrt, .elu(alpha: 1 << 24), .hardSigmoid(alpha: 3_355_443, beta: 1 << 23)])
    func monotoneFunctions_NeverStepDownByMoreThanOne(_ function: ElementFunction) throws {
        for (fi, fo) in [(8, 8), (12, 16), (16, 30)] {
            let op = try ElementOperator(function, inputFractionBits: fi, outputFractionBits: fo,
                                         lo: -NonlinearSamples.wide, hi: NonlinearSamples.wide)
            var previous = op.apply(ElementTable.inputMin)
            var drops = 0
            for v in (ElementTable.inputMin + 1)...ElementTable.inputMax {
                let y = op.apply(v)
                #expect(y >= previous - 1, "\(function.name) v=\(v)")
                if y < previous { drops += 1 }
                previous = y
            }
            // The error bound makes a one-unit drop possible only next to a tie; none expected here.
            #expect(drops == 0, "\(function.name) fi=\(fi) fo=\(fo): \(drops) drops")
        }
    }
}
