import API
import Foundation
import HTTPServer
import Logging
import Market
import Synchronization
import Testing

@Suite struct WebhookTests {
    @Test func hmacSignature_MatchesRFC4231TestCase2() {
        #expect(Webhooks.signature(secret: "Jefe", body: Array("what do ya want for nothing?".utf8))
                == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func everyTransition_IsPostedSignedAndRetriedAfterAFailure() async throws {
        // The receiver is on loopback, which only an operator's opt-in allows.
        let f = try await APIFixture.make(configuration: WebhookReceivers.privateAllowed)
        defer { Task { await f.stop() } }
        // A receiver that fails its first request, then accepts.
        let received = Mutex<[(signature: String, body: [UInt8])]>([])
        let calls = Atomic<Int>(0)
        let router = Router()
        router.post("/hook") { request, _ in
            if calls.add(1, ordering: .relaxed).newValue == 1 { return HTTPResponse(status: .internalServerError) }
            received.withLock { $0.append((request.headers["x-proofmarket-signature"] ?? "", request.body)) }
            return HTTPResponse(status: .noContent)
        }
        let receiver = try WebhookReceivers.start(router)
        defer { Task { await receiver.shutdown() } }

        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()
        var body = APIFixture.dutchJob
        body["webhook_url"] = "http://127.0.0.1:\(receiver.localPort)/hook"
        let created = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: body))
        let jobID = try #require(created["id"] as? String)
        let secret = try #require(created["webhook_secret"] as? String)
        #expect(try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))["webhook_secret"] == nil)

        let dispatcher = WebhookDispatcher(market: f.market)
        defer { Task { await dispatcher.shutdown() } }
        #expect(try await dispatcher.runOnce() == 0)          // the receiver answered 500
        #expect(try await dispatcher.runOnce() == 0)          // not due again before the back-off
        f.clock.advance(seconds: Webhooks.backoffSeconds(afterAttempt: 1))
        #expect(try await dispatcher.runOnce() == 1)          // the retry is delivered
        _ = try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID])
        _ = try await f.send(.delete, "/v1/jobs/\(jobID)", key: clientKey)   // refused (locked): no transition, no webhook
        #expect(try await dispatcher.runOnce() == 1)

        let deliveries = received.withLock { $0 }
        #expect(deliveries.count == 2)
        var events: [String] = []
        for d in deliveries {
            #expect(d.signature == Webhooks.signature(secret: secret, body: d.body))
            #expect(d.signature != Webhooks.signature(secret: secret + "x", body: d.body))
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(d.body)) as? [String: Any])
            #expect((payload["job_id"] as? String) == jobID.lowercased())
            events.append(payload["event"] as? String ?? "?")
        }
        #expect(events == ["created", "locked"])
    }

    @Test func badWebhookURL_IsRefused() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        for url in ["ftp://example.com/x", "not a url", "http://", String(repeating: "h", count: 3_000)] {
            var body = APIFixture.dutchJob
            body["webhook_url"] = url
            try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: body), 422, "invalid_request")
        }
    }
}

/// Webhook receivers for tests: our own HTTP server on loopback, so only a market configured
/// with `webhookPrivateAddressesAllowed` may deliver to them.
enum WebhookReceivers {
    /// The operator's opt-in that loopback receivers need.
    static var privateAllowed: MarketConfiguration {
        var configuration = MarketConfiguration()
        configuration.webhookPrivateAddressesAllowed = true
        return configuration
    }

    /// A started server on 127.0.0.1 and a free port.
    static func start(_ router: Router) throws -> HTTPServer {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.loopCount = 1
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let receiver = HTTPServer(configuration: configuration, responder: router, logger: logger)
        try receiver.start()
        return receiver
    }
}
