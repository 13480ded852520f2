import Foundation
import Testing
@testable import HTTPServer

/// The project's key conversions must be exactly Foundation's snake-case strategies: a key
/// converted differently would silently change the API's field names or stop a field decoding.
@Suite struct KeyCaseTests {
    /// Keys like the API's, the tricky shapes Foundation documents, and edge cases.
    static let chosen = [
        "", "a", "A", "_", "__", "id", "jobId", "modelId", "lockTimeoutS", "workMacs", "maxWorkMacs", "proveMs",
        "myURLProperty", "URL", "URLs", "aURL", "ID", "jobID", "x2y", "value2Go", "_leading", "trailing_", "__both__",
        "job_id", "lock_timeout_s", "my_url_property", "Model_ID", "a__b", "_a_b_", "ALL_CAPS", "mixed_Case_key",
        "éclairAu", "straßeNummer", "ÄrgerNis", "ǅemalUse", "snake_é_case", "k8sPod", "a1B2c3", "HTTPServer",
    ]

    /// Random keys over letters of both cases (some outside ASCII), digits and underscores.
    static func random(count: Int) -> [String] {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcxyzABCXYZ0129____éÉßǅ")
        return (0..<count).map { _ in
            String((0..<Int.random(in: 0...10, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "a" })
        }
    }

    @Test func toSnake_IsFoundationsConversion() throws {
        let foundation = JSONEncoder()
        foundation.keyEncodingStrategy = .convertToSnakeCase
        for key in Self.chosen + Self.random(count: 2_000) {
            let data = try foundation.encode(OneKey(name: key))
            let expected = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?.keys.first)
            #expect(KeyCase.convertToSnakeCase(key) == expected, "key \(key.debugDescription)")
            #expect(KeyCase.toSnake(key) == expected, "key \(key.debugDescription), remembered")
        }
    }

    @Test func fromSnake_IsFoundationsConversion() throws {
        let foundation = JSONDecoder()
        foundation.keyDecodingStrategy = .convertFromSnakeCase
        for key in Self.chosen + Self.random(count: 2_000) {
            let data = try JSONSerialization.data(withJSONObject: [key: 0])
            let expected = try #require(try foundation.decode(KeysSeen.self, from: data).keys.first)
            #expect(KeyCase.convertFromSnakeCase(key) == expected, "key \(key.debugDescription)")
            #expect(KeyCase.fromSnake(key) == expected, "key \(key.debugDescription), remembered")
        }
    }

    @Test func projectCoding_MatchesTheConvertingStrategies() throws {
        struct Sample: Codable, Equatable {
            var jobId: UUID
            var lockTimeoutS: Int
            var currentPrice: Int64?
            var nested: [String: [Int]]
            var workMacs: Int64
        }
        let sample = Sample(jobId: UUID(), lockTimeoutS: 30, currentPrice: nil, nested: ["innerKey": [1, 2]], workMacs: 7)
        let reference = JSONEncoder()
        reference.keyEncodingStrategy = .convertToSnakeCase
        reference.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let ours = try JSONCoding.encoder.encode(sample)
        #expect(ours == (try reference.encode(sample)))
        #expect(String(decoding: ours, as: UTF8.self).contains("\"lock_timeout_s\""))
        #expect(try JSONCoding.decoder.decode(Sample.self, from: ours) == sample)

        // As with Foundation's strategies, an acronym does not survive the round trip
        // (my_url_property reads back as myUrlProperty): the encoders agree all the same.
        struct Acronym: Encodable { var myURLProperty = "u" }
        #expect(try JSONCoding.encoder.encode(Acronym()) == (try reference.encode(Acronym())))
    }

    @Test func rememberedKeys_StayCorrectPastTheCapacity() {
        let keys = ConvertedKeys(KeyCase.convertFromSnakeCase, capacity: 8)
        let names = (0..<50).map { "field_\($0)_name" }
        for _ in 0..<3 {
            for name in names { #expect(keys(name) == KeyCase.convertFromSnakeCase(name)) }
        }
    }
}

/// Encodes one key with the value 0.
private struct OneKey: Encodable {
    let name: String
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: WireKey.self)
        try container.encode(0, forKey: WireKey(name))
    }
}

/// Records the keys a decoder presents, after its key strategy.
private struct KeysSeen: Decodable {
    let keys: [String]
    init(from decoder: Decoder) throws {
        keys = try decoder.container(keyedBy: WireKey.self).allKeys.map(\.stringValue)
    }
}
