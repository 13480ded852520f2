import Foundation
import Market

extension DemoCommand {
    /// Posts one private job whose proof hides its input: its receipt can be published
    /// without the digit it was run on.
    static func postHiddenInputJob(_ client: CoordinatorClient, model: WireModel, sample: DigitsSample,
                                   idempotencyKey: String) async throws -> WireJob {
        try await client.call(.post, "/v1/jobs", body: WireCreateJob(
            modelId: model.id, input: WireTensor(shape: model.inputShape ?? [1, 64], values: sample.input),
            auction: "dutch", minPrice: 100_000, maxPrice: 8_000_000, rampUpS: 4, bidWindowS: nil, lockTimeoutS: 30,
            deadlineS: 120, lockStake: 500_000, proofMode: "private", hideInput: true), idempotencyKey: idempotencyKey)
    }

    /// Checks a fulfilled hidden-input job's receipt as anyone holding it would, without the
    /// input, then with the owner's opening; the line to print.
    static func checkHiddenInputReceipt(_ client: CoordinatorClient, job: WireJob, key: [UInt8]) async throws -> String {
        guard job.status == "fulfilled" else { return "hidden-input job \(job.id.short): \(job.status)" }
        let bundle = try await ReceiptBundle.fetch(client: client, jobID: job.id.uuidString.lowercased())
        let commitment = bundle.receipt.inputCommitmentId ?? "-"
        let verified = try bundle.verify(pinnedKey: key)
        let answer: WireInputOpening = try await client.call(.get, "/v1/jobs/\(job.id.uuidString.lowercased())/input-opening")
        let opening = Data(base64Encoded: answer.opening).map(Array.init) ?? []
        _ = try bundle.verify(pinnedKey: key, inputOpening: opening)
        return "hidden-input job \(job.id.short): fulfilled; its receipt names input commitment \(commitment.prefix(12))… and "
            + "\(bundle.input == nil ? "no input" : "AN INPUT"), and verifies without it (argmax \(verified.argmax.map(String.init) ?? "-")); "
            + "with the owner's opening it verifies too"
    }
}
