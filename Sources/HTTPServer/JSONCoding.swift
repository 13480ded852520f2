import Foundation

/// The one JSON configuration of the whole project: snake_case keys (converted as Foundation's
/// snake-case strategies do, each key once: see `KeyCase`), ISO-8601 dates, sorted keys
/// (stable output for signatures, golden tests and diffs).
public enum JSONCoding {
    /// The shared encoder. `JSONEncoder` is thread-safe for encoding once configured.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { KeyCase.toSnake.key(for: $0) }
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The shared decoder, the mirror of `encoder`.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { KeyCase.fromSnake.key(for: $0) }
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Decodes a request or response body, mapping a failure to a 400 `invalid_json` problem.
    public static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> T {
        do {
            return try decoder.decode(type, from: Data(body))
        } catch {
            throw HTTPError(.badRequest, code: "invalid_json", detail: "request body is not valid JSON for \(T.self): \(error)")
        }
    }
}
