import Foundation

/// A statement parameter. Statements are always parameterised: values never enter SQL text.
public enum PostgresValue: Sendable, Equatable {
    /// SQL NULL.
    case null
    /// A 64-bit integer, sent as `int8`.
    case int(Int64)
    /// A boolean.
    case bool(Bool)
    /// A double-precision number.
    case double(Double)
    /// Text, sent with an unspecified type so the server infers it from context.
    case text(String)
    /// Binary data, sent in binary format as `bytea`.
    case bytea([UInt8])
    /// An instant, sent as `timestamptz` with microsecond precision.
    case timestamp(Date)
    /// A UUID.
    case uuid(UUID)
    /// A JSON document (its text), sent as `jsonb`.
    case jsonb(String)

    /// The type OID libpq is told for this parameter (0 lets the server infer it).
    var typeOID: UInt32 {
        switch self {
        case .null, .text: return 0
        case .int: return PostgresType.int8
        case .bool: return PostgresType.bool
        case .double: return PostgresType.float8
        case .bytea: return PostgresType.bytea
        case .timestamp: return PostgresType.timestamptz
        case .uuid: return PostgresType.uuid
        case .jsonb: return PostgresType.jsonb
        }
    }

    /// The bytes sent for this parameter and whether they are binary (format 1) or text.
    var wire: (bytes: [UInt8], binary: Bool)? {
        switch self {
        case .null: return nil
        case .int(let v): return (Array(String(v).utf8), false)
        case .bool(let v): return (Array((v ? "t" : "f").utf8), false)
        case .double(let v): return (Array(String(v).utf8), false)
        case .text(let v): return (Array(v.utf8), false)
        case .bytea(let v): return (v, true)
        case .timestamp(let v): return (Array(PostgresTimestamp.format(v).utf8), false)
        case .uuid(let v): return (Array(v.uuidString.lowercased().utf8), false)
        case .jsonb(let v): return (Array(v.utf8), false)
        }
    }
}

extension PostgresValue {
    /// A one-dimensional array, sent as its text literal (`{"a","b",NULL}`) with an unspecified
    /// type: cast it in SQL (`$1::uuid[]`). Every element is quoted and escaped, so any text is safe.
    public static func array(_ elements: [String?]) -> PostgresValue {
        var literal = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { literal += "," }
            guard let element else { literal += "NULL"; continue }
            literal += "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return .text(literal + "}")
    }
}

/// Literal conveniences so call sites read `["x", 42, nil]`.
extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// Type OIDs from `pg_type` that the layer encodes or decodes.
public enum PostgresType {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let varchar: UInt32 = 1043
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
}

/// Text encoding of instants. Every session runs with `TimeZone=UTC`, so the server's text
/// form is `YYYY-MM-DD HH:MM:SS[.ffffff]+00`.
enum PostgresTimestamp {
    /// Formats with microsecond precision, in UTC, as ISO 8601.
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int(floor(totalMicros / 1_000_000))
        let micros = Int(totalMicros - Double(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    /// Parses the server's text form; nil if it is not one.
    static func parse(_ text: String) -> Date? {
        // 2026-11-27 13:33:37.123456+00  or +05:30, or -08
        let bytes = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for b in bytes[from..<(from + count)] {
                guard b >= 48 && b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard bytes.count >= 19, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = number(index + 1, 2) else { return nil }
            var om = 0
            if index + 3 < bytes.count, bytes[index + 3] == UInt8(ascii: ":"), let m = number(index + 4, 2) { om = m }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offsetSeconds) + fraction)
    }
}
