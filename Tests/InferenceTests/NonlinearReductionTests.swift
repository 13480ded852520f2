import Foundation
import Testing
@testable import Inference

/// Softmax, LogSoftmax, the normalisations and the plain reductions over one axis.
@Suite struct NonlinearReductionTests {
    /// A reproducible generator (SplitMix64) so a failure names its seed.
    struct Seeded {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
            let span = UInt64(bitPattern: range.upperBound &- range.lowerBound) &+ 1
            return range.lowerBound &+ Int64(bitPattern: span == 0 ? next() : next() % span)
        }
    }

    static func rows(_ values: [Int64], _ s: AxisShape) -> [[Int64]] {
        var out = [[Int64]]()
        for o in 0..<s.outer {
            for i in 0..<s.inner {
                out.append((0..<s.length).map { values[(o * s.length + $0) * s.inner + i] })
            }
        }
        return out
    }

    @Test func softmax_SumsTo2ToTheFo_WithinHalfTheLength_AndMatchesFloat() throws {
        var rng = Seeded(state: 1)
        for (n, fi, fo) in [(10, 8, 16), (1, 8, 16), (2, 0, 30), (100, 12, 20), (1000, 8, 24), (7, 30, 30)] {
            let shape = try AxisShape(outer: 3, length: n, inner: 2)
            let x = (0..<shape.elements).map { _ in rng.int(-(5 << Int64(fi))...(5 << Int64(fi))) }
            let p = try AxisReductions.softmax(x, shape, inputFractionBits: fi, outputFractionBits: fo)
            let scale = Foundation.pow(2, Double(fo))
            for (xr, pr) in zip(Self.rows(x, shape), Self.rows(p, shape)) {
                let total = pr.reduce(0, +)
                #expect((total - (Int64(1) << Int64(fo))).magnitude <= UInt64(n / 2), "n=\(n) sum \(total)")
                let reference = CalibrationFloatReferenceIndependent.softmax(xr.map { Double($0) / Foundation.pow(2, Double(fi)) })
                for (pk, rk) in zip(pr, reference) {
                    #expect(Swift.abs(Double(pk) - rk * scale) <= 0.5 + 1e-6 + rk * scale * 1e-12, "n=\(n) fi=\(fi) fo=\(fo)")
                }
            }
        }
    }

    @Test func softmax_OfEqualValues_IsUniform_AndOfFarValues_IsOneHot() throws {
        let shape = try AxisShape(outer: 1, length: 4, inner: 1)
        #expect(try AxisReductions.softmax([5, 5, 5, 5], shape, inputFractionBits: 8, outputFractionBits: 16) == [16384, 16384, 16384, 16384])
        #expect(try AxisReductions.softmax([.min, .max, 0, .max], shape, inputFractionBits: 0, outputFractionBits: 16) == [0, 32768, 0, 32768])
        #expect(try AxisReductions.softmax([-100 << 8, 0, -100 << 8, -100 << 8], shape, inputFractionBits: 8, outputFractionBits: 30) == [0, 1 << 30, 0, 0])
    }

    @Test func logSoftmax_MatchesFloat_AndSaturatesAtLo() throws {
        var rng = Seeded(state: 2)
        for (n, fi, fo) in [(10, 8, 16), (300, 12, 12), (3, 0, 30)] {
            let shape = try AxisShape(outer: 2, length: n, inner: 3)
            let x = (0..<shape.elements).map { _ in rng.int(-(8 << Int64(fi))...(8 << Int64(fi))) }
            let lo = -(Int64(1) << 40)
            let y = try AxisReductions.logSoftmax(x, shape, inputFractionBits: fi, outputFractionBits: fo, lo: lo, hi: 0)
            for (xr, yr) in zip(Self.rows(x, shape), Self.rows(y, shape)) {
                let reference = CalibrationFloatReferenceIndependent.logSoftmax(xr.map { Double($0) / Foundation.pow(2, Double(fi)) })
                for (yk, rk) in zip(yr, reference) {
                    let target = Swift.max(rk * Foundation.pow(2, Double(fo)), Double(lo))
                    #expect(Swift.abs(Double(yk) - target) <= 0.5 + 1e-4, "n=\(n) fi=\(fi) fo=\(fo): \(yk) vs \(target)")
                }
            }
        }
        let shape = try AxisShape(outer: 1, length: 2, inner: 1)
        #expect(try AxisReductions.logSoftmax([.min, .max], shape, inputFractionBits: 0, outputFractionBits: 8, lo: -1000, hi: 0) == [-1000, 0])
    }

    @Test func layerNorm_GivesMeanZeroAndVarianceOne() throws {
        var rng = Seeded(state: 3)
        for (n, fi, fo) in [(64, 8, 16), (768, 12, 12), (5, 0, 20)] {
            let shape = try AxisShape(outer: 4, length: n, inner: 1)
            let x = (0..<shape.elements).map { _ in rng.int(-(3 << Int64(fi))...(7 << Int64(fi))) }
            let eps = try #require(AxisReductions.quantizeEpsilon(1e-5))
            let y = try AxisReductions.normalize(x, shape, inputFractionBits: fi, outputFractionBits: fo, epsilon: eps,
                                                 centered: true, lo: -(1 << 40), hi: 1 << 40)
            let scale = Foundation.pow(2, Double(fo))
            for (xr, yr) in zip(Self.rows(x, shape), Self.rows(y, shape)) {
                let values = yr.map { Double($0) / scale }
                let mean = values.reduce(0, +) / Double(n)
                let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
                #expect(Swift.abs(mean) <= 1 / scale, "n=\(n) mean \(mean)")
                #expect(Swift.abs(variance - 1) <= 1e-4 + 2 / scale, "n=\(n) variance \(variance)")
                let epsilon = Double(eps) / 0x1p40
                let reference = CalibrationFloatReferenceIndependent.normalize(xr.map { Double($0) / Foundation.pow(2, Double(fi)) },
                                                                           epsilon: epsilon, centered: true)
                for (yk, rk) in zip(yr, reference) {
                    #expect(Swift.abs(Double(yk) - rk * scale) <= 0.5 + 1e-6 * Swift.abs(rk * scale) + 1e-6)
                }
            }
        }
    }

    @Test func rmsNorm_MatchesFloat() throws {
        var rng = Seeded(state: 4)
        let shape = try AxisShape(outer: 2, length: 128, inner: 3)
        let x = (0..<shape.elements).map { _ in rng.int(-4000...9000) }
        let y = try AxisReductions.normalize(x, shape, inputFractionBits: 10, outputFractionBits: 14, epsilon: 1 << 20,
                                             centered: false, lo: -(1 << 40), hi: 1 << 40)
        for (xr, yr) in zip(Self.rows(x, shape), Self.rows(y, shape)) {
            let reference = CalibrationFloatReferenceIndependent.normalize(xr.map { Double($0) / 1024 }, epsilon: 0x1p-20, centered: false)
            for (yk, rk) in zip(yr, reference) {
                #expect(Swift.abs(Double(yk) - rk * 16384) <= 0.5 + 1e-6)
            }
        }
    }

    @Test func normalize_OfAConstantRow_IsZero_AndExtremesStayInRange() throws {
        let shape = try AxisShape(outer: 1, length: 4, inner: 1)
        #expect(try AxisReductions.normalize([7, 7, 7, 7], shape, inputFractionBits: 8, outputFractionBits: 8, epsilon: 0,
                                             centered: true, lo: -100, hi: 100) == [0, 0, 0, 0])
        let y = try AxisReductions.normalize([.min, .max, 0, .min], shape, inputFractionBits: 0, outputFractionBits: 30,
                                             epsilon: AxisReductions.epsilonMax, centered: true, lo: -(1 << 40), hi: 1 << 40)
        // Clamped to ±2^32 first: (−1, 1, 0, −1) · 2^32 around the mean −2^30, σ = 2^31·√(11/4)/… → finite values.
        #expect(y.allSatisfy { $0.magnitude <= 1 << 40 })
        #expect(y[1] > 0 && y[0] < 0 && y[0] == y[3])
    }

    @Test func sumMeanMax_AreExact() throws {
        var rng = Seeded(state: 5)
        let shape = try AxisShape(outer: 3, length: 9, inner: 4)
        let x = (0..<shape.elements).map { _ in rng.int(-100_000...100_000) }
        let sums = try AxisReductions.sum(x, shape, lo: .min, hi: .max)
        let means = try AxisReductions.mean(x, shape, lo: .min, hi: .max)
        let maxima = try AxisReductions.max(x, shape)
        for (r, row) in Self.rows(x, shape).enumerated() {
            #expect(sums[r] == row.reduce(0, +))
            #expect(means[r] == IntegerSemantics.divideRoundingHalfUp(row.reduce(0, +), 9))
            #expect(maxima[r] == row.max())
        }
        let tiny = try AxisShape(outer: 1, length: 3, inner: 1)
        #expect(try AxisReductions.sum([.max, .max, .max], tiny, lo: -10, hi: 10) == [10])
        #expect(try AxisReductions.mean([.max, .max, .max], tiny, lo: .min, hi: .max) == [.max])
        #expect(try AxisReductions.mean([.min, .min, .max], tiny, lo: .min, hi: .max) == [-3_074_457_345_618_258_603])
        #expect(try AxisReductions.mean([1, 2, 2], try AxisShape(outer: 1, length: 3, inner: 1), lo: .min, hi: .max) == [2]) // 5/3
        #expect(try AxisReductions.mean([-1, -2], try AxisShape(outer: 1, length: 2, inner: 1), lo: .min, hi: .max) == [-1]) // −1.5 → −1
    }

    @Test func invalidShapesAndParameters_AreRefused() throws {
        #expect(throws: InferenceError.self) { try AxisShape(outer: 1, length: 0, inner: 1) }
        #expect(throws: InferenceError.self) { try AxisShape(outer: 1, length: AxisShape.lengthMax + 1, inner: 1) }
        #expect(throws: InferenceError.self) { try AxisShape(outer: Int.max, length: 2, inner: 2) }
        let shape = try AxisShape(outer: 1, length: 3, inner: 1)
        #expect(throws: InferenceError.self) { try AxisReductions.softmax([1, 2], shape, inputFractionBits: 8, outputFractionBits: 8) }
        #expect(throws: InferenceError.self) { try AxisReductions.softmax([1, 2, 3], shape, inputFractionBits: 8, outputFractionBits: 31) }
        #expect(throws: InferenceError.self) {
            try AxisReductions.normalize([1, 2, 3], shape, inputFractionBits: 8, outputFractionBits: 8, epsilon: -1, centered: true, lo: 0, hi: 1)
        }
        #expect(throws: InferenceError.self) { try AxisReductions.sum([1, 2, 3], shape, lo: 1, hi: 0) }
    }
}

/// Float oracles for the reductions, written here apart from `CalibrationFloatReference`.
enum CalibrationFloatReferenceIndependent {
    static func softmax(_ x: [Double]) -> [Double] {
        let m = x.max() ?? 0
        let e = x.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    static func logSoftmax(_ x: [Double]) -> [Double] {
        let m = x.max() ?? 0
        let s = x.reduce(0) { $0 + Foundation.exp($1 - m) }
        return x.map { $0 - m - Foundation.log(s) }
    }

    static func normalize(_ x: [Double], epsilon: Double, centered: Bool) -> [Double] {
        let n = Double(x.count)
        let mean = centered ? x.reduce(0, +) / n : 0
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        return x.map { ($0 - mean) / (variance + epsilon).squareRoot() }
    }
}
