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
    /// Most connections open at once; at the cap accepting pauses, and resumes below it.
    public var connectionCountMax: Int = 10_000
    /// A request head must be complete within this many seconds of its first byte (408, slowloris).
    public var headerTimeoutSeconds: Double = 10
    /// A body that makes no progress for this many seconds is abandoned (408).
    public var bodyTimeoutSeconds: Double = 30
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
              idleNanos: UInt64(idleTimeoutSeconds * 1e9))
    }
}
