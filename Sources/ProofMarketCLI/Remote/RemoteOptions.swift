import ArgumentParser
import Foundation

/// Where the coordinator is and which key to present.
///
/// The key is best given by environment (`PROOFMARKET_API_KEY`) or by file (`--api-key-file`,
/// `PROOFMARKET_API_KEY_FILE`): a key on the command line is readable by every user of the
/// machine through `ps` and `/proc/<pid>/cmdline` for as long as the process runs.
struct RemoteOptions: ParsableArguments {
    @Option(name: .customLong("coordinator"),
            help: "Coordinator base URL [env: PROOFMARKET_COORDINATOR] (default: http://127.0.0.1:8080).")
    var coordinator: String?

    @Option(name: .customLong("api-key"),
            help: "API key. Warning: a key given here shows in `ps` to every user of the machine; prefer PROOFMARKET_API_KEY or --api-key-file.")
    var apiKey: String?

    @Option(name: .customLong("api-key-file"),
            help: ArgumentHelp("A file holding the API key (surrounding whitespace ignored) [env: PROOFMARKET_API_KEY_FILE].",
                               valueName: "path"))
    var apiKeyFile: String?

    /// The longest key file read: a key is 64 characters, so anything much larger is the wrong file.
    static let apiKeyFileBytesMax = 4_096

    /// The coordinator URL these options name.
    func coordinatorURL() throws -> String {
        let url = coordinator ?? ProcessInfo.processInfo.environment["PROOFMARKET_COORDINATOR"] ?? "http://127.0.0.1:8080"
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("--coordinator must be an http:// or https:// URL, not \(url)")
        }
        return url
    }

    /// The key, from (first found) `--api-key`, `--api-key-file`, `PROOFMARKET_API_KEY`, `PROOFMARKET_API_KEY_FILE`.
    func resolvedAPIKey(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let apiKey, !apiKey.isEmpty { return apiKey }
        if let apiKeyFile { return try Self.readKey(apiKeyFile, from: "--api-key-file") }
        if let key = environment["PROOFMARKET_API_KEY"], !key.isEmpty { return key }
        if let path = environment["PROOFMARKET_API_KEY_FILE"], !path.isEmpty { return try Self.readKey(path, from: "PROOFMARKET_API_KEY_FILE") }
        throw ValidationError("an API key is required: PROOFMARKET_API_KEY, --api-key-file PATH, or --api-key (visible in ps)")
    }

    /// The client for these options.
    func client() throws -> CoordinatorClient {
        CoordinatorClient(baseURL: try coordinatorURL(), apiKey: try resolvedAPIKey())
    }

    private static func readKey(_ path: String, from source: String) throws -> String {
        let bytes: [UInt8]
        do { bytes = try FileInput.read(path, limit: apiKeyFileBytesMax) } catch {
            throw ValidationError("\(source): cannot read an API key from \(path): \(error)")
        }
        let key = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
            throw ValidationError("\(source): \(path) must hold one API key and nothing else")
        }
        return key
    }
}
