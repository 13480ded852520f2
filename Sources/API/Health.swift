import BundledAssets
import Foundation
import HTTPServer
import Market
import Synchronization

/// Counts requests and latencies per route for `/metrics`, as middleware.
public final class APIMetrics: Middleware, Sendable {
    private struct Line { var count = 0; var errors = 0; var secondsTotal = 0.0 }
    private let lines = Mutex<[String: Line]>([:])

    /// Creates empty counters.
    public init() {}

    /// Times one request.
    public func handle(_ request: HTTPRequest, context: RequestContext,
                       next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        let started = ContinuousClock.now
        // Label by method and path shape (ids replaced), so the series stay few.
        let shape = request.path.split(separator: "/").map { UUID(uuidString: String($0)) == nil && $0.count < 40 ? String($0) : "{id}" }
        let key = "\(request.method) /\(shape.joined(separator: "/"))"
        func record(_ failed: Bool) {
            let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
            lines.withLock { l in
                l[key, default: Line()].count += 1
                l[key, default: Line()].secondsTotal += seconds
                if failed { l[key, default: Line()].errors += 1 }
            }
        }
        do {
            let response = try await next(request, context)
            record(response.status.code >= 500)
            return response
        } catch {
            record(true)
            throw error
        }
    }

    /// Prometheus text lines.
    func render() -> String {
        let snapshot = lines.withLock { $0 }
        var out = "# TYPE proofmarket_http_requests_total counter\n"
        for (key, line) in snapshot.sorted(by: { $0.key < $1.key }) {
            out += "proofmarket_http_requests_total{route=\"\(key)\"} \(line.count)\n"
        }
        out += "# TYPE proofmarket_http_request_seconds_sum counter\n"
        for (key, line) in snapshot.sorted(by: { $0.key < $1.key }) {
            out += "proofmarket_http_request_seconds_sum{route=\"\(key)\"} \(line.secondsTotal)\n"
        }
        return out
    }
}

extension MarketAPI {
    /// `/health`, `/metrics` (admin key only), `/openapi.yaml`.
    func addHealthRoutes(_ router: Router) {
        router.get("/health") { _, _ in
            struct Health: Encodable { let status: String; let database: String }
            do {
                try await market.pool.query("SELECT 1")
                return try .json(Health(status: "ok", database: "ok"))
            } catch {
                return try .json(Health(status: "degraded", database: "unreachable"), status: .serviceUnavailable)
            }
        }
        // The ledger's totals are money: only an admin key may read them (Prometheus sends it
        // as `Authorization: Bearer`, from a credentials file).
        router.get("/metrics") { request, _ in
            try await principal(request).require(.admin)
            var text = metrics.render()
            let admin = MarketPrincipal(keyID: UUID(), accountID: UUID(), role: .admin)
            let stats = try await market.stats(by: admin)
            text += "# TYPE proofmarket_jobs gauge\n"
            for (status, count) in stats.jobsByStatus.sorted(by: { $0.key < $1.key }) {
                text += "proofmarket_jobs{status=\"\(status)\"} \(count)\n"
            }
            let rejected = stats.workers.reduce(Int64(0)) { $0 + $1.rejected }
            text += "# TYPE proofmarket_proofs_rejected_total counter\nproofmarket_proofs_rejected_total \(rejected)\n"
            text += "# TYPE proofmarket_proofs_verified_total counter\nproofmarket_proofs_verified_total \(stats.jobsByStatus["fulfilled"] ?? 0)\n"
            text += "# TYPE proofmarket_long_poll_waiters gauge\nproofmarket_long_poll_waiters \(watcher.waiting)\n"
            let ledger = try await market.ledgerTotals()
            text += "# HELP proofmarket_ledger_micros Money by kind of account and bucket, in micro-credits (sums to zero).\n"
            text += "# TYPE proofmarket_ledger_micros gauge\n"
            for total in ledger.byAccountKind {
                text += "proofmarket_ledger_micros{account_kind=\"\(total.accountKind)\",bucket=\"available\"} \(total.available)\n"
                text += "proofmarket_ledger_micros{account_kind=\"\(total.accountKind)\",bucket=\"held\"} \(total.held)\n"
            }
            text += "# TYPE proofmarket_ledger_accounts gauge\n"
            for total in ledger.byAccountKind {
                text += "proofmarket_ledger_accounts{account_kind=\"\(total.accountKind)\"} \(total.accounts)\n"
            }
            text += "# TYPE proofmarket_ledger_sealed_entries gauge\nproofmarket_ledger_sealed_entries \(ledger.sealedEntries)\n"
            var response = HTTPResponse.text(text)
            response.headers.remove("Content-Type")
            response.headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
        router.get("/openapi.yaml") { _, _ in
            guard let text = OpenAPIDocument.text else { throw HTTPError.notFound("the file PROOFMARKET_OPENAPI names cannot be read") }
            var response = HTTPResponse.text(text)
            response.headers.remove("Content-Type")
            response.headers.add("Content-Type", "application/yaml")
            return response
        }
    }
}

/// The contract, `openapi/openapi.yaml`, as built into the program (so a binary copied alone
/// still serves it); `PROOFMARKET_OPENAPI` names a file to serve instead.
public enum OpenAPIDocument {
    /// The document's text, or nil if the file `PROOFMARKET_OPENAPI` names cannot be read.
    public static let text: String? = {
        if let path = ProcessInfo.processInfo.environment["PROOFMARKET_OPENAPI"], !path.isEmpty {
            return try? String(contentsOfFile: path, encoding: .utf8)
        }
        return BundledAssets.openAPIDocument
    }()
}
