import CLibPQ
import Foundation

/// Where and how to connect: a `postgres://` URL or a libpq key–value string, passed to
/// libpq as given, so every libpq option (including `sslmode`, `sslrootcert`, …) works.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The connection string as given.
    public let connectionString: String
    /// Seconds libpq may spend establishing a connection.
    public var connectTimeoutSeconds: Int = 10

    /// Wraps a URL (`postgres://user:pass@host:5432/db?sslmode=require`) or a key–value
    /// string (`host=/tmp dbname=proofmarket`). The string is validated by libpq's parser.
    public init(_ connectionString: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let text = errorMessage.map { String(cString: $0) } ?? "unparseable connection string"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(.connection, "invalid connection string: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        PQconninfoFree(options)
        self.connectionString = connectionString
    }

    /// The parsed options, by keyword; only those that are set.
    public var options: [String: String] {
        guard let parsed = PQconninfoParse(connectionString, nil) else { return [:] }
        defer { PQconninfoFree(parsed) }
        var result: [String: String] = [:]
        var cursor = parsed
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val { result[String(cString: keyword)] = String(cString: value) }
            cursor = cursor.advanced(by: 1)
        }
        return result
    }

    /// The same server and credentials, but another database.
    public func withDatabase(_ name: String) -> PostgresConfiguration {
        var opts = options
        opts["dbname"] = name
        let text = opts.keys.sorted().map { "\($0)=\(Self.quote(opts[$0] ?? ""))" }.joined(separator: " ")
        var copy = (try? PostgresConfiguration(text)) ?? self
        copy.connectTimeoutSeconds = connectTimeoutSeconds
        return copy
    }

    /// The database this configuration names, if it names one.
    public var database: String? { options["dbname"] }

    /// A description safe to log: the password, if any, is masked.
    public var description: String {
        let opts = options
        let host = opts["host"] ?? "localhost"
        let port = opts["port"].map { ":\($0)" } ?? ""
        let user = opts["user"].map { "\($0)@" } ?? ""
        return "postgres://\(user)\(host)\(port)/\(opts["dbname"] ?? "")"
    }

    /// Quotes a value for a libpq key–value string.
    static func quote(_ value: String) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        return "'\(escaped)'"
    }
}
