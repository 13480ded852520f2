import Foundation

/// A prover node's settings as a file (JSON): what `worker --init` writes and `worker --config`
/// reads. Every field is optional; a flag given on the command line wins over the file, and the
/// file over the defaults. The API key is never written here: only where to read it
/// (`api_key_file`), so the file can be shared and backed up without the secret.
struct WorkerConfig: Codable, Equatable, Sendable {
    var name: String?
    var coordinator: String?
    var apiKeyFile: String?
    var minPricePerMmac: Int64?
    var sealedMargin: Double?
    var concurrency: Int?
    var maxWorkMacs: Int64?
    var metricsPort: Int?
    var metricsHost: String?

    /// The defaults a node runs with when neither a flag nor the file says otherwise.
    static let defaults = WorkerConfig(minPricePerMmac: 1_000_000, sealedMargin: 0.1, concurrency: 1,
                                       maxWorkMacs: 50_000_000, metricsHost: "127.0.0.1")

    /// The longest configuration file read.
    static let fileBytesMax = 64 << 10

    /// Where `--init` writes and `--config` looks without a path: `worker.json` in the CLI's
    /// config folder (`$PROOFMARKET_CONFIG_DIR`, else `$XDG_CONFIG_HOME/proofmarket`, else
    /// `~/.config/proofmarket`), beside `known_coordinators`.
    static func standardPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        URL(fileURLWithPath: KnownCoordinators.standard(environment: environment).path).deletingLastPathComponent()
            .appendingPathComponent("worker.json").path
    }

    /// The file at `path`, checked.
    static func read(_ path: String) throws -> WorkerConfig {
        let bytes = try FileInput.read(path, limit: fileBytesMax)
        let config: WorkerConfig
        do {
            config = try Self.decoder.decode(WorkerConfig.self, from: Data(bytes))
        } catch {
            throw WorkerConfigError.invalid(path: path, detail: Self.describe(error))
        }
        try config.validate(source: path)
        return config
    }

    /// Writes the file (mode 0600), creating its folder.
    func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try (try encoder.encode(self) + Data("\n".utf8)).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// `self` with every field `other` sets taken from `other`.
    func overridden(by other: WorkerConfig) -> WorkerConfig {
        WorkerConfig(name: other.name ?? name, coordinator: other.coordinator ?? coordinator,
                     apiKeyFile: other.apiKeyFile ?? apiKeyFile, minPricePerMmac: other.minPricePerMmac ?? minPricePerMmac,
                     sealedMargin: other.sealedMargin ?? sealedMargin, concurrency: other.concurrency ?? concurrency,
                     maxWorkMacs: other.maxWorkMacs ?? maxWorkMacs, metricsPort: other.metricsPort ?? metricsPort,
                     metricsHost: other.metricsHost ?? metricsHost)
    }

    /// Throws the first value out of its range, naming where it came from.
    func validate(source: String) throws {
        func fail(_ field: String, _ rule: String) -> WorkerConfigError { .invalid(path: source, detail: "\(field) \(rule)") }
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 { throw fail("name", "must be 1 to 100 characters") }
        if let coordinator, !(coordinator.hasPrefix("http://") || coordinator.hasPrefix("https://")) {
            throw fail("coordinator", "must be an http:// or https:// URL")
        }
        if let minPricePerMmac, !(0...1_000_000_000_000).contains(minPricePerMmac) {
            throw fail("min_price_per_mmac", "must be 0 to 1000000000000 micro-credits")
        }
        if let sealedMargin, !(0...10).contains(sealedMargin) { throw fail("sealed_margin", "must be 0 to 10") }
        if let concurrency, !(1...64).contains(concurrency) { throw fail("concurrency", "must be 1 to 64") }
        if let maxWorkMacs, maxWorkMacs < 1 { throw fail("max_work_macs", "must be positive") }
        if let metricsPort, !(1...65_535).contains(metricsPort) { throw fail("metrics_port", "must be 1 to 65535") }
        if let metricsHost, metricsHost.isEmpty { throw fail("metrics_host", "must not be empty") }
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return field.isEmpty ? context.debugDescription : "\(field): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// A configuration file that cannot be used.
enum WorkerConfigError: Error, CustomStringConvertible {
    case invalid(path: String, detail: String)
    var description: String {
        switch self {
        case .invalid(let path, let detail): return "\(path): \(detail) (worker_config_invalid)"
        }
    }
}

/// The questions `worker --init` asks on a terminal, each with the answer it takes when the
/// reply is empty: the flag's value if one was given, else the default.
struct WorkerConfigInterview {
    let readLine: () -> String?
    let write: (String) -> Void

    /// Asks each question in turn; an empty reply keeps the shown value, a bad one is asked
    /// again; at the end of the input the shown value (or, if that is not valid, the default) stands.
    func run(starting config: WorkerConfig) -> WorkerConfig {
        var c = config
        c.name = ask("Node name", c.name ?? ProcessInfo.processInfo.hostName, fallback: "prover") { $0.isEmpty ? nil : $0 }
        c.coordinator = ask("Coordinator URL", c.coordinator ?? "http://127.0.0.1:8080", fallback: "http://127.0.0.1:8080") {
            $0.hasPrefix("http://") || $0.hasPrefix("https://") ? $0 : nil
        }
        let keyFile = ask("File holding the worker's API key (empty: PROOFMARKET_API_KEY)", c.apiKeyFile ?? "", fallback: "") { $0 }
        c.apiKeyFile = keyFile.isEmpty ? nil : keyFile
        c.minPricePerMmac = ask("Floor, micro-credits per million multiply-accumulates (see `worker benchmark`)",
                                "\(c.minPricePerMmac ?? 1_000_000)", fallback: 1_000_000) { Int64($0).flatMap { $0 >= 0 ? $0 : nil } }
        c.concurrency = ask("Jobs proven at once", "\(c.concurrency ?? 1)", fallback: 1) { Int($0).flatMap { (1...64).contains($0) ? $0 : nil } }
        c.maxWorkMacs = ask("Largest model taken, multiply-accumulates", "\(c.maxWorkMacs ?? 50_000_000)", fallback: 50_000_000) {
            Int64($0).flatMap { $0 >= 1 ? $0 : nil }
        }
        let port = ask("Prometheus metrics port (empty: none)", c.metricsPort.map(String.init) ?? "", fallback: "") { text -> String? in
            text.isEmpty || Int(text).map({ (1...65_535).contains($0) }) == true ? text : nil
        }
        c.metricsPort = Int(port)
        return c
    }

    private func ask<T>(_ question: String, _ shown: String, fallback: T, _ parse: (String) -> T?) -> T {
        while true {
            write("\(question) [\(shown)]: ")
            guard let line = readLine() else {
                write("\n")
                return parse(shown) ?? fallback
            }
            let reply = line.trimmingCharacters(in: .whitespaces)
            if let value = parse(reply.isEmpty ? shown : reply) { return value }
            write("  not a valid answer: \(reply)\n")
        }
    }
}
