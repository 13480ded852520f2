import Foundation
import Testing

/// The whole market in real processes: `serve`, `worker`s and the `client`/`admin` CLI,
/// over real sockets, a real PostgreSQL and real proofs. Each test has 5 minutes (they take
/// under 2 even on a loaded machine), so a hang fails by name rather than stalling the run.
@Suite(.serialized, .timeLimit(.minutes(5))) struct EndToEndTests {
    @Test func coordinatorTwoWorkersAndClient_FulfilEveryJob_ReceiptsVerifyOffline() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["a", "b"])
        let (client, model) = (cast.client, cast.model)
        _ = try run.worker("a", key: cast.workers[0].key)
        _ = try run.worker("b", key: cast.workers[1].key)
        var jobs: [(id: String, label: Int)] = []
        for index in 0..<4 {
            let input = try run.inputFile(index)
            jobs.append((try await run.submit(key: client.key, model: model, input: input.path, auction: index % 2 == 0 ? "dutch" : "sealed"), input.label))
        }
        for job in jobs {
            let state = try await run.waitForJob(job.id, ["fulfilled", "expired", "cancelled"])
            #expect(state.status == "fulfilled")
            #expect(state.output?.argmax == job.label)
        }
        #expect(try await run.entries(kind: "payment") == 4, "each job paid exactly once")
        #expect(try await run.ledgerIntact())

        // Every receipt checks offline: signature and proof.
        for job in jobs {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("pm-receipt-\(job.id).json").path
            let saved = try await run.cli(["client", "jobs", "receipt", job.id, "--out", file], key: client.key)
            #expect(saved.status == 0, "\(saved.output)")
            let verified = try await run.cli(["client", "receipt", "verify", file], key: client.key)
            #expect(verified.status == 0, "\(verified.output)")
            #expect(verified.output.contains("VALID"))
        }

        // And a receipt altered in its output, its proof or its signature is refused.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pm-receipt-\(jobs[0].id).json").path
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        func tampered(_ change: (inout [String: Any]) -> Void) async throws -> (Int32, String) {
            var receipt = original["receipt"] as! [String: Any]
            change(&receipt)
            var bundle = original
            bundle["receipt"] = receipt
            let path = file + ".tampered.json"
            try JSONSerialization.data(withJSONObject: bundle).write(to: URL(fileURLWithPath: path))
            let result = try await run.cli(["client", "receipt", "verify", path], key: client.key)
            return (result.status, result.output)
        }
        let outputChanged = try await tampered { r in
            var output = r["output"] as! [String: Any]
            var q = output["quantised"] as! [Int]
            q[0] += 1
            output["quantised"] = q
            r["output"] = output
        }
        #expect(outputChanged.0 == 1 && outputChanged.1.contains("INVALID"), "\(outputChanged.1)")
        let proofChanged = try await tampered { r in
            var proof = Array((r["proof"] as! String).utf8)
            proof[100] = proof[100] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            r["proof"] = String(decoding: proof, as: UTF8.self)
        }
        #expect(proofChanged.0 == 1 && proofChanged.1.contains("INVALID"), "\(proofChanged.1)")
        let signatureChanged = try await tampered { r in
            var sig = Array((r["signature"] as! String).utf8)
            sig[0] = sig[0] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            r["signature"] = String(decoding: sig, as: UTF8.self)
        }
        #expect(signatureChanged.0 == 1 && signatureChanged.1.contains("signature"), "\(signatureChanged.1)")
    }

    @Test func workerKilledWhileHoldingLock_IsSlashed_OtherWorkerFulfils() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["slow", "b"])
        let (client, model, a, b) = (cast.client, cast.model, cast.workers[0], cast.workers[1])
        let slow = try run.worker("slow", key: a.key, extra: ["--delay-submit-seconds", "60"])
        let job = try await run.submit(key: client.key, model: model, input: try run.inputFile(0).path, auction: "dutch", lockTimeoutS: 3)
        _ = try await run.waitForJob(job, ["locked"])
        slow.signal(SIGKILL)
        try await slow.wait()
        _ = try run.worker("b", key: b.key)
        let state = try await run.waitForJob(job, ["fulfilled", "expired"])
        #expect(state.status == "fulfilled")
        #expect(state.attempt == 2, "locked twice: the killed worker's lock expired")
        #expect(try await run.entries(kind: "slash_to_client", job: job) + run.entries(kind: "slash_to_platform", job: job) >= 1)
        #expect(try await run.entries(kind: "payment", job: job) == 1)
        #expect(try await run.ledgerIntact())
    }

    @Test func forgedProof_IsRefusedAndNeverPaid() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["forger", "honest"])
        let (client, model, f, h) = (cast.client, cast.model, cast.workers[0], cast.workers[1])
        let forger = try run.worker("forger", key: f.key, extra: ["--forge-proofs", "--max-jobs", "1"])
        let job = try await run.submit(key: client.key, model: model, input: try run.inputFile(1).path, auction: "dutch", lockTimeoutS: 3)
        _ = try await forger.waitForLine(containing: "proof refused")
        #expect(try await run.entries(kind: "payment", job: job) == 0)
        #expect(try await forger.wait() == 0, "with --max-jobs 1 the forger stops after its one lock")
        _ = try run.worker("honest", key: h.key)
        let state = try await run.waitForJob(job, ["fulfilled", "expired"])
        #expect(state.status == "fulfilled")
        #expect(try await run.entries(kind: "payment", job: job) == 1, "paid once, to the honest worker")
        let forgerPaid = try await run.db.pool.query("""
            SELECT count(*) AS n FROM ledger_entries WHERE kind = 'payment' AND credit_account = $1::uuid
            """, [.text(f.id)]).first?.decode("n", as: Int.self)
        #expect(forgerPaid == 0)
        let forgerRecord = try await run.db.pool.query("SELECT jobs_rejected, jobs_slashed FROM workers WHERE account_id = $1::uuid", [.text(f.id)]).first
        #expect(try forgerRecord?.decode("jobs_rejected", as: Int.self) == 1, "one lock, one refused proof")
        #expect(try forgerRecord?.decode("jobs_slashed", as: Int.self) == 1, "its one lock expired and was slashed")
        #expect(try await run.ledgerIntact())
    }

    @Test func oneWorkerManySealedJobs_EveryRoundEndsFulfilled() async throws {
        // One prover, proving one job at a time, against six sealed auctions at once: windows
        // close while it is busy, awards wait for it, rounds without a usable bid restart.
        // The prover starts once the first windows (2 s) have closed, and a slow sweep leaves a
        // closed window unrestarted for up to 3 s: it first sees jobs whose window closed
        // without its bid, and must come back to them in their next round.
        // Every job must still end fulfilled, each paid once.
        let run = try await MarketRun.start(sweepIntervalSeconds: 3)
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["solo"])
        var jobs: [(id: String, label: Int)] = []
        for index in 0..<6 {
            let input = try run.inputFile(index)
            jobs.append((try await run.submit(key: cast.client.key, model: cast.model, input: input.path, auction: "sealed"), input.label))
        }
        try await Task.sleep(nanoseconds: 2_300_000_000)
        _ = try run.worker("solo", key: cast.workers[0].key)
        for job in jobs {
            let state = try await run.waitForJob(job.id, ["fulfilled", "expired", "cancelled"])
            #expect(state.status == "fulfilled")
            #expect(state.output?.argmax == job.label)
            #expect(try await run.entries(kind: "payment", job: job.id) == 1)
        }
        #expect(try await run.ledgerIntact())
    }

    @Test func coordinatorKilledAndRestarted_NoJobLostOrPaidTwice() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["a", "b"])
        let (client, model, a, b) = (cast.client, cast.model, cast.workers[0], cast.workers[1])
        var jobs: [String] = []
        for index in 0..<4 {
            jobs.append(try await run.submit(key: client.key, model: model, input: try run.inputFile(index).path,
                                             auction: index % 2 == 0 ? "dutch" : "sealed"))
        }
        _ = try run.worker("a", key: a.key)
        _ = try run.worker("b", key: b.key)
        _ = try await run.waitForJob(jobs[0], ["locked", "fulfilled"])
        try await run.restartCoordinatorHard()
        for job in jobs {
            let state = try await run.waitForJob(job, ["fulfilled", "expired", "cancelled"])
            #expect(state.status == "fulfilled")
            #expect(try await run.entries(kind: "payment", job: job) == 1)
        }
        #expect(try await run.ledgerIntact())
    }
}
