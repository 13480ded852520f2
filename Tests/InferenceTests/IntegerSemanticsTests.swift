import Testing
@testable import Inference

/// The integer rules of docs/PROTOCOL.md "Integer semantics", pinned value by value.
@Suite struct IntegerSemanticsTests {
    @Test func roundShift_RoundsHalfUp_ForPositiveAndNegative() {
        // 3/2 = 1.5 → 2, −3/2 = −1.5 → −1 (half up, towards +∞), 5/2 = 2.5 → 3, −5/2 → −2.
        #expect(IntegerSemantics.roundShift(3, 1) == 2)
        #expect(IntegerSemantics.roundShift(-3, 1) == -1)
        #expect(IntegerSemantics.roundShift(5, 1) == 3)
        #expect(IntegerSemantics.roundShift(-5, 1) == -2)
        // Just below and above a half: 383/256 = 1.496 → 1, 384/256 = 1.5 → 2, −385/256 → −2.
        #expect(IntegerSemantics.roundShift(383, 8) == 1)
        #expect(IntegerSemantics.roundShift(384, 8) == 2)
        #expect(IntegerSemantics.roundShift(-384, 8) == -1)
        #expect(IntegerSemantics.roundShift(-385, 8) == -2)
        #expect(IntegerSemantics.roundShift(-1, 8) == 0)
        #expect(IntegerSemantics.roundShift(7, 0) == 7)
    }

    @Test func roundShift_MatchesTheFormula_OnAWideRange() {
        for z in Int64(-2000)...2000 {
            for s in 1...9 {
                let d = Int64(1) << Int64(s)
                let shifted = z + d / 2
                let floor = shifted >= 0 ? shifted / d : -((-shifted + d - 1) / d)
                #expect(IntegerSemantics.roundShift(z, s) == floor)
            }
        }
    }

    @Test func roundShift_NeverOverflows_AtTheInt64Extremes() {
        #expect(IntegerSemantics.roundShift(.max, 1) == Int64(1) << 62)
        #expect(IntegerSemantics.roundShift(.min, 1) == -(Int64(1) << 62))
        #expect(IntegerSemantics.roundShift(.max, 62) == 2)
    }

    @Test func clamp_AndReluAsLoZero() throws {
        #expect(IntegerSemantics.clamp(-5, 0, 10) == 0)
        #expect(IntegerSemantics.clamp(15, 0, 10) == 10)
        #expect(IntegerSemantics.clamp(7, 0, 10) == 7)
        let relu = try Activation(shift: 8, lo: 0, hi: 32767)
        #expect(relu.apply([-1000, -128, 127, 128, 383, 384, 100_000_000]) == [0, 0, 0, 1, 1, 2, 32767])
        let linear = try Activation(shift: 8, lo: -32768, hi: 32767)
        #expect(linear.apply([-384, -385, -100_000_000]) == [-1, -2, -32768])
    }

    @Test func activation_RefusesARangeWithoutZero() {
        #expect(throws: InferenceError.self) { try Activation(shift: 8, lo: 1, hi: 10) }
        #expect(throws: InferenceError.self) { try Activation(shift: 63, lo: 0, hi: 10) }
    }

    @Test func divideRoundingHalfUp_ForPoolSizes() {
        #expect(IntegerSemantics.divideRoundingHalfUp(6, 4) == 2)    // 1.5 → 2
        #expect(IntegerSemantics.divideRoundingHalfUp(-6, 4) == -1)  // −1.5 → −1
        #expect(IntegerSemantics.divideRoundingHalfUp(5, 4) == 1)    // 1.25 → 1
        #expect(IntegerSemantics.divideRoundingHalfUp(-7, 4) == -2)  // −1.75 → −2
        #expect(IntegerSemantics.divideRoundingHalfUp(14, 9) == 2)   // 1.56 → 2
        #expect(IntegerSemantics.divideRoundingHalfUp(-13, 9) == -1) // −1.44 → −1
        for n in Int64(-500)...500 {
            #expect(IntegerSemantics.divideRoundingHalfUp(n, 4) == IntegerSemantics.roundShift(n, 2))
        }
    }

    @Test func quantize_RoundsHalfUp_AndRefusesNonFiniteOrHuge() {
        #expect(IntegerSemantics.quantize(1.5 / 256, fractionBits: 8) == 2)
        #expect(IntegerSemantics.quantize(-1.5 / 256, fractionBits: 8) == -1)
        #expect(IntegerSemantics.quantize(0.999, fractionBits: 0) == 1)
        #expect(IntegerSemantics.quantize(.nan, fractionBits: 8) == nil)
        #expect(IntegerSemantics.quantize(.infinity, fractionBits: 8) == nil)
        #expect(IntegerSemantics.quantize(1e30, fractionBits: 8) == nil)
    }

    @Test func im2col_InsertsZeroPadding_InKernelRowOrder() throws {
        // One 2×2 channel [[1, 2], [3, 4]], 2×2 kernel, stride 1, pad 1 on the top and left only.
        let g = try ConvolutionGeometry(inputChannels: 1, inputHeight: 2, inputWidth: 2, kernelHeight: 2, kernelWidth: 2,
                                        strideHeight: 1, strideWidth: 1, padTop: 1, padLeft: 1, padBottom: 0, padRight: 0)
        #expect([g.outputHeight, g.outputWidth, g.inner, g.positions] == [2, 2, 4, 4])
        let col = IntegerSemantics.im2col([1, 2, 3, 4], g)
        // Rows are kernel taps (0,0) (0,1) (1,0) (1,1); columns are output pixels in row order.
        #expect(col == [0, 0, 0, 1,
                        0, 0, 1, 2,
                        0, 1, 0, 3,
                        1, 2, 3, 4])
    }

    @Test func im2col_StridesAndChannels() throws {
        // Two 3×3 channels, 1×1 kernel, stride 2: picks the four corners of each channel.
        let g = try ConvolutionGeometry(inputChannels: 2, inputHeight: 3, inputWidth: 3, kernelHeight: 1, kernelWidth: 1,
                                        strideHeight: 2, strideWidth: 2, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0)
        let a: [Int64] = Array(0..<18)
        #expect(IntegerSemantics.im2col(a, g) == [0, 2, 6, 8, 9, 11, 15, 17])
    }

    @Test func pooling_MaxAndAverageWithRounding() throws {
        // One 2×4 channel, 2×2 windows, stride 2: windows {1,2,5,6} and {−3,−4,−7,−8}.
        let g = try PoolGeometry(channels: 1, inputHeight: 2, inputWidth: 4, kernelHeight: 2, kernelWidth: 2,
                                 strideHeight: 2, strideWidth: 2)
        let a: [Int64] = [1, 2, -3, -4,
                          5, 6, -7, -8]
        #expect(IntegerSemantics.maxPool(a, g) == [6, -3])
        // 14/4 = 3.5 → 4; −22/4 = −5.5 → −5.
        #expect(IntegerSemantics.averagePool(a, g) == [4, -5])
    }

    @Test func geometry_RefusesKernelsLargerThanTheInput() {
        #expect(throws: InferenceError.self) {
            try PoolGeometry(channels: 1, inputHeight: 2, inputWidth: 2, kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1)
        }
        #expect(throws: InferenceError.self) {
            try ConvolutionGeometry(inputChannels: 1, inputHeight: 2, inputWidth: 2, kernelHeight: 3, kernelWidth: 3,
                                    strideHeight: 1, strideWidth: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0)
        }
        #expect(throws: InferenceError.self) {
            try ConvolutionGeometry(inputChannels: 1, inputHeight: 8, inputWidth: 8, kernelHeight: 3, kernelWidth: 3,
                                    strideHeight: 0, strideWidth: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0)
        }
    }
}
