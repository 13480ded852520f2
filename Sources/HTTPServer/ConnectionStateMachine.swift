/// The life of one server connection as a pure state machine (FlyingFox/Hummingbird style):
/// it takes events (bytes parsed, response written, clock ticks) and returns actions for the
/// connection to perform. It owns the parser but never touches a socket, and time comes in as
/// an argument (`now`, monotonic nanoseconds), so every timeout is testable without sleeping.
struct ConnectionStateMachine {
    /// What the connection must do next.
    enum Action: Equatable {
        /// Nothing until more bytes arrive or the response is done.
        case wait
        /// Run the handler for this request.
        case dispatch(HTTPRequest)
        /// Send `HTTP/1.1 100 Continue` now (RFC 9110 §10.1.1), then carry on reading the body.
        case sendContinue
        /// Answer with this error and close (framing may be lost, RFC 9112 §6.3).
        case reject(HTTPParseError)
        /// Close the connection without answering.
        case close

        static func == (lhs: Action, rhs: Action) -> Bool {
            switch (lhs, rhs) {
            case (.wait, .wait), (.sendContinue, .sendContinue), (.close, .close): return true
            case (.reject(let a), .reject(let b)): return a == b
            case (.dispatch(let a), .dispatch(let b)): return a.method == b.method && a.target == b.target && a.body == b.body
            default: return false
            }
        }
    }

    enum Phase: Equatable {
        /// Between requests, since this instant (keep-alive idle timeout runs).
        case idle(since: UInt64)
        /// Some of a head has arrived, the first byte at this instant (header timeout runs).
        case readingHead(since: UInt64)
        /// Reading a body; the last progress was at this instant (body timeout runs).
        case readingBody(since: UInt64)
        /// The handler is running or its response is being written; the handler owns the time.
        case responding
        /// Nothing more will be read.
        case closed
    }

    /// Timeouts in nanoseconds.
    struct Timeouts: Equatable {
        var headerNanos: UInt64
        var bodyNanos: UInt64
        var idleNanos: UInt64
    }

    private(set) var phase: Phase
    var parser: HTTPRequestParser
    private let timeouts: Timeouts
    private let bodyBytesMax: (HTTPRequestHead) -> Int
    private var currentHead: HTTPRequestHead?
    private var continueDue = false
    /// Whether the current response must close the connection after it.
    private(set) var closeAfterResponse = false
    /// Set once shutdown begins: no new requests, keep-alive ends after the in-flight response.
    private(set) var draining = false
    private var peerInputClosed = false

    init(limits: HTTPParserLimits, timeouts: Timeouts, now: UInt64, bodyBytesMax: @escaping (HTTPRequestHead) -> Int) {
        self.parser = HTTPRequestParser(limits: limits)
        self.timeouts = timeouts
        self.bodyBytesMax = bodyBytesMax
        self.phase = .idle(since: now)
    }

    /// Bytes were appended to `parser.buffer`.
    mutating func bytesReceived(now: UInt64) {
        switch phase {
        case .idle: phase = .readingHead(since: now)
        case .readingBody: phase = .readingBody(since: now)
        default: break
        }
    }

    /// Parses as far as possible and says what to do. Call until it answers `.wait`.
    mutating func nextAction(now: UInt64) -> Action {
        if continueDue { continueDue = false; return .sendContinue }
        switch phase {
        case .responding, .closed:
            return .wait
        case .idle, .readingHead, .readingBody:
            break
        }
        switch parser.next() {
        case .needMore:
            if peerInputClosed {
                // EOF mid-request is an incomplete message (RFC 9112 §8); at a boundary it is a clean close.
                phase = .closed
                return .close
            }
            if case .idle = phase, !parser.isIdle { phase = .readingHead(since: now) }
            return .wait
        case .error(let error):
            phase = .closed
            return .reject(error)
        case .head(let head):
            // A request that was arriving when shutdown began is still served (then the
            // connection closes, see `closeAfterResponse` below).
            let limit = bodyBytesMax(head)
            if let error = parser.startBody(bytesMax: limit) {
                phase = .closed
                return .reject(error)
            }
            currentHead = head
            phase = .readingBody(since: now)
            // Only promise 100 when the body is not already on its way (RFC 9110 §10.1.1: a
            // server MAY omit it if it has already received some of the content).
            let hasBody = head.chunked || (head.contentLength ?? 0) > 0
            if head.expectsContinue && hasBody && parser.buffer.readableCount == 0 { continueDue = true }
            return nextAction(now: now)
        case .body(let body):
            guard let head = currentHead else { phase = .closed; return .close }
            currentHead = nil
            var request = HTTPRequest(method: head.method, target: head.target, version: head.version,
                                      headers: head.headers, body: body)
            request.pathParameters = [:]
            closeAfterResponse = !request.keepAlive || draining
            phase = .responding
            return .dispatch(request)
        }
    }

    /// The response to the dispatched request has been written completely. Returns `.close`
    /// when the connection must end, otherwise `.wait` (call `nextAction` for pipelined requests).
    mutating func responseSent(now: UInt64) -> Action {
        guard case .responding = phase else { return .wait }
        if closeAfterResponse || draining {
            phase = .closed
            return .close
        }
        phase = parser.isIdle ? .idle(since: now) : .readingHead(since: now)
        return .wait
    }

    /// The response must end the connection whatever the request said (an error answer, or a
    /// close-delimited stream for an HTTP/1.0 client).
    mutating func forceCloseAfterResponse() { closeAfterResponse = true }

    /// The peer closed its sending side (read returned 0).
    mutating func inputClosed(now: UInt64) -> Action {
        peerInputClosed = true
        switch phase {
        case .responding:
            // Let the response go out (the peer may only have half-closed), then close.
            closeAfterResponse = true
            return .wait
        case .closed:
            return .wait
        default:
            return nextAction(now: now)
        }
    }

    /// Checks the timeouts.
    mutating func tick(now: UInt64) -> Action {
        switch phase {
        case .idle(let since):
            if now &- since >= timeouts.idleNanos { phase = .closed; return .close }
        case .readingHead(let since):
            // Slowloris: a head must be complete within the header timeout of its first byte.
            if now &- since >= timeouts.headerNanos {
                phase = .closed
                return .reject(HTTPParseError(.requestTimeout, "request head not complete in time"))
            }
        case .readingBody(let since):
            if now &- since >= timeouts.bodyNanos {
                phase = .closed
                return .reject(HTTPParseError(.requestTimeout, "request body stalled"))
            }
        case .responding, .closed:
            break
        }
        return .wait
    }

    /// Shutdown began: an idle connection closes now; one with a request in flight closes
    /// after its response; one in the middle of a request gets to finish it.
    mutating func beginDrain() -> Action {
        draining = true
        switch phase {
        case .idle:
            phase = .closed
            return .close
        case .responding:
            closeAfterResponse = true
            return .wait
        default:
            return .wait
        }
    }
}
