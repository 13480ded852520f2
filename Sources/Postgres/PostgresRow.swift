import Foundation

/// The rows of one statement's result, decoded from libpq into Swift values up front so the
/// result outlives the C structure.
public struct PostgresResult: Sendable {
    /// Column names, in order.
    public let columns: [String]
    /// Column type OIDs, in order.
    public let columnTypes: [UInt32]
    /// The rows.
    public let rows: [PostgresRow]
    /// Rows affected, for INSERT/UPDATE/DELETE (from the command tag), else 0.
    public let affectedRows: Int

    /// The first row, if any.
    public var first: PostgresRow? { rows.first }
}

/// One row: cells in text form (or raw bytes for `bytea`), decoded on request by column name.
public struct PostgresRow: Sendable {
    let columnIndex: [String: Int]
    let types: [UInt32]
    let cells: [PostgresCell?]

    /// Decodes the named column; a missing column or a type mismatch throws `.decoding`.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columnIndex[column] else {
            throw PostgresError(.decoding, "no column named \(column) in the result")
        }
        return try decode(at: index, as: type)
    }

    /// Decodes the column at a position.
    public func decode<T: PostgresDecodable>(at index: Int, as type: T.Type = T.self) throws -> T {
        guard index >= 0, index < cells.count else {
            throw PostgresError(.decoding, "no column at index \(index) in the result")
        }
        return try T.decode(cells[index], type: types[index])
    }

    /// Whether the named column is NULL.
    public func isNull(_ column: String) -> Bool {
        guard let index = columnIndex[column] else { return true }
        return cells[index] == nil
    }
}

/// A non-NULL cell: text for most types, bytes for `bytea` (already unescaped).
public enum PostgresCell: Sendable, Equatable {
    case text(String)
    case bytes([UInt8])
}

/// A Swift type that a column can be decoded into.
public protocol PostgresDecodable: Sendable {
    /// Decodes a cell (nil for NULL) of the given type OID.
    static func decode(_ cell: PostgresCell?, type: UInt32) throws -> Self
}

extension PostgresDecodable {
    static func text(_ cell: PostgresCell?, _ typeName: String) throws -> String {
        switch cell {
        case .text(let t): return t
        case .bytes: throw PostgresError(.decoding, "a bytea column cannot be read as \(typeName)")
        case nil: throw PostgresError(.decoding, "NULL cannot be read as \(typeName); decode an Optional")
        }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> Wrapped? {
        guard let cell else { return nil }
        return try Wrapped.decode(cell, type: type)
    }
}

extension Int64: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> Int64 {
        let t = try text(cell, "Int64")
        guard let v = Int64(t) else { throw PostgresError(.decoding, "'\(t)' is not an integer") }
        return v
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> Int {
        Int(try Int64.decode(cell, type: type))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> Int32 {
        let v = try Int64.decode(cell, type: type)
        guard let narrow = Int32(exactly: v) else { throw PostgresError(.decoding, "\(v) does not fit Int32") }
        return narrow
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> Double {
        let t = try text(cell, "Double")
        guard let v = Double(t) else { throw PostgresError(.decoding, "'\(t)' is not a number") }
        return v
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> Bool {
        switch try text(cell, "Bool") {
        case "t", "true": return true
        case "f", "false": return false
        case let t: throw PostgresError(.decoding, "'\(t)' is not a boolean")
        }
    }
}

extension String: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> String {
        try text(cell, "String")
    }
}

extension UUID: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> UUID {
        let t = try text(cell, "UUID")
        guard let v = UUID(uuidString: t) else { throw PostgresError(.decoding, "'\(t)' is not a UUID") }
        return v
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> Date {
        let t = try text(cell, "Date")
        guard let v = PostgresTimestamp.parse(t) else { throw PostgresError(.decoding, "'\(t)' is not a timestamp") }
        return v
    }
}

/// Binary data (`bytea`).
extension Array: PostgresDecodable where Element == UInt8 {
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> [UInt8] {
        switch cell {
        case .bytes(let b): return b
        case .text(let t): return Array(t.utf8)
        case nil: throw PostgresError(.decoding, "NULL cannot be read as bytes; decode an Optional")
        }
    }
}

/// A JSON document read from a `json` or `jsonb` column, as its text.
public struct PostgresJSON: PostgresDecodable, Equatable {
    /// The document's text.
    public let text: String
    /// Wraps a document's text.
    public init(_ text: String) { self.text = text }
    public static func decode(_ cell: PostgresCell?, type: UInt32) throws -> PostgresJSON {
        PostgresJSON(try String.decode(cell, type: type))
    }
    /// Decodes the document with a `JSONDecoder`.
    public func decode<T: Decodable>(_ type: T.Type, using decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }
}
