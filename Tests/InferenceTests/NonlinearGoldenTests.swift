import Foundation
import Testing
@testable import Inference

/// Pinned values computed independently (scripts/nonlinear_golden.py: mpmath at 60 digits,
/// exact fractions for the exactly rounded functions) for the operators and their kernels.
@Suite struct NonlinearGoldenTests {
    static func function(named name: String) -> ElementFunction? {
        switch name {
        case "sigmoid": .sigmoid
        case "tanh": .tanh
        case "erf": .erf
        case "gelu": .gelu
        case "geluTanh": .geluTanh
        case "exp": .exp
        case "log": .log
        case "softplus": .softplus
        case "elu": .elu(alpha: NonlinearSamples.eluAlpha)
        case "selu": .selu(alpha: NonlinearSamples.seluAlpha, gamma: NonlinearSamples.seluGamma)
        case "leakyRelu": .leakyRelu(alpha: NonlinearSamples.leakyAlpha)
        case "hardSigmoid": .hardSigmoid(alpha: NonlinearSamples.hardSigmoidAlpha, beta: NonlinearSamples.hardSigmoidBeta)
        case "hardSwish": .hardSwish
        case "sqrt": .sqrt
        case "reciprocal": .reciprocal
        case "square": .square
        default: nil
        }
    }

    /// The fields of each line of a golden table.
    static func lines(_ text: String) -> [[Substring]] {
        text.split(separator: "\n").map { $0.split(separator: " ") }.filter { !$0.isEmpty }
    }

    /// One parsed line of the element table.
    struct ElementCase {
        let name: String
        let fi: Int, fo: Int
        let lo: Int64, hi: Int64, v: Int64, expected: Int64
    }

    static func elementCases() throws -> [ElementCase] {
        try lines(NonlinearGoldenValues.elements).map { f in
            try #require(f.count == 7)
            return ElementCase(name: String(f[0]), fi: try #require(Int(f[1])), fo: try #require(Int(f[2])),
                               lo: try #require(Int64(f[3])), hi: try #require(Int64(f[4])),
                               v: try #require(Int64(f[5])), expected: try #require(Int64(f[6])))
        }
    }

    @Test func elementOutputs_MatchTheMathematics() throws {
        var mismatches = [String]()
        let cases = try Self.elementCases()
        for c in cases {
            let (name, fi, fo, lo, hi, v, expected) = (c.name, c.fi, c.fo, c.lo, c.hi, c.v, c.expected)
            let f = try #require(Self.function(named: name))
            let op = try ElementOperator(f, inputFractionBits: fi, outputFractionBits: fo, lo: lo, hi: hi)
            let y = op.apply(v)
            if y != expected { mismatches.append("\(name) fi=\(fi) fo=\(fo) v=\(v): \(y), expected \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        #expect(cases.count > 1500)
    }

    @Test func goldenTable_CoversEveryFunction() throws {
        let names = Set(try Self.elementCases().map(\.name))
        #expect(names.count == NonlinearSamples.functions.count)
        #expect(names.allSatisfy { Self.function(named: $0) != nil })
    }

    @Test func exp_IsWithin2ToMinus55Relative() throws {
        // |S − S_true| ≤ 2^-55 · 2^62 = 128 units of the mantissa (S_true < 2^63).
        let cases = Self.lines(NonlinearGoldenValues.exp)
        #expect(cases.count > 60)
        for c in cases {
            let (x, f, n, s) = (try #require(Int64(c[0])), try #require(Int(c[1])), try #require(Int(c[2])), try #require(UInt64(c[3])))
            let (mantissa, exponent) = FixedPoint.expParts(x, fractionBits: f)
            #expect(exponent == n, "X=\(x) F=\(f)")
            let diff = mantissa > s ? mantissa - s : s - mantissa
            #expect(diff <= 128, "X=\(x) F=\(f): \(mantissa) vs \(s)")
        }
    }

    @Test func ln_IsWithin3UnitsOfQ56() throws {
        let cases = Self.lines(NonlinearGoldenValues.ln)
        #expect(cases.count > 60)
        for c in cases {
            let (m, e, l) = (try #require(UInt64(c[0])), try #require(Int(c[1])), try #require(Int64(c[2])))
            let got = FixedPoint.lnQ56(m, exponent: e)
            #expect((got - l).magnitude <= 3, "m=\(m) e=\(e): \(got) vs \(l)")
        }
    }

    @Test func erf_IsWithin32UnitsOfQ62() throws {
        let cases = Self.lines(NonlinearGoldenValues.erf)
        #expect(cases.count > 60)
        for c in cases {
            let (a, f, e) = (try #require(UInt64(c[0])), try #require(Int(c[1])), try #require(Int64(c[2])))
            let got = FixedPoint.erfQ62(a, fractionBits: f)
            #expect((got - e).magnitude <= 32, "A=\(a) F=\(f): \(got) vs \(e)")
        }
    }

    @Test func inverseSqrt_IsTheExactFloor() throws {
        let cases = Self.lines(NonlinearGoldenValues.inverseSqrt)
        #expect(cases.count > 40)
        for c in cases {
            let (m, r) = (try #require(UInt64(c[0])), try #require(UInt64(c[1])))
            #expect(FixedPoint.inverseSqrt93(m) == r, "M=\(m)")
        }
    }

    @Test func constants_MatchTheirDefinitionsInDouble() {
        // A coarse, independent check that no constant was mistyped: each to Double precision.
        #expect(Double(NonlinearConstants.log2eQ62) / 0x1p62 == 1.4426950408889634)
        #expect(Double(NonlinearConstants.ln2Q64) / 0x1p64 == 0.6931471805599453)
        #expect(Double(NonlinearConstants.inverseSqrt2Q64) / 0x1p64 == 0.7071067811865476)
        #expect(Double(NonlinearConstants.sqrt2OverPiQ64) / 0x1p64 == 0.7978845608028654)
        #expect(Double(NonlinearConstants.geluTanhCubicQ64) / 0x1p64 == 0.044715)
        for (i, t) in NonlinearConstants.exp2TableQ62.enumerated() {
            let expected = Foundation.exp2(Double(i) / 64)
            #expect(Swift.abs(Double(t) / 0x1p62 - expected) <= 0x1p-52, "table \(i)")
        }
    }
}
