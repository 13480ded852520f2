import ZKProof

/// The commitment a hidden-input private proof names in place of its input: the blinded
/// Hyrax rows of the input's table (docs/PROTOCOL.md, "Hidden input"). Safe to publish:
/// the rows are perfectly hiding. Encoding (what the id hashes):
///
///     magic "PMZX" | version u16 = 1 | u32 rows ‖ rows compressed points
public struct PrivateInputCommitment: Sendable, Equatable {
    /// Canonical bytes.
    public let encoded: [UInt8]
    /// The row commitments of the input table.
    let rows: [CurvePoint]

    static let magic: [UInt8] = Array("PMZX".utf8)
    static let version: UInt16 = 1

    init(rows: [CurvePoint]) {
        self.rows = rows
        var w = ProofWriter()
        w.raw(Self.magic)
        w.u16(Self.version)
        w.u32(UInt32(rows.count))
        for p in rows { w.point(p) }
        encoded = w.bytes
    }

    /// Lowercase hex SHA-256 of `encoded`.
    public var id: String { PrivateCommitment.hex(SHA256Digest.hash(encoded)) }

    /// Equal when the bytes are equal.
    public static func == (a: PrivateInputCommitment, b: PrivateInputCommitment) -> Bool { a.encoded == b.encoded }
}

/// What opens a hidden input's commitment: the input values and the row blindings. Secret
/// to whoever holds the input; whoever receives it can check it against a proof's commitment
/// (`PrivateVerifier.openInput`). Encoding, decoded strictly:
///
///     magic "PMZI" | version u16 = 1 | u32 count ‖ x as i64 | u32 rows ‖ rows scalars
public struct PrivateInputOpening: Sendable {
    /// The quantised input, as `prove` took it.
    public let input: [Int64]
    /// The blinding of each row of the input table.
    let blindings: [Blinding]
    /// Canonical bytes.
    public let encoded: [UInt8]

    static let magic: [UInt8] = Array("PMZI".utf8)
    static let version: UInt16 = 1
    /// The longest encoding `init(decoding:)` can accept (the limits' values and blindings).
    public static let bytesMax = 4 + 2 + 4 + 8 * PrivateProofLimits.inputValuesMax + 4 + 32 * 4 * PrivateProofLimits.inputValuesMax

    /// The length of the encoding of an opening of `items` items of `spec`'s input: what a
    /// hidden-input proof of that batch comes with. Nil when the spec has no hidden-input proof.
    public static func encodedBytes(spec: ModelSpec, items: Int) -> Int? {
        guard let shape = PrivateLayerShape(input: spec, items: items) else { return nil }
        return 4 + 2 + 4 + 8 * shape.rows * items + 4 + Scalar.encodedByteCount * shape.entries
    }

    init(input: [Int64], blindings: [Blinding]) {
        self.input = input
        self.blindings = blindings
        var w = ProofWriter()
        w.raw(Self.magic)
        w.u16(Self.version)
        w.int64Array(input)
        w.u32(UInt32(blindings.count))
        w.scalars(blindings.map(\.scalar))
        encoded = w.bytes
    }

    /// Why opening bytes were refused; `code` is stable.
    public enum Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// The bytes are not a well-formed encoding.
        case malformed(ProofFormatError)

        /// The stable machine-readable code.
        public var code: String { "input_opening_malformed" }

        /// A sentence a person can act on.
        public var description: String {
            switch self {
            case .malformed(let e): "malformed input opening: \(e)"
            }
        }
    }

    /// Decodes: magic, version, at most `PrivateProofLimits.inputValuesMax` values and as many
    /// blindings as a table of that many values can have rows, every scalar below `n`, no
    /// trailing bytes. Never traps on hostile bytes.
    public init(decoding bytes: [UInt8]) throws(PrivateInputOpening.Error) {
        var r = ProofReader(bytes)
        do {
            guard try r.raw(4) == Self.magic else { throw ProofFormatError.badMagic(offset: 0) }
            let version = try r.u16()
            guard version == Self.version else { throw ProofFormatError.unsupportedVersion(version) }
            let count = try r.count("input values", max: PrivateProofLimits.inputValuesMax)
            let input = try r.int64s(count)
            let rows = try r.count("input blindings", max: 4 * PrivateProofLimits.inputValuesMax)
            let blindings = try r.scalars(rows).map { Blinding(scalar: $0) }
            try r.finish()
            self.init(input: input, blindings: blindings)
        } catch let e as ProofFormatError {
            throw .malformed(e)
        } catch {
            throw .malformed(.invalidValue(field: "input opening", offset: r.offset))
        }
    }
}
