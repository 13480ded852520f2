import Foundation

// Tensors reach the wire and the database as JSON arrays of numbers, thousands at a time for a
// batch. `Array.encode(to:)` hands each element to the container's generic `encode<T>`, which
// in Foundation's JSONEncoder costs a dynamic cast and a metadata lookup per element (a
// 16,384-value batch took 15 ms to encode; element by element through the container's
// `Double` requirement, 3.6 ms, the same bytes). These overloads are more specific than the
// generic `encode<T: Encodable>`, so every synthesized `encode(to:)` in a module importing
// Market picks them for a `[Double]`, `[Int64]` or `[Int]` property (and the optional forms),
// as the UUID overloads beside `JSONCoding` are picked for ids. The JSON is unchanged:
// `JSONNumberArrayTests` compares it with the generic encoding.

extension KeyedEncodingContainer {
    /// Numbers, element by element through the container's `Double` requirement.
    public mutating func encode(_ value: [Double], forKey key: Key) throws {
        var numbers = nestedUnkeyedContainer(forKey: key)
        for v in value { try numbers.encode(v) }
    }

    /// Integers, element by element through the container's `Int64` requirement.
    public mutating func encode(_ value: [Int64], forKey key: Key) throws {
        var numbers = nestedUnkeyedContainer(forKey: key)
        for v in value { try numbers.encode(v) }
    }

    /// Integers, element by element through the container's `Int` requirement.
    public mutating func encode(_ value: [Int], forKey key: Key) throws {
        var numbers = nestedUnkeyedContainer(forKey: key)
        for v in value { try numbers.encode(v) }
    }

    /// Numbers, left out when nil (as the generic form does).
    public mutating func encodeIfPresent(_ value: [Double]?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    /// Integers, left out when nil.
    public mutating func encodeIfPresent(_ value: [Int64]?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }

    /// Integers, left out when nil.
    public mutating func encodeIfPresent(_ value: [Int]?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }
}
