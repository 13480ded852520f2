import MarketTestSupport
import API
import Foundation
import HTTPServer
import Inference
import Market
import Testing

/// Model uploads: one size limit, checked before anything is stored; failed models keep no
/// bytes; imports cut off by a stopped coordinator do not stay `processing` for ever; and an
/// upload of a failed model's bytes imports it again.
@Suite(.timeLimit(.minutes(5))) struct ModelUploadHardeningTests {
    /// A small real model other than the digits fixture (its own content address).
    private static let small = GeneratedModel.onnx(inputs: 16, hidden: 8, outputs: 4, seed: 7)

    @Test func importCutOffByACrash_IsFailedBySweeper_AndAnUploadImportsItAgain() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (clientID, clientKey) = try await f.account("client")
        let owner = try #require(UUID(uuidString: clientID))
        let onnx = RealProofs.loaded.onnx
        let id = InferenceModelImporter().digest(of: onnx)
        // What a coordinator that stopped mid-import leaves: the row, `processing`, and no import running.
        _ = try await f.market.registerModel(id: id, owner: owner, name: "digits", onnx: onnx, facts: nil)
        let early = try await f.send(.post, "/v1/models", key: clientKey, bytes: onnx)
        let earlyStatus = try f.object(early)["status"] as? String
        #expect(early.status.code == 200 && earlyStatus == "processing", "\(early.bodyText)")

        f.clock.advance(seconds: Double(f.market.configuration.modelImportStaleSeconds + 1))
        let sweep = try await Sweeper(market: f.market).runOnce()
        #expect(sweep.modelImportsFailed == 1, "\(sweep)")
        let failed = try f.object(try await f.send(.get, "/v1/models/\(id)", key: clientKey))
        #expect(failed["status"] as? String == "failed", "\(failed)")
        #expect((failed["failure"] as? String)?.hasPrefix("import_interrupted") == true, "\(failed)")
        #expect(try await f.storedBytes(ofModel: id) == 0)

        let again = try await f.send(.post, "/v1/models", key: clientKey, bytes: onnx)
        #expect(again.status.code == 202, "\(again.bodyText)")
        #expect(try await f.settledModel(id, key: clientKey)["status"] as? String == "ready")
        #expect(try await f.storedBytes(ofModel: id) == onnx.count)
    }

    @Test func importCutOffByACrash_AnUploadAfterTheBoundRetriesItWithoutTheSweeper() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (clientID, clientKey) = try await f.account("client")
        let id = InferenceModelImporter().digest(of: Self.small)
        _ = try await f.market.registerModel(id: id, owner: try #require(UUID(uuidString: clientID)), name: "small",
                                             onnx: Self.small, facts: nil)
        f.clock.advance(seconds: Double(f.market.configuration.modelImportStaleSeconds + 1))
        let again = try await f.send(.post, "/v1/models", key: clientKey, bytes: Self.small)
        #expect(again.status.code == 202, "\(again.bodyText)")
        #expect(try await f.settledModel(id, key: clientKey)["status"] as? String == "ready")
    }

    @Test func failedModel_UploadedAgain_IsImportedAgain() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (clientID, clientKey) = try await f.account("client")
        let id = InferenceModelImporter().digest(of: Self.small)
        // A model that failed through no fault of its bytes (the queue was full, say).
        _ = try await f.market.registerModel(id: id, owner: try #require(UUID(uuidString: clientID)), name: "small",
                                             onnx: Self.small, facts: nil)
        try await f.market.failModel(id: id, reason: "the import queue was full; upload again later")
        let again = try await f.send(.post, "/v1/models", key: clientKey, bytes: Self.small)
        #expect(again.status.code == 202, "\(again.bodyText)")
        let model = try await f.settledModel(id, key: clientKey)
        #expect(model["status"] as? String == "ready", "\(model)")
        #expect(model["failure"] == nil || model["failure"] is NSNull, "\(model)")
    }

    @Test func modelPastTheLimit_IsRefusedBeforeAnythingIsStored() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client")
        // 36 MB, as in the report, and one byte past the limit: both refused from the head alone.
        for size in [36_000_000, InferenceLimits.modelBytesMax + 1] {
            let status = try f.statusOfHead("POST /v1/models HTTP/1.1", key: clientKey, contentLength: size)
            #expect(status == 413, "\(size): \(status)")
        }
        let rows = try await f.db.pool.query("SELECT count(*) AS n FROM models").first?.decode("n", as: Int64.self)
        #expect(rows == 0)
    }

    @Test func modelAtTheLimit_IsTaken_AndItsFailureKeepsNoBytes() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client")
        let bytes = [UInt8](repeating: 0x08, count: InferenceLimits.modelBytesMax)
        let taken = try await f.send(.post, "/v1/models", key: clientKey, bytes: bytes)
        #expect(taken.status.code == 202, "\(taken.bodyText.prefix(200))")
        let id = try #require(try f.object(taken)["id"] as? String)
        let failed = try await f.settledModel(id, key: clientKey)
        #expect(failed["status"] as? String == "failed", "\(failed)")
        #expect(try await f.storedBytes(ofModel: id) == 0)
        // A failed model's file cannot be fetched (it is not kept).
        try f.expectProblem(try await f.send(.get, "/v1/models/\(id)/onnx", key: clientKey), 409, "model_not_ready")
    }

    @Test func uploadsPastTheAccountsImportBound_AreRefusedAndStoreNothing() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client")
        let (_, otherKey) = try await f.account("client")
        let perAccount = f.market.configuration.importsPerAccountMax
        // Large models, so the first imports are still running while the next uploads arrive.
        let models = (0...perAccount).map { GeneratedModel.onnx(inputs: 1024, hidden: 1024, seed: 100 + UInt64($0)) }
        for onnx in models.prefix(perAccount) {
            let taken = try await f.send(.post, "/v1/models", key: clientKey, bytes: onnx)
            #expect(taken.status.code == 202, "\(taken.bodyText)")
        }
        let refused = try await f.send(.post, "/v1/models", key: clientKey, bytes: models[perAccount])
        try f.expectProblem(refused, 429, "too_many_imports")
        #expect(refused.headers["retry-after"] != nil)
        let refusedID = InferenceModelImporter().digest(of: models[perAccount])
        #expect(try await f.storedBytes(ofModel: refusedID) == nil)
        // Another account is not held back by this one's bound.
        let other = try await f.send(.post, "/v1/models", key: otherKey, bytes: Self.small)
        #expect(other.status.code == 202, "\(other.bodyText)")
        // Once the imports are done, the refused upload is taken.
        for onnx in models.prefix(perAccount) {
            _ = try await f.settledModel(InferenceModelImporter().digest(of: onnx), key: clientKey)
        }
        _ = try await f.settledModel(InferenceModelImporter().digest(of: Self.small), key: otherKey)
        let later = try await f.send(.post, "/v1/models", key: clientKey, bytes: models[perAccount])
        #expect(later.status.code == 202, "\(later.bodyText)")
        #expect(try await f.settledModel(refusedID, key: clientKey)["status"] as? String == "ready")
    }
}
