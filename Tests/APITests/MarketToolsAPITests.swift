import MarketTestSupport
import API
import Foundation
import HTTPServer
import Market
import Testing
import TestSupport

/// The market tools over HTTP: `PATCH /v1/jobs/{id}`, `GET /v1/market/quote`, a worker's
/// registered floor, and re-auction rounds on the event stream.
@Suite struct MarketToolsAPITests {
    @Test func patch_RaisesTheMaximum_MovesTheEscrow_AndTheLedgerVerifies() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 100_000)
        let (workerKey, _) = try await f.worker()
        let created = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))
        let id = try #require(created["id"] as? String)
        #expect(created["escrowed_max_price"] as? Int == 10_000 && created["escrow"] as? Int == 10_250)
        #expect(created["reauction"] == nil && created["round_ends_at"] == nil)

        let raised = try await f.send(.patch, "/v1/jobs/\(id)", key: clientKey, json: ["max_price": 20_000],
                                      headers: [("Idempotency-Key", "raise-\(id)")])
        #expect(raised.status.code == 200, "\(raised.bodyText)")
        let job = try f.object(raised)
        #expect(job["max_price"] as? Int == 20_000 && job["escrowed_max_price"] as? Int == 20_000 && job["escrow"] as? Int == 20_500)
        let replay = try f.object(try await f.send(.patch, "/v1/jobs/\(id)", key: clientKey, json: ["max_price": 20_000],
                                                   headers: [("Idempotency-Key", "raise-\(id)")]))
        #expect(replay["escrow"] as? Int == 20_500)
        let account = try f.object(try await f.send(.get, "/v1/admin/accounts/\(clientID)", key: f.adminKey))
        #expect(account["held"] as? Int == 20_500 && account["available"] as? Int == 100_000 - 20_500)
        let entries = try #require(try f.object(try await f.send(.get, "/v1/admin/ledger?job=\(id)", key: f.adminKey))["entries"] as? [[String: Any]])
        #expect(entries.compactMap { $0["amount"] as? Int } == [10_250, 10_250])
        #expect(entries.last?["reference"] as? String == "raise/\(id)/20000")
        try await f.expectLedgerIntact()

        try f.expectProblem(try await f.send(.patch, "/v1/jobs/\(id)", key: clientKey, json: ["max_price": 5_000]), 422, "invalid_terms")
        try f.expectProblem(try await f.send(.patch, "/v1/jobs/\(id)", key: clientKey, json: ["max_price": 1_000_000_000]), 402, "insufficient_balance")
        try f.expectProblem(try await f.send(.patch, "/v1/jobs/\(id)", key: clientKey, json: ["max_price": "lots"]), 400, "invalid_json")
        try f.expectProblem(try await f.send(.patch, "/v1/jobs/\(id)", key: workerKey, json: ["max_price": 30_000]), 403, "forbidden")
        try f.expectProblem(try await f.send(.patch, "/v1/jobs/\(id)", json: ["max_price": 30_000]), 401, "unauthenticated")
        try f.expectProblem(try await f.send(.patch, "/v1/jobs/\(UUID())", key: clientKey, json: ["max_price": 30_000]), 404, "unknown_job")
        _ = try await f.send(.delete, "/v1/jobs/\(id)", key: clientKey)
        try f.expectProblem(try await f.send(.patch, "/v1/jobs/\(id)", key: clientKey, json: ["max_price": 30_000]), 409, "job_not_open")
        #expect(try f.object(try await f.send(.get, "/v1/admin/accounts/\(clientID)", key: f.adminKey))["available"] as? Int == 100_000)
        try await f.expectLedgerIntact()
    }

    @Test func quote_AnswersAnyKey_CountsRegisteredFloors_AndRefusesBadQuestions() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let modelID = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 0)
        let (_, workerKey) = try await f.account("worker", funds: 0)
        let registered = try await f.send(.post, "/v1/workers", key: workerKey, json: ["name": "floored", "min_price_per_mmac": 7])
        let floored = try f.object(registered)
        #expect(registered.status.code == 201 && floored["min_price_per_mmac"] as? Int == 7, "\(registered.bodyText)")
        try f.expectProblem(try await f.send(.post, "/v1/workers", key: workerKey, json: ["name": "w", "min_price_per_mmac": -1]),
                            422, "invalid_request")

        let answer = try await f.send(.get, "/v1/market/quote?model=\(modelID)&batch=2", key: clientKey)
        #expect(answer.status.code == 200, "\(answer.bodyText)")
        let quote = try f.object(answer)
        let work = try #require(quote["work_macs"] as? Int)
        #expect(quote["model_id"] as? String == modelID && quote["batch"] as? Int == 2 && quote["job_macs"] as? Int == 2 * work)
        #expect(quote["jobs"] as? Int == 0 && quote["price_per_mmac"] == nil && quote["workers_active"] as? Int == 1)
        let suggested = try #require(quote["suggested"] as? [String: Any])
        #expect(suggested["basis"] as? String == "worker_floors" && suggested["max_price_per_mmac"] as? Int == 7)
        #expect(suggested["max_price"] as? Int == (7 * 2 * work + 999_999) / 1_000_000 && suggested["workers_cleared"] as? Int == 1)
        #expect(suggested["ramp_up_s"] as? Int == 30 && suggested["bid_window_s"] == nil)
        #expect(try await f.send(.get, "/v1/market/quote?model=\(modelID)", key: workerKey).status.code == 200)
        #expect(try await f.send(.get, "/v1/market/quote?model=\(modelID)", key: f.adminKey).status.code == 200)

        try f.expectProblem(try await f.send(.get, "/v1/market/quote?model=\(modelID)"), 401, "unauthenticated")
        try f.expectProblem(try await f.send(.get, "/v1/market/quote", key: clientKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/market/quote?model=\(modelID)&batch=two", key: clientKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/market/quote?model=\(modelID)&batch=4097", key: clientKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/market/quote?model=\(modelID)&auction=english", key: clientKey), 422, "invalid_request")
        try f.expectProblem(try await f.send(.get, "/v1/market/quote?model=nope", key: clientKey), 404, "unknown_model")
        try f.expectProblem(try await f.send(.get, "/v1/market/quote?model=a%01b", key: clientKey), 400, "invalid_field")
    }

    @Test func reauctionRounds_AreOnTheEventStream() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 100_000)
        var body = APIFixture.dutchJob
        body["ramp_up_s"] = 10
        body["reauction"] = ["max_rounds": 1, "price_step_bps": 2_500]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey,
                                             json: body.merging(["reauction": ["max_rounds": 1]]) { $1 }), 400, "invalid_json")
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey,
                                             json: body.merging(["reauction": ["max_rounds": 21, "price_step_bps": 0]]) { $1 }),
                            422, "invalid_terms")
        let job = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: body))
        let id = try #require(job["id"] as? String)
        #expect(job["escrowed_max_price"] as? Int == 12_500)
        #expect((job["reauction"] as? [String: Int]) == ["max_rounds": 1, "price_step_bps": 2_500, "round": 0])
        #expect(job["round_ends_at"] as? String != nil)

        async let stream = f.send(.get, "/v1/jobs/\(id)/events", key: clientKey)
        while f.watcher.waiting == 0 { await Task.yield() }
        let sweeper = Sweeper(market: f.market)
        f.clock.advance(seconds: 10)
        #expect(try await sweeper.runOnce().roundsStarted == 1)
        f.clock.advance(seconds: 10)
        #expect(try await sweeper.runOnce().roundsExhausted == 1)
        let response = try await stream
        let events = response.bodyText.split(separator: "\n").filter { $0.hasPrefix("event: ") }
        #expect(events == ["event: created", "event: reauctioned", "event: expired"])
        let data = response.bodyText.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        let round = try #require(try JSONSerialization.jsonObject(with: Data(data[1].utf8)) as? [String: Any])
        #expect((round["detail"] as? [String: String])?["max_price"] == "12500")
        let expired = try #require(try JSONSerialization.jsonObject(with: Data(data[2].utf8)) as? [String: Any])
        #expect((expired["detail"] as? [String: String])?["reason"] == "rounds_exhausted")
        let done = try f.object(try await f.send(.get, "/v1/jobs/\(id)", key: clientKey))
        #expect(done["status"] as? String == "expired" && done["round_ends_at"] == nil)
        #expect(try f.object(try await f.send(.get, "/v1/admin/accounts/\(clientID)", key: f.adminKey))["held"] as? Int == 0)
        try await f.expectLedgerIntact()
    }
}
