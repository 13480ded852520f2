import MarketTestSupport
import API
import Foundation
import HTTPServer
import Inference
import Market
import Testing

/// Quantisation options on `POST /v1/models`, clamp counts on a job's output and receipt, and
/// `clamp_policy: refuse` on job creation and proof submission.
@Suite struct QuantisationAPITests {
    /// The sample's first inputs times 300 (values up to 300, past the default 2^-8 range of ±128).
    static let scaled: [[Double]] = RealProofs.loaded.samples.map { $0.map { $0 * 300 } }

    static func job(_ values: [Double], policy: String? = nil) -> [String: Any] {
        var job = APIFixture.dutchJob
        job["input"] = ["shape": [1, 64], "values": values]
        if let policy { job["clamp_policy"] = policy }
        return job
    }

    @Test func uploadWithCalibration_ChoosesScales_AndIsAnotherModel() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, key) = try await f.account("client")
        let onnx = RealProofs.loaded.onnx
        let body: [String: Any] = ["onnx": Data(onnx).base64EncodedString(),
                                   "quantisation": ["fraction_bits": "auto", "calibration": Self.scaled]]
        let created = try await f.send(.post, "/v1/models?name=scaled", key: key, json: body)
        #expect(created.status.code == 202, "\(created.bodyText)")
        let id = try #require(try f.object(created)["id"] as? String)
        let options = QuantisationOptions(fractionBits: .auto, calibration: Self.scaled)
        #expect(id == InferenceModelImporter().digest(of: onnx, options: options))
        #expect(id != APIFixture.modelID)
        let model = try await f.settledModel(id, key: key)
        #expect(model["status"] as? String == "ready", "\(model)")
        let text = try #require(model["quantisation"] as? String)
        let quantisation = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(quantisation["fraction_bits_mode"] as? String == "auto" && quantisation["input_fraction_bits"] as? Int == 5
                && quantisation["calibration_inputs"] as? Int == 32 && quantisation["activation_fraction_bits"] as? Int == 8, "\(text)")
        #expect(quantisation["layer_fraction_bits"] as? [Int] == ScalePlan(spec: try ONNXImporter.importModel(onnx, options: options).spec).layerFractionBits)
        // The commitment is the calibrated model's.
        let expected = try ModelCommitment.commit(try ONNXImporter.importModel(onnx, options: options))
        #expect(model["commitment"] as? String == expected.encoded.map { String(format: "%02x", $0) }.joined())
        // The same upload again is the same model; the plain file is another.
        let again = try await f.send(.post, "/v1/models?name=scaled", key: key, json: body)
        let againID = try f.object(again)["id"] as? String
        #expect(again.status.code == 200 && againID == id)
        let plain = try f.object(try await f.send(.post, "/v1/models", key: key, bytes: onnx))
        #expect(plain["id"] as? String == APIFixture.modelID)
        // Fixed fraction bits given explicitly at their defaults are the plain model.
        let explicit = try f.object(try await f.send(.post, "/v1/models", key: key, json: [
            "onnx": Data(onnx).base64EncodedString(), "quantisation": ["activation_bits": 16, "fraction_bits": 8],
        ]))
        #expect(explicit["id"] as? String == APIFixture.modelID)
    }

    @Test func uploadOptions_OutOfRange_AreRefusedWithClearCodes() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, key) = try await f.account("client")
        let onnx = Data(RealProofs.loaded.onnx).base64EncodedString()
        let one = [Double](repeating: 1, count: 64)
        func upload(_ quantisation: [String: Any]) async throws -> HTTPClientResponse {
            try await f.send(.post, "/v1/models", key: key, json: ["onnx": onnx, "quantisation": quantisation])
        }
        try f.expectProblem(try await upload(["activation_bits": 40]), 422, "invalid_quantization")
        try f.expectProblem(try await upload(["fraction_bits": 31]), 422, "invalid_quantization")
        try f.expectProblem(try await upload(["fraction_bits": 8, "calibration": [one]]), 422, "invalid_quantization")
        let limit = QuantisationOptions.calibrationInputsMax
        try f.expectProblem(try await upload(["calibration": [[Double]](repeating: one, count: limit + 1)]), 422, "invalid_quantization")
        let atLimit = try await upload(["calibration": [[Double]](repeating: one, count: limit)])
        #expect(atLimit.status.code == 202, "\(atLimit.bodyText)")
        let settled = try await f.settledModel(try #require(try f.object(atLimit)["id"] as? String), key: key)
        #expect(settled["status"] as? String == "ready", "\(settled)")
        try f.expectProblem(try await upload(["fraction_bits": "sometimes"]), 400, "invalid_json")
        try f.expectProblem(try await f.send(.post, "/v1/models", key: key, json: ["onnx": "not base64!"]), 422, "invalid_request")
        // Calibration inputs that do not fit the model fail its import, with the reason.
        let misfit = try f.object(try await upload(["fraction_bits": "auto", "calibration": [[1, 2, 3]]]))
        let failed = try await f.settledModel(try #require(misfit["id"] as? String), key: key)
        #expect(failed["status"] as? String == "failed")
        #expect((failed["failure"] as? String)?.contains("invalid_quantization: calibration input 0 has 3 values") == true, "\(failed)")
    }

    @Test func clampingInput_ItsCountIsInTheResultAndTheReceipt() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()
        let values = Self.scaled[0]
        let created = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(values)))
        #expect(created["clamp_policy"] as? String == "allow")
        let jobID = try #require(created["id"] as? String)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID]))
        #expect(lock["clamp_policy"] as? String == "allow")
        let input = Tensor(shape: [1, 64], values: values)
        let proof = Data(RealProofs.prove(jobID: try #require(UUID(uuidString: jobID)), workerID: try #require(UUID(uuidString: workerID)),
                                          nonce: try #require(lock["nonce"] as? String), input: input)).base64EncodedString()
        let settled = try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey, json: ["worker_id": workerID, "proof": proof])
        #expect(settled.status.code == 200, "\(settled.bodyText)")
        let (x, inputClamps) = try RealProofs.loaded.model.spec.quantizeInputCountingClamps(floats: values, shape: [1, 64])
        let modelClamps = try RealProofs.loaded.model.run(x).saturated
        #expect(inputClamps > 0)
        let output = try #require(try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))["output"] as? [String: Any])
        #expect(output["clamped_input"] as? Int == inputClamps && output["clamped_in_model"] as? Int == modelClamps, "\(output)")
        let receipt = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)/receipt", key: clientKey))
        let signed = try #require(receipt["output"] as? [String: Any])
        #expect(signed["clamped_input"] as? Int == inputClamps && signed["clamped_in_model"] as? Int == modelClamps, "\(signed)")
        try await f.expectLedgerIntact()
    }

    @Test func refusePolicy_RefusesAClampingInputAtSubmission() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (clientID, clientKey) = try await f.account("client", funds: 1_000_000)
        let refused = try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(Self.scaled[0], policy: "refuse"))
        try f.expectProblem(refused, 422, "input_clamped")
        #expect((try f.object(refused)["detail"] as? String)?.contains("lie outside the model's input range") == true)
        let plain = try f.object(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(RealProofs.input(0).values, policy: "refuse")))
        #expect(plain["clamp_policy"] as? String == "refuse" && plain["status"] as? String == "open", "\(plain)")
        try f.expectProblem(try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(RealProofs.input(0).values, policy: "maybe")),
                            422, "invalid_request")
        // The refused job took no escrow: only the accepted one holds money.
        let balance = try await f.market.balance(of: try #require(UUID(uuidString: clientID)))
        #expect(balance.held == Int64(try #require(plain["escrow"] as? Int)))
        try await f.expectLedgerIntact()
    }

    @Test func refusePolicy_RejectsAProofOfARunThatClampedInsideTheModel() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        _ = try await f.model()
        let (_, clientKey) = try await f.account("client", funds: 1_000_000)
        let (workerKey, workerID) = try await f.worker()
        // Values of 100 fit the input range (±128 at 2^-8), but the layers' sums leave theirs.
        let values = [Double](repeating: 100, count: 64)
        let (x, inputClamps) = try RealProofs.loaded.model.spec.quantizeInputCountingClamps(floats: values, shape: [1, 64])
        #expect(inputClamps == 0)
        #expect(try RealProofs.loaded.model.run(x).saturated > 0)
        let created = try await f.send(.post, "/v1/jobs", key: clientKey, json: Self.job(values, policy: "refuse"))
        #expect(created.status.code == 201, "\(created.bodyText)")
        let jobID = try #require(try f.object(created)["id"] as? String)
        let lock = try f.object(try await f.send(.post, "/v1/jobs/\(jobID)/lock", key: workerKey, json: ["worker_id": workerID]))
        #expect(lock["clamp_policy"] as? String == "refuse")
        let proof = Data(RealProofs.prove(jobID: try #require(UUID(uuidString: jobID)), workerID: try #require(UUID(uuidString: workerID)),
                                          nonce: try #require(lock["nonce"] as? String), input: Tensor(shape: [1, 64], values: values)))
        let rejected = try await f.send(.post, "/v1/jobs/\(jobID)/proof", key: workerKey,
                                        json: ["worker_id": workerID, "proof": proof.base64EncodedString()])
        try f.expectProblem(rejected, 422, "proof_rejected")
        #expect((try f.object(rejected)["detail"] as? String)?.contains("(reason: clamped_values)") == true, "\(rejected.bodyText)")
        let job = try f.object(try await f.send(.get, "/v1/jobs/\(jobID)", key: clientKey))
        #expect(job["status"] as? String == "locked")
        try await f.expectLedgerIntact()
    }
}
