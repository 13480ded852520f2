import Foundation
import HTTPServer
import Logging
import Synchronization

/// A prover node's counters in the Prometheus text format (version 0.0.4): what it saw,
/// skipped (by reason code), locked, proved, was paid and slashed, how long its proofs took,
/// and what it earned. The node updates them as it works; `serve` answers `GET /metrics`
/// with them on a port of its own (loopback unless told otherwise).
final class WorkerMetrics: Sendable {
    /// The upper bounds of the proving-time histogram, in seconds.
    static let provingSecondsBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
    /// The most distinct reason codes kept (they are the node's own and the coordinator's codes).
    static let reasonsMax = 64

    private struct State {
        var seen = 0, locked = 0, bids = 0, proved = 0, paid = 0, refused = 0, released = 0
        var slashed: Int64 = 0
        var earned: Int64 = 0
        var skipped: [String: Int] = [:]
        var provingBuckets = [Int](repeating: 0, count: WorkerMetrics.provingSecondsBuckets.count)
        var provingCount = 0
        var provingSum = 0.0
        var workerID: UUID?
        var name = ""
        var floor: Int64 = 0
    }
    private let state = Mutex(State())

    init() {}

    /// What one event changes.
    enum Event {
        case registered(UUID, name: String, floor: Int64)
        case seen, locked, bid, released, refused
        case skipped(String)
        case proved(seconds: Double)
        case paid(microcredits: Int64)
        /// The coordinator's count of this node's slashed locks (from its heartbeat answer).
        case slashedCount(Int64)
    }

    /// Counts `event`.
    func record(_ event: Event) {
        state.withLock { s in
            switch event {
            case .registered(let id, let name, let floor): (s.workerID, s.name, s.floor) = (id, name, floor)
            case .seen: s.seen += 1
            case .locked: s.locked += 1
            case .bid: s.bids += 1
            case .released: s.released += 1
            case .refused: s.refused += 1
            case .skipped(let reason):
                if s.skipped[reason] != nil || s.skipped.count < Self.reasonsMax { s.skipped[reason, default: 0] += 1 }
                else { s.skipped["other", default: 0] += 1 }
            case .proved(let seconds):
                s.proved += 1
                s.provingCount += 1
                s.provingSum += seconds
                for (index, bound) in Self.provingSecondsBuckets.enumerated() where seconds <= bound { s.provingBuckets[index] += 1 }
            case .paid(let microcredits):
                s.paid += 1
                s.earned += microcredits
            case .slashedCount(let count): s.slashed = max(s.slashed, count)
            }
        }
    }

    /// The exposition text.
    func render() -> String {
        let s = state.withLock { $0 }
        var text = ""
        func counter(_ name: String, _ help: String, _ value: some CustomStringConvertible) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        let id = s.workerID.map { $0.uuidString.lowercased() } ?? ""
        text += "# HELP proofmarket_worker_info The node: its worker id, name and floor (micro-credits per million multiply-accumulates).\n"
        text += "# TYPE proofmarket_worker_info gauge\n"
        text += "proofmarket_worker_info{worker_id=\"\(id)\",name=\"\(Self.escaped(s.name))\",min_price_per_mmac=\"\(s.floor)\"} 1\n"
        counter("proofmarket_worker_jobs_seen_total", "Distinct open jobs the node looked at.", s.seen)
        text += "# HELP proofmarket_worker_jobs_skipped_total Jobs the node left, by reason code.\n"
        text += "# TYPE proofmarket_worker_jobs_skipped_total counter\n"
        for (reason, count) in s.skipped.sorted(by: { $0.key < $1.key }) {
            text += "proofmarket_worker_jobs_skipped_total{reason=\"\(Self.escaped(reason))\"} \(count)\n"
        }
        counter("proofmarket_worker_bids_total", "Sealed bids placed.", s.bids)
        counter("proofmarket_worker_jobs_locked_total", "Locks taken (Dutch locks and sealed awards).", s.locked)
        counter("proofmarket_worker_jobs_proved_total", "Proofs made.", s.proved)
        counter("proofmarket_worker_jobs_paid_total", "Proofs the coordinator verified and paid.", s.paid)
        counter("proofmarket_worker_proofs_refused_total", "Proofs the coordinator refused.", s.refused)
        counter("proofmarket_worker_jobs_released_total", "Locks given back.", s.released)
        counter("proofmarket_worker_jobs_slashed_total", "Locks that expired and were slashed, as the coordinator counts them for this node.", s.slashed)
        counter("proofmarket_worker_earned_microcredits_total", "Payments received (the price less the fee), in micro-credits.", s.earned)
        text += "# HELP proofmarket_worker_proving_seconds Time to prove one job.\n# TYPE proofmarket_worker_proving_seconds histogram\n"
        for (bound, count) in zip(Self.provingSecondsBuckets, s.provingBuckets) {
            text += "proofmarket_worker_proving_seconds_bucket{le=\"\(Self.number(bound))\"} \(count)\n"
        }
        text += "proofmarket_worker_proving_seconds_bucket{le=\"+Inf\"} \(s.provingCount)\n"
        text += "proofmarket_worker_proving_seconds_sum \(Self.number(s.provingSum))\n"
        text += "proofmarket_worker_proving_seconds_count \(s.provingCount)\n"
        return text
    }

    /// Serves `GET /metrics` on `host:port` until `shutdown()`; returns once it listens.
    func serve(host: String, port: Int, logger: Logger) throws -> HTTPServer {
        let router = Router()
        router.get("/metrics") { [self] _, _ in
            var response = HTTPResponse.text(render())
            response.headers["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
            return response
        }
        var configuration = HTTPServerConfiguration(host: host, port: port)
        configuration.loopCount = 1
        configuration.connectionCountMax = 64
        let server = HTTPServer(configuration: configuration, responder: MiddlewareChain([ErrorMiddleware()], responder: router),
                                logger: logger)
        try server.start()
        return server
    }

    /// A label value with `\`, `"` and line feeds escaped, as the format requires.
    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
