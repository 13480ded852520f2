import Foundation
import HTTPServer
import Market

/// A model on the wire.
struct ModelView: Encodable, Sendable {
    var id: String; var name: String; var status: String; var failure: String?; var inputShape: [Int]?
    var outputShape: [Int]?; var operators: [String]?; var quantisation: String?; var commitment: String?
    var workMacs: Int64?; var createdAt: Date
    init(_ m: Model) {
        id = m.id; name = m.name; status = m.status.rawValue; failure = m.failure; inputShape = m.inputShape
        outputShape = m.outputShape; operators = m.operators; quantisation = m.quantisation
        commitment = m.commitment.map { $0.map { String(format: "%02x", $0) }.joined() }
        workMacs = m.workMacs; createdAt = m.createdAt
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
            let name = request.query("name") ?? "model"
            try FieldRules.text(name, "query parameter `name`")
            // Counted in Unicode scalars, as the contract's `maxLength` counts.
            guard name.unicodeScalars.count <= Self.modelNameCharactersMax else {
                throw MarketError(.invalidRequest, "name may be at most \(Self.modelNameCharactersMax) characters")
            }
            // Content addressing: an existing model is returned as it is (a failed or cut-off one
            // is imported again); the import runs in the background on the market's import threads.
            let (model, created) = try await market.uploadModel(id: importer.digest(of: request.body), owner: p.accountID,
                                                                name: name, onnx: request.body,
                                                                importer: { try importer.importModel($0) })
            return try .json(ModelView(model), status: created ? .accepted : .ok)
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
            return try .json(ModelView(try await market.model(try modelID(request))))
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
