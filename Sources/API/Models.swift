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
        router.post("/v1/models", bodyBytesMax: limits.modelBytesMax) { request, _ in
            let p = try await principal(request)
            try p.require(.client, .admin)
            guard let importer else {
                // The coordinator's own limitation, not the client's fault: a 503.
                throw HTTPError(.serviceUnavailable, code: "model_import_unavailable",
                                detail: "this coordinator runs without the inference layer; models cannot be imported")
            }
            guard !request.body.isEmpty else { throw MarketError(.invalidRequest, "the body must be the ONNX file") }
            let name = request.query("name") ?? "model"
            try FieldRules.text(name, "query parameter `name`")
            // Counted in Unicode scalars, as the contract's `maxLength` counts.
            guard name.unicodeScalars.count <= Self.modelNameCharactersMax else {
                throw MarketError(.invalidRequest, "name may be at most \(Self.modelNameCharactersMax) characters")
            }
            let id = importer.digest(of: request.body)
            // Content addressing: an existing model is returned as it is.
            if let existing = try? await market.model(id) { return try .json(ModelView(existing)) }
            let (model, created) = try await market.registerModel(id: id, owner: p.accountID, name: name, onnx: request.body, facts: nil)
            if created {
                let market = self.market, onnx = request.body
                // Import in the background, on the bounded CPU pool (never the event loops); the
                // model reads `processing` until it is `ready` or `failed` with the reason.
                Task {
                    let result = try? await market.verificationPool.run { Result { try importer.importModel(onnx) } }
                    switch result {
                    case .success(let facts)?: try? await market.completeModel(id: id, facts: facts)
                    case .failure(let error)?: try? await market.failModel(id: id, reason: "\(error)")
                    case nil: try? await market.failModel(id: id, reason: "the import queue was full; upload again later")
                    }
                }
            }
            return try .json(ModelView(model), status: .accepted)
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
