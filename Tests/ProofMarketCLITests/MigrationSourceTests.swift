import BundledAssets
import Foundation
import Testing
@testable import ProofMarketCLI

/// Which migrations a command applies: the ones built into the program, unless a folder is
/// named (`--migrations-dir`, or `PROOFMARKET_MIGRATIONS_DIR`), which then wins.
@Suite struct MigrationSourceTests {
    @Test func builtInByDefault_AndANamedFolderWins() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pm-migrations-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("CREATE TABLE only_here (x int);\n".utf8).write(to: folder.appendingPathComponent("0001_only_here.sql"))

        // The environment may name a folder itself; this test means the flag-less default.
        if ProcessInfo.processInfo.environment["PROOFMARKET_MIGRATIONS_DIR"] == nil {
            let builtIn = try DatabaseOptions.parse([]).migrator().migrations
            #expect(builtIn.map(\.name) == BundledAssets.migrations.map(\.name))
            #expect(builtIn.count >= 8)
        }
        let named = try DatabaseOptions.parse(["--migrations-dir", folder.path]).migrator().migrations
        #expect(named.map(\.name) == ["0001_only_here.sql"])
        #expect(named.first?.sql.contains("only_here") == true)
        // A folder that is not there is an error, not a silent fall-back to the built-in ones.
        #expect(throws: (any Error).self) {
            _ = try DatabaseOptions.parse(["--migrations-dir", folder.appendingPathComponent("absent").path]).migrator()
        }
    }
}
