/// A request body parsed as strict JSON (RFC 8259): one value, nothing after it, no duplicate
/// keys in any object, strings of valid UTF-8 with control characters escaped, nesting at most
/// `JSONValue.depthMax` deep. Foundation's parser keeps the first of two equal keys (so
/// `{"amount":1,"amount":1000000000000}` credited 1) and reports errors without saying where;
/// this one refuses duplicates and says where each error is.
///
/// Numbers keep their literal text, so an integer field reads it exactly and a field of any
/// other type never loses digits it did not ask for.
indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The deepest nesting of arrays and objects accepted; the API's bodies need four.
    static let depthMax = 64

    /// Why a body is not strict JSON.
    enum ParseError: Error, Equatable {
        /// Not JSON at `offset` (a byte offset into the body).
        case syntax(offset: Int, message: String)
        /// `key` appears twice in the object at `path` (wire names and indices, outermost first).
        case duplicateKey(key: String, path: [FieldPath.Component])
    }

    /// Parses `bytes` as one JSON value.
    static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        do {
            return try bytes.withUnsafeBufferPointer { buffer in
                var parser = JSONParser(bytes: buffer)
                return try parser.document()
            }
        } catch let error as ParseError {
            throw error
        } catch {
            throw .syntax(offset: 0, message: "\(error)")
        }
    }

    /// How the value is named in messages: "a string", "an array", "null".
    var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A recursive-descent parser over the body's bytes. Strings are scanned in a tight loop
/// (a proof is one string of tens of megabytes); everything else is small.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func document() throws(JSONValue.ParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw .syntax(offset: 0, message: "the body is empty; send a JSON object") }
        let value = try value(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw unexpected("after the JSON value") }
        return value
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func unexpected(_ context: String) -> JSONValue.ParseError {
        guard index < bytes.count else { return .syntax(offset: index, message: "the body ends too soon, \(context)") }
        let byte = bytes[index]
        let shown = (0x21...0x7E).contains(byte) ? "`\(Character(Unicode.Scalar(byte)))`" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        return .syntax(offset: index, message: "unexpected \(shown) at byte \(index), \(context)")
    }

    private mutating func value(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw unexpected("where a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw unexpected("where a value was expected")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONValue.ParseError) {
        let start = index
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw .syntax(offset: start, message: "unknown word at byte \(start)") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw .syntax(offset: start, message: "unknown word at byte \(start) (only true, false and null are)")
        }
        index += count
    }

    private mutating func object(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth <= JSONValue.depthMax else {
            throw .syntax(offset: index, message: "nested more than \(JSONValue.depthMax) levels deep at byte \(index)")
        }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected("where a key in double quotes was expected") }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw unexpected("where `:` was expected") }
            index += 1
            let member: JSONValue
            do {
                member = try value(depth: depth)
            } catch .duplicateKey(let inner, let path) {
                throw .duplicateKey(key: inner, path: [.key(key)] + path)
            }
            guard members.updateValue(member, forKey: key) == nil else { throw .duplicateKey(key: key, path: []) }
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("where `,` or `}` was expected") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: throw unexpected("where `,` or `}` was expected")
            }
        }
    }

    private mutating func array(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
        guard depth <= JSONValue.depthMax else {
            throw .syntax(offset: index, message: "nested more than \(JSONValue.depthMax) levels deep at byte \(index)")
        }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            do {
                elements.append(try value(depth: depth))
            } catch .duplicateKey(let inner, let path) {
                throw .duplicateKey(key: inner, path: [.index(elements.count)] + path)
            }
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("where `,` or `]` was expected") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw unexpected("where `,` or `]` was expected")
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as its text.
    private mutating func number() throws(JSONValue.ParseError) -> String {
        let start = index
        func digits(_ parser: inout JSONParser) -> Int {
            let first = parser.index
            while parser.index < parser.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(parser.bytes[parser.index]) {
                parser.index += 1
            }
            return parser.index - first
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leadingZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
        let whole = digits(&self)
        guard whole > 0 else { throw unexpected("where the digits of a number were expected") }
        guard !(leadingZero && whole > 1) else { throw .syntax(offset: start, message: "a number at byte \(start) has a leading zero") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw unexpected("where the digits after a decimal point were expected") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw unexpected("where the digits of an exponent were expected") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    /// A string at `index` (on its opening quote), unescaped.
    private mutating func string() throws(JSONValue.ParseError) -> String {
        let start = index
        index += 1
        var runStart = index
        var unescaped: [UInt8]? = nil
        while true {
            // The tight loop: ordinary bytes.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                index += 1
            }
            guard index < bytes.count else {
                throw .syntax(offset: start, message: "the string starting at byte \(start) is not closed")
            }
            let byte = bytes[index]
            if byte < 0x20 {
                throw .syntax(offset: index, message: "a control character (U+00\(byte < 0x10 ? "0" : "")\(String(byte, radix: 16, uppercase: true))) "
                              + "inside a string at byte \(index) must be escaped")
            }
            if byte == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<index])
                index += 1
                if var collected = unescaped {
                    collected.append(contentsOf: run)
                    return try Self.text(collected, at: start)
                }
                return try Self.text(run, at: start)
            }
            // A backslash: copy the run so far, then the escaped character.
            var collected = unescaped ?? []
            collected.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            try escape(into: &collected)
            unescaped = collected
            runStart = index
        }
    }

    private static func text(_ utf8: some Collection<UInt8>, at start: Int) throws(JSONValue.ParseError) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw .syntax(offset: start, message: "the string starting at byte \(start) is not valid UTF-8")
        }
        return text
    }

    /// Reads the escape at `index` (on its backslash) and appends its UTF-8.
    private mutating func escape(into out: inout [UInt8]) throws(JSONValue.ParseError) {
        let at = index
        index += 1
        guard index < bytes.count else { throw .syntax(offset: at, message: "the body ends inside an escape at byte \(at)") }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(letter)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(at: at)
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low one (RFC 8259 §7).
                guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw .syntax(offset: at, message: "the escape at byte \(at) is half of a surrogate pair")
                }
                index += 2
                let low = try hex4(at: at)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw .syntax(offset: at, message: "the escape at byte \(at) is half of a surrogate pair")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw .syntax(offset: at, message: "the escape at byte \(at) is half of a surrogate pair")
            }
            guard let unicode = Unicode.Scalar(scalar) else {
                throw .syntax(offset: at, message: "the escape at byte \(at) is not a Unicode scalar")
            }
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            throw .syntax(offset: at, message: "unknown escape `\\\(Character(Unicode.Scalar(letter)))` at byte \(at)")
        }
    }

    private mutating func hex4(at escapeStart: Int) throws(JSONValue.ParseError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw .syntax(offset: escapeStart, message: "a \\u escape at byte \(escapeStart) needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .syntax(offset: escapeStart, message: "a \\u escape at byte \(escapeStart) needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
