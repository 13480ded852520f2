import MarketTestSupport
import API
import Foundation
import HTTPServer
import Market
import Testing

@Suite struct ResourceTests {
    private func settled(_ f: APIFixture, _ id: String, key: String) async throws -> [String: Any] {
        while true {
            let model = try f.object(try await f.send(.get, "/v1/models/\(id)", key: key))
            if model["status"] as? String != "processing" { return model }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    @Test func modelUpload_IsContentAddressedAndGarbageFailsWithAReason() async throws {
        var limits = MarketAPI.Limits()
        limits.modelBytesMax = RealProofs.loaded.onnx.count
        let f = try await APIFixture.make(limits: limits, importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client")
        let upload = try await f.send(.post, "/v1/models?name=digits", key: clientKey, bytes: RealProofs.loaded.onnx)
        #expect(upload.status.code == 202, "\(upload.bodyText)")
        let id = try #require(try f.object(upload)["id"] as? String)
        let ready = try await settled(f, id, key: clientKey)
        #expect(ready["status"] as? String == "ready", "\(ready)")
        #expect(ready["work_macs"] as? Int == Int(RealProofs.loaded.facts.workMacs) && (ready["work_macs"] as? Int ?? 0) > 0)
        #expect(id == APIFixture.modelID)
        #expect(ready["input_shape"] as? [Int] == [1, 64])
        let again = try await f.send(.post, "/v1/models", key: clientKey, bytes: RealProofs.loaded.onnx)
        let againID = try f.object(again)["id"] as? String
        #expect(again.status.code == 200 && againID == id)

        let garbage = try f.object(try await f.send(.post, "/v1/models", key: clientKey, bytes: [0xde, 0xad, 0xbe, 0xef]))
        let failed = try await settled(f, try #require(garbage["id"] as? String), key: clientKey)
        #expect(failed["status"] as? String == "failed")
        #expect((failed["failure"] as? String)?.isEmpty == false, "\(failed)")
        try f.expectProblem(try await f.send(.post, "/v1/models", key: clientKey, bytes: []), 422, "invalid_request")
        let tooBig = try await f.send(.post, "/v1/models", key: clientKey, bytes: [UInt8](repeating: 1, count: RealProofs.loaded.onnx.count + 1))
        #expect(tooBig.status.code == 413)
        // A job on a failed model is refused.
        var job = APIFixture.dutchJob
        job["model_id"] = garbage["id"]
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: job), 409, "model_not_ready")
    }

    @Test func withoutAnImporter_UploadIsAServerLimitationNotAClientFault() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client")
        try f.expectProblem(try await f.send(.post, "/v1/models", key: clientKey, bytes: [1]), 503, "model_import_unavailable")
    }

    @Test func sealedAuctionOverHTTP_LowestBidWinsAtTheSecondPrice() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        var terms = APIFixture.dutchJob
        terms["auction"] = "sealed"
        terms["bid_window_s"] = 30
        terms.removeValue(forKey: "ramp_up_s")
        let job = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: terms))
        let jobID = try #require(job["id"] as? String)
        var bidders: [(String, String)] = []
        for price in [4_000, 2_500, 3_000] {
            let (key, id) = try await f.worker()
            let bid = try await f.send(.post, "/v1/jobs/\(jobID)/bids", key: key, json: ["worker_id": id, "price": price])
            #expect(bid.status.code == 201, "\(bid.bodyText)")
            bidders.append((key, id))
        }
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(jobID)/bids", key: bidders[0].0,
                                             json: ["worker_id": bidders[0].1, "price": 2_000]), 409, "bid_already_placed")
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: bidders[0].0,
                                             json: ["worker_id": bidders[0].1]), 409, "wrong_auction")
        f.clock.advance(seconds: 30)
        _ = try await Sweeper(market: f.market).runOnce()
        let locked = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(locked["status"] as? String == "locked" && locked["lock_price"] as? Int == 3_000)
        #expect((locked["locked_by"] as? String)?.lowercased() == bidders[1].1.lowercased())
        try await f.expectLedgerIntact()
    }

    @Test func eventStream_SendsEveryTransitionUntilTheJobIsFinal() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))["id"] as? String)
        async let stream = f.send(.get, "/v1/jobs/\(jobID)/events", key: clientKey)
        while f.watcher.waiting == 0 { await Task.yield() }
        _ = try await f.send(.delete, "/v1/jobs/\(jobID)", key: clientKey)
        let response = try await stream
        #expect(response.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let events = response.bodyText.split(separator: "\n").filter { $0.hasPrefix("event: ") }
        #expect(events == ["event: created", "event: cancelled"])
    }
}
