import Foundation
import Inference
import Postgres

/// A tensor as the API carries it: a shape and its values in row-major order.
public struct Tensor: Sendable, Codable, Equatable {
    /// Dimensions, each ≥ 1.
    public let shape: [Int]
    /// `shape.reduce(1, *)` finite values.
    public let values: [Double]

    /// The most values an input tensor may hold.
    public static let valuesMax = 1 << 20

    /// Creates a tensor (unchecked; `validated(against:)` checks it).
    public init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }

    /// Reads the stored form of a tensor, `{"shape": [..], "values": [..]}` as PostgreSQL writes
    /// jsonb back, without a general JSON decoder (jobs are read many times per cycle, and a
    /// batch's input holds thousands of numbers). Returns nil for anything else (other keys,
    /// other layout); the caller then uses `JSONDecoder`.
    static func parseStored(_ text: String) -> Tensor? {
        var text = text
        return text.withUTF8 { bytes in
            var reader = StoredTensorReader(bytes: bytes)
            return reader.tensor()
        }
    }

    /// `{"shape":[…],"values":[…]}`, as `JSONEncoder` writes a tensor with sorted keys: each
    /// number as `description` writes it (the shortest text that reads back as the same double)
    /// without a trailing `.0`. The text `jobs.input` keeps, that `parseStored` reads, and that
    /// responses splice in as it is (`Job.inputWireJSON`). Throws `input_shape_mismatch` for a
    /// value that is not finite.
    public func wireJSON() throws -> String {
        var text = "{\"shape\":["
        text.reserveCapacity(values.count * 8 + 32)
        text += shape.map(String.init).joined(separator: ",")
        text += "],\"values\":["
        for (i, v) in values.enumerated() {
            guard v.isFinite else { throw MarketError(.inputShapeMismatch, "the input holds a value that is not a finite number") }
            if i > 0 { text += "," }
            let number = v.description
            text += number.hasSuffix(".0") ? number.dropLast(2) : Substring(number)
        }
        text += "]}"
        return text
    }

    /// Powers of ten that a `Double` holds exactly.
    private static let exactPowersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
                                                     1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// `exactDecimal` of a number's text.
    public static func exactDecimal(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { exactDecimal($0[...]) }
    }

    /// A JSON number `-?d+(.d+)?([eE][+-]?d+)?` whose digits, read as one integer `m`, stay below
    /// 2^53, and whose decimal exponent `e` (after the point is moved) is within ±22: both `m`
    /// and `10^|e|` are exact doubles, so the one multiplication or division rounds correctly and
    /// the result is the double `Double(String)` reads. Nil for anything else (the caller then
    /// reads it the general way). Most stored values (quantised inputs, prices) are of this form.
    static func exactDecimal(_ token: Slice<UnsafeBufferPointer<UInt8>>) -> Double? {
        var i = token.startIndex
        let negative = i < token.endIndex && token[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var mantissa: UInt64 = 0, digits = 0, fractionDigits = 0, seenPoint = false
        while i < token.endIndex {
            let b = token[i]
            if b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
                guard mantissa < 1 << 49 else { return nil }  // × 10 + 9 stays below 2^53
                mantissa = mantissa * 10 + UInt64(b - UInt8(ascii: "0"))
                digits += 1
                if seenPoint { fractionDigits += 1 }
            } else if b == UInt8(ascii: "."), !seenPoint, digits > 0 {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard digits > 0, !(seenPoint && fractionDigits == 0) else { return nil }
        var exponent = 0
        if i < token.endIndex {
            guard token[i] == UInt8(ascii: "e") || token[i] == UInt8(ascii: "E") else { return nil }
            i += 1
            var exponentNegative = false
            if i < token.endIndex, token[i] == UInt8(ascii: "-") || token[i] == UInt8(ascii: "+") {
                exponentNegative = token[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponentDigits = 0
            while i < token.endIndex, token[i] >= UInt8(ascii: "0"), token[i] <= UInt8(ascii: "9") {
                guard exponent < 1_000 else { return nil }
                exponent = exponent * 10 + Int(token[i] - UInt8(ascii: "0"))
                exponentDigits += 1
                i += 1
            }
            guard exponentDigits > 0, i == token.endIndex else { return nil }
            if exponentNegative { exponent = -exponent }
        }
        let e = exponent - fractionDigits
        guard (-22...22).contains(e) else { return nil }
        let m = Double(mantissa)
        let magnitude = e < 0 ? m / exactPowersOfTen[-e] : m * exactPowersOfTen[e]
        return negative ? -magnitude : magnitude
    }

    /// Throws `input_shape_mismatch` unless this tensor is well formed and has `shape`.
    func validate(against expected: [Int]) throws {
        guard values.count <= Self.valuesMax else {
            throw MarketError(.inputShapeMismatch, "the input has \(values.count) values; at most \(Self.valuesMax) are accepted")
        }
        guard !shape.isEmpty, shape.allSatisfy({ $0 >= 1 && $0 <= Self.valuesMax }),
              shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) == values.count else {
            throw MarketError(.inputShapeMismatch, "the input's shape \(shape) does not match its \(values.count) values")
        }
        guard shape == expected else {
            throw MarketError(.inputShapeMismatch, "the model takes an input of shape \(expected), not \(shape)")
        }
        guard values.allSatisfy(\.isFinite) else {
            throw MarketError(.inputShapeMismatch, "the input holds a value that is not a finite number")
        }
    }
}

/// A model's lifecycle.
public enum ModelStatus: String, Sendable, Codable {
    /// Uploaded; being validated, quantised and committed in the background.
    case processing
    /// Committed; jobs may use it.
    case ready
    /// Import failed; `failure` says why.
    case failed
}

/// A registered model, content-addressed by its id.
public struct Model: Sendable, Codable, Equatable {
    /// The digest that identifies the model.
    public let id: String
    /// Who uploaded it.
    public let owner: UUID
    /// A display name.
    public let name: String
    /// Processing state.
    public let status: ModelStatus
    /// Why import failed, if it did.
    public let failure: String?
    /// The input tensor's shape.
    public let inputShape: [Int]?
    /// The output tensor's shape.
    public let outputShape: [Int]?
    /// Operators used.
    public let operators: [String]?
    /// Quantisation parameters, as JSON text (owned by the inference layer).
    public let quantisation: String?
    /// The commitment a proof is checked against.
    public let commitment: [UInt8]?
    /// Multiply-accumulates per inference: the work prices are quoted against.
    public let workMacs: Int64?
    /// The public part of the hiding commitment private proofs are checked against; nil for a
    /// model that is not private-ready (see `Market+PrivateMode.swift`).
    public let privateCommitment: [UInt8]?
    /// Its digest (lowercase hex SHA-256), when there is one.
    public let privateCommitmentID: String?
    /// Each step with whether it has a private proof, in graph order (nil until ready, and for
    /// models imported before private proofs).
    public let privateOperators: [PrivateOperator]?
    /// When uploaded.
    public let createdAt: Date
    /// When its status last changed (for a `processing` model: when its import was accepted).
    public let updatedAt: Date

    struct Shapes: Codable { let input: [Int]; let output: [Int] }

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        owner = try row.decode("owner")
        name = try row.decode("name")
        status = try ModelStatus(rawValue: row.decode("status")).orThrow("unknown model status")
        failure = try row.decode("failure")
        let shapes = try row.decode("shapes", as: PostgresJSON?.self).map { try $0.decode(Shapes.self) }
        inputShape = shapes?.input
        outputShape = shapes?.output
        operators = try row.decode("operators", as: PostgresJSON?.self).map { try $0.decode([String].self) }
        quantisation = try row.decode("quantisation", as: PostgresJSON?.self)?.text
        commitment = try row.decode("commitment")
        workMacs = try row.decode("work_macs")
        privateCommitment = try row.decode("private_commitment")
        privateCommitmentID = try row.decode("private_commitment_id")
        privateOperators = try row.decode("private_operators", as: PostgresJSON?.self).map { try $0.decode([PrivateOperator].self) }
        createdAt = try row.decode("created_at")
        updatedAt = try row.decode("updated_at")
    }
}

/// What the inference layer learned about a model: everything `Market` stores for it.
public struct ModelFacts: Sendable {
    /// The input tensor's shape.
    public var inputShape: [Int]
    /// The output tensor's shape.
    public var outputShape: [Int]
    /// Operators used.
    public var operators: [String]
    /// Quantisation parameters as JSON text.
    public var quantisationJSON: String
    /// The commitment bytes.
    public var commitment: [UInt8]
    /// Multiply-accumulates per inference.
    public var workMacs: Int64
    /// Each step with whether it has a private proof (empty: not known, as without a private
    /// proof system).
    public var privateOperators: [PrivateOperator]
    /// The hiding commitment for private proofs and its material, for a private-ready model.
    public var privateCommitment: PrivateModelCommitment?

    /// Bundles the facts.
    public init(inputShape: [Int], outputShape: [Int], operators: [String], quantisationJSON: String,
                commitment: [UInt8], workMacs: Int64, privateOperators: [PrivateOperator] = [],
                privateCommitment: PrivateModelCommitment? = nil) {
        self.inputShape = inputShape
        self.outputShape = outputShape
        self.operators = operators
        self.quantisationJSON = quantisationJSON
        self.commitment = commitment
        self.workMacs = workMacs
        self.privateOperators = privateOperators
        self.privateCommitment = privateCommitment
    }
}

extension Market {
    /// The largest ONNX file accepted, in bytes: the importer's own limit, so every layer
    /// refuses the same files, before any is stored (the API derives its body limit from it).
    public static let modelBytesMax = InferenceLimits.modelBytesMax

    /// Takes an uploaded model under its digest `id` and imports it in the background with
    /// `importer`, on the import threads (never the verification threads).
    ///
    /// A model that is `ready`, or `processing` and not cut off, is returned as it is
    /// (`created` false). A new one, one that `failed`, and one whose import was cut off (still
    /// `processing` after `modelImportStaleSeconds`) are admitted by `modelImports` first, so a
    /// refused upload (`model_too_large`, `too_many_imports`, `import_busy`) stores nothing;
    /// then stored as `processing` (`created` true) until the import makes it `ready` or
    /// `failed` with the reason (and without its bytes).
    public func uploadModel(id: String, owner: UUID, name: String, onnx: [UInt8],
                            importer: @escaping @Sendable ([UInt8]) throws -> ModelFacts) async throws -> (model: Model, created: Bool) {
        guard !onnx.isEmpty else { throw MarketError(.invalidRequest, "the model file is empty") }
        guard onnx.count <= Self.modelBytesMax else {
            throw MarketError(.modelTooLarge, "the model file has \(onnx.count) bytes; at most \(Self.modelBytesMax) are accepted")
        }
        let now = clock.now()
        let staleSince = now.addingTimeInterval(-Double(configuration.modelImportStaleSeconds))
        var exists = false
        if let row = try await pool.query(ModelQueries.modelByID.sql, [.text(id)]).first {
            let existing = try Model(row: row)
            let cutOff = existing.status == .processing && existing.updatedAt <= staleSince
            guard existing.status == .failed || cutOff else { return (existing, false) }
            exists = true
        }
        let ticket = try modelImports.admit(owner)
        let stored: PostgresRow?
        do {
            stored = exists
                ? try await pool.query(ModelQueries.modelRetryImport.sql, [.text(id), .bytea(onnx), .timestamp(now), .timestamp(staleSince)]).first
                : try await pool.query(ModelQueries.modelInsert.sql, [
                    .text(id), .uuid(owner), .text(name), .bytea(onnx), .null, .null, .null, .null, .null,
                    .text(ModelStatus.processing.rawValue), .null, .timestamp(now),
                ]).first
        } catch {
            ticket.release()
            throw error
        }
        guard let stored else {
            // Another upload of the same bytes got there first.
            ticket.release()
            return (try await model(id), false)
        }
        let model = try Model(row: stored)
        startImport(id: id, onnx: onnx, importer: importer, ticket: ticket)
        return (model, true)
    }

    /// Runs one admitted import and records its outcome; the ticket goes back at the end.
    private func startImport(id: String, onnx: [UInt8], importer: @escaping @Sendable ([UInt8]) throws -> ModelFacts,
                             ticket: ImportTicket) {
        Task {
            let result: Result<ModelFacts, Error>
            do {
                result = try await modelImports.pool.run { Result { try importer(onnx) } }
            } catch {
                result = .failure(error)   // the import threads' queue was full
            }
            // The place is given back before the outcome is visible, so whoever sees the model
            // `ready` or `failed` may upload again at once.
            ticket.release()
            do {
                switch result {
                case .success(let facts): try await completeModel(id: id, facts: facts)
                case .failure(let error): try await failModel(id: id, reason: "\(error)")
                }
            } catch {
                // The model stays `processing` until the sweeper fails it as cut off.
                logger.error("recording a model import's outcome failed", metadata: ["model": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Registers a model under its digest `id`. With `facts` it is `ready` at once; without,
    /// it is `processing` until `completeModel` or `failModel`. Registering an id that exists
    /// returns the existing model (content addressing) and changes nothing.
    public func registerModel(id: String, owner: UUID, name: String, onnx: [UInt8],
                              facts: ModelFacts?) async throws -> (model: Model, created: Bool) {
        let encoder = JSONEncoder()
        func json(_ value: some Encodable) throws -> PostgresValue {
            .jsonb(String(decoding: try encoder.encode(value), as: UTF8.self))
        }
        let row = try await pool.query(ModelQueries.modelInsert.sql, [
            .text(id), .uuid(owner), .text(name), .bytea(onnx),
            facts.map { .jsonb($0.quantisationJSON) } ?? .null,
            try facts.map { try json(Model.Shapes(input: $0.inputShape, output: $0.outputShape)) } ?? .null,
            try facts.map { try json($0.operators) } ?? .null,
            facts.map { .bytea($0.commitment) } ?? .null,
            facts.map { .int($0.workMacs) } ?? .null,
            .text((facts == nil ? ModelStatus.processing : .ready).rawValue), .null, .timestamp(clock.now()),
        ]).first
        if let row {
            guard let facts, !facts.privateOperators.isEmpty else { return (try Model(row: row), true) }
            try await storePrivateParts(id: id, facts: facts)
            return (try await model(id), true)
        }
        return (try await model(id), false)
    }

    /// `processing` → `ready`, with the private commitment and its material if the model has them.
    public func completeModel(id: String, facts: ModelFacts) async throws {
        let encoder = JSONEncoder()
        let ready = PostgresStatement(ModelQueries.modelMarkReady.sql, [
            .text(id), .jsonb(facts.quantisationJSON),
            .jsonb(String(decoding: try encoder.encode(Model.Shapes(input: facts.inputShape, output: facts.outputShape)), as: UTF8.self)),
            .jsonb(String(decoding: try encoder.encode(facts.operators), as: UTF8.self)),
            .bytea(facts.commitment), .int(facts.workMacs), .timestamp(clock.now()),
        ])
        try await pool.transaction(.readCommitted) { c in
            let marked = try await c.query(ready.sql, ready.parameters).affectedRows > 0
            if marked { try await self.storePrivateParts(id: id, facts: facts, on: c) }
        }
    }

    /// `processing` → `failed`, with the reason; the model's bytes are dropped.
    public func failModel(id: String, reason: String) async throws {
        try await pool.query(ModelQueries.modelMarkFailed.sql, [.text(id), .text(reason), .timestamp(clock.now())])
    }

    /// The model with this id.
    /// A ready model never changes (its id is its content's digest and its commitment is
    /// fixed), so ready ones are kept in memory once read.
    public func model(_ id: String) async throws -> Model {
        if let ready = readyModels[id] { return ready }
        guard let row = try await pool.query(ModelQueries.modelByID.sql, [.text(id)]).first else {
            throw MarketError(.unknownModel, "no model \(id)")
        }
        let model = try Model(row: row)
        if model.status == .ready { readyModels.keep(model, for: id) }
        return model
    }

    /// Ready models kept in memory at once.
    public static let readyModelsCachedMax = 1_024
    /// The most authenticated keys kept in memory (see `KeyCache`).
    public static let authenticatedKeysCachedMax = 4_096

    /// The model's ONNX bytes (`model_not_ready` for a failed model, which keeps none).
    public func modelONNX(_ id: String) async throws -> [UInt8] {
        guard let row = try await pool.query(ModelQueries.modelONNX.sql, [.text(id)]).first else {
            throw MarketError(.unknownModel, "no model \(id)")
        }
        guard try row.decode("status", as: String.self) != ModelStatus.failed.rawValue else {
            throw MarketError(.modelNotReady, "model \(id) failed to import and keeps no file")
        }
        return try row.decode("onnx")
    }
}

/// `Tensor.parseStored`'s reader: one pass over the stored text's bytes.
private struct StoredTensorReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 }
    }

    mutating func expect(_ byte: UInt8) -> Bool {
        skipSpace()
        guard i < bytes.count, bytes[i] == byte else { return false }
        i += 1
        return true
    }

    /// A key and its colon; nil unless the key is a plain string.
    mutating func key() -> String? {
        guard expect(0x22) else { return nil }
        let start = i
        while i < bytes.count, bytes[i] != 0x22 { i += 1 }
        guard i < bytes.count else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        i += 1
        return expect(0x3A) ? name : nil
    }

    /// An array of finite numbers.
    mutating func numbers() -> [Double]? {
        guard expect(0x5B) else { return nil }
        var values: [Double] = []
        if expect(0x5D) { return values }
        while true {
            skipSpace()
            let start = i
            while i < bytes.count, bytes[i] != 0x2C, bytes[i] != 0x5D, bytes[i] != 0x20 { i += 1 }
            let token = bytes[start..<i]
            guard let value = Tensor.exactDecimal(token)
                    ?? Double(String(decoding: UnsafeBufferPointer(rebasing: token), as: UTF8.self)),
                  value.isFinite else { return nil }
            values.append(value)
            if expect(0x2C) { continue }
            return expect(0x5D) ? values : nil
        }
    }

    mutating func tensor() -> Tensor? {
        guard expect(0x7B) else { return nil }
        var shape: [Int]?
        var values: [Double]?
        while true {
            guard let name = key() else { return nil }
            switch name {
            case "shape":
                guard shape == nil, let dimensions = numbers(),
                      dimensions.allSatisfy({ $0 >= 0 && $0 <= Double(Tensor.valuesMax) && $0.rounded() == $0 }) else { return nil }
                shape = dimensions.map { Int($0) }
            case "values":
                guard values == nil, let numbers = numbers() else { return nil }
                values = numbers
            default:
                return nil
            }
            if expect(0x2C) { continue }
            guard expect(0x7D), let shape, let values else { return nil }
            skipSpace()
            return i == bytes.count ? Tensor(shape: shape, values: values) : nil
        }
    }
}
