import Foundation
import HTTPServer
import Market

/// A model on the wire.
struct ModelView: Encodable, Sendable {
    var id: String; var name: String; var status: String; var failure: String?; var inputShape: [Int]?
    var outputShape: [Int]?; var operators: [String]?; var quantisation: String?; var commitment: String?
    var workMacs: Int64?; var createdAt: Date
    /// The most inputs one job of this model may carry (1 if it is not batchable); nil until ready.
    var batchInputsMax: Int?
    /// Whether private jobs of it are taken: every step has a private proof (nil: not known).
    var privateReady: Bool?
    /// Each step with whether it proves privately, in graph order.
    var privateOperators: [PrivateOperatorView]?
    /// The public part of its hiding commitment for private proofs, once made.
    var privateCommitment: PrivateCommitmentView?

    struct PrivateOperatorView: Encodable, Sendable { var name: String; var privateReady: Bool }
    struct PrivateCommitmentView: Encodable, Sendable { var id: String; var bytes: String }

    init(_ m: Model, batchInputsMax: Int? = nil, privateOperators: [PrivateOperator]? = nil) {
        self.batchInputsMax = batchInputsMax
        self.privateOperators = privateOperators?.map { PrivateOperatorView(name: $0.name, privateReady: $0.privateReady) }
        privateReady = privateOperators.map { $0.allSatisfy(\.privateReady) }
        if let bytes = m.privateCommitment, let id = m.privateCommitmentID {
            privateCommitment = PrivateCommitmentView(id: id, bytes: bytes.map { String(format: "%02x", $0) }.joined())
        }
        id = m.id; name = m.name; status = m.status.rawValue; failure = m.failure; inputShape = m.inputShape
        outputShape = m.outputShape; operators = m.operators; quantisation = m.quantisation
        commitment = m.commitment.map { $0.map { String(format: "%02x", $0) }.joined() }
        workMacs = m.workMacs; createdAt = m.createdAt
    }
}

/// `POST /v1/models` as JSON: the file in base64 and the quantisation options.
struct UploadModelBody: Codable, Sendable, ValidatedBody {
    var onnx: String
    var quantisation: QuantisationBody?
    func validate() {}
}

/// The quantisation options on the wire; `fraction_bits` is a number or `"auto"`.
struct QuantisationBody: Codable, Sendable {
    var activationBits: Int?
    var fractionBits: FractionBits?
    var calibration: [[Double]]?
    /// `"uniform"` (the default) or `"per_feature"`; any other value fails decoding.
    var inputScales: InputScales?

    enum InputScales: String, Codable, Sendable {
        case uniform
        case perFeature = "per_feature"
    }

    /// A number of bits, or `"auto"`.
    enum FractionBits: Codable, Sendable {
        case bits(Int)
        case auto

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) {
                guard text == "auto" else {
                    throw DecodingError.dataCorruptedError(in: c, debugDescription: "fraction_bits must be a number of bits or \"auto\"")
                }
                self = .auto
            } else {
                self = .bits(try c.decode(Int.self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .bits(let n): try c.encode(n)
            case .auto: try c.encode("auto")
            }
        }
    }

    var model: ModelQuantisation {
        var q = ModelQuantisation(activationBits: activationBits, calibration: calibration ?? [],
                                  perFeatureInputScales: inputScales == .perFeature)
        switch fractionBits {
        case .bits(let n)?: q.fractionBits = n
        case .auto?: q.automatic = true
        case nil: break
        }
        return q
    }
}

extension MarketAPI {
    /// The longest model name `POST /v1/models?name=` accepts.
    static let modelNameCharactersMax = 200

    /// Model routes: upload (raw ONNX body, `?name=`) and read.
    func addModelRoutes(_ router: Router) {
        router.post("/v1/models", bodyBytesMax: limits.modelBodyBytesMax) { request, _ in
            let p = try await principal(request)
            try p.require(.client, .admin)
            guard let importer else {
                // The coordinator's own limitation, not the client's fault: a 503.
                throw HTTPError(.serviceUnavailable, code: "model_import_unavailable",
                                detail: "this coordinator runs without the inference layer; models cannot be imported")
            }
            guard !request.body.isEmpty else { throw MarketError(.invalidRequest, "the body must be the ONNX file") }
            guard request.body.count <= limits.modelBodyBytesMax else {
                throw MarketError(.modelTooLarge, "the model file has \(request.body.count) bytes; at most \(limits.modelBodyBytesMax) are accepted")
            }
            // A JSON body carries the file (base64) with quantisation options; any other body is the file.
            var onnx = request.body
            var quantisation = ModelQuantisation()
            if let type = request.headers["content-type"], type.lowercased().hasPrefix("application/json") {
                let upload = try body(request, as: UploadModelBody.self)
                guard let bytes = Data(base64Encoded: upload.onnx), !bytes.isEmpty else {
                    throw MarketError(.invalidRequest, "field `onnx` must be the ONNX file in base64")
                }
                onnx = [UInt8](bytes)
                quantisation = upload.quantisation?.model ?? ModelQuantisation()
            }
            let name = request.query("name") ?? "model"
            try FieldRules.text(name, "query parameter `name`")
            // Counted in Unicode scalars, as the contract's `maxLength` counts.
            guard name.unicodeScalars.count <= Self.modelNameCharactersMax else {
                throw MarketError(.invalidRequest, "name may be at most \(Self.modelNameCharactersMax) characters")
            }
            // Content addressing: an existing model is returned as it is (a failed or cut-off one
            // is imported again); the import runs in the background on the market's import threads.
            let chosen = quantisation
            let (model, created) = try await market.uploadModel(id: importer.digest(of: onnx, quantisation: chosen), owner: p.accountID,
                                                                name: name, onnx: onnx,
                                                                importer: { try importer.importModel($0, quantisation: chosen) })
            return try .json(ModelView(model, batchInputsMax: batchLimit(model), privateOperators: market.privateOperators(of: model)),
                             status: created ? .accepted : .ok)
        }
        router.get("/v1/models/{id}/onnx") { request, _ in
            // Workers fetch the model they prove; the bytes are the ones the id digests.
            _ = try await principal(request)
            let id = try modelID(request)
            var headers = HTTPHeaders()
            headers["Content-Type"] = "application/octet-stream"
            return HTTPResponse(status: .ok, headers: headers, body: try await market.modelONNX(id))
        }
        router.get("/v1/models/{id}") { request, _ in
            _ = try await principal(request)
            let model = try await market.withPrivateCommitment(try modelID(request))
            return try .json(ModelView(model, batchInputsMax: batchLimit(model), privateOperators: market.privateOperators(of: model)))
        }
    }

    /// The `{id}` of a model route; one with a control character is no model's (and would be
    /// cut short on its way to PostgreSQL, so it is not looked up).
    private func modelID(_ request: HTTPRequest) throws -> String {
        guard let id = request.pathParameters["id"], !id.unicodeScalars.contains(where: FieldRules.isControl) else {
            throw MarketError(.unknownModel, "no such model")
        }
        return id
    }
}

extension MarketAPI {
    /// A ready model's `batch_inputs_max`; nil before its commitment exists.
    func batchLimit(_ model: Model) -> Int? {
        guard model.status == .ready, model.commitment != nil else { return nil }
        return try? market.batchInputsMax(of: model)
    }
}
