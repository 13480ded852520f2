import Foundation
import HTTPServer
import Logging
import Market

/// The REST API (openapi/openapi.yaml is its contract) over a `Market`.
///
/// Each resource has its own file (`Jobs`, `Workers`, `Admin`, `AdminViews`, `Models`, `Health`,
/// and `Dashboard` for the admin pages) that adds its routes; handlers authenticate, decode, call one `Market` operation and encode. Every
/// rule lives in `Market`; this layer only maps it to HTTP.
public struct MarketAPI: Sendable {
    /// The market served.
    public let market: Market
    /// Wakes long-polls.
    public let watcher: JobWatcher
    /// Imports uploaded ONNX models; nil where the inference layer is not linked.
    public let importer: (any ModelImporter)?
    /// Request and response counters for `/metrics`.
    public let metrics: APIMetrics
    /// `/health`'s bounded look at the database.
    let databaseProbe: DatabaseProbe

    /// The body limits, in bytes.
    public struct Limits: Sendable {
        /// A model upload; never above `Market.modelBytesMax`, the one limit every layer applies.
        public var modelBytesMax = Market.modelBytesMax
        /// The body limit of a model upload: `modelBytesMax`, capped by the market's.
        public var modelBodyBytesMax: Int { Swift.min(modelBytesMax, Market.modelBytesMax) }
        /// A proof submission's body, derived from `Market.proofBytesMax` and
        /// `Market.inputOpeningBytesMax`: their base64 (4 bytes for every 3) and room for the
        /// rest of the JSON.
        public var proofBodyBytesMax: Int {
            (Market.proofBytesMax + 2) / 3 * 4 + (Market.inputOpeningBytesMax + 2) / 3 * 4 + Self.proofEnvelopeBytesMax
        }
        /// The JSON around a proof's base64 (keys, worker id, prove time, white space).
        public static let proofEnvelopeBytesMax = 4 << 10
        /// Any other JSON body.
        public var jsonBodyBytesMax = 4 << 20
        /// A job's body (`POST /v1/jobs`): room for a batch's inputs, at most `Tensor.valuesMax`
        /// values in all (a number in JSON takes up to about 24 characters with its comma).
        public var jobBodyBytesMax = 32 << 20
        /// The longest `?wait=` a long-poll accepts (a longer one is a 422); never above the
        /// watcher's own maximum. Lower it where a proxy closes idle requests sooner.
        public var waitSecondsMax = JobWatcher.waitSecondsMax
        /// Defaults.
        public init() {}
    }
    /// The body and wait limits.
    public let limits: Limits

    /// Makes the API.
    public init(market: Market, watcher: JobWatcher, importer: (any ModelImporter)? = nil, limits: Limits = Limits()) {
        self.market = market
        self.watcher = watcher
        self.importer = importer
        self.limits = limits
        self.metrics = APIMetrics()
        self.databaseProbe = DatabaseProbe(market: market)
    }

    /// The router with every route.
    public func router() -> Router {
        let router = Router()
        addHealthRoutes(router)
        addModelRoutes(router)
        addJobRoutes(router)
        addWorkerRoutes(router)
        addQuoteRoutes(router)
        addAdminRoutes(router)
        addAdminViewRoutes(router)
        addDashboardRoutes(router)
        return router
    }

    /// The full responder: request ids, access log, metrics, problem+json errors, then the
    /// router, whose heads are authenticated and authorised (`RouteAccess`) before any body is read.
    public func responder() -> any Responder {
        let router = router()
        let (unruled, unrouted) = RouteAccess.mismatches(router)
        // A programmer's error, caught by the first test that starts the API.
        precondition(unruled.isEmpty && unrouted.isEmpty, "RouteAccess.table and the routes disagree: routes without a rule \(unruled), rules without a route \(unrouted)")
        return MiddlewareChain([RequestIDMiddleware(), AccessLogMiddleware(), metrics, ErrorMiddleware(), MarketErrorMiddleware()],
                               responder: AuthorizingRouter(router: router, api: self))
    }

    // MARK: helpers shared by the resource files

    /// The caller: the one the head check authenticated, or else from the request's key.
    func principal(_ request: HTTPRequest) async throws -> MarketPrincipal {
        if let admitted = request.admission as? MarketPrincipal { return admitted }
        return try await authenticate(request.headers)
    }

    /// The caller named by `Authorization: Bearer <key>` or `x-api-key: <key>`.
    func authenticate(_ headers: HTTPHeaders) async throws -> MarketPrincipal {
        var key = headers["x-api-key"]
        if let authorization = headers["authorization"] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { key = String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        guard let key, !key.isEmpty else {
            throw MarketError(.unauthenticated, "send an API key as 'Authorization: Bearer <key>' or 'x-api-key: <key>'")
        }
        return try await market.authenticate(key: key)
    }

    /// A path parameter that must be a UUID; anything else is an unknown id (404).
    func uuid(_ request: HTTPRequest, _ name: String, unknown: MarketError.Code) throws -> UUID {
        guard let text = request.pathParameters[name], let id = UUID(uuidString: text) else {
            throw MarketError(unknown, "no such id: \(request.pathParameters[name] ?? "")")
        }
        return id
    }

    /// The JSON body as `T`, its fields checked: 400 `invalid_json` (naming the field) if it is
    /// not `T`, `duplicate_json_key` if a key comes twice, `invalid_field` if a value breaks
    /// its field's rules (see `JSONBody`, `FieldRules`).
    func body<T: ValidatedBody>(_ request: HTTPRequest, as type: T.Type) throws -> T {
        let body = try JSONBody.decode(type, from: request.body)
        try body.validate()
        return body
    }

    /// The `Idempotency-Key` header, if any (400 `invalid_field` if it is not 1 to 200 printable ASCII characters).
    func idempotencyKey(_ request: HTTPRequest) throws -> String? { try FieldRules.idempotencyKey(request.headers["idempotency-key"]) }

    /// A `?wait=SECONDS` query value, bounded by `limits.waitSecondsMax`; 0 if absent.
    func waitSeconds(_ request: HTTPRequest) throws -> Double {
        guard let text = request.query("wait") else { return 0 }
        let maximum = min(limits.waitSecondsMax, JobWatcher.waitSecondsMax)
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= maximum else {
            throw MarketError(.invalidRequest, "wait must be a number of seconds from 0 to \(String(format: "%g", maximum))")
        }
        return seconds
    }

    /// A `?status=` query value; absent is nil, anything but a job status is a 422.
    func statusQuery(_ request: HTTPRequest) throws -> JobStatus? {
        guard let text = request.query("status") else { return nil }
        guard let status = JobStatus(rawValue: text) else {
            throw MarketError(.invalidRequest, "status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return status
    }

    /// A `?limit=` query value in 1…max.
    func limit(_ request: HTTPRequest, default value: Int) throws -> Int {
        guard let text = request.query("limit") else { return value }
        guard let limit = Int(text), limit >= 1, limit <= market.configuration.pageItemsMax else {
            throw MarketError(.invalidRequest, "limit must be 1 to \(market.configuration.pageItemsMax)")
        }
        return limit
    }
}

/// Turns ONNX bytes into the facts the market stores (implemented by the inference layer).
public protocol ModelImporter: Sendable {
    /// The model's content digest (its id).
    func digest(of onnx: [UInt8]) -> String
    /// Validates, quantises and commits; throws with a reason people can read if the model is unusable.
    func importModel(_ onnx: [UInt8]) throws -> ModelFacts
    /// The content digest of a model uploaded with quantisation options (checks them first:
    /// `invalid_quantization`).
    func digest(of onnx: [UInt8], quantisation: ModelQuantisation) throws -> String
    /// `importModel` with the uploader's quantisation options.
    func importModel(_ onnx: [UInt8], quantisation: ModelQuantisation) throws -> ModelFacts
}
