import ArgumentParser
import Foundation
import Logging

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("log-level"),
            help: "trace, debug, info, notice, warning, error or critical [env: PROOFMARKET_LOG_LEVEL] (default: info).")
    var logLevel: String?

    /// Sends logs to standard error at the chosen level, once per process. With `quietExcept`,
    /// and no level chosen, only loggers whose label starts with that prefix speak at `info`;
    /// the rest (access logs, the database) speak from `warning` up.
    func bootstrapLogging(label: String = "proofmarket", quietExcept prefix: String? = nil) -> Logger {
        let chosen = logLevel ?? ProcessInfo.processInfo.environment["PROOFMARKET_LOG_LEVEL"]
        let level = Logger.Level(rawValue: (chosen ?? "info").lowercased()) ?? .info
        LoggingBootstrap.once(level: level, quietExcept: chosen == nil ? prefix : nil)
        return Logger(label: label)
    }
}

/// Logging may be bootstrapped only once per process.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    private static let lock = NSLock()

    static func once(level: Logger.Level, quietExcept prefix: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            if let prefix, !label.hasPrefix(prefix) { handler.logLevel = max(level, .warning) }
            return handler
        }
    }
}
