import CLibPQ
import Foundation
import Logging
import Synchronization

/// A notification sent with `NOTIFY channel, 'payload'` (or `pg_notify`).
public struct PostgresNotification: Sendable, Equatable {
    /// The channel it was sent on.
    public let channel: String
    /// The payload text (empty if none).
    public let payload: String

    /// Creates a notification value.
    public init(channel: String, payload: String) {
        self.channel = channel
        self.payload = payload
    }
}

/// Delivers `LISTEN`ed notifications as an `AsyncSequence`.
///
/// The listener owns one dedicated connection and one thread that waits on the socket with
/// `poll(2)`, so no Swift task blocks. If the connection is lost, it reconnects with back-off
/// and listens again; notifications sent while it was away are lost, so consumers treat a
/// notification as a hint to re-read the database, never as the only record.
public final class PostgresListener: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification

    private let stream: AsyncStream<PostgresNotification>
    private let continuation: AsyncStream<PostgresNotification>.Continuation
    private let stopped = Atomic<Bool>(false)
    private let ready = DispatchSemaphore(value: 0)
    private let startError = Mutex<PostgresError?>(nil)

    /// Connects, runs `LISTEN` for each channel, and starts delivering. Returns once listening.
    public init(configuration: PostgresConfiguration, channels: [String],
                logger: Logger = Logger(label: "proofmarket.postgres.listen")) async throws {
        (stream, continuation) = AsyncStream.makeStream(of: PostgresNotification.self, bufferingPolicy: .bufferingNewest(4096))
        let thread = Thread { [self] in self.run(configuration: configuration, channels: channels, logger: logger) }
        thread.name = "proofmarket-listen"
        thread.start()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { [self] in
                ready.wait()
                done.resume()
            }
        }
        if let error = startError.withLock({ $0 }) { throw error }
    }

    /// Stops listening and ends the sequence.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    public func makeAsyncIterator() -> AsyncStream<PostgresNotification>.Iterator {
        stream.makeAsyncIterator()
    }

    private func run(configuration: PostgresConfiguration, channels: [String], logger: Logger) {
        var first = true
        var backoff = 0.05
        while !stopped.load(ordering: .relaxed) {
            guard let handle = PQconnectdb(configuration.connectionString), PQstatus(handle) == CONNECTION_OK else {
                if first {
                    startError.withLock { $0 = PostgresError(.connection, "the listener cannot connect to \(configuration)") }
                    ready.signal()
                    continuation.finish()
                    return
                }
                Thread.sleep(forTimeInterval: backoff)
                backoff = Swift.min(backoff * 2, 2)
                continue
            }
            // libpq prints what the server sends an idle session (a notice, or the FATAL with
            // which a stopping server ends it) to our standard error unless told otherwise; the
            // server's log has those lines already, and the next read reports the lost link.
            PQsetNoticeProcessor(handle, { _, _ in }, nil)
            var ok = true
            for channel in channels {
                let escaped = "\"" + channel.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                let result = PQexec(handle, "LISTEN \(escaped)")
                if PQresultStatus(result) != PGRES_COMMAND_OK { ok = false }
                PQclear(result)
            }
            if first {
                first = false
                if !ok { startError.withLock { $0 = PostgresError(.connection, "LISTEN failed") } }
                ready.signal()
                if !ok { PQfinish(handle); continuation.finish(); return }
            } else if ok {
                logger.info("listener reconnected")
            }
            backoff = 0.05
            pump(handle)
            PQfinish(handle)
        }
        continuation.finish()
    }

    /// Waits on the socket and yields notifications until the connection breaks or we stop.
    private func pump(_ handle: OpaquePointer) {
        let socket = PQsocket(handle)
        while !stopped.load(ordering: .relaxed) {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 200)
            if ready < 0 && errno != EINTR { return }
            if ready > 0 {
                if PQconsumeInput(handle) == 0 { return }
                while let notice = PQnotifies(handle) {
                    let channel = String(cString: notice.pointee.relname)
                    let payload = notice.pointee.extra.map { String(cString: $0) } ?? ""
                    PQfreemem(notice)
                    continuation.yield(PostgresNotification(channel: channel, payload: payload))
                }
            }
            if PQstatus(handle) != CONNECTION_OK { return }
        }
    }
}
