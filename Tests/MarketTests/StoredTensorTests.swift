import Foundation
@testable import Market
import Postgres
import Testing
import TestSupport

/// A job's input is read back from jsonb by a small parser; it must agree with `JSONDecoder`
/// on everything PostgreSQL writes, and step aside (nil) for anything else.
@Suite struct StoredTensorTests {
    @Test func agreesWithJSONDecoder_OnWhatPostgreSQLWritesBack() async throws {
        let db = try await TestDatabase.make()
        var generator = SystemRandomNumberGenerator()
        var tensors: [Tensor] = [
            Tensor(shape: [1, 4], values: [0, -0.0, 1e-300, -1.7976931348623157e308]),
            Tensor(shape: [2, 2], values: [0.1, 16, 1e21, 5e-324]),
            Tensor(shape: [1], values: [123456789.125]),
        ]
        for _ in 0..<200 {
            let count = Int.random(in: 1...70, using: &generator)
            tensors.append(Tensor(shape: [1, count], values: (0..<count).map { _ in
                Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator) & 0x7FEF_FFFF_FFFF_FFFF)
                    * (Bool.random(using: &generator) ? 1 : -1)
            }))
        }
        for tensor in tensors {
            let json = String(decoding: try JSONEncoder().encode(tensor), as: UTF8.self)
            let stored = try #require(try await db.pool.query("SELECT $1::jsonb::text AS t", [.text(json)]).first)
                .decode("t", as: String.self)
            let parsed = try #require(Tensor.parseStored(stored), "not parsed: \(stored.prefix(80))")
            let decoded = try JSONDecoder().decode(Tensor.self, from: Data(stored.utf8))
            #expect(parsed == decoded)
            #expect(parsed == tensor, "\(stored.prefix(80))")
            // The form the market now writes, through a `json` column as `jobs.input` is.
            let written = try tensor.wireJSON()
            let kept = try #require(try await db.pool.query("SELECT $1::json::text AS t", [.text(written)]).first)
                .decode("t", as: String.self)
            #expect(kept == written)
            #expect(Tensor.parseStored(kept) == tensor, "\(kept.prefix(80))")
            #expect(try JSONDecoder().decode(Tensor.self, from: Data(kept.utf8)) == tensor)
        }
        #expect(throws: MarketError.self) { try Tensor(shape: [1, 2], values: [1, .nan]).wireJSON() }
    }

    /// The exact fast path reads the same double as `Double(String)` wherever it answers, and
    /// answers for the short decimals most stored values are.
    @Test func exactDecimals_ReadAsDoubleReadsThem() {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "1", "0.5", "0.0625", "1e-05", "1E+3", "-3.25e2", "123456789012345", "9007199254740993",
                     "0.1", "0.3", "1e22", "1e23", "1e-22", "1e-23", "4.35", "00.5", "1.", ".5", "1e", "1e+", "-", "", "1x",
                     "2.5e-3x", "1.2.3", "1e1000", "1e-1000"]
        for _ in 0..<20_000 {
            let digits = String(UInt64.random(in: 0...999_999_999_999_999, using: &generator))
            let cut = Int.random(in: 0...digits.count, using: &generator)
            var text = cut == 0 || cut == digits.count ? digits : String(digits.prefix(cut)) + "." + digits.dropFirst(cut)
            if Bool.random(using: &generator) { text += "e\(Int.random(in: -30...30, using: &generator))" }
            texts.append(Bool.random(using: &generator) ? "-" + text : text)
        }
        var answered = 0
        for text in texts {
            guard let fast = Tensor.exactDecimal(text) else { continue }
            answered += 1
            let general = Double(text)
            #expect(general.map { $0.bitPattern } == fast.bitPattern, "\(text): \(fast) against \(String(describing: general))")
        }
        #expect(answered > texts.count / 2)
        for text in ["0.0625", "-3.25e2", "1e-05", "123456789012345"] {
            #expect(Tensor.exactDecimal(text) != nil, "\(text)")
        }
    }

    @Test func anythingElse_IsLeftToJSONDecoder() {
        for text in ["", "{}", "[]", #"{"shape": [1]}"#, #"{"values": [1]}"#, #"{"shape": [1], "values": [1], "x": 1}"#,
                     #"{"shape": [1.5], "values": [1]}"#, #"{"shape": [-1], "values": [1]}"#, #"{"shape": [1], "values": ["1"]}"#,
                     #"{"shape": [1], "values": [1]} trailing"#, #"{"shape": [1], "values": [NaN]}"#,
                     #"{"shape": [1], "values": [1e999]}"#, #"{"shape": [1], "shape": [1], "values": [1]}"#,
                     #"{"shape": [1], "values": [1,]}"#, #"{"shape": [1] "values": [1]}"#] {
            #expect(Tensor.parseStored(text) == nil, "\(text)")
        }
        #expect(Tensor.parseStored(#"{"shape": [1, 2], "values": [0.5, -3]}"#) == Tensor(shape: [1, 2], values: [0.5, -3]))
        #expect(Tensor.parseStored(#"{"values":[],"shape":[0]}"#) == Tensor(shape: [0], values: []))
    }
}
