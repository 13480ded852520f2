import Foundation
import Inference
import Postgres

// Hidden input (docs/PROTOCOL.md, "Hidden input (PMZK version 2)"): a private job posted with
// `hide_input` is proven by a version-2 proof, whose statement names a commitment to the input
// (PMZX) in place of the input, so its receipt can be published without revealing the input.
//
// - Only a private job may hide its input (`hide_input_requires_private` otherwise), and only
//   a batch whose opening fits `inputOpeningBytesMax` (`batch_too_large` past it).
// - The lock's grant says `hide_input`; the worker proves with the input hidden and submits,
//   with the proof, the opening of the input commitment (PMZI: the input and the blindings).
// - The coordinator verifies the proof without the input (`verifyHidingInput`), checks that the
//   opening opens the commitment the proof names, and that the input it opens is the job's own.
//   A missing, malformed or wrong opening, or one of another input, is the worker's: the proof
//   is rejected like an invalid one (`proof_rejected`, reason `input_opening_required`,
//   `input_opening_malformed`, `input_opening_mismatch` or `input_opening_differs`), and the
//   lock runs out and is slashed as for any invalid proof.
// - A fulfilled job keeps the commitment on its row (public: the receipt carries it, with its
//   id where a receipt names the input's digest) and the opening in `job_input_openings`
//   (secret: `inputOpening` gives it to the job's owner only).
// - The input itself is shown to the job's owner (who posted it) and to the worker holding its
//   lock (who proves it), never in receipts, events, webhooks, or any other caller's view.

/// A verified hidden input as a fulfilled job keeps it.
struct HiddenInputRecord: Sendable, Equatable {
    /// The input commitment the proof names (PMZX bytes, public).
    let commitment: [UInt8]
    /// Its id.
    let commitmentID: String
    /// The worker's opening of it (PMZI bytes, secret).
    let opening: [UInt8]
}

/// The opening of a hidden-input job, for its owner.
public struct InputOpeningGrant: Sendable, Equatable {
    /// The job.
    public let jobID: UUID
    /// The id of the input commitment the opening opens (the receipt names it).
    public let inputCommitmentID: String
    /// The opening (PMZI bytes, secret: it shows the input).
    public let opening: [UInt8]
}

extension Market {
    /// The largest input opening accepted with a proof, in bytes; a hidden-input job whose
    /// opening could be larger is refused when posted, a larger submission is refused unread.
    public static let inputOpeningBytesMax = 1 << 20

    /// Checks that a job may hide its input: private, and with an opening that fits.
    func requireHidableInput(_ model: Model, items: Int, proofMode: ProvingMode) throws {
        guard proofMode == .private else {
            throw MarketError(.hideInputRequiresPrivate, "hide_input needs proof_mode private: only a private proof can hide its input")
        }
        let spec = try PrivateModeSpecs.spec(of: model)
        guard let bytes = PrivateInputOpening.encodedBytes(spec: spec, items: items), bytes <= Self.inputOpeningBytesMax else {
            throw MarketError(.batchTooLarge, "the opening of \(items) hidden inputs of model \(model.id) would exceed \(Self.inputOpeningBytesMax) bytes; post a smaller batch")
        }
    }

    /// Checks a hidden-input proof and its opening against the job's quantised `input` (see
    /// the top of this file); on the verification pool, like every private check.
    static func checkHidingInput(_ system: any PrivateProofSystem, commitment: [UInt8], request: VerificationRequest,
                                 input: [Int64], context: BindingContext, spec: ModelSpec)
        -> (outcome: VerificationOutcome, hidden: HiddenInputRecord?) {
        switch system.verifyHidingInput(commitment: commitment, proof: request.proof, opening: request.inputOpening, context: context) {
        case .failure(let failure):
            return (.rejected(reason: failure.code, message: "the proof or its input opening does not hold: \(failure.message)"), nil)
        case .success(let verdict):
            guard verdict.openedInput == input else {
                return (.rejected(reason: "input_opening_differs",
                                  message: "the input opening opens the proof's input commitment to another input than the job's"), nil)
            }
            let record = HiddenInputRecord(commitment: verdict.inputCommitment, commitmentID: verdict.inputCommitmentID,
                                           opening: request.inputOpening ?? [])
            return (.valid(PrivateModeSpecs.output(verdict.output, spec: spec)), record)
        }
    }

    /// The statement that stores a verified hidden input with the fulfilment.
    func hiddenInputRow(_ jobID: UUID, _ record: HiddenInputRecord) -> PostgresStatement {
        PostgresStatement(JobQueries.jobHiddenInputStore.sql,
                          [.uuid(jobID), .bytea(record.commitment), .text(record.commitmentID), .bytea(record.opening)])
    }

    /// A fulfilled hidden-input job's opening, for the job's owner only: anyone else (an admin,
    /// a worker, another client) gets `unknown_job`, as for a job that does not exist; a job
    /// that does not hide its input `input_not_hidden`; one not fulfilled yet `job_not_fulfilled`.
    public func inputOpening(of jobID: UUID, by principal: Principal) async throws -> InputOpeningGrant {
        guard principal.role == .client, let row = try await pool.query(JobQueries.jobByID.sql, [.uuid(jobID)]).first else {
            throw MarketError(.unknownJob, "no job \(jobID)")
        }
        let job = try Job(row: row)
        guard job.clientAccount == principal.accountID else { throw MarketError(.unknownJob, "no job \(jobID)") }
        guard job.hideInput else {
            throw MarketError(.inputNotHidden, "job \(jobID) does not hide its input; it has no input opening")
        }
        guard job.status == .fulfilled,
              let stored = try await pool.query(JobQueries.jobInputOpening.sql, [.uuid(jobID)]).first else {
            throw MarketError(.jobNotFulfilled, "job \(jobID) is \(job.status.rawValue); its input opening comes with its fulfilment")
        }
        return InputOpeningGrant(jobID: jobID, inputCommitmentID: try stored.decode("input_commitment_id"),
                                 opening: try stored.decode("opening"))
    }
}
