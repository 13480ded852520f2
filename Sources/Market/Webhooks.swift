import COpenSSL
import Foundation
import Postgres

/// One webhook POST to make: the job's transition, its URL, and the signature to send.
public struct WebhookDelivery: Sendable {
    /// The outbox row.
    public let id: Int64
    /// The job.
    public let jobID: UUID
    /// The job's client: deliveries take turns between clients.
    public let clientID: UUID
    /// Where to POST.
    public let url: String
    /// The JSON body.
    public let body: [UInt8]
    /// `sha256=<hex HMAC-SHA-256(secret, body)>`, sent as `X-ProofMarket-Signature`.
    public let signature: String
    /// This is attempt number…
    public let attempt: Int

    /// A delivery as claimed (tests make their own to drive a dispatcher's queue).
    public init(id: Int64, jobID: UUID, clientID: UUID, url: String, body: [UInt8], signature: String, attempt: Int) {
        self.id = id
        self.jobID = jobID
        self.clientID = clientID
        self.url = url
        self.body = body
        self.signature = signature
        self.attempt = attempt
    }
}

/// Webhook rules: limits and the back-off.
public enum Webhooks {
    /// Attempts before a delivery is abandoned.
    public static let attemptsMax = 8
    /// How long a claimed delivery is reserved for its sender.
    public static let leaseSeconds = 30.0
    /// The longest URL.
    public static let urlBytesMax = 2_000

    /// Seconds before retry `attempt` (1-based): 2, 4, 8, … capped at an hour.
    public static func backoffSeconds(afterAttempt attempt: Int) -> Double { min(3_600, pow(2, Double(max(1, attempt)))) }

    /// `sha256=` + hex HMAC-SHA-256 of `body` under `secret`.
    public static func signature(secret: String, body: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        let key = Array(secret.utf8)
        _ = HMAC(EVP_sha256(), key, Int32(key.count), body, body.count, &digest, &length)
        return "sha256=" + Crypto.hex(Array(digest.prefix(Int(length))))
    }

    /// Throws `invalid_request` unless `url` is an absolute http(s) URL within the limit, and
    /// `webhook_url_disallowed` if its host is, as written, an address webhooks may not reach
    /// (see `WebhookAddress`) and `privateAddressesAllowed` is off. A name is not resolved
    /// here: what it resolves to is checked when each delivery is sent.
    static func validate(_ url: String, privateAddressesAllowed: Bool) throws {
        guard url.utf8.count <= urlBytesMax, let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""),
              let host = parsed.host, !host.isEmpty else {
            throw MarketError(.invalidRequest, "webhook_url must be an absolute http(s) URL of at most \(urlBytesMax) bytes")
        }
        guard !privateAddressesAllowed, let refusal = WebhookAddress.refusal(host: host) else { return }
        throw MarketError(.webhookURLDisallowed,
                          "webhook_url's host \(host) is not a public address (\(refusal.rawValue)); webhooks go only to public addresses",
                          reason: refusal.rawValue)
    }
}

extension Market {
    /// Sets a job's webhook and returns the secret its deliveries are signed with (shown once).
    func attachWebhook(_ jobID: UUID, url: String, on c: PostgresConnection) async throws -> String {
        let secret = Crypto.hex(Crypto.randomBytes(32))
        try await c.run(WebhookQueries.webhookSetForJob, [.uuid(jobID), .text(url), .text(secret)])
        return secret
    }

    /// Claims up to `limit` due deliveries for this sender, taking turns between clients, at
    /// most `perClientMax` of any one client, none of the clients in `skipping`.
    public func claimWebhookDeliveries(limit: Int = 32, perClientMax: Int = 32, skipping: Set<UUID> = []) async throws -> [WebhookDelivery] {
        let now = clock.now()
        return try await pool.query(WebhookQueries.webhookClaimDue.sql, [
            .timestamp(now), .timestamp(now.addingTimeInterval(Webhooks.leaseSeconds)), .int(Int64(limit)), .int(Int64(perClientMax)),
            .array(skipping.map { $0.uuidString.lowercased() }),
        ]).rows.map { row in
            let body = Array(try row.decode("payload", as: PostgresJSON.self).text.utf8)
            return WebhookDelivery(id: try row.decode("id"), jobID: try row.decode("job_id"), clientID: try row.decode("client_account"),
                                   url: try row.decode("url"), body: body,
                                   signature: Webhooks.signature(secret: try row.decode("webhook_secret"), body: body),
                                   attempt: try row.decode("attempts"))
        }
    }

    /// Renews this sender's claim on `delivery` for another lease, just before sending it;
    /// false if another sender has claimed it since (then this one must not send it).
    public func renewWebhookLease(_ delivery: WebhookDelivery) async throws -> Bool {
        let end = clock.now().addingTimeInterval(Webhooks.leaseSeconds)
        return try await pool.query(WebhookQueries.webhookRenewLease.sql, [.int(delivery.id), .timestamp(end), .int(Int64(delivery.attempt))])
            .first != nil
    }

    /// Records the outcome of one delivery: done, or retried after back-off (abandoned after `attemptsMax`).
    public func finishWebhookDelivery(_ delivery: WebhookDelivery, error: String?) async throws {
        let now = clock.now()
        guard let error else {
            try await pool.query(WebhookQueries.webhookDelivered.sql, [.int(delivery.id), .timestamp(now)])
            return
        }
        let abandon = delivery.attempt >= Webhooks.attemptsMax
        try await pool.query(WebhookQueries.webhookFailed.sql, [
            .int(delivery.id), .timestamp(now.addingTimeInterval(Webhooks.backoffSeconds(afterAttempt: delivery.attempt))),
            .text(String(error.prefix(500))), .bool(abandon), .timestamp(now),
        ])
    }
}
