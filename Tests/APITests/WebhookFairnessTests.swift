import Foundation
import HTTPServer
import Market
import Postgres
import Synchronization
import Testing
@testable import API

/// A receiver that hangs delays only its own deliveries: deliveries go out concurrently,
/// within bounds per receiver, per client and in all, taking turns between clients.
@Suite struct WebhookFairnessTests {
    private func delivery(_ id: Int64, client: UUID, receiver: Int) -> WebhookDelivery {
        WebhookDelivery(id: id, jobID: UUID(), clientID: client, url: "http://10.0.0.\(receiver):80/hook", body: [], signature: "", attempt: 1)
    }

    @Test func queue_TakesTurnsBetweenClients_WithinEveryBound() {
        var limits = WebhookDispatcher.Limits()
        limits.deliveriesConcurrentMax = 8
        limits.deliveriesPerClientMax = 4
        limits.deliveriesPerReceiverMax = 1
        var queue = WebhookQueue(limits: limits)
        let (a, b, c) = (UUID(), UUID(), UUID())
        var id: Int64 = 0
        // Client a: six receivers, three deliveries each, queued first; b and c one each, last.
        for receiver in 1...6 { for _ in 0..<3 { id += 1; queue.add(delivery(id, client: a, receiver: receiver)) } }
        queue.add(delivery(100, client: b, receiver: 50))
        queue.add(delivery(200, client: c, receiver: 60))
        var started: [WebhookDelivery] = []
        while let next = queue.next() { started.append(next) }
        // b's and c's go out in the first round of turns, though queued behind 18 of a's.
        #expect(started.prefix(3).map(\.clientID) == [a, b, c])
        #expect(started.filter { $0.clientID == a }.count == 4, "a is held to its share")
        #expect(Set(started.map(WebhookQueue.receiver(of:))).count == started.count, "one at a time per receiver")
        #expect(queue.sending == 6 && queue.waiting == 14)
        // A slot freed by a's first receiver goes to a's next receiver, not the same one again.
        queue.finish(started[0])
        let after = queue.next()
        #expect(after?.clientID == a && after.map(WebhookQueue.receiver(of:)) == "http://10.0.0.5:80")
        #expect(queue.next() == nil)
        #expect(queue.fullClients.isEmpty)
        limits.heldPerClientMax = 4
        #expect(WebhookQueueProbe.fullClients(limits: limits, held: started) == [a])
    }

    @Test func hangingReceiversOfOneClient_DoNotDelayAnotherClientsDelivery() async throws {
        let f = try await APIFixture.make(configuration: WebhookReceivers.privateAllowed)
        defer { Task { await f.stop() } }
        // Six receivers that never answer, until the test lets them go.
        let released = Atomic<Bool>(false)
        let hanging = Atomic<Int>(0)
        var started: [HTTPServer] = []
        for _ in 0..<6 {
            let router = Router()
            router.post("/hook") { _, _ in
                hanging.add(1, ordering: .relaxed)
                for _ in 0..<1_200 where !released.load(ordering: .relaxed) { try? await Task.sleep(nanoseconds: 50_000_000) }
                return HTTPResponse(status: .noContent)
            }
            started.append(try WebhookReceivers.start(router))
        }
        let hangers = started
        let arrived = Atomic<Bool>(false)
        let router = Router()
        router.post("/hook") { _, _ in
            arrived.store(true, ordering: .relaxed)
            return HTTPResponse(status: .noContent)
        }
        let prompt = try WebhookReceivers.start(router)
        defer {
            released.store(true, ordering: .relaxed)
            Task { for server in hangers + [prompt] { await server.shutdown() } }
        }

        _ = try await f.model()
        let (_, slowKey) = try await f.account("client", funds: 10_000_000)
        let (_, promptKey) = try await f.account("client", funds: 10_000_000)
        // The slow client's twelve jobs come first, so their deliveries are the oldest.
        for index in 0..<12 {
            var body = APIFixture.dutchJob
            body["webhook_url"] = "http://127.0.0.1:\(hangers[index % 6].localPort)/hook"
            #expect(try await f.send(.post, "/v1/jobs", key: slowKey, json: body).status.code == 201)
        }
        var body = APIFixture.dutchJob
        body["webhook_url"] = "http://127.0.0.1:\(prompt.localPort)/hook"
        #expect(try await f.send(.post, "/v1/jobs", key: promptKey, json: body).status.code == 201)

        let dispatcher = WebhookDispatcher(market: f.market)
        let running = Task { await dispatcher.run(intervalSeconds: 0.05) }
        defer {
            running.cancel()
            Task { await dispatcher.shutdown() }
        }
        // Generous: the point is the order, not the time. The other client's delivery must
        // arrive while the hanging ones are all still open: before any of them has ended
        // (they end only at the 10 s request timeout, recorded as a failure).
        let deadline = Date().addingTimeInterval(120)
        while !arrived.load(ordering: .relaxed), Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        let didArrive = arrived.load(ordering: .relaxed)
        #expect(didArrive)
        let ended = try await f.db.pool.query("SELECT count(*) AS n FROM webhook_deliveries WHERE last_error IS NOT NULL")
            .first?.decode("n", as: Int.self)
        #expect(ended == 0, "the other client's delivery waited for hanging receivers to time out")
        // And the slow client's are sent concurrently, to its share and no more.
        while hanging.load(ordering: .relaxed) < dispatcher.limits.deliveriesPerClientMax, Date() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        // Once some time out (at 10 s), as many others may start: read the count first.
        let open = hanging.load(ordering: .relaxed)
        let timedOut = try await f.db.pool.query("SELECT count(*) AS n FROM webhook_deliveries WHERE last_error IS NOT NULL")
            .first?.decode("n", as: Int.self) ?? 0
        #expect(open >= dispatcher.limits.deliveriesPerClientMax && open <= dispatcher.limits.deliveriesPerClientMax + timedOut, "\(open) sent at once")
    }
}

/// Fills a queue with `held` deliveries being sent, to read its `fullClients`.
enum WebhookQueueProbe {
    static func fullClients(limits: WebhookDispatcher.Limits, held: [WebhookDelivery]) -> Set<UUID> {
        var queue = WebhookQueue(limits: limits)
        held.forEach { queue.add($0) }
        return queue.fullClients
    }
}
