import ArgumentParser
import Foundation
import Testing
@testable import ProofMarketCLI

/// Where a remote command's API key comes from: a file or the environment keep it out of `ps`.
@Suite struct RemoteOptionsTests {
    private func keyFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pm-key-\(UUID().uuidString.prefix(8))").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func apiKeyFile_IsRead_WhitespaceTrimmed() throws {
        let path = try keyFile("pm_worker_0123456789abcdef\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try RemoteOptions.parse(["--api-key-file", path])
        #expect(try options.resolvedAPIKey(environment: [:]) == "pm_worker_0123456789abcdef")
        // The file wins over the environment's key, as a flag does.
        #expect(try options.resolvedAPIKey(environment: ["PROOFMARKET_API_KEY": "other"]) == "pm_worker_0123456789abcdef")
    }

    @Test func apiKeyFileFromEnvironment_IsRead() throws {
        let path = try keyFile("  from-file  ")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let options = try RemoteOptions.parse([])
        #expect(try options.resolvedAPIKey(environment: ["PROOFMARKET_API_KEY_FILE": path]) == "from-file")
        #expect(try options.resolvedAPIKey(environment: ["PROOFMARKET_API_KEY": "from-env", "PROOFMARKET_API_KEY_FILE": path]) == "from-env")
    }

    @Test func keyFileWithTwoWordsOrNothing_IsRefused() throws {
        for text in ["", "\n", "one two"] {
            let path = try keyFile(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(throws: ValidationError.self) { try RemoteOptions.parse(["--api-key-file", path]).resolvedAPIKey(environment: [:]) }
        }
        #expect(throws: ValidationError.self) { try RemoteOptions.parse(["--api-key-file", "/nonexistent/key"]).resolvedAPIKey(environment: [:]) }
        #expect(throws: ValidationError.self) { try RemoteOptions.parse([]).resolvedAPIKey(environment: [:]) }
    }

    @Test func apiKeyFlagHelp_WarnsThatItShowsInPs() {
        // Help text is wrapped to the terminal's width: compare with the line breaks taken out.
        let help = WorkerCommand.helpMessage(columns: 200).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("--api-key-file"))
        #expect(help.contains("PROOFMARKET_API_KEY"))
        #expect(help.contains("shows in `ps`"), "\(help)")
    }
}
