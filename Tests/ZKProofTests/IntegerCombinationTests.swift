import Testing
@testable import ZKProof

/// The wide-accumulator inner product of integers and field elements equals the field one.
@Suite struct IntegerCombinationTests {
    static func naive(_ a: [Int64], _ b: [Scalar]) -> Scalar {
        zip(a, b).reduce(Scalar.zero) { $0 + Scalar($1.0) * $1.1 }
    }

    static func randomScalar(_ rng: inout SystemRandomNumberGenerator) -> Scalar {
        Scalar(UInt64.random(in: 0...UInt64.max, using: &rng)) * Scalar(UInt64.random(in: 0...UInt64.max, using: &rng))
            + Scalar(UInt64.random(in: 0...UInt64.max, using: &rng))
    }

    @Test func agreesWithFieldArithmetic_OnRandomAndExtremeValues() {
        var rng = SystemRandomNumberGenerator()
        let extremes: [Int64] = [0, 1, -1, Int64.max, Int64.min, Int64.min + 1, 1 << 40, -(1 << 40)]
        for length in [0, 1, 2, 3, 17, 256, 1000] {
            for trial in 0..<4 {
                let a: [Int64] = (0..<length).map { i in
                    switch trial {
                    case 0: return Int64.random(in: -32768...32767, using: &rng)
                    case 1: return extremes[i % extremes.count]
                    case 2: return Int64.random(in: Int64.min...Int64.max, using: &rng)
                    default: return Bool.random(using: &rng) ? Int64.max : Int64.min
                    }
                }
                // The largest field values (n − 1, n − 2, …) push every limb.
                let b: [Scalar] = (0..<length).map { i in trial == 3 ? -Scalar(UInt64(i + 1)) : Self.randomScalar(&rng) }
                let fast = Multilinear.innerProduct(a[...], prepared: Multilinear.preparedForIntegers(b))
                #expect(fast == Self.naive(a, b), "length \(length), trial \(trial)")
            }
        }
    }

    @Test func usesTheShorterLength_AndSlices() {
        let b: [Scalar] = [Scalar(UInt64(3)), Scalar(UInt64(5)), Scalar(UInt64(7))]
        let prepared = Multilinear.preparedForIntegers(b)
        #expect(Multilinear.innerProduct([2, -1, 4, 100][...], prepared: prepared) == Scalar(Int64(2 * 3 - 5 + 28)))
        let row: [Int64] = [9, 9, 1, 1, 1, 9]
        #expect(Multilinear.innerProduct(row[2..<5], prepared: prepared) == Scalar(UInt64(15)))
        #expect(Multilinear.innerProduct([Int64]()[...], prepared: prepared) == .zero)
    }
}

extension IntegerCombinationTests {
    @Test func preparedEqTable_IsTheEqTablePrepared_AndItsSumComesBack() {
        var rng = SystemRandomNumberGenerator()
        for variables in 0...6 {
            let point = (0..<variables).map { _ in Self.randomScalar(&rng) }
            let plain = Multilinear.eqTable(point)
            let prepared = Multilinear.preparedEqTable(point)
            #expect(prepared == Multilinear.preparedForIntegers(plain))
            #expect(Multilinear.unprepared(prepared.reduce(Scalar.zero, +)) == plain.reduce(Scalar.zero, +))
            let row: [Int64] = (0..<plain.count).map { _ in Int64.random(in: -70000...70000, using: &rng) }
            #expect(Multilinear.innerProduct(row[...], prepared: prepared) == Self.naive(row, plain))
        }
    }
}
