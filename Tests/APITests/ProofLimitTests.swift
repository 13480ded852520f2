import MarketTestSupport
import API
import Foundation
import HTTPServer
import Inference
import Market
import Testing

/// One proof size limit, the verifier's, applied by every layer: a proof past it is a 413
/// refusal that is not recorded against the worker (nor counts toward its circuit breaker).
@Suite(.timeLimit(.minutes(5))) struct ProofLimitTests {
    @Test func proofAtTheLimit_IsVerified_PastItIsRefusedUnreadAndNotHeldAgainstTheWorker() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()
        let jobID = try #require(try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: APIFixture.dutchJob))["id"] as? String)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID]))
        let limit = ProofLimits.proofBytesMax
        func submit(_ bytes: [UInt8]) async throws -> HTTPClientResponse {
            try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                             json: ["worker_id": workerID, "proof": Data(bytes).base64EncodedString()])
        }
        // Not a proof; only its size matters to the refusals, and the verifier rejects its content.
        let junk = [UInt8](repeating: 0x5a, count: 10 << 20)

        // Past the limit by one byte: refused unread, and the worker's record is untouched.
        try f.expectProblem(try await submit(Array(junk.prefix(limit + 1))), 413, "proof_too_large")
        #expect(try await f.rejections(ofWorker: workerID) == 0)
        // 10 MiB, the size that used to reach the verifier and count as a rejection: its body is
        // past the route's limit (derived from the proof limit), refused from the head alone.
        let body = try JSONSerialization.data(withJSONObject: ["worker_id": workerID, "proof": Data(junk).base64EncodedString()])
        let status = try f.statusOfHead("POST /v1/jobs/\(jobID)/proof HTTP/1.1", key: workerKey, contentLength: body.count)
        #expect(status == 413, "\(status)")
        #expect(try await f.rejections(ofWorker: workerID) == 0)

        // At the limit, the proof reaches the verifier, which judges its content.
        let atLimit = try await submit(Array(junk.prefix(limit)))
        try f.expectProblem(atLimit, 422, "proof_rejected")
        #expect(!atLimit.bodyText.contains("proof_too_large"), "\(atLimit.bodyText)")
        #expect(try await f.rejections(ofWorker: workerID) == 1)

        // The lock was not lost to any of this: the real proof is paid.
        let proof = RealProofs.prove(jobID: try #require(UUID(uuidString: jobID)), workerID: try #require(UUID(uuidString: workerID)),
                                     nonce: try #require(lock["nonce"] as? String), input: RealProofs.input(0))
        let paid = try await submit(proof)
        #expect(paid.status.code == 200, "\(paid.bodyText)")
        try await f.expectLedgerIntact()
    }

    @Test func bodyLimitOfTheProofRoute_IsDerivedFromTheProofLimit() {
        let limits = MarketAPI.Limits()
        // The proof's base64 and a hidden input's opening's.
        let base64 = (Market.proofBytesMax + 2) / 3 * 4 + (Market.inputOpeningBytesMax + 2) / 3 * 4
        #expect(Market.proofBytesMax == ProofLimits.proofBytesMax)
        #expect(limits.proofBodyBytesMax >= base64 && limits.proofBodyBytesMax <= base64 + 64 * 1024)
        #expect(Market.modelBytesMax == InferenceLimits.modelBytesMax)
        #expect(limits.modelBodyBytesMax == Market.modelBytesMax)
        var raised = MarketAPI.Limits()
        raised.modelBytesMax = 64 << 20
        #expect(raised.modelBodyBytesMax == Market.modelBytesMax)
    }
}
