import Foundation
import Inference
import Postgres

/// How a fulfilled job's money moved.
public struct Settlement: Sendable, Codable, Equatable {
    /// The job.
    public let jobID: UUID
    /// The worker paid.
    public let workerID: UUID
    /// The lock price.
    public let price: Int64
    /// The platform's fee, out of the price.
    public let fee: Int64
    /// Paid to the worker: price − fee.
    public let workerPayment: Int64
    /// Returned to the client: escrow − price.
    public let clientRefund: Int64
    /// The stake returned to the worker.
    public let stakeReleased: Int64
    /// The verified output.
    public let output: VerifiedOutput
}

extension Market {
    /// The largest proof accepted, in bytes: the verifier's own limit, so every layer refuses
    /// the same proofs (the API derives its body limit from it). A larger proof is refused
    /// unread with `proof_too_large` and is not held against the worker.
    public static let proofBytesMax = ProofLimits.proofBytesMax

    /// Submits the lock holder's proof. It is verified on the verification pool with no
    /// transaction open; if valid, one transaction fulfils the job, pays the worker the price
    /// minus the fee, sends the fee to `platform_fees`, returns the stake and refunds the client
    /// the rest of the escrow. If invalid, the rejection is recorded, the lock stays until it
    /// expires, and `proof_rejected` is thrown with the verifier's reason.
    /// Submitting again after success returns the same settlement and moves nothing.
    /// `inputOpening` is a hidden-input proof's opening (`Market+HiddenInput.swift`); a job that
    /// does not hide its input ignores it.
    ///
    /// The proof is judged as of `receivedAt` (when its request arrived, by this process's own
    /// clock, never a time the request states; now if not given, and never later than now): a
    /// proof that arrived before the lock expired is accepted even if our own queue and the
    /// verification take it past the expiry. Before it waits for anything, its arrival is
    /// written to the job (`proof_received_at`), so the sweeper does not slash the lock while
    /// the proof is pending (for `proofVerifyGraceSeconds` at most, should this process die).
    public func submitProof(_ jobID: UUID, proof: [UInt8], inputOpening: [UInt8]? = nil, proveMilliseconds: Int? = nil,
                            by principal: Principal, worker workerID: UUID, receivedAt: Date? = nil) async throws -> Settlement {
        try principal.require(.worker)
        guard !proof.isEmpty else { throw MarketError(.invalidRequest, "the proof is empty") }
        guard proof.count <= Self.proofBytesMax else {
            throw MarketError(.proofTooLarge, "the proof has \(proof.count) bytes; at most \(Self.proofBytesMax) are accepted")
        }
        if let inputOpening, inputOpening.count > Self.inputOpeningBytesMax {
            throw MarketError(.proofTooLarge, "the input opening has \(inputOpening.count) bytes; at most \(Self.inputOpeningBytesMax) are accepted")
        }
        let now = clock.now()
        let receivedAt = min(receivedAt ?? now, now)
        // The mark, the worker and the job in one round trip (the mark commits with it).
        let reads = try await pool.withConnection { c in
            try await c.query([
                PostgresStatement(JobQueries.jobMarkProofReceived.sql, [
                    .uuid(jobID), .uuid(workerID), .timestamp(receivedAt), .uuid(principal.accountID),
                ]),
                PostgresStatement(WorkerQueries.workerByID.sql, [.uuid(workerID)]),
                PostgresStatement(JobQueries.jobByID.sql, [.uuid(jobID)]),
            ])
        }
        let marked = reads[0].affectedRows > 0
        do {
            return try await settle(jobID, proof: proof, inputOpening: inputOpening, proveMilliseconds: proveMilliseconds, by: principal,
                                    worker: workerID, receivedAt: receivedAt, workerRow: reads[1].first, jobRow: reads[2].first)
        } catch {
            // Refused, rejected or failed: the lock no longer waits for this proof.
            if marked { await clearProofMark(jobID, worker: workerID, receivedAt: receivedAt) }
            throw error
        }
    }

    private func clearProofMark(_ jobID: UUID, worker workerID: UUID, receivedAt: Date) async {
        do {
            try await pool.query(JobQueries.jobClearProofReceived.sql, [.uuid(jobID), .uuid(workerID), .timestamp(receivedAt)])
        } catch {
            // The mark then lapses by itself after `proofVerifyGraceSeconds`.
            logger.warning("could not clear a proof's arrival mark", metadata: ["job": "\(jobID)", "error": "\(error)"])
        }
    }

    /// Checking the lock and recording the verdict each hold a settlement slot; waiting for
    /// and undergoing verification holds none, so proofs of many submissions can wait in the
    /// `verificationBatcher` and be verified together.
    private func settle(_ jobID: UUID, proof: [UInt8], inputOpening: [UInt8]?, proveMilliseconds: Int?,
                        by principal: Principal, worker workerID: UUID, receivedAt: Date,
                        workerRow: PostgresRow?, jobRow: PostgresRow?) async throws -> Settlement {
        let lock = try await settlementGate.run {
            try await self.lockToSettle(jobID, proof: proof, inputOpening: inputOpening, by: principal, worker: workerID, receivedAt: receivedAt,
                                        workerRow: workerRow, jobRow: jobRow)
        }
        let job: Job, worker: Worker, request: VerificationRequest
        switch lock {
        case .settled(let done): return done
        case .verify(let j, let w, let r): (job, worker, request) = (j, w, r)
        }
        let started = ContinuousClock.now
        // Private proofs go straight to the verification pool; the batcher gathers public ones.
        var outcome: VerificationOutcome, hidden: HiddenInputRecord?
        if job.proofMode == .private {
            (outcome, hidden) = try await verifyPrivate(request, model: try await withPrivateCommitment(job.modelID), hideInput: job.hideInput)
        } else {
            (outcome, hidden) = (try await verificationBatcher.verify(request), nil)
        }
        if case .valid(let output) = outcome, job.clampPolicy == .refuse, output.clampedTotal > 0 {
            outcome = .rejected(reason: "clamped_values",
                                message: "the proven run clamped \(output.clampedInput ?? 0) input value(s) and \(output.clampedInModel ?? 0) inside the model; the job refuses clamped values (clamp_policy refuse)")
        }
        let verifyMilliseconds = Int((ContinuousClock.now - started) / .milliseconds(1))
        let verdict = outcome, hiddenInput = hidden
        return try await settlementGate.run {
            try await self.record(verdict, of: job, jobID, worker: worker, proof: proof, hiddenInput: hiddenInput,
                                  proveMilliseconds: proveMilliseconds,
                                  verifyMilliseconds: verifyMilliseconds, receivedAt: receivedAt)
        }
    }

    /// What a proof submission finds: a job this worker's proof already settled, or a lock to verify against.
    private enum LockToSettle: Sendable {
        case settled(Settlement)
        case verify(Job, Worker, VerificationRequest)
    }

    /// Checks, from the worker's and the job's rows as read with the arrival mark, that the
    /// proof is the lock holder's, in time.
    private func lockToSettle(_ jobID: UUID, proof: [UInt8], inputOpening: [UInt8]?, by principal: Principal, worker workerID: UUID,
                              receivedAt: Date, workerRow: PostgresRow?, jobRow: PostgresRow?) async throws -> LockToSettle {
        let worker = try visibleWorker(workerRow, id: workerID, to: principal)
        guard let row = jobRow else {
            throw MarketError(.unknownJob, "no job \(jobID)")
        }
        let job = try Job(row: row)
        if job.status == .fulfilled, job.lockedBy == worker.id, let output = try await fulfilledOutput(of: job) {
            return .settled(settlement(of: job, output: output))
        }
        guard job.status == .locked else { throw MarketError(.jobNotLocked, "job \(jobID) is \(job.status.rawValue)") }
        guard job.lockedBy == worker.id, let nonce = job.nonce else {
            throw MarketError(.notLockHolder, "worker \(worker.id) does not hold job \(jobID)'s lock")
        }
        guard let expiry = job.lockExpiresAt, expiry > receivedAt else {
            throw MarketError(.lockExpired, "the lock on job \(jobID) had expired when the proof arrived")
        }
        let model = try await model(job.modelID)
        var request = VerificationRequest(jobID: jobID, workerID: worker.id, nonce: nonce, modelID: model.id,
                                          commitment: model.commitment ?? [], input: job.input, proof: proof)
        if job.hideInput { request.inputOpening = inputOpening }
        return .verify(job, worker, request)
    }

    /// Records a verdict: a rejection (the lock stays), or the fulfilment and its payments.
    /// A hidden input's commitment and opening (`hiddenInput`) are stored with the fulfilment.
    private func record(_ outcome: VerificationOutcome, of job: Job, _ jobID: UUID, worker: Worker, proof: [UInt8],
                        hiddenInput: HiddenInputRecord?, proveMilliseconds: Int?, verifyMilliseconds: Int,
                        receivedAt: Date) async throws -> Settlement {
        let now = clock.now()
        switch outcome {
        case .rejected(let reason, let message):
            try await transaction { c in
                try await c.run(WorkerQueries.workerRecordRejected, [.uuid(worker.id)])
                try await self.record(jobID, "proof_rejected", status: .locked,
                                      detail: ["worker": worker.id.uuidString.lowercased(), "reason": reason], at: now, on: c)
            }
            throw MarketError(.proofRejected, message, reason: reason)
        case .valid(let output) where output.items != job.batchItems:
            // The input fixes the batch's size, so a verified proof always matches it; refuse rather than store a mismatch.
            throw MarketError(.proofRejected, "the proof vouches for \(output.items) outputs; job \(jobID) has \(job.batchItems) inputs",
                              reason: "output_mismatch")
        case .valid(let output):
            // A batch keeps a summary on its row and one row per item (written with the transfers).
            var outputJSON = String(decoding: try JSONEncoder().encode(output), as: UTF8.self)
            var itemRows: [PostgresStatement] = []
            if job.batchItems > 1 {
                let rows = try batchOutputRows(jobID, output)
                outputJSON = rows.summary
                itemRows = [rows.items]
            }
            if let hiddenInput { itemRows.append(hiddenInputRow(jobID, hiddenInput)) }
            let s = settlement(of: job, output: output)
            let fulfil = PostgresStatement(JobQueries.jobFulfillIfLocked.sql, [
                .uuid(jobID), .uuid(worker.id), .int(Int64(job.attempt)), .timestamp(now), .jsonb(outputJSON),
                .bytea(proof), proveMilliseconds.map { .int(Int64($0)) } ?? .null, .int(Int64(verifyMilliseconds)),
                .timestamp(receivedAt),
            ])
            let outcome = PostgresStatement(BidQueries.bidSetLockOutcome.sql, [.uuid(jobID), .int(Int64(job.attempt)), .text("fulfilled")])
            let counted = PostgresStatement(WorkerQueries.workerRecordFulfilled.sql, [.uuid(worker.id)])
            var detail = ["worker": worker.id.uuidString.lowercased(), "price": "\(s.price)", "fee": "\(s.fee)",
                          "verify_ms": "\(verifyMilliseconds)"]
            if job.batchItems > 1 { detail["batch_items"] = "\(job.batchItems)" }
            if job.proofMode != .public { detail["proof_mode"] = job.proofMode.rawValue }
            let client = job.clientAccount
            do {
                // The guarded fulfilment, the bookkeeping, the four transfers and COMMIT in one
                // round trip; the amounts are the lock's terms, which no one changes while it is held.
                try await transaction { c in
                    let event = try self.recording(jobID, "fulfilled", status: .fulfilled, detail: detail, at: now)
                    try await Ledger.write([fulfil, outcome, counted, event] + itemRows, [
                        Transfer(from: client, fromBucket: .held, to: worker.accountID, amount: s.workerPayment,
                                 kind: .payment, jobID: jobID, attempt: job.attempt),
                        Transfer(from: client, fromBucket: .held, to: self.platform.fees, amount: s.fee,
                                 kind: .fee, jobID: jobID, attempt: job.attempt),
                        Transfer(from: client, fromBucket: .held, to: client, amount: s.clientRefund,
                                 kind: .escrowRefund, jobID: jobID, attempt: job.attempt),
                        Transfer(from: worker.accountID, fromBucket: .held, to: worker.accountID, amount: s.stakeReleased,
                                 kind: .stakeRelease, jobID: jobID, attempt: job.attempt),
                    ], on: c, commit: true)
                }
                return s
            } catch let error as PostgresError where error.isLostRace {
                // Lost a race while verifying: the lock expired, or this worker's other request settled it.
                let current = try Job(row: try await pool.query(JobQueries.jobByID.sql, [.uuid(jobID)]).first.orThrow("job vanished"))
                if current.status == .fulfilled, current.lockedBy == worker.id, current.attempt == job.attempt,
                   let output = try await fulfilledOutput(of: current) {
                    return settlement(of: current, output: output)
                }
                throw MarketError(.lockExpired, "the lock on job \(jobID) ended while the proof was being verified")
            }
        }
    }

    /// The money flows of a fulfilled job, from its stored terms.
    func settlement(of job: Job, output: VerifiedOutput) -> Settlement {
        let price = job.lockPrice ?? 0
        let fee = MarketConfiguration.share(price, basisPoints: job.feeBasisPoints)
        return Settlement(jobID: job.id, workerID: job.lockedBy ?? UUID(), price: price, fee: fee,
                          workerPayment: price - fee, clientRefund: job.escrow - price,
                          stakeReleased: job.lockStake, output: output)
    }

    /// The stored proof of a fulfilled job, for its receipt.
    public func proof(of jobID: UUID, by principal: Principal) async throws -> [UInt8]? {
        _ = try await job(jobID, by: principal)
        return try await pool.query(JobQueries.jobProof.sql, [.uuid(jobID)]).first?.decode("proof", as: [UInt8]?.self)
    }
}
