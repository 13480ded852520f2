import ArgumentParser
import Foundation
import HTTPServer
import Logging

/// `proofmarket worker`: a prover node; `worker benchmark` measures the economics of one.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a prover node: watch the market, lock or bid, prove, get paid.",
        discussion: """
            Give the worker's API key by environment (PROOFMARKET_API_KEY) or by file (--api-key-file PATH or \
            PROOFMARKET_API_KEY_FILE). A key passed with --api-key is readable by every user of the machine \
            through ps and /proc for as long as the worker runs.

            Settings come from flags, then from a configuration file (--config FILE, JSON), then from the \
            defaults. `worker --init` writes that file from the flags given (and, on a terminal, from answers \
            to its questions) and exits; the key itself is never written, only --api-key-file's path.
            `worker benchmark` proves the bundled models and suggests a --min-price-per-mmac.
            """,
        subcommands: [WorkerBenchmarkCommand.self])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions

    @Option(help: "A name for this node (default: the host name).")
    var name: String?

    @Option(name: .customLong("min-price-per-mmac"),
            help: "Floor price in micro-credits per million multiply-accumulates (default: 1000000; `worker benchmark` suggests one).")
    var minPricePerMegaMAC: Int64?

    @Option(help: "Margin above the floor for sealed bids, as a fraction (default: 0.1).")
    var sealedMargin: Double?

    @Option(help: "Jobs proven at once (default: 1).")
    var concurrency: Int?

    @Option(help: "Stop after taking this many locks: finish them, print the summary and exit (default: no limit).")
    var maxJobs: Int?

    @Option(help: "Largest model taken, in multiply-accumulates (default: 50000000).")
    var maxWorkMacs: Int64?

    @Option(help: "Serve Prometheus metrics on this port (default: none).")
    var metricsPort: Int?

    @Option(help: "The address the metrics listen on (default: 127.0.0.1, this machine only).")
    var metricsHost: String?

    @Option(help: ArgumentHelp("A configuration file (JSON) to read (none by default); with --init, the file to write (default: worker.json in the config folder).",
                               valueName: "path"))
    var config: String?

    @Flag(help: "Write the configuration file from the flags (and, on a terminal, answers) and exit.")
    var `init` = false

    @Flag(help: "With --init: ask the questions even when standard input is not a terminal (answers piped in).")
    var interactive = false

    @Flag(help: .hidden)
    var forgeProofs = false

    @Option(help: .hidden)
    var delaySubmitSeconds: Double = 0

    /// The settings the flags name (nil where a flag was not given).
    var flags: WorkerConfig {
        WorkerConfig(name: name, coordinator: remote.coordinator, apiKeyFile: remote.apiKeyFile, minPricePerMmac: minPricePerMegaMAC,
                     sealedMargin: sealedMargin, concurrency: concurrency, maxWorkMacs: maxWorkMacs, metricsPort: metricsPort,
                     metricsHost: metricsHost)
    }

    func validate() throws {
        if let maxJobs, maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1, not \(maxJobs)") }
        do { try flags.validate(source: "the flags") } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        if self.`init` { return try writeConfiguration() }
        let settings = try WorkerConfig.defaults.overridden(by: config.map { try WorkerConfig.read($0) } ?? WorkerConfig())
            .overridden(by: flags)
        let logger = global.bootstrapLogging(label: "proofmarket.worker")
        var policy = WorkerPolicy(minPricePerMegaMAC: settings.minPricePerMmac ?? 1_000_000)
        policy.sealedMargin = settings.sealedMargin ?? 0.1
        policy.maxWorkMACs = settings.maxWorkMacs ?? 50_000_000
        var nodeSettings = ProverNode.Settings(name: settings.name ?? ProcessInfo.processInfo.hostName, policy: policy)
        nodeSettings.concurrency = settings.concurrency ?? 1
        nodeSettings.maxJobs = maxJobs
        nodeSettings.forgeProofs = forgeProofs
        nodeSettings.submitDelaySeconds = delaySubmitSeconds
        var options = remote
        options.coordinator = settings.coordinator
        options.apiKeyFile = settings.apiKeyFile
        let metrics = WorkerMetrics()
        let node = ProverNode(client: try options.client(), settings: nodeSettings, logger: logger, metrics: metrics)
        var server: HTTPServer?
        if let port = settings.metricsPort {
            let host = settings.metricsHost ?? "127.0.0.1"
            server = try metrics.serve(host: host, port: port, logger: Logger(label: "proofmarket.worker.metrics"))
            logger.info("metrics on http://\(host):\(server?.localPort ?? port)/metrics")
        }
        let stopped = StopSignal.install { await node.stop() }
        defer { stopped.cancel() }
        try await node.run()
        await server?.shutdown()
        let t = await node.tally
        print("worker summary: locked \(t.locked), bids \(t.bids), proved \(t.proved), paid \(t.paid), refused \(t.rejected), released \(t.released), skipped \(t.skipped), earned \(t.earned) µc")
    }

    /// `--init`: the flags, with answers on a terminal, written to the file.
    private func writeConfiguration() throws {
        let path = config ?? WorkerConfig.standardPath()
        var settings = WorkerConfig.defaults.overridden(by: flags)
        if interactive || isatty(STDIN_FILENO) == 1 {
            let interview = WorkerConfigInterview(readLine: { Swift.readLine() }, write: { text in
                FileHandle.standardOutput.write(Data(text.utf8))
            })
            settings = interview.run(starting: settings)
        }
        try settings.validate(source: "the answers")
        try settings.write(to: path)
        print("wrote the worker configuration to \(path); run it with: proofmarket worker --config \(path)")
    }
}

/// SIGINT/SIGTERM turned into a graceful stop instead of an exit.
enum StopSignal {
    /// Calls `action` once on the first SIGINT or SIGTERM; a second signal exits at once.
    static func install(_ action: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            return source
        }
        let stream = AsyncStream<Int32> { continuation in
            for (source, number) in zip(sources, [SIGINT, SIGTERM]) {
                source.setEventHandler { continuation.yield(number) }
                source.resume()
            }
        }
        return Task {
            var count = 0
            for await number in stream {
                count += 1
                if count > 1 { exit(128 + number) }
                await action()
            }
            _ = sources
        }
    }
}
