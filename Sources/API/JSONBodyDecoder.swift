import Foundation
import HTTPServer
import Market

/// Where a value sits in a request body, written as clients write it: wire (snake_case) names
/// joined by dots, array positions in brackets (`capabilities.operators[2]`).
struct FieldPath: Sendable, CustomStringConvertible {
    /// One step.
    enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }
    /// The steps, outermost first.
    var components: [Component]

    init(_ components: [Component]) { self.components = components }

    /// The path of a decoder's coding path; Swift property names become their wire names.
    init(codingPath: [any CodingKey]) {
        components = codingPath.map { key in key.intValue.map(Component.index) ?? .key(JSONBody.wireName(key.stringValue)) }
    }

    var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let name): text += text.isEmpty ? name : ".\(name)"
            case .index(let position): text += "[\(position)]"
            }
        }
        return text
    }

    /// "field `x.y`" or, for the whole body, "the body".
    var subject: String { components.isEmpty ? "the body" : "field `\(description)`" }
}

/// Decodes request bodies: strict JSON (see `JSONValue`) read into the API's types, with every
/// failure a 400 in plain words that names the field: `invalid_json` for syntax, a missing
/// field or a value of the wrong type, `duplicate_json_key` for a key given twice.
///
/// Keys on the wire are the snake_case names the encoder writes (`max_price`), so a body reads
/// exactly as a response is written; keys the type does not know are ignored.
enum JSONBody {
    /// Decodes `bytes` as `T`.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let tree: JSONValue
        do {
            tree = try JSONValue.parse(bytes)
        } catch .syntax(_, let message) {
            throw HTTPError(.badRequest, code: "invalid_json", detail: "the body is not valid JSON: \(message)")
        } catch .duplicateKey(let key, let path) {
            let place = path.isEmpty ? "the body" : "`\(FieldPath(path))`"
            throw HTTPError(.badRequest, code: "duplicate_json_key",
                            detail: "the key `\(key)` appears more than once in the object at \(place); send each key once")
        }
        do {
            return try JSONTreeDecoder(value: tree, codingPath: []).decode(T.self)
        } catch let problem as BodyProblem {
            throw HTTPError(.badRequest, code: "invalid_json", detail: problem.message)
        } catch let error as DecodingError {
            // A type's own `init(from:)` may still throw one of these; say it the same way.
            throw HTTPError(.badRequest, code: "invalid_json", detail: describe(error))
        }
    }

    /// A Swift property name as it appears on the wire (the encoder's own conversion).
    static func wireName(_ swiftName: String) -> String {
        toWire([WireName(swiftName)]).stringValue
    }

    private static let toWire: @Sendable ([any CodingKey]) -> any CodingKey = {
        if case .custom(let convert) = JSONCoding.encoder.keyEncodingStrategy { return convert }
        return { $0.last ?? WireName("") }
    }()

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing required field `\(FieldPath(codingPath: context.codingPath + [key]))`"
        case .valueNotFound(_, let context), .typeMismatch(_, let context), .dataCorrupted(let context):
            return "\(FieldPath(codingPath: context.codingPath).subject): \(context.debugDescription)"
        @unknown default:
            return "the body does not have the expected fields"
        }
    }
}

/// A body that decodes but breaks its type: the message names the field and says why.
struct BodyProblem: Error {
    let message: String
}

private struct WireName: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// A `Decoder` over a parsed `JSONValue`.
private struct JSONTreeDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch("an object", found: value, at: codingPath) }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch("an array", found: value, at: codingPath) }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleContainer(value: value, codingPath: codingPath) }

    /// The one place values become Swift types; dates and UUIDs are read from their text here.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        func cast<V>(_ v: V) throws -> T {
            guard let result = v as? T else { throw BodyProblem(message: "\(FieldPath(codingPath: codingPath).subject) cannot be read") }
            return result
        }
        switch type {
        case is String.Type:
            guard case .string(let text) = value else { throw mismatch("a string", found: value, at: codingPath) }
            return try cast(text)
        case is Bool.Type:
            guard case .bool(let flag) = value else { throw mismatch("true or false", found: value, at: codingPath) }
            return try cast(flag)
        case is Double.Type:
            return try cast(try number())
        case is Float.Type:
            return try cast(Float(try number()))
        case is Int.Type: return try cast(try integer(Int.self))
        case is Int64.Type: return try cast(try integer(Int64.self))
        case is Int32.Type: return try cast(try integer(Int32.self))
        case is Int16.Type: return try cast(try integer(Int16.self))
        case is Int8.Type: return try cast(try integer(Int8.self))
        case is UInt.Type: return try cast(try integer(UInt.self))
        case is UInt64.Type: return try cast(try integer(UInt64.self))
        case is UInt32.Type: return try cast(try integer(UInt32.self))
        case is UInt16.Type: return try cast(try integer(UInt16.self))
        case is UInt8.Type: return try cast(try integer(UInt8.self))
        case is UUID.Type:
            guard case .string(let text) = value else { throw mismatch("a UUID in a string", found: value, at: codingPath) }
            guard let id = UUID(uuidString: text) else {
                throw BodyProblem(message: "\(FieldPath(codingPath: codingPath).subject): expected a UUID such as "
                                  + "123e4567-e89b-12d3-a456-426614174000, found a string that is not one")
            }
            return try cast(id)
        case is Date.Type:
            guard case .string(let text) = value else { throw mismatch("an RFC 3339 date-time in a string", found: value, at: codingPath) }
            guard let date = RFC3339.date(text) else {
                throw BodyProblem(message: "\(FieldPath(codingPath: codingPath).subject): expected an RFC 3339 date-time such as "
                                  + "2030-01-01T00:00:00Z, found a string that is not one")
            }
            return try cast(date)
        case is [Double].Type:
            // A tensor's values, thousands in a batch: read in one pass when every element is a
            // finite number, else element by element (which names the element at fault).
            if let numbers = finiteNumbers() { return try cast(numbers) }
            return try T(from: self)
        default:
            return try T(from: self)
        }
    }

    /// This array's numbers when every element is a finite JSON number; nil otherwise.
    private func finiteNumbers() -> [Double]? {
        guard case .array(let elements) = value else { return nil }
        var numbers: [Double] = []
        numbers.reserveCapacity(elements.count)
        for element in elements {
            guard case .number(let literal) = element,
                  let number = Tensor.exactDecimal(literal) ?? Double(literal), number.isFinite else { return nil }
            numbers.append(number)
        }
        return numbers
    }

    private func number() throws -> Double {
        guard case .number(let literal) = value else { throw mismatch("a number", found: value, at: codingPath) }
        guard let number = Double(literal), number.isFinite else {
            throw BodyProblem(message: "\(FieldPath(codingPath: codingPath).subject): the number \(Self.shown(literal)) is too large")
        }
        return number
    }

    /// An integer read exactly from its literal: plain digits, or a number with a fraction or
    /// exponent whose value is whole (`1e3`, `2.0`), as JSON Schema's `integer` allows.
    private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard case .number(let literal) = value else { throw mismatch("an integer", found: value, at: codingPath) }
        let range = "from \(I.min) to \(I.max)"
        if let exact = I(literal, radix: 10) { return exact }
        let subject = FieldPath(codingPath: codingPath).subject
        if literal.allSatisfy({ $0 == "-" || $0.isASCII && $0.isNumber }) {
            throw BodyProblem(message: "\(subject): expected an integer \(range), found \(Self.shown(literal))")
        }
        guard let number = Double(literal), number.isFinite, number.rounded(.towardZero) == number else {
            throw BodyProblem(message: "\(subject): expected an integer, found \(Self.shown(literal))")
        }
        guard let exact = I(exactly: number) else {
            throw BodyProblem(message: "\(subject): expected an integer \(range), found \(Self.shown(literal))")
        }
        return exact
    }

    private static func shown(_ literal: String) -> String { literal.count <= 40 ? literal : "\(literal.prefix(40))…" }
}

private func mismatch(_ expected: String, found: JSONValue, at codingPath: [any CodingKey]) -> BodyProblem {
    let path = FieldPath(codingPath: codingPath)
    if path.components.isEmpty { return BodyProblem(message: "the body must be \(expected), found \(found.kindDescription)") }
    return BodyProblem(message: "\(path.subject): expected \(expected), found \(found.kindDescription)")
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { wire in Key(stringValue: wire) } }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[JSONBody.wireName(key.stringValue)] else {
            throw BodyProblem(message: "missing required field `\(FieldPath(codingPath: codingPath + [key]))`")
        }
        return value
    }

    func contains(_ key: Key) -> Bool { members[JSONBody.wireName(key.stringValue)] != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try member(key) { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let value = try member(key)
        if case .null = value {
            throw BodyProblem(message: "field `\(FieldPath(codingPath: codingPath + [key]))` must not be null")
        }
        return try JSONTreeDecoder(value: value, codingPath: codingPath + [key]).decode(T.self)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONTreeDecoder(value: try member(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONTreeDecoder(value: try member(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { JSONTreeDecoder(value: .object(members), codingPath: codingPath) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONTreeDecoder(value: members[JSONBody.wireName(key.stringValue)] ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> (JSONValue, [any CodingKey]) {
        guard !isAtEnd else {
            throw BodyProblem(message: "\(FieldPath(codingPath: codingPath).subject) has too few elements")
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if case .null = elements[currentIndex] { currentIndex += 1; return true }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next()
        if case .null = value { throw BodyProblem(message: "field `\(FieldPath(codingPath: path))` must not be null") }
        return try JSONTreeDecoder(value: value, codingPath: path).decode(T.self)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path) = try next()
        return try JSONTreeDecoder(value: value, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next()
        return try JSONTreeDecoder(value: value, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next()
        return JSONTreeDecoder(value: value, codingPath: path)
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if case .null = value { throw BodyProblem(message: "\(FieldPath(codingPath: codingPath).subject) must not be null") }
        return try JSONTreeDecoder(value: value, codingPath: codingPath).decode(T.self)
    }
}

/// RFC 3339 `date-time` (what the contract's `format: date-time` means): `2030-01-01T00:00:00Z`,
/// with optional fractional seconds and a `Z` or `±hh:mm` offset. A leap second reads as :59.
enum RFC3339 {
    static func date(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20, b.count <= 64 else { return nil }
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for i in from..<(from + count) {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
              let day = digits(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2), b[16] == UInt8(ascii: ":"),
              let second = digits(17, 2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) {
                fraction += Double(b[i] - UInt8(ascii: "0")) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offsetSeconds = 0
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = digits(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2),
                  oh <= 23, om <= 59 else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
