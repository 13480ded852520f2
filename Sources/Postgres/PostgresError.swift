/// An error from the PostgreSQL layer: a server error with its SQLSTATE, or a fault of the
/// connection, the pool or the embedded cluster, each with a message a person can act on.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What kind of fault this is; callers branch on it, people read `message`.
    public enum Kind: String, Sendable {
        /// The server answered a statement with an error (see `sqlState`).
        case server
        /// The connection could not be made or was lost.
        case connection
        /// No connection became free within the pool's acquire timeout.
        case poolTimeout
        /// The server did not answer within the session's `replyWaitSeconds`; the connection was given up.
        case timeout
        /// The pool was closed.
        case poolClosed
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// A migration file is missing, changed after it was applied, or failed.
        case migration
        /// The embedded cluster could not be found, initialised, started or stopped.
        case cluster
    }

    /// The kind of fault.
    public let kind: Kind
    /// The five-character SQLSTATE code for server errors (for example `40001`).
    public let sqlState: String?
    /// The primary message.
    public let message: String
    /// The server's detail line, if any.
    public let detail: String?
    /// The server's hint, if any.
    public let hint: String?
    /// The name of the violated constraint, if any.
    public let constraint: String?

    /// Creates an error; `sqlState`, `detail`, `hint` and `constraint` apply to server errors.
    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil,
                hint: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
    }

    /// True for the failures that a transaction may simply run again:
    /// serialisation failure (40001) and deadlock (40P01).
    public var isRetryableTransactionFailure: Bool {
        sqlState == "40001" || sqlState == "40P01"
    }

    /// True when the connection itself failed (SQLSTATE class 08, or no SQLSTATE at all
    /// because the socket broke), so the statement never reached a decision.
    public var isConnectionFailure: Bool {
        kind == .connection || (sqlState?.hasPrefix("08") ?? false) || sqlState == "57P01"
    }

    /// True when the database could not do the work now, through no fault of the request:
    /// unreachable, not answering in time, out of connections, shutting down, or a statement
    /// cut off by `statement_timeout` (57014). Worth trying again later; an API answers 503.
    public var isUnavailable: Bool {
        switch kind {
        case .connection, .poolTimeout, .timeout, .poolClosed: return true
        case .server:
            guard let sqlState else { return false }
            return sqlState.hasPrefix("08") || sqlState == "57014" || sqlState.hasPrefix("57P") || sqlState == "53300"
        case .decoding, .migration, .cluster: return false
        }
    }

    public var description: String {
        var text = "PostgreSQL: \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { text += "; detail: \(detail)" }
        if let hint, !hint.isEmpty { text += "; hint: \(hint)" }
        return text
    }

    /// Turns libpq's raw connection failure text into a message naming the usual cause.
    static func connectionFailure(_ raw: String, target: String) -> PostgresError {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = text.lowercased()
        let summary: String
        if lower.contains("password authentication failed") || lower.contains("no password supplied") {
            summary = "authentication failed for \(target): check the user name and password"
        } else if lower.contains("does not exist") && lower.contains("database") {
            summary = "the database named in \(target) does not exist: create it or fix DATABASE_URL"
        } else if lower.contains("connection refused") || lower.contains("no such file or directory") {
            summary = "no PostgreSQL server is answering at \(target): is it running?"
        } else if lower.contains("could not translate host name") {
            summary = "the host in \(target) cannot be resolved"
        } else if lower.contains("timeout expired") {
            summary = "connecting to \(target) timed out"
        } else {
            summary = "cannot connect to \(target)"
        }
        return PostgresError(.connection, summary, detail: text)
    }
}

import Foundation
