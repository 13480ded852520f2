import Foundation
import HTTPServer
import Market
import Testing

/// The number-array overloads (`JSONNumberArrays.swift`) must write exactly what the generic
/// `Array.encode(to:)` writes, with every encoder configuration the project uses.
@Suite struct JSONNumberArrayTests {
    /// Synthesized: picks the overloads, as every type of the modules importing Market does.
    struct Picked: Encodable {
        var values: [Double]; var quantised: [Int64]; var shape: [Int]
        var maybeValues: [Double]?; var maybeQuantised: [Int64]?; var maybeShape: [Int]?
    }

    /// The same JSON through the generic path: each array encodes itself into a super-encoder.
    struct Generic: Encodable {
        let of: Picked
        enum CodingKeys: String, CodingKey { case values, quantised, shape, maybeValues, maybeQuantised, maybeShape }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try of.values.encode(to: c.superEncoder(forKey: .values))
            try of.quantised.encode(to: c.superEncoder(forKey: .quantised))
            try of.shape.encode(to: c.superEncoder(forKey: .shape))
            if let v = of.maybeValues { try v.encode(to: c.superEncoder(forKey: .maybeValues)) }
            if let v = of.maybeQuantised { try v.encode(to: c.superEncoder(forKey: .maybeQuantised)) }
            if let v = of.maybeShape { try v.encode(to: c.superEncoder(forKey: .maybeShape)) }
        }
    }

    @Test func overloads_WriteWhatTheGenericEncodingWrites() throws {
        var generator = SystemRandomNumberGenerator()
        let special: [Double] = [0, -0.0, 1, -1, 0.1, 0.0625, 1e-5, 1e21, 1e-300, 5e-324, -1.7976931348623157e308, 123456789.125]
        var cases = [Picked(values: [], quantised: [], shape: [], maybeValues: nil, maybeQuantised: nil, maybeShape: nil),
                     Picked(values: special, quantised: [0, -1, .max, .min], shape: [1, 12], maybeValues: [], maybeQuantised: [],
                            maybeShape: [])]
        for _ in 0..<50 {
            let n = Int.random(in: 0...300, using: &generator)
            let values = (0..<n).map { _ in
                Bool.random(using: &generator)
                    ? Double(Int.random(in: -4096...4096, using: &generator)) / 64
                    : Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator) & 0x7FEF_FFFF_FFFF_FFFF)
            }
            let integers = (0..<n).map { _ in Int64.random(in: .min ... .max, using: &generator) }
            cases.append(Picked(values: values, quantised: integers, shape: [1, n], maybeValues: Bool.random() ? values : nil,
                                maybeQuantised: Bool.random() ? integers : nil, maybeShape: Bool.random() ? [n] : nil))
        }
        let plain = JSONEncoder()
        plain.outputFormatting = .sortedKeys
        for encoder in [JSONCoding.encoder, plain] {
            for c in cases {
                let picked = try encoder.encode(c), generic = try encoder.encode(Generic(of: c))
                #expect(picked == generic, "\(String(decoding: picked.prefix(120), as: UTF8.self))")
            }
        }
    }

    @Test func nonFiniteNumbers_AreRefusedAsBefore() {
        for bad in [Double.nan, .infinity, -.infinity] {
            #expect(throws: EncodingError.self) {
                try JSONEncoder().encode(Picked(values: [1, bad], quantised: [], shape: [], maybeValues: nil, maybeQuantised: nil,
                                                maybeShape: nil))
            }
        }
    }
}
