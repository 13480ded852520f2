import MarketTestSupport
import API
import Foundation
import HTTPServer
import Inference
import Market
import Testing

/// Batch jobs through every kind of auction the market runs (Dutch and sealed, each with a
/// re-auction policy) and through a re-auction after a lock is lost, over HTTP with real
/// batch proofs of the digits MLP. Each batch settles once and the ledger verifies after.
@Suite struct BatchAuctionTests {
    let batch = BatchJobTests()

    /// The ledger entries of a job, by kind.
    func entries(_ f: APIFixture, job: String) async throws -> [String: Int] {
        let rows = try await f.db.pool.query("SELECT kind, count(*)::int AS n FROM ledger_entries WHERE job_id = $1 GROUP BY kind",
                                             [.uuid(try #require(UUID(uuidString: job)))]).rows
        var counts: [String: Int] = [:]
        for row in rows { counts[try row.decode("kind", as: String.self)] = try row.decode("n", as: Int.self) }
        return counts
    }

    @Test func dutchBatchWithReauctionPolicy_UnlockedRoundReauctioned_ThenLockedProvedSettled() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let worker = try await f.worker()
        let items = BatchJobTests.items(4, from: 9)
        var body = BatchJobTests.job(items)
        body["reauction"] = ["max_rounds": 2, "price_step_bps": 2_500]
        let created = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: body))
        let jobID = try #require(created["id"] as? String)
        // Escrowed for the last round's ceiling: 10,000 → 12,500 → 15,625, plus the fee.
        #expect(created["escrowed_max_price"] as? Int == 15_625 && created["batch_items"] as? Int == 4)

        // The first ramp ends without a lock: the sweeper starts round 1 at a raised ceiling.
        f.clock.advance(seconds: 60)
        #expect(try await Sweeper(market: f.market).runOnce().roundsStarted == 1)
        let round = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(round["status"] as? String == "open" && round["max_price"] as? Int == 12_500)
        #expect((round["reauction"] as? [String: Int])?["round"] == 1)

        // Half way up the new ramp (10,000 → 12,500 over 60 s).
        f.clock.advance(seconds: 30)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: worker.key, json: ["worker_id": worker.workerID]))
        #expect(lock["price"] as? Int == 11_250)
        let settled = try await batch.prove(f, jobID: jobID, worker: worker, nonce: try #require(lock["nonce"] as? String), items: items)
        #expect(settled["price"] as? Int == 11_250)
        try await batch.expectFulfilled(f, jobID: jobID, clientKey: clientKey, items: items)
        #expect(try await entries(f, job: jobID)["payment"] == 1)
    }

    @Test func sealedBatchWithReauctionPolicy_WindowWithoutBids_ThenAwardedInTheNextRound() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let first = try await f.worker(), second = try await f.worker()
        let items = BatchJobTests.items(3, from: 20)
        var body = BatchJobTests.job(items, auction: "sealed")
        body["reauction"] = ["max_rounds": 1, "price_step_bps": 1_000]
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: body))["id"] as? String)
        let sweeper = Sweeper(market: f.market)

        // No bid in the first window: round 1 opens a new window with the ceiling raised 10 %.
        f.clock.advance(seconds: 30)
        #expect(try await sweeper.runOnce().roundsStarted == 1)
        let round = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(round["status"] as? String == "open" && round["max_price"] as? Int == 11_000)

        // Two bids in round 1: the lower wins and is paid the other's price (Vickrey).
        for (worker, price) in [(first, 10_500), (second, 4_000)] {
            let bid = try await f.send(.post, "/v1/jobs/\(jobID)/bids", key: worker.key, json: ["worker_id": worker.workerID, "price": price])
            #expect(bid.status.code == 201, "\(bid.bodyText)")
        }
        f.clock.advance(seconds: 30)
        #expect(try await sweeper.runOnce().auctionsAwarded == 1)
        let admin = try await f.market.authenticate(key: f.adminKey)
        let locked = try await f.market.job(try #require(UUID(uuidString: jobID)), by: admin)
        #expect(locked.status == .locked && locked.lockedBy == UUID(uuidString: second.workerID) && locked.lockPrice == 10_500)
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: first.key,
                                             json: ["worker_id": first.workerID, "proof": "AAAA"]), 409, "not_lock_holder")
        let settled = try await batch.prove(f, jobID: jobID, worker: second, nonce: try #require(locked.nonce), items: items)
        #expect(settled["price"] as? Int == 10_500)
        try await batch.expectFulfilled(f, jobID: jobID, clientKey: clientKey, items: items)
        #expect(try await entries(f, job: jobID)["payment"] == 1)
    }

    @Test func lockedBatchWhoseLockExpires_IsSlashedRelockedByAnother_ProvedAndSettledOnce() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 1_000_000)
        let late = try await f.worker(funds: 10_000), prompt = try await f.worker(funds: 10_000)
        let items = BatchJobTests.items(6, from: 2)
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: BatchJobTests.job(items)))["id"] as? String)
        let id = try #require(UUID(uuidString: jobID))

        // The first worker locks, proves in time for nothing: its lock runs out (120 s).
        f.clock.advance(seconds: 10)
        let firstLock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: late.key, json: ["worker_id": late.workerID]))
        let firstNonce = try #require(firstLock["nonce"] as? String)
        let staleProof = RealProofs.prove(jobID: id, workerID: try #require(UUID(uuidString: late.workerID)), nonce: firstNonce,
                                          input: BatchJobTests.batchTensor(items))
        f.clock.advance(seconds: 121)
        let sweep = try await Sweeper(market: f.market).runOnce()
        #expect(sweep.locksExpired == 1 && sweep.jobsReopened == 1)
        let reopened = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(reopened["status"] as? String == "open" && reopened["batch_items"] as? Int == 6)
        let lateAccount = try await f.market.authenticate(key: late.key).accountID
        let lateBalance = try f.object(try await f.send(.get, "/v1/admin/accounts/\(lateAccount)", key: f.adminKey))
        #expect(lateBalance["available"] as? Int == 8_000 && lateBalance["held"] as? Int == 0, "the 2,000 stake is slashed: \(lateBalance)")

        // Another worker takes the reopened batch; the first one's proof, for its lost lock, is refused.
        let secondLock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: prompt.key, json: ["worker_id": prompt.workerID]))
        let secondNonce = try #require(secondLock["nonce"] as? String)
        #expect(secondNonce != firstNonce)
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: late.key,
                                             json: ["worker_id": late.workerID, "proof": Data(staleProof).base64EncodedString()]),
                            409, "not_lock_holder")
        let settled = try await batch.prove(f, jobID: jobID, worker: prompt, nonce: secondNonce, items: items)
        let price = try #require(settled["price"] as? Int)
        #expect(price == secondLock["price"] as? Int)
        try await batch.expectFulfilled(f, jobID: jobID, clientKey: clientKey, items: items)

        // The proof again settles nothing twice; the stale one is refused (the job is no longer locked).
        let again = RealProofs.prove(jobID: id, workerID: try #require(UUID(uuidString: prompt.workerID)), nonce: secondNonce,
                                     input: BatchJobTests.batchTensor(items))
        let repeated = try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: prompt.key,
                                        json: ["worker_id": prompt.workerID, "proof": Data(again).base64EncodedString()])
        let repeatedBody = try f.object(repeated)
        #expect(repeated.status.code == 200 && repeatedBody["price"] as? Int == price)
        try f.expectProblem(try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: late.key,
                                             json: ["worker_id": late.workerID, "proof": Data(staleProof).base64EncodedString()]),
                            409, "job_not_locked")
        let kinds = try await entries(f, job: jobID)
        #expect(kinds["payment"] == 1 && kinds["fee"] == 1 && kinds["stake_hold"] == 2 && kinds["stake_release"] == 1)
        #expect(kinds["slash_to_client"] == 1 && kinds["slash_to_platform"] == 1 && kinds["escrow_hold"] == 1)
        let client = try f.object(try await f.send(.get, "/v1/admin/accounts/\(clientID)", key: f.adminKey))
        #expect(client["held"] as? Int == 0, "\(client)")
        try await f.expectLedgerIntact()
    }

    @Test func lockedBatchReleasedByItsWorker_IsRelockedByAnother_ProvedAndSettledOnce() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let quitter = try await f.worker(funds: 10_000), finisher = try await f.worker(funds: 10_000)
        let items = BatchJobTests.items(2, from: 30)
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: BatchJobTests.job(items)))["id"] as? String)
        _ = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: quitter.key, json: ["worker_id": quitter.workerID]))
        let released = try await f.send(.post, "/v1/jobs/\(jobID)/release", key: quitter.key, json: ["worker_id": quitter.workerID])
        #expect(released.status.code == 200, "\(released.bodyText)")
        #expect(try f.object(released)["status"] as? String == "open")
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: finisher.key, json: ["worker_id": finisher.workerID]))
        _ = try await batch.prove(f, jobID: jobID, worker: finisher, nonce: try #require(lock["nonce"] as? String), items: items)
        try await batch.expectFulfilled(f, jobID: jobID, clientKey: clientKey, items: items)
        let kinds = try await entries(f, job: jobID)
        #expect(kinds["payment"] == 1 && kinds["stake_hold"] == 2 && kinds["stake_release"] == 2)
    }

    /// `count` different inputs: the 32 samples, each copy scaled a little further.
    static func distinctItems(_ count: Int) -> [Tensor] {
        (0..<count).map { i in
            let sample = RealProofs.input(i)
            let scale = 1 + Double(i / 32) / 1_024
            return Tensor(shape: sample.shape, values: sample.values.map { $0 * scale })
        }
    }

    @Test(.timeLimit(.minutes(30))) func batchOfTheMaximumSize_LockedProvedSettled_EveryOutputPagedToTheEnd() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let worker = try await f.worker()
        let size = f.market.configuration.batchInputsMax
        #expect(size == 4_096)
        let items = Self.distinctItems(size)
        let created = try await f.send(.post, "/v1/jobs", key: clientKey, json: BatchJobTests.job(items))
        #expect(created.status.code == 201, "\(created.bodyText)")
        let jobID = try #require(try f.object(created)["id"] as? String)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: worker.key, json: ["worker_id": worker.workerID]))
        let settled = try await batch.prove(f, jobID: jobID, worker: worker, nonce: try #require(lock["nonce"] as? String), items: items)
        #expect((settled["output"] as? [String: Any])?["shape"] as? [Int] == [size, 10])

        // Every output, paged at the largest page to the end, is the item's own local run.
        let expected = items.map(RealProofs.output(for:))
        let pageMax = f.market.configuration.outputPageItemsMax
        var cursor: String?, seen = 0, pages = 0
        repeat {
            let path = "/v1/jobs/\(jobID)/outputs?limit=\(pageMax)" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try f.object(try await f.send(.get, path, key: clientKey))
            #expect(page["batch_items"] as? Int == size)
            let outputs = try #require(page["outputs"] as? [[String: Any]])
            #expect(outputs.count == min(pageMax, size - seen))
            for entry in outputs {
                let index = try #require(entry["index"] as? Int)
                #expect(index == seen)
                let output = try #require(entry["output"] as? [String: Any])
                #expect(output["shape"] as? [Int] == [1, 10])
                #expect(output["quantised"] as? [Int64] == expected[index].quantised, "item \(index)")
                #expect(output["values"] as? [Double] == expected[index].values, "item \(index)")
                #expect(output["clamped_input"] as? Int == expected[index].clampedInput, "item \(index)")
                #expect(output["clamped_in_model"] as? Int == expected[index].clampedInModel, "item \(index)")
                seen += 1
            }
            cursor = page["next_cursor"] as? String
            pages += 1
            #expect(pages <= size / pageMax + 1, "the cursor must reach the end")
        } while cursor != nil && pages <= size / pageMax + 1
        #expect(seen == size && pages == (size + pageMax - 1) / pageMax)
        // The default page is the first 100; a cursor past the end is an empty last page.
        let first = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/outputs", key: clientKey))
        #expect((first["outputs"] as? [[String: Any]])?.count == 100 && first["next_cursor"] as? String == "100")
        let past = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/outputs?cursor=\(size)", key: clientKey))
        #expect((past["outputs"] as? [[String: Any]])?.isEmpty == true && past["next_cursor"] == nil)

        // The receipt carries the whole batch's output.
        let receipt = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/receipt", key: clientKey))
        let output = try #require(receipt["output"] as? [String: Any])
        #expect(output["quantised"] as? [Int64] == VerifiedOutput.batch(expected).quantised)
        #expect(output["clamped_input_by_item"] as? [Int] == expected.map { $0.clampedInput ?? -1 })
        #expect(try await entries(f, job: jobID)["payment"] == 1)
        try await f.expectLedgerIntact()
    }
}
