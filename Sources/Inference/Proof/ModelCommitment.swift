import ZKProof

/// Everything a verifier needs about a registered model except its weights.
///
/// It holds the model's identity (the digest of its canonical encoding), its public
/// description (`ModelSpec`: quantisation parameters, input shape, layer list, every layer's
/// accumulator bound `B_k`), the commitment layout, and one Hyrax row commitment per committed
/// row of every weight matrix and bias vector (see `CommitmentLayout`), then of every
/// tree-ensemble step's node and value tables. The verifier derives
/// every count — layers, rows, positions, row widths — from this value, never from a proof.
///
/// A commitment is made once, when the model is registered (`ModelCommitment(committing:)`),
/// and serialised with `encoded()`; `init(decoding:)` validates every point.
public struct ModelCommitment: Sendable {
    /// SHA-256 of the model's canonical encoding (`QuantizedModel.digest`): the model id.
    public let modelDigest: [UInt8]
    /// The public description: quantisation, shapes, layers, accumulator bounds.
    public let spec: ModelSpec
    /// Row commitments of each layer's weight table, in layer order.
    public let weightRows: [[CurvePoint]]
    /// Row commitments of each layer's bias table, in layer order.
    public let biasRows: [[CurvePoint]]
    /// Row commitments of each tree-ensemble step's node and value tables, in node order.
    public let treeRows: [(node: [CurvePoint], value: [CurvePoint])]
    /// How the tables are cut into rows.
    let layout: CommitmentLayout
    /// The canonical encoding, kept because every proof absorbs it.
    public let encoded: [UInt8]

    /// Why a model cannot be committed, or bytes are not a commitment.
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        /// A layer's inner dimension exceeds the widest row (`2^12` generators).
        case layerTooWide
        /// The bytes are not a well-formed commitment encoding.
        case malformed(ProofFormatError)
        /// The embedded model description does not decode.
        case invalidModelSpec(InferenceError)
        /// The layout parameter is not admissible for the model description.
        case invalidLayout(columnVariables: Int)

        /// The stable machine-readable code.
        public var code: String {
            switch self {
            case .layerTooWide: "commitment_layer_too_wide"
            case .malformed: "commitment_malformed"
            case .invalidModelSpec: "commitment_model_spec_invalid"
            case .invalidLayout: "commitment_layout_invalid"
            }
        }

        /// A sentence a person can act on.
        public var description: String {
            switch self {
            case .layerTooWide: "a layer is wider than the 4096 generators a commitment row may use"
            case .malformed(let e): "malformed commitment: \(e)"
            case .invalidModelSpec(let e): "the commitment's model description is invalid: \(e)"
            case .invalidLayout(let c): "layout parameter \(c) does not fit the model description"
            }
        }
    }

    /// The four magic bytes `PMWC`.
    public static let encodingMagic: [UInt8] = Array("PMWC".utf8)
    /// The encoding version.
    public static let encodingVersion: UInt16 = 1

    /// Commits to a quantised model's weights and biases (bucketed Pedersen row commitments).
    public init(committing model: QuantizedModel) throws(Error) {
        guard let layout = CommitmentLayout.choose(for: model.spec) else { throw .layerTooWide }
        var weightRows: [[CurvePoint]] = []
        var biasRows: [[CurvePoint]] = []
        for (k, layer) in model.layers.enumerated() {
            let shape = layout.layers[k]
            weightRows.append(Hyrax.commit(Self.paddedWeights(layer, shape), columnCount: shape.weights.width))
            biasRows.append(Hyrax.commit(layer.bias, columnCount: shape.bias.width))
        }
        let treeRows = zip(model.trees, layout.trees).map { tree, tables in
            (Hyrax.commit(tree.nodeTable, columnCount: tables.node.width), Hyrax.commit(tree.values, columnCount: tables.value.width))
        }
        self.init(digest: model.digest, spec: model.spec, layout: layout, weightRows: weightRows, biasRows: biasRows,
                  treeRows: treeRows)
    }

    /// Commits to a model: the same as `ModelCommitment(committing:)`.
    public static func commit(_ model: QuantizedModel) throws(Error) -> ModelCommitment {
        try ModelCommitment(committing: model)
    }

    private init(digest: [UInt8], spec: ModelSpec, layout: CommitmentLayout,
                 weightRows: [[CurvePoint]], biasRows: [[CurvePoint]], treeRows: [([CurvePoint], [CurvePoint])]) {
        self.modelDigest = digest
        self.spec = spec
        self.layout = layout
        self.weightRows = weightRows
        self.biasRows = biasRows
        self.treeRows = treeRows.map { (node: $0.0, value: $0.1) }
        var w = ProofWriter()
        w.raw(Self.encodingMagic)
        w.u16(Self.encodingVersion)
        w.raw(digest)
        w.byteString(spec.encoded())
        w.u8(UInt8(layout.columnVariables))
        for (weights, bias) in zip(weightRows, biasRows) {
            w.u32(UInt32(weights.count))
            for p in weights { w.point(p) }
            w.u32(UInt32(bias.count))
            for p in bias { w.point(p) }
        }
        for (node, value) in treeRows {
            w.u32(UInt32(node.count))
            for p in node { w.point(p) }
            w.u32(UInt32(value.count))
            for p in value { w.point(p) }
        }
        self.encoded = w.bytes
    }

    /// Decodes and validates a commitment: magic, version, the model description (through
    /// `ModelSpec(decoding:)`), the layout, row counts equal to those the layout implies, and
    /// every point on the curve and not the identity. Never traps on hostile bytes.
    public init(decoding bytes: [UInt8]) throws(Error) {
        guard bytes.count <= ProofLimits.commitmentBytesMax else {
            throw .malformed(.countOverLimit(field: "commitment bytes", count: bytes.count,
                                             limit: ProofLimits.commitmentBytesMax, offset: 0))
        }
        var r = ProofReader(bytes)
        do {
            guard try r.raw(4) == Self.encodingMagic else { throw ProofFormatError.badMagic(offset: 0) }
            let version = try r.u16()
            guard version == Self.encodingVersion else { throw ProofFormatError.unsupportedVersion(version) }
            let digest = try r.raw(SHA256Digest.byteCount)
            let specBytes = try r.byteString("model spec bytes", max: ProofLimits.modelSpecBytesMax)
            let spec: ModelSpec
            do { spec = try ModelSpec(decoding: specBytes) } catch { throw Error.invalidModelSpec(error) }
            let c = Int(try r.u8())
            guard let layout = CommitmentLayout(spec: spec, columnVariables: c) else { throw Error.invalidLayout(columnVariables: c) }
            var weightRows: [[CurvePoint]] = []
            var biasRows: [[CurvePoint]] = []
            for (k, shape) in layout.layers.enumerated() {
                try r.expectCount("layer \(k) weight rows", shape.weights.rowCount)
                weightRows.append(try r.points(shape.weights.rowCount))
                try r.expectCount("layer \(k) bias rows", shape.bias.rowCount)
                biasRows.append(try r.points(shape.bias.rowCount))
            }
            var treeRows: [([CurvePoint], [CurvePoint])] = []
            for (e, tables) in layout.trees.enumerated() {
                try r.expectCount("tree ensemble \(e) node-table rows", tables.node.rowCount)
                let node = try r.points(tables.node.rowCount)
                try r.expectCount("tree ensemble \(e) value-table rows", tables.value.rowCount)
                treeRows.append((node, try r.points(tables.value.rowCount)))
            }
            try r.finish()
            self.init(digest: digest, spec: spec, layout: layout, weightRows: weightRows, biasRows: biasRows, treeRows: treeRows)
        } catch {
            throw Self.decodingError(error, offset: r.offset)
        }
    }

    /// What a decoding failure is, as this type's error: its own errors as they are, format
    /// errors as `malformed`, anything else as an invalid value at `offset`.
    static func decodingError(_ error: any Swift.Error, offset: Int) -> Error {
        if let error = error as? Error { return error }
        if let error = error as? ProofFormatError { return .malformed(error) }
        return .malformed(.invalidValue(field: "commitment", offset: offset))
    }

    /// The model description inside commitment bytes, without decoding (or validating) the
    /// row commitments: cheap enough to check a job's input against its model.
    public static func spec(inCommitment bytes: [UInt8]) throws(Error) -> ModelSpec {
        var r = ProofReader(bytes)
        do {
            guard try r.raw(4) == Self.encodingMagic else { throw ProofFormatError.badMagic(offset: 0) }
            let version = try r.u16()
            guard version == Self.encodingVersion else { throw ProofFormatError.unsupportedVersion(version) }
            _ = try r.raw(SHA256Digest.byteCount)
            let specBytes = try r.byteString("model spec bytes", max: ProofLimits.modelSpecBytesMax)
            do { return try ModelSpec(decoding: specBytes) } catch { throw Error.invalidModelSpec(error) }
        } catch {
            throw Self.decodingError(error, offset: r.offset)
        }
    }

    /// Hex of `modelDigest`, the model id the CLI prints.
    public var modelID: String {
        modelDigest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// `W` with its columns zero-padded to `n̂`: the flat weight table of `CommitmentLayout`.
    static func paddedWeights(_ layer: QuantizedLayer, _ shape: CommitmentLayout.Layer) -> [Int64] {
        if shape.innerPadded == shape.inner { return layer.weights }
        var table = [Int64](repeating: 0, count: shape.rows * shape.innerPadded)
        for i in 0..<shape.rows {
            for j in 0..<shape.inner { table[i * shape.innerPadded + j] = layer.weights[i * shape.inner + j] }
        }
        return table
    }
}
