import Foundation
import Testing
@testable import Inference

/// Every element function against its `Double` definition over all 65,536 16-bit inputs, at
/// several scales: the stated bound is `1/2` unit (exact functions) or `1/2 + 2^-14` units
/// (the others) of the clamped true value. `Double` is only the oracle here; its own error
/// (about `|value| · 2^-52`) is allowed for on top.
@Suite struct NonlinearAccuracyTests {
    static let scales: [(fi: Int, fo: Int)] = [(8, 8), (12, 16), (4, 30), (16, 12), (0, 20), (30, 30)]

    /// The largest error seen, in output units, beyond the 1/2 of the final rounding.
    static func sweep(_ function: ElementFunction, fi: Int, fo: Int, lo: Int64, hi: Int64)
        throws -> (excess: Double, failures: [String]) {
        let op = try ElementOperator(function, inputFractionBits: fi, outputFractionBits: fo, lo: lo, hi: hi)
        let allowance = function.isExact ? 0 : 1.0 / 16384
        var excess = 0.0
        var failures = [String]()
        for v in ElementTable.inputMin...ElementTable.inputMax {
            let y = op.apply(v)
            let x = Double(v) * Foundation.pow(2, -Double(fi))
            guard let r = function.reference(x) else {
                let expected = function == .log ? lo : hi
                if y != expected { failures.append("v=\(v): \(y), convention gives \(expected)") }
                continue
            }
            let target = Swift.min(Swift.max(r * Foundation.pow(2, Double(fo)), Double(lo)), Double(hi))
            let err = Swift.abs(Double(y) - target)
            let oracleSlack = Swift.abs(target) * 0x1p-50 + 0x1p-40
            excess = Swift.max(excess, err - 0.5)
            if err > 0.5 + allowance + oracleSlack, failures.count < 5 {
                failures.append("v=\(v): y=\(y), f(x)·2^fo=\(target), error \(err)")
            }
        }
        return (excess, failures)
    }

    @Test(arguments: NonlinearSamples.functions)
    func errorBound_HoldsOnEvery16BitInput(_ function: ElementFunction) throws {
        for (fi, fo) in Self.scales {
            let wide = NonlinearSamples.wide
            let (excess, failures) = try Self.sweep(function, fi: fi, fo: fo, lo: -wide, hi: wide)
            #expect(failures.isEmpty, "\(function.name) fi=\(fi) fo=\(fo): \(failures)")
            // The bound is 1/2 + δ with δ ≤ 2^-14; the sweep sees nothing past Double's own noise.
            #expect(excess <= 0x1p-20, "\(function.name) fi=\(fi) fo=\(fo): \(excess) past 1/2")
        }
    }

    @Test(arguments: NonlinearSamples.functions)
    func errorBound_HoldsWithA16BitClamp(_ function: ElementFunction) throws {
        let (_, failures) = try Self.sweep(function, fi: 10, fo: 12, lo: -32768, hi: 32767)
        #expect(failures.isEmpty, "\(function.name): \(failures)")
    }

    @Test func attributes_AtTheirExtremes_KeepTheBound() throws {
        let big = ElementFunction.attributeMagnitudeLimit - 1
        let cases: [ElementFunction] = [
            .elu(alpha: -big), .selu(alpha: big, gamma: -big), .leakyRelu(alpha: -big),
            .hardSigmoid(alpha: -big, beta: big), .elu(alpha: 0), .leakyRelu(alpha: 1 << 24),
        ]
        for f in cases {
            let wide = NonlinearSamples.wide
            let (_, failures) = try Self.sweep(f, fi: 8, fo: 12, lo: -wide, hi: wide)
            #expect(failures.isEmpty, "\(f): \(failures)")
        }
    }
}
