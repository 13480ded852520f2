import Foundation
import HTTPServer
import Logging
import Market

/// Sends the market's webhook outbox: each due delivery is POSTed with
/// `X-ProofMarket-Signature: sha256=<HMAC-SHA-256(secret, body)>`; a 2xx marks it delivered,
/// anything else retries after exponential back-off (abandoned after `Webhooks.attemptsMax`).
/// Runs in every replica (claims are leased); tests call `runOnce()`.
public final class WebhookDispatcher: Sendable {
    /// The market whose outbox is sent.
    public let market: Market
    private let client: HTTPClient
    private let logger: Logger
    /// The longest a receiver may take to answer.
    public static let requestTimeoutSeconds = 10.0

    /// Creates a dispatcher with its own HTTP client.
    public init(market: Market, logger: Logger = Logger(label: "proofmarket.webhooks")) {
        self.market = market
        var configuration = HTTPClient.Configuration()
        configuration.requestTimeoutSeconds = Self.requestTimeoutSeconds
        configuration.responseBodyBytesMax = 64 * 1024
        self.client = HTTPClient(configuration: configuration)
        self.logger = logger
    }

    /// Sends what is due now; returns how many were delivered.
    @discardableResult
    public func runOnce() async throws -> Int {
        let due = try await market.claimWebhookDeliveries()
        var delivered = 0
        for delivery in due {
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json")
            headers.add("X-ProofMarket-Signature", delivery.signature)
            headers.add("X-ProofMarket-Delivery", "\(delivery.id)")
            var failure: String?
            do {
                let response = try await client.execute(HTTPClientRequest(method: .post, url: delivery.url, headers: headers,
                                                                          body: delivery.body))
                if !(200..<300).contains(response.status.code) { failure = "HTTP \(response.status.code)" }
            } catch {
                failure = "\(error)"
            }
            try await market.finishWebhookDelivery(delivery, error: failure)
            if failure == nil { delivered += 1 } else {
                logger.notice("webhook delivery failed", metadata: ["job": "\(delivery.jobID)", "attempt": "\(delivery.attempt)",
                                                                    "error": "\(failure ?? "")"])
            }
        }
        return delivered
    }

    /// Sends until cancelled, checking every `intervalSeconds`.
    public func run(intervalSeconds: Double = 1) async {
        while !Task.isCancelled {
            do { _ = try await runOnce() } catch { logger.error("webhook dispatch failed", metadata: ["error": "\(error)"]) }
            try? await Task.sleep(nanoseconds: UInt64(intervalSeconds * 1_000_000_000))
        }
    }

    /// Closes the HTTP client.
    public func shutdown() async { await client.shutdown() }
}
