import Foundation
import Synchronization

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

extension JSONCoding {
    /// Encodes `value` as `encoder` does, letting its parts that can write their own JSON (a
    /// tensor of thousands of numbers, through `JSONFragments`) do so: the same bytes, without
    /// `JSONEncoder`'s per-value cost. What every JSON response is written with.
    public static func encodeSplicing<T: Encodable>(_ value: T) throws -> [UInt8] {
        let fragments = JSONFragments()
        let splicing = JSONEncoder()
        splicing.keyEncodingStrategy = encoder.keyEncodingStrategy
        splicing.dateEncodingStrategy = encoder.dateEncodingStrategy
        splicing.outputFormatting = encoder.outputFormatting
        splicing.userInfo[JSONFragments.key] = fragments
        return fragments.splice(into: Array(try splicing.encode(value)))
    }
}

/// Parts of one JSON document rendered ahead of the encoder. A value whose `encode(to:)` finds
/// the collector in the encoder's `userInfo` (under `key`) may render itself, register the
/// bytes, and encode the placeholder string it is given; `JSONCoding.encodeSplicing` then puts
/// the bytes where the placeholder's string literal is. A placeholder is a nonce of 128 random
/// bits drawn for this document and an index, so no string in the document can imitate one.
public final class JSONFragments: Sendable {
    /// Where `JSONCoding.encodeSplicing` puts the collector.
    public static let key = CodingUserInfoKey(rawValue: "proofmarket.json-fragments")!  // a constant, always valid

    private struct State {
        /// `"pmfragment<32 hex digits>-`, drawn when the first part is registered (most
        /// documents have none and cost no randomness).
        var nonce: [UInt8] = []
        var parts: [[UInt8]] = []
    }
    private let state = Mutex(State())

    public init() {}

    private static let hex = Array("0123456789abcdef".utf8)

    /// Registers `json` (one complete JSON value) and returns the string to encode in its place.
    public func placeholder(for json: [UInt8]) -> String {
        let (nonce, index) = state.withLock { s -> ([UInt8], Int) in
            if s.nonce.isEmpty {
                var generator = SystemRandomNumberGenerator()
                let random = [generator.next(), generator.next()] as [UInt64]
                s.nonce = Array("\u{22}pmfragment".utf8)
                    + random.flatMap { word in (0..<16).map { Self.hex[Int((word >> (60 - 4 * UInt64($0))) & 0xF)] } }
                    + [UInt8(ascii: "-")]
            }
            s.parts.append(json)
            return (s.nonce, s.parts.count - 1)
        }
        return String(decoding: nonce.dropFirst(), as: UTF8.self) + String(index)
    }

    /// `document` with each placeholder's string literal replaced by its part.
    func splice(into document: [UInt8]) -> [UInt8] {
        let (nonce, parts) = state.withLock { ($0.nonce, $0.parts) }
        guard !parts.isEmpty else { return document }
        var out: [UInt8] = []
        out.reserveCapacity(document.count + parts.reduce(0) { $0 + $1.count })
        var i = 0
        while i < document.count {
            if document[i] == nonce[0], i + nonce.count < document.count, document[i..<(i + nonce.count)].elementsEqual(nonce) {
                var j = i + nonce.count, index = 0
                while j < document.count, document[j] >= UInt8(ascii: "0"), document[j] <= UInt8(ascii: "9"), index < parts.count {
                    index = index * 10 + Int(document[j] - UInt8(ascii: "0"))
                    j += 1
                }
                if j < document.count, document[j] == UInt8(ascii: "\""), j > i + nonce.count, index < parts.count {
                    out.append(contentsOf: parts[index])
                    i = j + 1
                    continue
                }
            }
            out.append(document[i])
            i += 1
        }
        return out
    }
}
