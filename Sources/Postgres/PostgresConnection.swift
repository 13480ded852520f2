import CLibPQ
import Dispatch
import Foundation

/// One libpq connection.
///
/// libpq's calls wait on the socket, so each connection owns a serial dispatch queue (a thread
/// of its own while busy) and every call runs there; `async` callers suspend on a continuation
/// and never block Swift's cooperative pool. Calls on one connection are serialised by that
/// queue; the pool hands a connection to one user at a time.
///
/// The socket is driven in libpq's non-blocking mode and every wait on it is a `poll(2)` bounded
/// by `limits.replyWaitSeconds`, so a server that stops answering (frozen, partitioned) costs a
/// caller at most that long: the connection is then given up and `.timeout` is thrown.
public final class PostgresConnection: @unchecked Sendable {
    /// The configuration this connection was made from.
    public let configuration: PostgresConfiguration
    /// The session's time bounds.
    public let limits: PostgresSessionLimits
    /// When the connection last finished a statement (used by the pool's idle health check).
    public internal(set) var lastUsed: Date = Date()

    private let handle: OpaquePointer
    private let queue: DispatchQueue
    private var closed = false
    /// Set when a wait for the server ran out: the protocol state is unknown, so the connection
    /// is never used again (the pool closes it when it comes back).
    private var abandoned = false
    /// Statements prepared on this session, by SQL text and parameter types.
    private var prepared: [PreparedKey: String] = [:]
    private var preparedCount = 0
    private struct PreparedKey: Hashable {
        let sql: String
        let types: [UInt32]
    }
    /// At most this many statements are prepared per connection; past it, statements run
    /// unprepared (parsed and planned each time), so text built at run time cannot grow the cache.
    public static let preparedStatementsMax = 256
    /// Set when `queryAndCommit` ended a transaction block inside `ConnectionPool.transaction`:
    /// a later statement of that body would run outside the block, so it is refused instead.
    private var bodyCommitted = false
    /// A `BEGIN` waiting to travel with the next statement (see `beginWithNextStatement`).
    private var pendingBegin: String?

    private init(handle: OpaquePointer, configuration: PostgresConfiguration, limits: PostgresSessionLimits,
                 queue: DispatchQueue) {
        self.handle = handle
        self.configuration = configuration
        self.limits = limits
        self.queue = queue
    }

    deinit {
        if !closed { PQfinish(handle) }
    }

    /// Opens a connection and prepares the session (UTC time zone, application name, and the
    /// server-side `statement_timeout` of `limits`). Without `limits` nothing is bounded but
    /// the connect itself (`connectTimeoutSeconds`): migrations and admin work may run long.
    public static func connect(_ configuration: PostgresConfiguration,
                               limits: PostgresSessionLimits = PostgresSessionLimits()) async throws -> PostgresConnection {
        let queue = DispatchQueue(label: "proofmarket.postgres.connection")
        let connection: PostgresConnection = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                let keywords = ["dbname", "connect_timeout", "application_name", "fallback_application_name"]
                var values = [configuration.connectionString, String(configuration.connectTimeoutSeconds),
                              "proofmarket", "proofmarket"]
                if configuration.options["application_name"] != nil { values[2] = configuration.options["application_name"] ?? "" }
                let handle: OpaquePointer? = withCStrings(keywords) { keys in
                    withCStrings(values) { vals in PQconnectdbParams(keys, vals, 1) }
                }
                guard let handle else {
                    continuation.resume(throwing: PostgresError(.connection, "libpq could not allocate a connection"))
                    return
                }
                guard PQstatus(handle) == CONNECTION_OK else {
                    let raw = String(cString: PQerrorMessage(handle))
                    PQfinish(handle)
                    continuation.resume(throwing: PostgresError.connectionFailure(raw, target: configuration.description))
                    return
                }
                // Server notices (for example "already exists, skipping") are not errors; keep them off stderr.
                PQsetNoticeProcessor(handle, { _, _ in }, nil)
                // Non-blocking, so that every wait on the socket is one bounded poll (see `waitForSocket`).
                guard PQsetnonblocking(handle, 1) == 0 else {
                    let raw = String(cString: PQerrorMessage(handle))
                    PQfinish(handle)
                    continuation.resume(throwing: PostgresError(.connection, "libpq refused non-blocking mode: \(raw)"))
                    return
                }
                continuation.resume(returning: PostgresConnection(handle: handle, configuration: configuration,
                                                                  limits: limits, queue: queue))
            }
        }
        var setup = "SET TIME ZONE 'UTC'"
        if limits.statementTimeoutSeconds > 0 {
            setup += "; SET statement_timeout = \(max(1, Int((limits.statementTimeoutSeconds * 1000).rounded())))"
        }
        do {
            try await connection.execute(setup)
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// Whether libpq considers the connection usable.
    public var isHealthy: Bool {
        queue.sync { !closed && !abandoned && PQstatus(handle) == CONNECTION_OK }
    }

    /// The server process id serving this connection (for tests and diagnostics).
    public var backendPID: Int32 {
        queue.sync { closed ? 0 : PQbackendPID(handle) }
    }

    /// Runs one parameterised statement. Parameters are `$1`, `$2`, … in the SQL.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresResult {
        try await onQueue { [self] handle in
            try refuseAfterBodyCommitted(sql)
            if let begin = pendingBegin {
                pendingBegin = nil
                return try pipeline(handle, begin: begin, [PostgresStatement(sql, parameters)], commit: false)[0]
            }
            let wire = WireParameters(parameters)
            let name = try prepare(sql, wire.types, handle: handle)
            do {
                return try exchange(handle) {
                    withBufferPointers(wire.buffers) { pointers in
                        if let name {
                            return PQsendQueryPrepared(handle, name, wire.count, pointers, wire.lengths, wire.formats, 0)
                        }
                        return PQsendQueryParams(handle, sql, wire.count, wire.types, pointers, wire.lengths, wire.formats, 0)
                    }
                }
            } catch {
                forgetIfStale(error, sql, wire.types)
                throw error
            }
        }
    }

    /// Runs several statements sent together in one libpq pipeline (one round trip) and returns
    /// each one's result in order; nothing is committed. For statements that do not depend on
    /// each other's answers (a transaction's opening reads, say). The first failure is thrown
    /// and the statements after it are skipped by the server.
    public func query(_ statements: [PostgresStatement]) async throws -> [PostgresResult] {
        try await onQueue { [self] handle in
            try refuseAfterBodyCommitted(statements.first?.sql ?? "")
            let begin = pendingBegin
            pendingBegin = nil
            return try pipeline(handle, begin: begin, statements, commit: false)
        }
    }

    /// "cached plan must not change result type" (0A000): the schema changed under a prepared
    /// statement. Forget it, so the next call prepares it afresh.
    private func forgetIfStale(_ error: Error, _ sql: String, _ types: [UInt32]) {
        if let error = error as? PostgresError, error.sqlState == "0A000" {
            prepared[PreparedKey(sql: sql, types: types)] = nil
        }
    }

    /// The name of `sql` prepared for these parameter types on this session, preparing it on
    /// first use: later runs skip parsing and planning. Nil once the cache is full.
    private func prepare(_ sql: String, _ types: [UInt32], handle: OpaquePointer) throws -> String? {
        let key = PreparedKey(sql: sql, types: types)
        if let name = prepared[key] { return name }
        guard preparedCount < Self.preparedStatementsMax else { return nil }
        preparedCount += 1
        let name = "proofmarket_\(preparedCount)"
        _ = try exchange(handle) { PQsendPrepare(handle, name, sql, Int32(types.count), types) }
        prepared[key] = name
        return name
    }

    /// Runs one parameterised statement and then `COMMIT`, sent together in one libpq pipeline:
    /// the server commits as soon as the statement is done, without waiting for this process to
    /// read the answer and ask. Locks the statement takes (a busy balance row, say) are then
    /// held only while the server works, never while this process is busy elsewhere.
    ///
    /// Call it inside a transaction block, as its last statement. If the statement fails, the
    /// commit is skipped and the statement's error is thrown (the block is left failed, for the
    /// caller's `ROLLBACK`); if the commit fails, its error is thrown and the block is over.
    @discardableResult
    public func queryAndCommit(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresResult {
        let results = try await queryAndCommit([PostgresStatement(sql, parameters)])
        guard let first = results.first else { throw PostgresError(.connection, "the pipeline returned no result") }
        return first
    }

    /// Runs several statements and then `COMMIT`, all sent in one libpq pipeline (one round
    /// trip), and returns each statement's result in order. The first failure is thrown and
    /// everything after it is skipped, COMMIT included (see `queryAndCommit(_:_:)`).
    @discardableResult
    public func queryAndCommit(_ statements: [PostgresStatement]) async throws -> [PostgresResult] {
        try await onQueue { [self] handle in
            try refuseAfterBodyCommitted(statements.first?.sql ?? "COMMIT")
            defer { if PQtransactionStatus(handle) == PQTRANS_IDLE { bodyCommitted = true } }
            let begin = pendingBegin
            pendingBegin = nil
            return try pipeline(handle, begin: begin, statements, commit: true)
        }
    }

    /// Sends `begin` (if any), the statements and `COMMIT` (if `commit`) in one pipeline and
    /// returns the statements' results; the first failure is thrown (what follows it is skipped
    /// by the server). Runs on the connection's queue.
    private func pipeline(_ handle: OpaquePointer, begin: String?, _ statements: [PostgresStatement],
                          commit: Bool) throws -> [PostgresResult] {
        // Prepare first (a round trip only the first time each statement is seen).
        let wires = statements.map { WireParameters($0.parameters) }
        let names = try zip(statements, wires).map { try prepare($0.sql, $1.types, handle: handle) }
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError(.connection, "libpq refused pipeline mode: " + Self.message(handle))
        }
        defer { PQexitPipelineMode(handle) }
        func sendPlain(_ sql: String) throws {
            guard PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0) == 1 else {
                throw PostgresError(.connection, "the connection failed: " + Self.message(handle))
            }
        }
        if let begin { try sendPlain(begin) }
        for (index, statement) in statements.enumerated() {
            let wire = wires[index]
            let sent = withBufferPointers(wire.buffers) { pointers in
                if let name = names[index] {
                    return PQsendQueryPrepared(handle, name, wire.count, pointers, wire.lengths, wire.formats, 0)
                }
                return PQsendQueryParams(handle, statement.sql, wire.count, wire.types, pointers, wire.lengths, wire.formats, 0)
            }
            guard sent == 1 else { throw PostgresError(.connection, "the connection failed: " + Self.message(handle)) }
        }
        if commit { try sendPlain("COMMIT") }
        guard PQpipelineSync(handle) == 1 else {
            throw PostgresError(.connection, "the connection failed: " + Self.message(handle))
        }
        let deadline = replyDeadline()
        try flush(handle, until: deadline)
        // Each command's results end with a NULL; the pipeline ends with its sync result.
        var outcomes: [Result<PostgresResult, Error>] = []
        var current: Result<PostgresResult, Error>?
        var nullsInARow = 0
        while true {
            guard let result = try nextResult(handle, until: deadline) else {
                // One NULL ends a command's results; a second in a row means no command is
                // active (libpq returns NULL at once then), so the sync result will never come:
                // asking again would spin for ever.
                nullsInARow += 1
                if nullsInARow > 1 {
                    let cause = PQstatus(handle) == CONNECTION_OK ? "the pipeline ended without its sync result" : Self.message(handle)
                    throw PostgresError(.connection, "the connection failed: " + cause)
                }
                if let done = current { outcomes.append(done) }
                current = nil
                continue
            }
            nullsInARow = 0
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC {
                PQclear(result)
                break
            }
            if status == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                current = .failure(PostgresError(.server, "skipped: an earlier statement in the pipeline failed"))
                continue
            }
            current = Result { try Self.consume(result, handle: handle) }
        }
        let expected = (begin == nil ? 0 : 1) + statements.count + (commit ? 1 : 0)
        guard outcomes.count == expected else {
            throw PostgresError(.connection, "the pipeline returned \(outcomes.count) results for \(expected) commands")
        }
        // The first failure is the cause; later ones only say they were skipped.
        let offset = begin == nil ? 0 : 1
        for (index, outcome) in outcomes.enumerated() {
            guard case .failure(let error) = outcome else { continue }
            if statements.indices.contains(index - offset) {
                forgetIfStale(error, statements[index - offset].sql, wires[index - offset].types)
            }
            throw error
        }
        let results = try outcomes.map { try $0.get() }
        return Array(results.dropFirst(offset).prefix(statements.count))
    }

    /// Opens a transaction block with the next statement sent on this connection: `sql` (a
    /// `BEGIN …`) travels in one pipeline with it, saving a round trip.
    func beginWithNextStatement(_ sql: String) {
        queue.sync { pendingBegin = sql }
    }

    /// Whether a transaction block is open on this connection (idle in it, or failed in it).
    public var isInTransaction: Bool {
        queue.sync { isInTransactionOnQueue }
    }

    private var isInTransactionOnQueue: Bool {
        guard !closed else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    private func refuseAfterBodyCommitted(_ sql: String) throws {
        guard !bodyCommitted else {
            throw PostgresError(.connection, "refused '\(sql.prefix(40))': its transaction was already committed by queryAndCommit")
        }
    }

    /// Called by `ConnectionPool.transaction` when a body has finished: forgets a `BEGIN` no
    /// statement carried and the body's early commit, and says whether a transaction block is
    /// still open (to be committed or rolled back).
    func endTransactionBody() -> Bool {
        queue.sync {
            bodyCommitted = false
            if pendingBegin != nil {
                pendingBegin = nil
                return false   // nothing began
            }
            return isInTransactionOnQueue
        }
    }

    private static func message(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs SQL text that may hold several statements and no parameters (migrations, DDL).
    public func execute(_ sql: String) async throws {
        _ = try await onQueue { [self] handle in
            if let begin = pendingBegin {
                pendingBegin = nil
                _ = try exchange(handle) { PQsendQuery(handle, begin) }
            }
            return try exchange(handle) { PQsendQuery(handle, sql) }
        }
    }

    /// Closes the connection. Later calls fail with a connection error.
    public func close() {
        queue.sync {
            if !closed {
                closed = true
                PQfinish(handle)
            }
        }
    }

    /// Runs a blocking libpq call on this connection's queue.
    func onQueue<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                guard !closed, !abandoned else {
                    let why = closed ? "the connection is closed" : "the connection was given up after the server stopped answering"
                    continuation.resume(throwing: PostgresError(.connection, why))
                    return
                }
                do {
                    let value = try body(handle)
                    lastUsed = Date()
                    continuation.resume(returning: value)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Marks the connection unusable after a wait for the server ran out (on the queue).
    func abandon() { abandoned = true }

    /// The raw handle, for the listener, which drives the socket itself.
    func withHandle<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T { try body(handle) }

    /// Reads a libpq result into Swift values and frees it; server errors become `PostgresError`.
    static func consume(_ result: OpaquePointer?, handle: OpaquePointer) throws -> PostgresResult {
        guard let result else {
            throw PostgresError(.connection, "the connection failed: "
                + String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return decodeRows(result)
        default:
            func field(_ code: Character) -> String? {
                guard let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else { return nil }
                return String(cString: value)
            }
            let message = field("M") ?? String(cString: PQresultErrorMessage(result))
            let brokenConnection = PQstatus(handle) != CONNECTION_OK
            throw PostgresError(brokenConnection && field("C") == nil ? .connection : .server,
                                message.trimmingCharacters(in: .whitespacesAndNewlines),
                                sqlState: field("C"), detail: field("D"), hint: field("H"), constraint: field("n"))
        }
    }

    private static func decodeRows(_ result: OpaquePointer) -> PostgresResult {
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var names: [String] = []
        var types: [UInt32] = []
        var index: [String: Int] = [:]
        for c in 0..<columnCount {
            let name = String(cString: PQfname(result, Int32(c)))
            names.append(name)
            types.append(PQftype(result, Int32(c)))
            if index[name] == nil { index[name] = c }
        }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for r in 0..<rowCount {
            var cells: [PostgresCell?] = []
            cells.reserveCapacity(columnCount)
            for c in 0..<columnCount {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    cells.append(nil)
                    continue
                }
                let value = PQgetvalue(result, Int32(r), Int32(c))!
                if types[c] == PostgresType.bytea {
                    var length = 0
                    let raw = value.withMemoryRebound(to: UInt8.self, capacity: 1) { PQunescapeBytea($0, &length) }
                    if let raw {
                        cells.append(.bytes(Array(UnsafeBufferPointer(start: raw, count: length))))
                        PQfreemem(raw)
                    } else {
                        cells.append(.bytes([]))
                    }
                } else {
                    cells.append(.text(String(cString: value)))
                }
            }
            rows.append(PostgresRow(columnIndex: index, types: types, cells: cells))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: names, columnTypes: types, rows: rows, affectedRows: affected)
    }
}

/// Calls `body` with NUL-terminated C strings for `strings`, valid only during the call.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var storage = strings.map { strdup($0) }
    defer { storage.forEach { free($0) } }
    storage.append(nil)
    return body(storage.map { $0.map { UnsafePointer($0) } })
}

/// One statement with its parameters, for `queryAndCommit`.
public struct PostgresStatement: Sendable {
    /// The SQL, with `$1`, `$2`, … parameters.
    public let sql: String
    /// The parameters.
    public let parameters: [PostgresValue]

    /// Bundles a statement.
    public init(_ sql: String, _ parameters: [PostgresValue] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// Parameters in libpq's shape: types, text or binary bytes, lengths and formats.
struct WireParameters {
    let count: Int32
    let types: [UInt32]
    let formats: [Int32]
    let lengths: [Int32]
    /// Text parameters carry a terminating NUL; binary ones are passed with their length.
    let buffers: [[UInt8]?]

    init(_ parameters: [PostgresValue]) {
        let wires = parameters.map(\.wire)
        count = Int32(parameters.count)
        types = parameters.map(\.typeOID)
        formats = wires.map { Int32(($0?.binary ?? false) ? 1 : 0) }
        lengths = wires.map { Int32($0?.bytes.count ?? 0) }
        buffers = wires.map { wire in wire.map { $0.binary ? $0.bytes : $0.bytes + [0] } }
    }
}

/// Calls `body` with pointers to each buffer (nil for NULL parameters), valid only during the call.
func withBufferPointers<R>(_ buffers: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies: [UnsafeMutablePointer<UInt8>?] = buffers.map { buffer in
        guard let buffer else { return nil }
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(buffer.count, 1))
        pointer.initialize(from: buffer, count: buffer.count)
        return pointer
    }
    defer { copies.forEach { $0?.deallocate() } }
    return body(copies.map { $0.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } })
}
