import ArgumentParser
import Foundation

/// Where the coordinator is and which key to present.
struct RemoteOptions: ParsableArguments {
    @Option(name: .customLong("coordinator"),
            help: "Coordinator base URL [env: PROOFMARKET_COORDINATOR] (default: http://127.0.0.1:8080).")
    var coordinator: String?

    @Option(name: .customLong("api-key"), help: "API key [env: PROOFMARKET_API_KEY].")
    var apiKey: String?

    /// The client for these options.
    func client() throws -> CoordinatorClient {
        let environment = ProcessInfo.processInfo.environment
        let url = coordinator ?? environment["PROOFMARKET_COORDINATOR"] ?? "http://127.0.0.1:8080"
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ValidationError("--coordinator must be an http:// or https:// URL, not \(url)")
        }
        guard let key = apiKey ?? environment["PROOFMARKET_API_KEY"], !key.isEmpty else {
            throw ValidationError("an API key is required: --api-key or PROOFMARKET_API_KEY")
        }
        return CoordinatorClient(baseURL: url, apiKey: key)
    }
}
