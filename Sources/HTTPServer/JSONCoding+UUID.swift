import Foundation

// Every id on the wire is the canonical, lower-case form of its UUID (RFC 9562 §4: output
// lower case, input either case), the form the proof's binding context and the receipt's
// signature use, so a client that keeps ids as strings can build `JOB:WORKER:NONCE` from
// them. Foundation writes `UUID.uuidString` in upper case; these overloads, beside the one
// JSON configuration (`JSONCoding`), are the one place ids are written differently. They are
// more specific than the generic `encode<T: Encodable>`, so every synthesized `encode(to:)` in
// a module importing HTTPServer (the API's responses, the CLI's files and `--json` output)
// picks them for a `UUID`, `UUID?` or `[UUID]` property. Types of lower layers (the market's
// `Receipt`, `MarketStats`) reach the wire through the API's views, which do. Input needs
// nothing: `UUID(uuidString:)` and UUID's `Decodable` accept either case. `WireIDTests`
// checks every response of a whole market run.

extension KeyedEncodingContainer {
    /// A UUID as its lower-case canonical text.
    public mutating func encode(_ value: UUID, forKey key: Key) throws {
        try encode(value.wireText, forKey: key)
    }

    /// An optional UUID, left out when nil (as the generic form does).
    public mutating func encodeIfPresent(_ value: UUID?, forKey key: Key) throws {
        try encodeIfPresent(value?.wireText, forKey: key)
    }

    /// A list of UUIDs, each lower case.
    public mutating func encode(_ value: [UUID], forKey key: Key) throws {
        try encode(value.map(\.wireText), forKey: key)
    }
}

extension UUID {
    /// The canonical lower-case text of the id, as every response carries it.
    public var wireText: String { uuidString.lowercased() }
}
