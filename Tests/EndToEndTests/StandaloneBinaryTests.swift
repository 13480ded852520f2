import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The `proofmarket` binary copied alone into an empty folder, far from the repository, must
/// run: its migrations, the REST contract and the demo's model and digits are built into it.
@Suite(.serialized, .timeLimit(.minutes(5))) struct StandaloneBinaryTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func binaryCopiedAloneToAnEmptyFolder_RunsDemoAndServe() async throws {
        let folder = try EmbeddedCluster.scratch("alone")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let binary = folder + "/proofmarket"
        try FileManager.default.copyItem(atPath: ChildProcess.binary, toPath: binary)
        // Nothing of the repository around: no folder above holds migrations or the fixtures.
        var above = URL(fileURLWithPath: folder)
        while above.path != "/" {
            #expect(!FileManager.default.fileExists(atPath: above.appendingPathComponent("migrations").path), "\(above.path)")
            #expect(!FileManager.default.fileExists(atPath: above.appendingPathComponent("models").path), "\(above.path)")
            above.deleteLastPathComponent()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["proofmarket"])

        let demo = try await ChildProcess.run("demo-alone", ["demo", "--jobs", "2"], program: binary, workingDirectory: folder, seconds: 240)
        #expect(demo.status == 0, "\(demo.output.suffix(3000))")
        #expect(demo.output.contains("fulfilled 2/2"), "\(demo.output.suffix(3000))")
        #expect(demo.output.contains("ledger verification: INTACT"))
        // PostgreSQL's own messages (the FATAL a stopping server sends its sessions) stay in its log.
        #expect(EmbeddedCluster.postgresLines(in: demo.output).isEmpty, "\(EmbeddedCluster.postgresLines(in: demo.output))")
        let dataFolder = try #require(EmbeddedCluster.dataFolder(in: demo.output), "\(demo.output.prefix(2000))")
        #expect(dataFolder == folder + "/.proofmarket/postgres")
        #expect(EmbeddedCluster.serverLeft(on: dataFolder) == nil, "demo stops what it started")

        let port = try MarketRun.freePort()
        let serve = try ChildProcess("serve-alone", ["serve", "--port", String(port)], program: binary, workingDirectory: folder)
        _ = try await serve.waitForLine(containing: "proofmarket coordinator on")
        let health = try await EmbeddedCluster.call(.get, "http://127.0.0.1:\(port)/health")
        #expect(health.status.code == 200 && health.bodyText.contains("\"ok\""), "\(health.bodyText)")
        let contract = try await EmbeddedCluster.call(.get, "http://127.0.0.1:\(port)/openapi.yaml")
        #expect(contract.status.code == 200)
        let source = try Data(contentsOf: Self.repository.appendingPathComponent("openapi/openapi.yaml"))
        #expect(contract.body == [UInt8](source), "the served contract is the repository's openapi/openapi.yaml")
        serve.signal(SIGTERM)
        #expect(try await serve.wait(seconds: 60) == 0, "\(serve.output.suffix(3000))")
        #expect(EmbeddedCluster.serverLeft(on: dataFolder) == nil, "serve stops what it started")
        #expect(EmbeddedCluster.postgresLines(in: serve.output).isEmpty, "\(EmbeddedCluster.postgresLines(in: serve.output))")
    }
}
