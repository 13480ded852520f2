import MarketTestSupport
import Foundation
import Market
import Postgres
import Testing
import TestSupport

/// Model imports are admitted before anything is stored, per account and in total, and run
/// on threads of their own.
@Suite(.timeLimit(.minutes(5))) struct ModelImportTests {
    private func settled(_ f: MarketFixture, _ id: String) async throws -> Model {
        let started = ContinuousClock.now
        while true {
            let model = try await f.market.model(id)
            if model.status != .processing || ContinuousClock.now - started > .seconds(120) { return model }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    private func stored(_ f: MarketFixture, _ id: String) async throws -> Bool {
        try await f.db.pool.query("SELECT 1 FROM models WHERE id = $1", [.text(id)]).first != nil
    }

    @Test func admission_PerAccountAndInTotal_RefusesBeforeStoring() async throws {
        var configuration = MarketConfiguration()
        configuration.importThreads = 1
        configuration.importsQueuedMax = 1
        configuration.importsPerAccountMax = 1
        let f = try await MarketFixture.make(configuration: configuration)
        let (a, b, c) = (try await f.client(funds: 0), try await f.client(funds: 0), try await f.client(funds: 0))
        let importer = InferenceModelImporter()
        // Every import waits at this gate until the uploads below are checked, so the first
        // imports are still running while the next uploads come, however loaded the machine;
        // each import lets the next one through.
        let gate = DispatchSemaphore(value: 0)
        let importing: @Sendable ([UInt8]) throws -> ModelFacts = { bytes in
            gate.wait()
            defer { gate.signal() }
            return try importer.importModel(bytes)
        }
        let models = (1...4).map { GeneratedModel.onnx(inputs: 1024, hidden: 1024, seed: 200 + UInt64($0)) }
        let ids = models.map { importer.digest(of: $0) }
        func upload(_ i: Int, by p: Principal) async throws -> (model: Model, created: Bool) {
            try await f.market.uploadModel(id: ids[i], owner: p.accountID, name: "big", onnx: models[i], importer: importing)
        }
        #expect(try await upload(0, by: a).created)
        #expect(await f.code { try await upload(1, by: a) } == .tooManyImports)
        #expect(try await upload(2, by: b).created)
        #expect(await f.code { try await upload(3, by: c) } == .importBusy)
        let storedRefused = try await [stored(f, ids[1]), stored(f, ids[3])]
        #expect(storedRefused == [false, false])
        let busy = f.market.modelImports.inFlight(for: a.accountID)
        #expect(busy.total == 2 && busy.account == 1)
        // Uploading a model again while it is being imported changes nothing and costs no place.
        let again = try await upload(0, by: b)
        #expect(!again.created && again.model.status == .processing)
        gate.signal()
        let first = try await [settled(f, ids[0]).status, settled(f, ids[2]).status]
        #expect(first == [.ready, .ready])
        let idle = f.market.modelImports.inFlight(for: a.accountID)
        #expect(idle.total == 0 && idle.account == 0)
        #expect(try await upload(1, by: a).created)
        #expect(try await settled(f, ids[1]).status == .ready)
    }

    @Test func modelPastTheLimit_IsRefusedBeforeStoring() async throws {
        let f = try await MarketFixture.make()
        let a = try await f.client(funds: 0)
        let bytes = [UInt8](repeating: 0x08, count: Market.modelBytesMax + 1)
        #expect(await f.code {
            try await f.market.uploadModel(id: "too-big", owner: a.accountID, name: "x", onnx: bytes,
                                           importer: { try InferenceModelImporter().importModel($0) })
        } == .modelTooLarge)
        #expect(try await stored(f, "too-big") == false)
        let idle = f.market.modelImports.inFlight(for: a.accountID)
        #expect(idle.total == 0 && idle.account == 0)
    }
}
