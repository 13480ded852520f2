import MarketTestSupport
import API
import Foundation
import HTTPServer
import Logging
import Market
import Postgres
import Testing
import TestSupport

/// A coordinator on a real socket over its own database: the market, its API on a free port,
/// an HTTP client, and an admin key.
struct APIFixture {
    let db: TestDatabase
    let clock: ManualClock
    let market: Market
    let server: HTTPServer
    let client: HTTPClient
    let watcher: JobWatcher
    let adminKey: String
    var base: String { "http://127.0.0.1:\(server.localPort)" }

    static func make(limits: MarketAPI.Limits = MarketAPI.Limits(), importer: (any ModelImporter)? = nil,
                     configuration: MarketConfiguration = MarketConfiguration(),
                     databaseLimits: ConnectionPool.Limits = ConnectionPool.Limits(),
                     privateProofs: (any PrivateProofSystem)? = nil) async throws -> APIFixture {
        let db = try await TestDatabase.make(limits: databaseLimits)
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let market = try await Market.open(pool: db.pool, configuration: configuration, clock: clock, verifier: InferenceProofVerifier(),
                                           privateProofs: privateProofs)
        let watcher = try await JobWatcher(configuration: db.configuration)
        let api = MarketAPI(market: market, watcher: watcher, importer: importer, limits: limits)
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.loopCount = 1
        var logger = Logger(label: "api-test")
        logger.logLevel = .warning
        let server = HTTPServer(configuration: configuration, responder: api.responder(), logger: logger)
        try server.start()
        let admin = try await market.bootstrapAdmin()
        return APIFixture(db: db, clock: clock, market: market, server: server, client: HTTPClient(), watcher: watcher,
                          adminKey: admin.key)
    }

    func stop() async {
        await client.shutdown()
        await server.shutdown()
        watcher.stop()
    }

    /// Sends a request; `body` is JSON-encoded unless it is already bytes.
    func send(_ method: HTTPMethod, _ path: String, key: String? = nil, json: Any? = nil, bytes: [UInt8]? = nil,
              headers extra: [(String, String)] = []) async throws -> HTTPClientResponse {
        var headers = HTTPHeaders(extra)
        if let key { headers.add("Authorization", "Bearer \(key)") }
        var body: [UInt8] = bytes ?? []
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json))
            headers.add("Content-Type", "application/json")
        }
        return try await client.execute(HTTPClientRequest(method: method, url: base + path, headers: headers, body: body))
    }

    /// The response's JSON object.
    func object(_ response: HTTPClientResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], "not a JSON object: \(response.bodyText)")
    }

    /// Expects a problem+json response with this status and code.
    func expectProblem(_ response: HTTPClientResponse, _ status: Int, _ code: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status.code == status, "\(response.status.code) \(response.bodyText)", sourceLocation: sourceLocation)
        #expect(response.headers["content-type"]?.hasPrefix("application/problem+json") == true, sourceLocation: sourceLocation)
        let problem = try object(response)
        #expect(problem["type"] as? String == "urn:proofmarket:problem:\(code)", "\(response.bodyText)", sourceLocation: sourceLocation)
        #expect(problem["status"] as? Int == status, sourceLocation: sourceLocation)
    }

    /// An account of `kind` made over the API, funded, with its key.
    func account(_ kind: String, funds: Int64 = 0) async throws -> (id: String, key: String) {
        let created = try object(try await send(.post, "/v1/admin/accounts", key: adminKey, json: ["kind": kind, "owner": "\(kind)-test"]))
        let id = try #require(created["id"] as? String), key = try #require(created["api_key"] as? String)
        if funds > 0 {
            let deposit = try await send(.post, "/v1/admin/accounts/\(id)/deposit", key: adminKey, json: ["amount": funds])
            #expect(deposit.status.code == 201, "\(deposit.bodyText)")
        }
        return (id, key)
    }

    /// A worker account with a registered worker node.
    func worker(funds: Int64 = 100_000) async throws -> (key: String, workerID: String) {
        let (_, key) = try await account("worker", funds: funds)
        let registered = try object(try await send(.post, "/v1/workers", key: key, json: ["name": "w", "capabilities": ["operators": []]]))
        return (key, try #require(registered["id"] as? String))
    }

    /// The digits MLP, ready, input shape [1, 64]; its id.
    @discardableResult
    func model() async throws -> String {
        let admin = try await market.authenticate(key: adminKey)
        let loaded = RealProofs.loaded
        return try await market.registerModel(id: Self.modelID, owner: admin.accountID, name: "digits", onnx: loaded.onnx,
                                              facts: loaded.facts).model.id
    }

    static var modelID: String { InferenceModelImporter().digest(of: RealProofs.loaded.onnx) }

    nonisolated(unsafe) static let dutchJob: [String: Any] = [
        "model_id": modelID, "input": ["shape": [1, 64], "values": RealProofs.input(0).values], "auction": "dutch",
        "min_price": 1_000, "max_price": 10_000, "ramp_up_s": 60, "lock_timeout_s": 120, "deadline_s": 600, "lock_stake": 2_000,
    ]

    func expectLedgerIntact(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let report = try object(try await send(.get, "/v1/admin/ledger/verify", key: adminKey))
        #expect(report["intact"] as? Bool == true, "\(report)", sourceLocation: sourceLocation)
    }
}

