import Foundation
import HTTPServer
import Logging
import Market

/// Sends the market's webhook outbox: each due delivery is POSTed with
/// `X-ProofMarket-Signature: sha256=<HMAC-SHA-256(secret, body)>`; a 2xx marks it delivered,
/// anything else retries after exponential back-off (abandoned after `Webhooks.attemptsMax`).
///
/// Deliveries go out concurrently, within `Limits`, in turns between clients and receivers
/// (`WebhookQueue`), so a receiver that hangs delays only its own deliveries. Each goes only to
/// an address the rule allows (`WebhookResolver`); one that does not is recorded as a failed
/// attempt with the reason. Runs in every replica (claims are leased); tests call `runOnce()`.
public final class WebhookDispatcher: Sendable {
    /// How much is sent at once; every bound named with its unit last.
    public struct Limits: Sendable {
        /// Deliveries being sent at once, in all.
        public var deliveriesConcurrentMax = 32
        /// Deliveries being sent at once to one receiver (a URL's host and port).
        public var deliveriesPerReceiverMax = 2
        /// Deliveries being sent at once for one client's jobs.
        public var deliveriesPerClientMax = 8
        /// Deliveries claimed and held (waiting or being sent) at once, in all.
        public var heldMax = 256
        /// Deliveries claimed and held at once for one client: the rest stay in the outbox,
        /// where they keep their place and other clients' can be claimed past them.
        public var heldPerClientMax = 32
        /// The defaults above.
        public init() {}
    }

    /// The market whose outbox is sent.
    public let market: Market
    /// The bounds.
    public let limits: Limits
    private let client: HTTPClient
    private let resolver: WebhookResolver
    private let logger: Logger
    /// The longest a receiver may take to answer, from connecting to the last byte.
    public static let requestTimeoutSeconds = 10.0
    /// The longest a receiver may take to accept the connection.
    public static let connectTimeoutSeconds = 5.0

    /// Creates a dispatcher with its own HTTP client; addresses are allowed as the market's
    /// configuration says (`webhookPrivateAddressesAllowed`).
    public init(market: Market, limits: Limits = Limits(), logger: Logger = Logger(label: "proofmarket.webhooks")) {
        self.market = market
        self.limits = limits
        var configuration = HTTPClient.Configuration()
        configuration.requestTimeoutSeconds = Self.requestTimeoutSeconds
        configuration.connectTimeoutSeconds = Self.connectTimeoutSeconds
        configuration.responseBodyBytesMax = 64 * 1024
        configuration.idleConnectionsPerHostMax = limits.deliveriesPerReceiverMax
        self.client = HTTPClient(configuration: configuration)
        self.resolver = WebhookResolver(privateAddressesAllowed: market.configuration.webhookPrivateAddressesAllowed)
        self.logger = logger
    }

    /// Claims what is due now, sends it all (concurrently, within the limits) and returns how
    /// many were delivered.
    @discardableResult
    public func runOnce() async throws -> Int {
        var queue = WebhookQueue(limits: limits)
        for delivery in try await market.claimWebhookDeliveries(limit: limits.heldMax, perClientMax: limits.heldPerClientMax) {
            queue.add(delivery)
        }
        return await withTaskGroup(of: (WebhookDelivery, Bool).self) { group in
            var delivered = 0
            while true {
                while let delivery = queue.next() { group.addTask { (delivery, await self.deliver(delivery)) } }
                guard let (delivery, ok) = await group.next() else { return delivered }
                queue.finish(delivery)
                if ok { delivered += 1 }
            }
        }
    }

    private enum Event: Sendable {
        case tick
        case finished(WebhookDelivery)
    }

    /// Sends until cancelled: claims what is due every `intervalSeconds` while there is room,
    /// and starts each next delivery as soon as a slot is free, without waiting for slow ones.
    public func run(intervalSeconds: Double = 1) async {
        await withTaskGroup(of: Event.self) { group in
            var queue = WebhookQueue(limits: limits)
            let tick: @Sendable () async -> Event = {
                try? await Task.sleep(nanoseconds: UInt64(intervalSeconds * 1_000_000_000))
                return .tick
            }
            var claimNow = true
            group.addTask(operation: tick)
            while !Task.isCancelled {
                if claimNow, queue.held < limits.heldMax {
                    do {
                        let due = try await market.claimWebhookDeliveries(limit: limits.heldMax - queue.held,
                                                                          perClientMax: limits.heldPerClientMax, skipping: queue.fullClients)
                        due.forEach { queue.add($0) }
                    } catch {
                        logger.error("webhook claim failed", metadata: ["error": "\(error)"])
                    }
                }
                claimNow = false
                while let delivery = queue.next() {
                    group.addTask {
                        _ = await self.deliver(delivery)
                        return .finished(delivery)
                    }
                }
                switch await group.next() {
                case .tick?:
                    claimNow = true
                    group.addTask(operation: tick)
                case .finished(let delivery)?:
                    queue.finish(delivery)
                case nil:
                    return
                }
            }
            group.cancelAll()
        }
    }

    /// Sends one delivery if this sender still holds its claim, and records the outcome;
    /// true if it was delivered.
    private func deliver(_ delivery: WebhookDelivery) async -> Bool {
        do {
            guard try await market.renewWebhookLease(delivery) else { return false }   // another sender took it over
        } catch {
            logger.error("webhook lease renewal failed", metadata: ["job": "\(delivery.jobID)", "error": "\(error)"])
            return false
        }
        let failure = await send(delivery)
        do {
            try await market.finishWebhookDelivery(delivery, error: failure)
        } catch {
            logger.error("webhook outcome not recorded", metadata: ["job": "\(delivery.jobID)", "error": "\(error)"])
        }
        if let failure {
            logger.notice("webhook delivery failed", metadata: ["job": "\(delivery.jobID)", "attempt": "\(delivery.attempt)",
                                                                "error": "\(failure)"])
        }
        return failure == nil
    }

    /// POSTs one delivery to the vetted address of its URL's host; nil on a 2xx, else why not.
    private func send(_ delivery: WebhookDelivery) async -> String? {
        let url: HTTPURL
        do { url = try HTTPURL(delivery.url) } catch { return "invalid_url: \(error)" }
        let address: String
        switch await resolver.address(for: url.host) {
        case .success(let found): address = found
        case .failure(let refused): return refused.description
        }
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("X-ProofMarket-Signature", delivery.signature)
        headers.add("X-ProofMarket-Delivery", "\(delivery.id)")
        do {
            var request = try HTTPClientRequest(method: .post, url: delivery.url, headers: headers, body: delivery.body)
            request.connectAddress = address
            let response = try await client.execute(request)
            return (200..<300).contains(response.status.code) ? nil : "HTTP \(response.status.code)"
        } catch {
            return "\(error)"
        }
    }

    /// Closes the HTTP client.
    public func shutdown() async { await client.shutdown() }
}
