import Testing
@testable import Inference

/// The 128-bit helpers under the operators, checked against identities that do not use them
/// (64-bit arithmetic where it suffices, and products recombined by hand).
@Suite struct NonlinearWideTests {
    static let samples: [Int64] = [.min, .min + 1, -(1 << 62) - 3, -123_456_789_012, -65537, -2, -1, 0, 1, 2, 3, 7,
                                   65535, 1 << 31, 987_654_321_987, (1 << 62) + 5, .max - 1, .max]

    @Test func product_AndShiftRight_MatchInt64WhereTheyFit() {
        for a in Self.samples {
            for s in [0, 1, 5, 31, 62, 63] {
                #expect(Wide(a).shiftedRight(s) == Wide(a >> Int64(s)), "a=\(a) s=\(s)")
            }
            // a · b / 2^64 is the high word, a · b mod 2^64 the low word.
            for b in Self.samples {
                let p = Wide.product(a, b)
                let full = a.multipliedFullWidth(by: b)
                #expect(p.high == full.high && p.low == full.low)
                #expect(p.shiftedRight(64) == Wide(full.high))
            }
        }
    }

    @Test func roundShift_IsRoundHalfUp_LikeTheProjectsRule() {
        for z in Int64(-3000)...3000 {
            for s in [1, 2, 5, 9] {
                #expect(Wide(z).roundShift(s) == Wide(IntegerSemantics.roundShift(z, s)), "z=\(z) s=\(s)")
            }
        }
        // Left shifts saturate at ±2^126 instead of wrapping.
        let big = Wide.product(.min, .min)        // 2^126
        #expect(big.roundShift(-1) == big)
        #expect(big.negated.roundShift(-5) == big.negated)
        #expect(big.saturated == 1 << 62)
        #expect(big.negated.saturated == -(1 << 62))
        #expect(Wide(12345).roundShift(-7) == Wide(12345 << 7))
    }

    @Test func dividedRoundingHalfUp_MatchesTheProjectsRule() {
        for n in Int64(-2000)...2000 {
            for d in [1, 2, 3, 7, 10, 64, 1000] as [Int64] {
                #expect(Wide(n).dividedRoundingHalfUp(by: UInt64(d)) == Wide(IntegerSemantics.divideRoundingHalfUp(n, d)),
                        "n=\(n) d=\(d)")
            }
        }
        // 128-bit numerators: (q·d + r) / d for a known quotient.
        let q = Int64(0x1234_5678_9ABC)
        let d = UInt64(0xF_FFFF_FFFE)   // even, so d/2 is an exact half
        let n = Wide.product(q, Int64(d)) + Wide(Int64(d / 2))   // exactly q + 1/2 → rounds up
        #expect(n.dividedRoundingHalfUp(by: d) == Wide(q + 1))
        #expect(n.negated.dividedRoundingHalfUp(by: d) == Wide(-q))  // −q − 1/2 → −q
    }

    @Test func clampedAndComparison_OrderSignedValues() {
        let values = Self.samples.map { Wide($0) }
        for (i, a) in values.enumerated() {
            for (j, b) in values.enumerated() {
                #expect((a < b) == (Self.samples[i] < Self.samples[j]))
            }
        }
        #expect(Wide.product(.max, .max).clamped(-5, 5) == 5)
        #expect(Wide.product(.min, .max).clamped(-5, 5) == -5)
        #expect(Wide(3).clamped(-5, 5) == 3)
    }

    @Test func squareRoot_IsTheFloorRoot() {
        var x: UInt64 = 0x0123_4567_89AB_CDEF
        for _ in 0..<2000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let n = UWide(high: x >> 2, low: x &* 0x9E37_79B9)   // below 2^126
            let s = n.squareRoot
            let sq = UWide.product(s, s)
            let next = UWide.product(s + 1, s + 1)
            #expect(!(n < sq) && n < next, "n=\(n)")
        }
        for v in UInt64(0)...5000 {
            let s = UWide(v).squareRoot
            #expect(s * s <= v && (s + 1) * (s + 1) > v)
        }
    }

    @Test func unsignedDivision_AndSmallQuotient_RecombineExactly() {
        let d: UInt64 = 0xDEAD_BEEF_1234
        let n = UWide(high: 0x0000_0123_4567_89AB, low: 0xCDEF_0123_4567_89AB)
        let (q, r) = n.divided(by: d)
        // q · d + r = n, with q's two words recombined by hand.
        let back = UWide.product(q.low, d) + UWide(high: q.high &* d, low: 0) + UWide(r)
        #expect(back == n && r < d)
        let big = UWide(high: 1 << 30, low: 77)
        let divisor = UWide(high: 3, low: 5)
        let small = big.smallQuotient(dividedBy: divisor)
        let rest = big - (UWide.product(small, divisor.low) + UWide(high: small &* divisor.high, low: 0))
        #expect(rest < divisor)
    }
}
