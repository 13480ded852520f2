import Foundation
import Synchronization

/// The key conversions of the project's JSON: camelCase names in Swift, snake_case on the wire.
///
/// They are the conversions Foundation's `.convertToSnakeCase` and `.convertFromSnakeCase`
/// make (the same steps, checked equal by the tests), but each key is converted once and then
/// looked up: the converting strategies redo the string work for every key of every value,
/// which doubled the cost of encoding and decoding the API's bodies.
enum KeyCase {
    /// camelCase → snake_case, for encoding. Keys come from the project's own types.
    static let toSnake = ConvertedKeys(convertToSnakeCase)
    /// snake_case → camelCase, for decoding. Keys come from request bodies, so the cache is
    /// bounded: past its size it starts afresh, and a body of made-up keys costs what the
    /// converting strategy costs.
    static let fromSnake = ConvertedKeys(convertFromSnakeCase)

    /// Foundation's `convertToSnakeCase`: words split where a lowercase letter meets an
    /// uppercase one, and where a run of capitals meets a lowercase letter
    /// (`myURLProperty` → `my_url_property`), each word lowercased and joined by `_`.
    static func convertToSnakeCase(_ key: String) -> String {
        guard !key.isEmpty else { return key }
        var words: [Range<String.Index>] = []
        var wordStart = key.startIndex
        var searchRange = key.index(after: wordStart)..<key.endIndex
        while let upper = key.rangeOfCharacter(from: .uppercaseLetters, options: [], range: searchRange) {
            words.append(wordStart..<upper.lowerBound)
            searchRange = upper.lowerBound..<searchRange.upperBound
            guard let lower = key.rangeOfCharacter(from: .lowercaseLetters, options: [], range: searchRange) else {
                wordStart = searchRange.lowerBound
                break
            }
            let afterCapital = key.index(after: upper.lowerBound)
            if lower.lowerBound == afterCapital {
                wordStart = upper.lowerBound
            } else {
                let beforeLower = key.index(before: lower.lowerBound)
                words.append(upper.lowerBound..<beforeLower)
                wordStart = beforeLower
            }
            searchRange = lower.upperBound..<searchRange.upperBound
        }
        words.append(wordStart..<searchRange.upperBound)
        return words.map { key[$0].lowercased() }.joined(separator: "_")
    }

    /// Foundation's `convertFromSnakeCase`: leading and trailing underscores kept, the first
    /// word lowercased, the others capitalised, joined (`my_url_property` → `myUrlProperty`);
    /// a key without inner underscores is left as it is.
    static func convertFromSnakeCase(_ key: String) -> String {
        guard !key.isEmpty, let first = key.firstIndex(where: { $0 != "_" }) else { return key }
        var last = key.index(before: key.endIndex)
        while last > first && key[last] == "_" { key.formIndex(before: &last) }
        let words = key[first...last].split(separator: "_")
        let joined = words.count == 1
            ? String(key[first...last])
            : ([words[0].lowercased()] + words.dropFirst().map { $0.capitalized }).joined()
        return String(key[..<first]) + joined + String(key[key.index(after: last)...])
    }
}

/// A key conversion with its results remembered (at most `capacity` of them).
final class ConvertedKeys: Sendable {
    private let convert: @Sendable (String) -> String
    private let known = Mutex<[String: String]>([:])
    private let capacity: Int

    init(_ convert: @escaping @Sendable (String) -> String, capacity: Int = 4096) {
        self.convert = convert
        self.capacity = capacity
    }

    /// The converted key, computed on first sight.
    func callAsFunction(_ key: String) -> String {
        if let hit = known.withLock({ $0[key] }) { return hit }
        let converted = convert(key)
        known.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[key] = converted
        }
        return converted
    }

    /// The strategy's form: the converted last key of `path`.
    func key(for path: [any CodingKey]) -> any CodingKey {
        guard let last = path.last else { return WireKey("") }
        if last.intValue != nil { return last }
        return WireKey(callAsFunction(last.stringValue))
    }
}

/// A coding key by name.
struct WireKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
