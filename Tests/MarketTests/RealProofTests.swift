import MarketTestSupport
import Foundation
import Inference
import Market
import Testing

@Suite struct RealProofTests {
    @Test func realProof_VerifiesForItsLockAndNoOther() throws {
        let verifier = InferenceProofVerifier()
        let job = UUID(), worker = UUID()
        let input = RealProofs.input(3)
        let started = ContinuousClock.now
        let proof = RealProofs.prove(jobID: job, workerID: worker, nonce: "n1", input: input)
        print("real proof: \(proof.count) bytes, proved in \(ContinuousClock.now - started)")
        func request(job: UUID = job, worker: UUID = worker, nonce: String = "n1", input: Tensor = input, proof: [UInt8] = proof) -> VerificationRequest {
            VerificationRequest(jobID: job, workerID: worker, nonce: nonce, modelID: "m", commitment: RealProofs.loaded.facts.commitment,
                                input: input, proof: proof)
        }
        #expect(verifier.verify(request()) == .valid(RealProofs.output(for: input)))
        for (name, r) in [("another nonce", request(nonce: "n2")), ("another job", request(job: UUID())),
                          ("another worker", request(worker: UUID())), ("another input", request(input: RealProofs.input(4)))] {
            guard case .rejected(let reason, _) = verifier.verify(r) else { Issue.record("\(name) was accepted"); continue }
            #expect(!reason.isEmpty)
        }
        var flipped = proof
        flipped[flipped.count / 2] ^= 1
        guard case .rejected = verifier.verify(request(proof: flipped)) else { Issue.record("a flipped byte was accepted"); return }
        guard case .rejected(let reason, _) = verifier.verify(request(proof: [1, 2, 3])) else { Issue.record("garbage accepted"); return }
        #expect(reason == "proof_malformed")
    }
}
