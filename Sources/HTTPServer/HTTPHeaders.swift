/// An ordered list of header fields with case-insensitive name lookup (RFC 9110 §5.1).
/// Order and duplicates are kept as received, because some rules (RFC 9112 §6.3) depend on them.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// The fields in wire order, names as sent.
    public private(set) var fields: [(name: String, value: String)]

    /// An empty header list.
    public init() { fields = [] }

    /// Makes a header list from name/value pairs, in order.
    public init(_ pairs: [(String, String)]) { fields = pairs.map { (name: $0.0, value: $0.1) } }

    /// Makes a header list from a literal; order is the literal's.
    public init(dictionaryLiteral elements: (String, String)...) { self.init(elements) }

    /// The number of fields.
    public var count: Int { fields.count }

    /// Iterates over (name, value) pairs in wire order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// The first value of the field `name` (any case), or nil.
    public subscript(name: String) -> String? {
        get {
            for field in fields where Self.equalsIgnoringCase(field.name, name) { return field.value }
            return nil
        }
        set {
            remove(name)
            if let newValue { fields.append((name: name, value: newValue)) }
        }
    }

    /// Every value of the field `name` (any case), in order.
    public func values(_ name: String) -> [String] {
        var found: [String] = []
        for field in fields where Self.equalsIgnoringCase(field.name, name) { found.append(field.value) }
        return found
    }

    /// How many fields are named `name` (no allocation, for the framing checks on every request).
    func count(of name: String) -> Int {
        var n = 0
        for field in fields where Self.equalsIgnoringCase(field.name, name) { n += 1 }
        return n
    }

    /// Whether a field `name` is present.
    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field, keeping any existing one of the same name.
    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.equalsIgnoringCase($0.name, name) }
    }

    /// Whether a comma-separated list field (such as `Connection`) holds `token`, any case
    /// (RFC 9110 §5.6.1).
    public func hasToken(_ token: String, in name: String) -> Bool {
        for field in fields where Self.equalsIgnoringCase(field.name, name) {
            for item in field.value.split(separator: ",") {
                let trimmed = item.trimmingASCIIWhitespace()
                if Self.equalsIgnoringCase(trimmed, token) { return true }
            }
        }
        return false
    }

    /// One "Name: value" line per field.
    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }

    /// ASCII case-insensitive comparison, the only kind header names need.
    static func equalsIgnoringCase<A: StringProtocol, B: StringProtocol>(_ a: A, _ b: B) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        for (c, d) in zip(x, y) where c != d {
            if (c | 0x20) != (d | 0x20) || !((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) { return false }
        }
        return true
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs (optional whitespace, RFC 9110 §5.6.3).
    func trimmingASCIIWhitespace() -> Substring {
        let s = Substring(self)
        var start = s.startIndex, end = s.endIndex
        while start < end, s[start] == " " || s[start] == "\t" { start = s.index(after: start) }
        while end > start, s[s.index(before: end)] == " " || s[s.index(before: end)] == "\t" { end = s.index(before: end) }
        return s[start..<end]
    }
}
