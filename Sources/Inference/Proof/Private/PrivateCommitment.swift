import ZKProof

/// The hiding commitment of a model for private proofs (public part: safe to publish).
///
/// For each layer `k` the table `[W_k | b_k]` (`rows × weightColumns`, the bias as the last
/// real column, zero-padded) is committed as blinded Hyrax rows `C_i = Σ_j M_ij·G_j + r_i·H`
/// with fresh uniform `r_i`: the rows reveal nothing about the weights (perfect hiding), so
/// unlike v1's digest the commitment cannot confirm a guessed model. Encoding:
///
///     magic "PMZC" | version u16 = 1 | model spec (u32 length ‖ bytes) | per layer: u32 rows ‖ points
public struct PrivateCommitment: Sendable, Equatable {
    /// The registered model's public description.
    public let spec: ModelSpec
    /// Canonical bytes: what statements absorb.
    public let encoded: [UInt8]
    /// The row commitments of each layer's `[W | b]` table.
    let weightRows: [[CurvePoint]]

    /// The four magic bytes.
    static let magic: [UInt8] = Array("PMZC".utf8)
    /// The encoding version.
    static let version: UInt16 = 1

    /// Why commitment or material bytes were refused; `code` is stable.
    public enum Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// The bytes are not a well-formed encoding.
        case malformed(ProofFormatError)
        /// The embedded model description does not decode.
        case invalidModelSpec(InferenceError)
        /// The model has operators without a private proof (their names).
        case unsupportedOperators([String])
        /// The material names another commitment.
        case materialMismatch

        /// The stable machine-readable code.
        public var code: String {
            switch self {
            case .malformed: "private_commitment_malformed"
            case .invalidModelSpec: "model_spec_invalid"
            case .unsupportedOperators: "private_unsupported_operator"
            case .materialMismatch: "material_mismatch"
            }
        }

        /// A sentence a person can act on.
        public var description: String {
            switch self {
            case .malformed(let e): "malformed private commitment: \(e)"
            case .invalidModelSpec(let e): "the commitment's model description is invalid: \(e)"
            case .unsupportedOperators(let names): "no private proof for operators \(names.joined(separator: ", "))"
            case .materialMismatch: "the material belongs to another commitment"
            }
        }
    }

    /// Lowercase hex SHA-256 of `encoded`.
    public var id: String { PrivateCommitment.hex(SHA256Digest.hash(encoded)) }

    init(spec: ModelSpec, weightRows: [[CurvePoint]]) {
        self.spec = spec
        self.weightRows = weightRows
        var w = ProofWriter()
        w.raw(Self.magic)
        w.u16(Self.version)
        w.byteString(spec.encoded())
        for rows in weightRows {
            w.u32(UInt32(rows.count))
            for p in rows { w.point(p) }
        }
        encoded = w.bytes
    }

    /// Decodes and validates: magic, version, the model description, that it proves
    /// privately, row counts equal to the layers' rows, every point on the curve and not the
    /// identity. Never traps on hostile bytes.
    public init(decoding bytes: [UInt8]) throws(PrivateCommitment.Error) {
        guard bytes.count <= PrivateProofLimits.commitmentBytesMax else {
            throw .malformed(.countOverLimit(field: "commitment bytes", count: bytes.count,
                                             limit: PrivateProofLimits.commitmentBytesMax, offset: 0))
        }
        var r = ProofReader(bytes)
        let spec: ModelSpec
        var weightRows: [[CurvePoint]] = []
        do {
            guard try r.raw(4) == Self.magic else { throw PrivateCommitment.Error.malformed(.badMagic(offset: 0)) }
            let version = try r.u16()
            guard version == Self.version else { throw PrivateCommitment.Error.malformed(.unsupportedVersion(version)) }
            let specBytes = try r.byteString("model spec bytes", max: ProofLimits.modelSpecBytesMax)
            do { spec = try ModelSpec(decoding: specBytes) } catch { throw PrivateCommitment.Error.invalidModelSpec(error) }
            let unsupported = PrivateReadiness.unsupportedOperators(spec)
            guard unsupported.isEmpty else { throw PrivateCommitment.Error.unsupportedOperators(unsupported) }
            for (k, layer) in spec.layers.enumerated() {
                try r.expectCount("layer \(k) weight rows", layer.rows)
                weightRows.append(try r.points(layer.rows))
            }
            try r.finish()
        } catch let e as PrivateCommitment.Error {
            throw e
        } catch let e as ProofFormatError {
            throw .malformed(e)
        } catch {
            throw .malformed(.invalidValue(field: "commitment", offset: r.offset))
        }
        self.init(spec: spec, weightRows: weightRows)
    }

    /// Equal when the bytes are equal (the bytes determine everything else).
    public static func == (a: PrivateCommitment, b: PrivateCommitment) -> Bool { a.encoded == b.encoded }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The committed table of a layer: `[W | b]`, `rows × weightColumns`, row-major.
    static func weightTable(_ layer: QuantizedLayer, columns: Int) -> [Int64] {
        let rows = layer.spec.rows, inner = layer.spec.inner
        var table = [Int64](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<inner { table[i * columns + j] = layer.weights[i * inner + j] }
            table[i * columns + inner] = layer.bias[i]
        }
        return table
    }
}

/// A blinding factor: secret, never absorbed, sent or logged. Kept apart from values by type.
struct Blinding: Sendable {
    /// The scalar `r` of `Com(v; r) = v·G + r·H`.
    let scalar: Scalar
}

/// The commitment's blinding material: secret, only for whoever proves (the lock holder).
///
///     magic "PMZM" | version u16 = 1 | commitment SHA-256 (32 bytes) | per layer: u32 rows ‖ scalars
public struct PrivateMaterial: Sendable {
    /// Canonical bytes.
    public let encoded: [UInt8]
    /// The row blindings of each layer's weight table.
    let blindings: [[Blinding]]
    /// SHA-256 of the commitment the material belongs to.
    let commitmentDigest: [UInt8]

    static let magic: [UInt8] = Array("PMZM".utf8)

    init(commitmentDigest: [UInt8], blindings: [[Blinding]]) {
        self.blindings = blindings
        self.commitmentDigest = commitmentDigest
        var w = ProofWriter()
        w.raw(Self.magic)
        w.u16(PrivateCommitment.version)
        w.raw(commitmentDigest)
        for layer in blindings {
            w.u32(UInt32(layer.count))
            w.scalars(layer.map(\.scalar))
        }
        encoded = w.bytes
    }

    /// Decodes material and checks that it names `commitment` and fits its row counts.
    public init(decoding bytes: [UInt8], for commitment: PrivateCommitment) throws(PrivateCommitment.Error) {
        guard bytes.count <= PrivateProofLimits.commitmentBytesMax else {
            throw .malformed(.countOverLimit(field: "material bytes", count: bytes.count,
                                             limit: PrivateProofLimits.commitmentBytesMax, offset: 0))
        }
        var r = ProofReader(bytes)
        var blindings: [[Blinding]] = []
        let digest = SHA256Digest.hash(commitment.encoded)
        do {
            guard try r.raw(4) == Self.magic else { throw PrivateCommitment.Error.malformed(.badMagic(offset: 0)) }
            let version = try r.u16()
            guard version == PrivateCommitment.version else { throw PrivateCommitment.Error.malformed(.unsupportedVersion(version)) }
            guard try r.raw(SHA256Digest.byteCount) == digest else { throw PrivateCommitment.Error.materialMismatch }
            for (k, rows) in commitment.weightRows.enumerated() {
                try r.expectCount("layer \(k) blindings", rows.count)
                blindings.append(try r.scalars(rows.count).map { Blinding(scalar: $0) })
            }
            try r.finish()
        } catch let e as PrivateCommitment.Error {
            throw e
        } catch let e as ProofFormatError {
            throw .malformed(e)
        } catch {
            throw .malformed(.invalidValue(field: "material", offset: r.offset))
        }
        self.init(commitmentDigest: digest, blindings: blindings)
    }
}
