import BundledAssets
import Foundation
import Testing

/// The files built into the binary are exactly the repository's: every migration, the
/// contract, the dashboard's pages and the demo's files, byte for byte, so the built-in copies
/// can never drift.
@Suite struct BundledAssetsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func everyBuiltInFile_IsTheRepositorysFile_ByteForByte() throws {
        let migrations = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent("migrations").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!migrations.isEmpty)
        #expect(BundledAssets.migrations.map(\.name) == migrations, "every migration and no other is built in")
        let dashboard = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent(BundledAssets.dashboardFolder).path)
            .filter { [".html", ".css", ".js", ".svg"].contains(where: $0.hasSuffix) }.sorted()
        #expect(dashboard.contains("index.html") && dashboard.contains("app.js") && dashboard.contains("style.css"))
        #expect(BundledAssets.dashboardFiles == dashboard, "every dashboard file and no other is built in")
        let expected = migrations.map { "migrations/" + $0 } + dashboard.map { BundledAssets.dashboardFolder + "/" + $0 }
            + ["openapi/openapi.yaml", "models/digits-mlp-large.onnx", "models/digits-sample.json"]
        #expect(Set(BundledAssets.paths) == Set(expected))
        for path in expected {
            let onDisk = try Data(contentsOf: Self.repository.appendingPathComponent(path))
            #expect(BundledAssets.file(path) == [UInt8](onDisk), "\(path) differs from its built-in copy")
        }
        #expect(BundledAssets.openAPIDocument.hasPrefix("openapi: 3.1"))
    }
}
