import Foundation

/// Everything an `HTTPServer` can be told. Every limit is named, with its unit last.
public struct HTTPServerConfiguration: Sendable {
    /// The IPv4 address to listen on.
    public var host: String = "127.0.0.1"
    /// The TCP port; 0 picks a free one (read it back from `HTTPServer.localPort`).
    public var port: Int = 8080
    /// How many event loops (threads), one per core by default.
    public var loopCount: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The listen backlog.
    public var backlog: Int32 = 1024
    /// Request-line and header limits (414, 431).
    public var limits = HTTPParserLimits()
    /// The body limit for routes that do not set their own, in bytes (413 past it).
    public var bodyBytesMax: Int = 1 << 20
    /// Most connections open at once; at the cap accepting pauses, and resumes below it. The
    /// cap in force is also at most the descriptor limit less `descriptorsReservedCount`.
    public var connectionCountMax: Int = 10_000
    /// Descriptors kept back from connections for everything else the process opens (the
    /// database pool, files, the listener and loops). At start the soft `RLIMIT_NOFILE` is
    /// raised to the hard one, and connections may use what is left after this reserve.
    public var descriptorsReservedCount: Int = 128
    /// After `accept` fails for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM),
    /// the listener rests this long before trying again, instead of spinning on a ready socket.
    public var acceptRetrySeconds: Double = 0.1
    /// When the server runs short of connections (at the cap with clients waiting, or accept
    /// failing), keep-alive connections idle this long between requests are closed to make room.
    public var idleShedSeconds: Double = 1
    /// Body bytes all connections together may hold, in bytes: a `Content-Length` body reserves
    /// its length once admitted, a chunked one what has arrived. A request that does not fit is
    /// answered 503 `server_busy` with `Retry-After` (at the head when its length is declared)
    /// and the connection closes; one body larger than this is admitted when nothing else is held.
    public var bodyBytesInFlightMax: Int = 256 << 20
    /// A request head must be complete within this many seconds of its first byte (408, slowloris).
    public var headerTimeoutSeconds: Double = 10
    /// A body that makes no progress for this many seconds is abandoned (408).
    public var bodyTimeoutSeconds: Double = 30
    /// A body must arrive at least this fast, in bytes a second, over each `bodyRateWindowSeconds`
    /// (408 otherwise), so a trickle that never pauses for `bodyTimeoutSeconds` is cut too. 0 turns it off.
    public var bodyRateBytesPerSecondMin: Int = 1024
    /// The window over which the body rate is measured; the first window is the grace period.
    public var bodyRateWindowSeconds: Double = 10
    /// A refused request (401, 403, 404, ...) whose declared body is at most this many bytes has
    /// it read and dropped, so the connection stays open; a larger, chunked or `100-continue`
    /// body is not read: the answer goes at once and the connection closes after it.
    public var refusedBodyDiscardBytesMax: Int = 64 * 1024
    /// After an answer that ends the connection the server stops sending and, for at most this
    /// many seconds, reads and drops what the client still sends, so the client's unsent body
    /// does not turn the close into a reset that destroys the answer before it is read.
    public var lingerSeconds: Double = 2
    /// The most bytes dropped while lingering before the connection is closed anyway.
    public var lingerBytesMax: Int = 1 << 20
    /// A keep-alive connection idle this many seconds between requests is closed.
    public var idleTimeoutSeconds: Double = 60
    /// A response that cannot send a byte for this many seconds (the reader stalled) is abandoned.
    public var writeTimeoutSeconds: Double = 30
    /// On shutdown, in-flight requests get this many seconds to finish before connections are cut.
    public var drainTimeoutSeconds: Double = 10
    /// Unsent response bytes above which a streaming writer waits, in bytes (back-pressure).
    public var outboundHighWaterBytes: Int = 256 * 1024
    /// Bytes buffered from a client while its previous request is still being answered
    /// (pipelining); past this the connection stops reading until the response is out.
    public var pipelineBufferBytesMax: Int = 64 * 1024
    /// PEM certificate chain; with `tlsPrivateKeyPath`, the server speaks only TLS.
    public var tlsCertificatePath: String?
    /// PEM private key.
    public var tlsPrivateKeyPath: String?

    /// The defaults above.
    public init() {}

    /// Makes a configuration for `host:port`.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    var timeouts: ConnectionStateMachine.Timeouts {
        .init(headerNanos: UInt64(headerTimeoutSeconds * 1e9), bodyNanos: UInt64(bodyTimeoutSeconds * 1e9),
              idleNanos: UInt64(idleTimeoutSeconds * 1e9), bodyRateBytesPerSecondMin: bodyRateBytesPerSecondMin,
              bodyRateWindowNanos: UInt64(bodyRateWindowSeconds * 1e9))
    }
}
