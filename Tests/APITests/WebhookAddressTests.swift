import API
import Foundation
import HTTPServer
import Market
import Postgres
import Synchronization
import Testing

/// Webhooks go only to public addresses unless the operator allows others: a client's URL must
/// not make the coordinator call itself, its private network or a metadata service.
@Suite struct WebhookAddressTests {
    /// Hosts that are, as written, not public: every numeric form `inet_aton` accepts, IPv6
    /// with embedded IPv4, and loopback names.
    static let refusedHosts: [(host: String, refusal: WebhookAddress.Refusal)] = [
        ("localhost", .loopback), ("LocalHost.", .loopback), ("api.localhost", .loopback),
        ("127.0.0.1", .loopback), ("127.1", .loopback), ("0x7f000001", .loopback), ("2130706433", .loopback),
        ("0177.0.0.1", .loopback), ("0x7f.1", .loopback), ("127.255.255.254", .loopback),
        ("0", .unspecified), ("0.0.0.0", .unspecified), ("0.1.2.3", .reserved),
        ("10.0.0.1", .private), ("172.16.0.1", .private), ("172.31.255.255", .private), ("192.168.1.1", .private),
        ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace),
        ("169.254.169.254", .linkLocal), ("2852039166", .linkLocal),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast), ("255.255.255.255", .broadcast), ("240.0.0.1", .reserved),
        ("192.0.2.1", .reserved), ("198.18.0.1", .reserved), ("198.51.100.7", .reserved), ("203.0.113.9", .reserved), ("192.0.0.8", .reserved),
        ("[::1]", .loopback), ("::1", .loopback), ("[0:0:0:0:0:0:0:1]", .loopback), ("[::]", .unspecified),
        ("[::ffff:127.0.0.1]", .loopback), ("[::ffff:7f00:1]", .loopback), ("[::ffff:169.254.169.254]", .linkLocal),
        ("[::127.0.0.1]", .loopback), ("[::8.8.8.8]", .reserved), ("[64:ff9b::10.0.0.1]", .private),
        ("[2002:7f00:1::]", .loopback), ("[fc00::1]", .private), ("[fd12:3456::1]", .private), ("[fec0::1]", .private),
        ("[fe80::1]", .linkLocal), ("[fe80::1%25eth0]", .linkLocal), ("[ff02::1]", .multicast),
        ("[2001:db8::1]", .reserved), ("[2001::1]", .reserved), ("[100::1]", .reserved),
    ]

    @Test func everyNonPublicForm_IsClassified() {
        for (host, refusal) in Self.refusedHosts {
            #expect(WebhookAddress.refusal(host: host) == refusal, "\(host)")
        }
        for host in ["93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "[2606:4700:4700::1111]", "[::ffff:8.8.8.8]",
                     "example.com", "hooks.example.org", "deadbeef.com", "localhost.example.com", "cafe", "[2002:808:808::]"] {
            #expect(WebhookAddress.refusal(host: host) == nil, "\(host)")
        }
    }

    @Test func nonPublicWebhookURL_IsRefusedAtCreation_UnlessTheOperatorAllowsIt() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 10_000_000)
        for (host, refusal) in Self.refusedHosts where !host.contains("%") {
            let url = "http://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host):8080/hook"
            var body = APIFixture.dutchJob
            body["webhook_url"] = url
            let response = try await f.send(.post, "/v1/jobs", key: clientKey, json: body)
            try f.expectProblem(response, 422, "webhook_url_disallowed")
            #expect(response.bodyText.contains(refusal.rawValue), "\(url): \(response.bodyText)")
        }
        for url in ["https://hooks.example.com/proofmarket", "http://93.184.216.34/hook", "http://[2606:4700:4700::1111]:8443/h"] {
            var body = APIFixture.dutchJob
            body["webhook_url"] = url
            let response = try await f.send(.post, "/v1/jobs", key: clientKey, json: body)
            #expect(response.status.code == 201, "\(url): \(response.bodyText)")
        }

        // With the operator's flag the same URLs are taken.
        let open = try await APIFixture.make(configuration: WebhookReceivers.privateAllowed)
        defer { Task { await open.stop() } }
        _ = try await open.model()
        let (_, key) = try await open.account("client", funds: 10_000_000)
        for url in ["http://localhost:8080/hook", "http://0x7f000001/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"] {
            var body = APIFixture.dutchJob
            body["webhook_url"] = url
            #expect(try await open.send(.post, "/v1/jobs", key: key, json: body).status.code == 201, "\(url)")
        }
    }

    @Test func nameResolvingToLoopback_IsRefusedAtDelivery_AndRecordedAsAFailure() async throws {
        // Jobs made while the operator allowed private addresses, then sent by a replica that
        // does not: as if each name had been re-pointed at loopback after the job was made.
        let f = try await APIFixture.make(configuration: WebhookReceivers.privateAllowed)
        defer { Task { await f.stop() } }
        let hits = Atomic<Int>(0)
        let router = Router()
        router.post("/hook") { _, _ in
            hits.add(1, ordering: .relaxed)
            return HTTPResponse(status: .noContent)
        }
        let receiver = try WebhookReceivers.start(router)
        defer { Task { await receiver.shutdown() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 10_000_000)
        let hosts = ["localhost", "127.1", "0x7f000001", "2130706433", "127.0.0.1"]
        for host in hosts {
            var body = APIFixture.dutchJob
            body["webhook_url"] = "http://\(host):\(receiver.localPort)/hook"
            #expect(try await f.send(.post, "/v1/jobs", key: clientKey, json: body).status.code == 201)
        }

        let strict = try await Market.open(pool: f.db.pool, clock: f.clock, verifier: InferenceProofVerifier())
        let strictDispatcher = WebhookDispatcher(market: strict)
        defer { Task { await strictDispatcher.shutdown() } }
        #expect(try await strictDispatcher.runOnce() == 0)
        let hitsWhenStrict = hits.load(ordering: .relaxed)
        #expect(hitsWhenStrict == 0, "nothing reached the loopback receiver")
        let rows = try await f.db.pool.query("""
            SELECT d.url, d.last_error, d.attempts, d.delivered_at IS NULL AS pending FROM webhook_deliveries d
            """).rows
        #expect(rows.count == hosts.count)
        for row in rows {
            let url: String = try row.decode("url")
            let error: String? = try row.decode("last_error")
            #expect(error?.hasPrefix("address_disallowed:") == true && error?.contains("loopback") == true, "\(url): \(error ?? "nil")")
            #expect(try row.decode("pending", as: Bool.self) && row.decode("attempts", as: Int.self) == 1)
        }
        #expect(rows.contains { (try? $0.decode("last_error", as: String.self))?.contains("localhost resolves to") == true })

        // The receiver is real: a dispatcher the operator allowed delivers the retries to it.
        f.clock.advance(seconds: Webhooks.backoffSeconds(afterAttempt: 1))
        let allowed = WebhookDispatcher(market: f.market)
        defer { Task { await allowed.shutdown() } }
        #expect(try await allowed.runOnce() == hosts.count)
        let hitsWhenAllowed = hits.load(ordering: .relaxed)
        #expect(hitsWhenAllowed == hosts.count)
    }
}
