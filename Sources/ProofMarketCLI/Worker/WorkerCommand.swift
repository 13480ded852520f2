import ArgumentParser
import Foundation
import Logging

/// `proofmarket worker`: a prover node.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a prover node: watch the market, lock or bid, prove, get paid.",
        discussion: """
            Give the worker's API key by environment (PROOFMARKET_API_KEY) or by file (--api-key-file PATH or \
            PROOFMARKET_API_KEY_FILE). A key passed with --api-key is readable by every user of the machine \
            through ps and /proc for as long as the worker runs.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions

    @Option(help: "A name for this node (default: the host name).")
    var name: String?

    @Option(name: .customLong("min-price-per-mmac"),
            help: "Floor price in micro-credits per million multiply-accumulates (default: 1000000).")
    var minPricePerMegaMAC: Int64 = 1_000_000

    @Option(help: "Margin above the floor for sealed bids, as a fraction (default: 0.1).")
    var sealedMargin: Double = 0.1

    @Option(help: "Jobs proven at once (default: 1).")
    var concurrency: Int = 1

    @Option(help: "Largest model taken, in multiply-accumulates (default: 50000000).")
    var maxWorkMacs: Int64 = 50_000_000

    @Flag(help: .hidden)
    var forgeProofs = false

    @Option(help: .hidden)
    var delaySubmitSeconds: Double = 0

    func validate() throws {
        guard minPricePerMegaMAC >= 0 else { throw ValidationError("--min-price-per-mmac must be at least 0") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 64") }
        guard (0...10).contains(sealedMargin) else { throw ValidationError("--sealed-margin must be 0 to 10") }
    }

    func run() async throws {
        let logger = global.bootstrapLogging(label: "proofmarket.worker")
        var policy = WorkerPolicy(minPricePerMegaMAC: minPricePerMegaMAC)
        policy.sealedMargin = sealedMargin
        policy.maxWorkMACs = maxWorkMacs
        var settings = ProverNode.Settings(name: name ?? ProcessInfo.processInfo.hostName, policy: policy)
        settings.concurrency = concurrency
        settings.forgeProofs = forgeProofs
        settings.submitDelaySeconds = delaySubmitSeconds
        let node = ProverNode(client: try remote.client(), settings: settings, logger: logger)
        let stopped = StopSignal.install { await node.stop() }
        defer { stopped.cancel() }
        try await node.run()
        let t = await node.tally
        print("worker summary: locked \(t.locked), bids \(t.bids), proved \(t.proved), paid \(t.paid), refused \(t.rejected), released \(t.released), skipped \(t.skipped), earned \(t.earned) µc")
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
