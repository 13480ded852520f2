import Foundation
import HTTPServer
import Market
import Testing

/// `client receipt verify` against a live coordinator with real proofs: a genuine receipt
/// passes; a receipt signed by any key but the coordinator's pinned one, a bundle carrying
/// another model's commitment under this model's id, and an ONNX file that is not the
/// receipt's model are each refused with their own reason.
@Suite(.timeLimit(.minutes(5))) struct ReceiptVerificationTests {
    private static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The bytes a version 2 receipt's signature covers, from the receipt's JSON.
    private static func message(_ r: [String: Any]) throws -> [UInt8] {
        let output = try #require(r["output"] as? [String: Any])
        let quantised = try #require(output["quantised"] as? [NSNumber]).map(\.int64Value)
        let job = try #require((r["job_id"] as? String).flatMap(UUID.init(uuidString:)))
        let worker = try #require((r["worker_id"] as? String).flatMap(UUID.init(uuidString:)))
        let model = try #require(r["model_id"] as? String), commitment = try #require(r["commitment_digest"] as? String)
        let input = try #require(r["input_digest"] as? String), proof = try #require(r["proof_digest"] as? String)
        let shape = try #require(output["shape"] as? [Int]), nonce = try #require(r["nonce"] as? String)
        return Receipt.message(jobID: job, modelID: model, commitmentDigest: commitment, inputDigest: input,
                               output: VerifiedOutput(shape: shape, quantised: quantised, values: []),
                               proofDigest: proof, workerID: worker, nonce: nonce)
    }

    @Test func genuineReceiptVerifies_EachForgeryIsRefusedWithItsOwnReason() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["a"])
        let client = cast.client
        _ = try run.worker("a", key: cast.workers[0].key)
        let job = try await run.submit(key: client.key, model: cast.model, input: try run.inputFile(0).path, auction: "dutch")
        let state = try await run.waitForJob(job, ["fulfilled", "expired"])
        #expect(state.status == "fulfilled")
        let argmax = try #require(state.output?.argmax)
        // Another registered model, whose commitment a forger might pass off as this one's.
        let large = MarketRun.productModels.appendingPathComponent("digits-mlp-large.onnx").path
        let other = try await run.uploadModel(key: client.key, file: large)
        var headers = HTTPHeaders()
        headers["Authorization"] = "Bearer \(client.key)"
        let otherModel = try await run.http.execute(HTTPClientRequest(url: "\(run.url)/v1/models/\(other)", headers: headers))
        let otherCommitment = try #require((try JSONSerialization.jsonObject(with: Data(otherModel.body)) as? [String: Any])?["commitment"] as? String)
        let coordinator = try await run.http.execute(HTTPClientRequest(url: "\(run.url)/v1/coordinator"))
        let keyHex = try #require((try JSONSerialization.jsonObject(with: Data(coordinator.body)) as? [String: Any])?["public_key"] as? String)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pm-receipts-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let genuine = folder.appendingPathComponent("genuine.json").path
        let saved = try await run.cli(["client", "jobs", "receipt", job, "--out", genuine], key: client.key)
        #expect(saved.status == 0 && saved.output.contains("first contact"), "\(saved.output)")
        let knownFile = run.configDir + "/known_coordinators"
        #expect(try String(contentsOfFile: knownFile, encoding: .utf8) == "\(run.url) ed25519 \(keyHex)\n")

        func verify(_ path: String, _ extra: [String] = []) async throws -> (status: Int32, output: String) {
            try await run.cli(["client", "receipt", "verify", path] + extra, key: client.key)
        }
        let small = MarketRun.fixtures.appendingPathComponent("mlp_small.onnx").path
        let keyFile = folder.appendingPathComponent("coordinator.key").path
        try Data((keyHex + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))

        // Genuine: under the pinned key, the key given in hex or in a file, and with its own ONNX file.
        for extra in [[], ["--coordinator-key", keyHex], ["--coordinator-key", keyFile], ["--model", small]] {
            let result = try await verify(genuine, extra)
            #expect(result.status == 0 && result.output.contains("VALID") && result.output.contains("argmax \(argmax)"),
                    "\(extra): \(result.output)")
        }

        let bundle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: genuine))) as? [String: Any])
        let receipt = try #require(bundle["receipt"] as? [String: Any])
        func forged(_ name: String, receipt changed: [String: Any]? = nil, commitment: String? = nil) throws -> String {
            var copy = bundle
            if let changed { copy["receipt"] = changed }
            if let commitment { copy["commitment"] = commitment }
            let path = folder.appendingPathComponent("\(name).json").path
            try JSONSerialization.data(withJSONObject: copy).write(to: URL(fileURLWithPath: path))
            return path
        }
        func expectRefused(_ path: String, with extra: [String] = [], _ code: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let result = try await verify(path, extra)
            #expect(result.status == 1 && result.output.contains("INVALID") && result.output.contains("(\(code))")
                    && !result.output.contains("\nVALID"), "\(result.output)", sourceLocation: sourceLocation)
        }

        // 1. Everything genuine, but signed by a freshly made key that the receipt names.
        let fresh = try #require(CoordinatorKey(seed: (0..<32).map { _ in UInt8.random(in: 0...255) }))
        var selfSigned = receipt
        selfSigned["coordinator_public_key"] = Self.hex(fresh.publicKey)
        selfSigned["signature"] = Self.hex(fresh.sign(try Self.message(selfSigned)))
        try await expectRefused(try forged("self-signed", receipt: selfSigned), "coordinator_key_mismatch")
        // …and naming the coordinator's key while signed by the fresh one.
        var wrongSigner = selfSigned
        wrongSigner["coordinator_public_key"] = keyHex
        try await expectRefused(try forged("wrong-signer", receipt: wrongSigner), "signature_invalid")

        // 2. Another model's commitment under this model's id: not the commitment signed for it.
        try await expectRefused(try forged("other-commitment", commitment: otherCommitment), "model_mismatch")
        var otherDigest = receipt
        otherDigest["commitment_digest"] = Receipt.commitmentDigest(try #require(Receipt.bytes(hex: otherCommitment)))
        try await expectRefused(try forged("other-digest", receipt: otherDigest, commitment: otherCommitment), "signature_invalid")

        // 3. An ONNX file that is not the receipt's model.
        try await expectRefused(genuine, with: ["--model", large], "model_file_mismatch")
        // Even signed with the coordinator's own key (read from its database, as a coordinator
        // gone wrong could), a commitment that is not this ONNX file's is caught by --model.
        let seed = try #require(try await run.db.pool.query("SELECT private_key FROM coordinator_key").first?.decode("private_key", as: [UInt8].self))
        let coordinatorKey = try #require(CoordinatorKey(seed: seed))
        #expect(Self.hex(coordinatorKey.publicKey) == keyHex)
        var lying = otherDigest
        lying["signature"] = Self.hex(coordinatorKey.sign(try Self.message(lying)))
        let lyingPath = try forged("lying-coordinator", receipt: lying, commitment: otherCommitment)
        try await expectRefused(lyingPath, with: ["--model", small], "model_file_mismatch")
        try await expectRefused(lyingPath, "proof_invalid")

        // A version 1 receipt (no signed commitment) is refused, not half-checked.
        var v1 = receipt
        v1["receipt_version"] = nil
        v1["commitment_digest"] = nil
        try await expectRefused(try forged("v1", receipt: v1), "receipt_version_unsupported")

        // A coordinator presenting another key than the pinned one is refused, loudly.
        try Data("\(run.url) ed25519 \(Self.hex(fresh.publicKey))\n".utf8).write(to: URL(fileURLWithPath: knownFile))
        let refetched = try await run.cli(["client", "jobs", "receipt", job, "--out", folder.appendingPathComponent("again.json").path],
                                          key: client.key)
        #expect(refetched.status != 0 && refetched.output.contains("coordinator_key_changed")
                && refetched.output.contains("HAS CHANGED"), "\(refetched.output)")
        try await expectRefused(genuine, "coordinator_key_mismatch")
        #expect(try await verify(genuine, ["--coordinator-key", keyHex]).status == 0)
    }

    /// A private job end to end with real proofs: the worker proves it with the material only the
    /// lock holder gets; the receipt carries a private proof that `receipt verify` checks against
    /// the model's private commitment (the one the receipt signs); the public commitment in its
    /// place, a changed output, or a changed proof byte are each refused.
    @Test func privateJobsReceipt_VerifiesOffline_AndForgeriesAreRefused() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["a"])
        let client = cast.client
        _ = try run.worker("a", key: cast.workers[0].key)
        let input = try run.inputFile(4)
        let submitted = try await run.cli(["client", "jobs", "submit", "--model", cast.model, "--input", input.path, "--auction", "dutch",
                                           "--min-price", "1000", "--max-price", "400000", "--lock-timeout-s", "30",
                                           "--deadline-s", "300", "--lock-stake", "5000", "--ramp-up-s", "2", "--private"], key: client.key)
        let job = try #require(submitted.output.split(separator: "\n").last(where: { UUID(uuidString: String($0)) != nil }).map(String.init),
                               "\(submitted.output)")
        let state = try await run.waitForJob(job, ["fulfilled", "expired"])
        #expect(state.status == "fulfilled")
        let argmax = try #require(state.output?.argmax)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pm-private-receipts-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let genuine = folder.appendingPathComponent("genuine.json").path
        let saved = try await run.cli(["client", "jobs", "receipt", job, "--out", genuine], key: client.key)
        #expect(saved.status == 0, "\(saved.output)")
        let bundle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: genuine))) as? [String: Any])
        let receipt = try #require(bundle["receipt"] as? [String: Any])
        #expect(receipt["proof_mode"] as? String == "private")
        let proof = try #require((receipt["proof"] as? String).flatMap { Data(base64Encoded: $0) })
        #expect(Array(proof.prefix(4)) == Array("PMZK".utf8))
        let commitment = try #require(bundle["commitment"] as? String)
        #expect(commitment.hasPrefix(Self.hex(Array("PMZC".utf8))), "the bundle carries the private commitment")

        let small = MarketRun.fixtures.appendingPathComponent("mlp_small.onnx").path
        for extra in [[], ["--model", small]] {
            let result = try await run.cli(["client", "receipt", "verify", genuine] + extra, key: client.key)
            #expect(result.status == 0 && result.output.contains("\nVALID") && result.output.contains("argmax \(argmax)"), "\(extra): \(result.output)")
        }

        func refused(_ name: String, _ change: (inout [String: Any]) throws -> Void, _ code: String,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws {
            var copy = bundle
            try change(&copy)
            let path = folder.appendingPathComponent("\(name).json").path
            try JSONSerialization.data(withJSONObject: copy).write(to: URL(fileURLWithPath: path))
            let result = try await run.cli(["client", "receipt", "verify", path], key: client.key)
            #expect(result.status == 1 && result.output.contains("(\(code))") && !result.output.contains("\nVALID"),
                    "\(name): \(result.output)", sourceLocation: sourceLocation)
        }
        // The model's public commitment in place of its private one: not what the receipt signs.
        var headers = HTTPHeaders()
        headers["Authorization"] = "Bearer \(client.key)"
        let page = try await run.http.execute(HTTPClientRequest(url: "\(run.url)/v1/models/\(cast.model)", headers: headers))
        let publicCommitment = try #require((try JSONSerialization.jsonObject(with: Data(page.body)) as? [String: Any])?["commitment"] as? String)
        try await refused("public-commitment", { $0["commitment"] = publicCommitment }, "model_mismatch")
        // Another output: the signature no longer matches.
        try await refused("other-output", { copy in
            var r = receipt, output = try #require(r["output"] as? [String: Any])
            var q = try #require(output["quantised"] as? [NSNumber]).map(\.int64Value)
            q[0] += 1
            output["quantised"] = q
            r["output"] = output
            copy["receipt"] = r
        }, "signature_invalid")
        // A changed proof byte: its digest is not the signed one.
        try await refused("other-proof", { copy in
            var r = receipt, bytes = [UInt8](proof)
            bytes[bytes.count / 2] ^= 1
            r["proof"] = Data(bytes).base64EncodedString()
            copy["receipt"] = r
        }, "proof_digest_mismatch")
    }

    /// A hidden-input job end to end: the worker proves with the input hidden and submits the
    /// opening; the receipt bundle carries the input commitment and no input, `receipt verify`
    /// checks it without the input and, with the owner's opening, the opening too; a changed
    /// input commitment or a broken opening is refused.
    @Test func hiddenInputJobsReceipt_VerifiesWithoutTheInput_AndWithTheOwnersOpening() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["a"])
        let client = cast.client
        _ = try run.worker("a", key: cast.workers[0].key)
        let input = try run.inputFile(5)
        let refused = try await run.cli(["client", "jobs", "submit", "--model", cast.model, "--input", input.path, "--max-price", "400000",
                                         "--hide-input"], key: client.key)
        #expect(refused.status != 0 && refused.output.contains("hide_input_requires_private"), "\(refused.output)")
        let submitted = try await run.cli(["client", "jobs", "submit", "--model", cast.model, "--input", input.path, "--auction", "dutch",
                                           "--min-price", "1000", "--max-price", "400000", "--lock-timeout-s", "30",
                                           "--deadline-s", "300", "--lock-stake", "5000", "--ramp-up-s", "2", "--private",
                                           "--hide-input"], key: client.key)
        let job = try #require(submitted.output.split(separator: "\n").last(where: { UUID(uuidString: String($0)) != nil }).map(String.init),
                               "\(submitted.output)")
        let state = try await run.waitForJob(job, ["fulfilled", "expired"])
        #expect(state.status == "fulfilled")
        let argmax = try #require(state.output?.argmax)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pm-hidden-receipts-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let genuine = folder.appendingPathComponent("genuine.json").path
        let saved = try await run.cli(["client", "jobs", "receipt", job, "--out", genuine], key: client.key)
        #expect(saved.status == 0, "\(saved.output)")
        let bundle = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: genuine))) as? [String: Any])
        let receipt = try #require(bundle["receipt"] as? [String: Any])
        #expect(bundle["input"] == nil, "the bundle leaves the hidden input out")
        let commitment = try #require(receipt["input_commitment"] as? String)
        #expect(commitment.hasPrefix(Self.hex(Array("PMZX".utf8))) && receipt["input_commitment_id"] as? String == receipt["input_digest"] as? String)

        let plain = try await run.cli(["client", "receipt", "verify", genuine], key: client.key)
        #expect(plain.status == 0 && plain.output.contains("\nVALID") && plain.output.contains("argmax \(argmax)")
                && plain.output.contains("input hidden: commitment"), "\(plain.output)")
        let opening = folder.appendingPathComponent("opening").path
        let fetched = try await run.cli(["client", "jobs", "input-opening", job, "--out", opening], key: client.key)
        #expect(fetched.status == 0, "\(fetched.output)")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: opening)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0, "the opening is written for its owner alone: \(String(mode, radix: 8))")
        let opened = try await run.cli(["client", "receipt", "verify", genuine, "--input-opening", opening], key: client.key)
        #expect(opened.status == 0 && opened.output.contains("opening checked") && opened.output.contains("\nVALID"), "\(opened.output)")
        // A worker's key cannot read the opening: the job is not there for it.
        let asWorker = try await run.cli(["client", "jobs", "input-opening", job, "--out", opening + ".w"], key: cast.workers[0].key)
        #expect(asWorker.status != 0 && asWorker.output.contains("unknown_job"), "\(asWorker.output)")

        // Another input commitment than the signed one, and an opening cut short, are refused.
        var other = bundle, changed = receipt
        var bytes = try #require(Receipt.bytes(hex: commitment))
        bytes[bytes.count - 1] ^= 1
        changed["input_commitment"] = Self.hex(bytes)
        other["receipt"] = changed
        let otherPath = folder.appendingPathComponent("other-commitment.json").path
        try JSONSerialization.data(withJSONObject: other).write(to: URL(fileURLWithPath: otherPath))
        let mismatch = try await run.cli(["client", "receipt", "verify", otherPath], key: client.key)
        #expect(mismatch.status == 1 && mismatch.output.contains("(input_commitment_mismatch)"), "\(mismatch.output)")
        let cut = folder.appendingPathComponent("cut-opening").path
        try Data(try Data(contentsOf: URL(fileURLWithPath: opening)).dropLast()).write(to: URL(fileURLWithPath: cut))
        let malformed = try await run.cli(["client", "receipt", "verify", genuine, "--input-opening", cut], key: client.key)
        #expect(malformed.status == 1 && malformed.output.contains("(input_opening_malformed)"), "\(malformed.output)")
        #expect(try await run.ledgerIntact())
    }
}
