import API
import Foundation
import HTTPServer
import Testing

/// `/metrics` shows the ledger's money totals, so only an admin key reads it.
@Suite struct MetricsAccessTests {
    @Test func metrics_WithoutAnAdminKey_AreRefused_WithOneTheyAreServed() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 5_000)
        let (workerKey, _) = try await f.worker()

        let anonymous = try await f.send(.get, "/metrics")
        try f.expectProblem(anonymous, 401, "unauthenticated")
        #expect(anonymous.headers["www-authenticate"] == "Bearer")
        #expect(!anonymous.bodyText.contains("proofmarket_ledger_micros"))
        try f.expectProblem(try await f.send(.get, "/metrics", key: clientKey), 403, "forbidden")
        try f.expectProblem(try await f.send(.get, "/metrics", key: workerKey), 403, "forbidden")
        try f.expectProblem(try await f.send(.get, "/metrics", key: "pm_not-a-key"), 401, "unauthenticated")

        let served = try await f.send(.get, "/metrics", key: f.adminKey)
        #expect(served.status.code == 200)
        #expect(served.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(served.bodyText.contains("proofmarket_ledger_micros{account_kind=\"client\",bucket=\"available\"} 5000"), "\(served.bodyText)")
        #expect(served.bodyText.contains("proofmarket_http_requests_total{route=\"GET /metrics\"}"))
        // x-api-key works here as everywhere.
        #expect(try await f.send(.get, "/metrics", headers: [("x-api-key", f.adminKey)]).status.code == 200)
    }
}
