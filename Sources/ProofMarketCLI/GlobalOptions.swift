import ArgumentParser
import Foundation
import Logging

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("log-level"),
            help: "trace, debug, info, notice, warning, error or critical [env: PROOFMARKET_LOG_LEVEL] (default: info).")
    var logLevel: String?

    /// Sends logs to standard error at the chosen level, once per process.
    func bootstrapLogging(label: String = "proofmarket") -> Logger {
        let text = logLevel ?? ProcessInfo.processInfo.environment["PROOFMARKET_LOG_LEVEL"] ?? "info"
        let level = Logger.Level(rawValue: text.lowercased()) ?? .info
        LoggingBootstrap.once(level: level)
        return Logger(label: label)
    }
}

/// Logging may be bootstrapped only once per process.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    private static let lock = NSLock()

    static func once(level: Logger.Level) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
