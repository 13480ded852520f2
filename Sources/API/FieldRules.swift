import Foundation
import HTTPServer
import Market

/// The rules every value a client sends meets before it reaches the market or SQL, so a value
/// PostgreSQL cannot hold is a 400 `invalid_field` naming it, never a 500 after the work is done
/// and never a value stored other than as sent.
///
/// Text goes to PostgreSQL as C strings, so a NUL would cut it short (`alice\u0000.admin` was
/// stored as `alice`) or, inside JSONB, fail the statement (SQLSTATE 22P05); no stored text
/// needs any control character, so every one is refused. Integers are checked against their
/// column's type (`INTEGER` is 32 bits).
enum FieldRules {
    /// The 400 for a value outside its field's rules.
    static func invalid(_ field: String, _ why: String) -> HTTPError {
        HTTPError(.badRequest, code: "invalid_field", detail: "\(field): \(why)")
    }

    /// True for the Unicode control characters (general category Cc: U+0000–U+001F, U+007F–U+009F).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }

    /// Text that will be stored or looked up: refused if it holds a control character. `field`
    /// names it as the client sent it (``field `name` ``, ``query parameter `name` ``).
    static func text(_ value: String, _ field: String) throws {
        if let bad = value.unicodeScalars.first(where: isControl) {
            throw invalid(field, "control characters are not allowed (found U+\(String(format: "%04X", bad.value)))")
        }
    }

    /// An integer bound for a column of `range`: refused outside it.
    static func integer<I: BinaryInteger>(_ value: I, _ field: String, in range: ClosedRange<Int64>) throws {
        guard let wide = Int64(exactly: value), range.contains(wide) else {
            throw invalid(field, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// The range of a PostgreSQL `INTEGER` that holds a count or a duration (never negative).
    static let nonNegativeInt32: ClosedRange<Int64> = 0...Int64(Int32.max)

    /// The instants a job can have been created at: a cursor's time outside them is not one the
    /// coordinator issued (and PostgreSQL's `timestamptz` cannot hold the extremes of an `Int64`).
    static let cursorTimes = Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 253_402_300_799)  // 9999-12-31T23:59:59Z

    /// `Idempotency-Key`: 1 to 200 printable ASCII characters (an sf-string, as the IETF
    /// Idempotency-Key draft defines it); it is stored, and echoed in the ledger's reference.
    static func idempotencyKey(_ value: String?) throws -> String? {
        guard let value else { return nil }
        guard (1...Self.idempotencyKeyCharactersMax).contains(value.utf8.count),
              value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw invalid("header `Idempotency-Key`",
                          "must be 1 to \(Self.idempotencyKeyCharactersMax) printable ASCII characters")
        }
        return value
    }

    /// The longest `Idempotency-Key` (the schema's CHECK says the same).
    static let idempotencyKeyCharactersMax = 200
}

/// A request body that checks its own fields after decoding (see `FieldRules`).
protocol ValidatedBody: Decodable {
    /// Throws the first broken rule.
    func validate() throws
}
