/// The life of one server connection as a pure state machine (FlyingFox/Hummingbird style):
/// it takes events (bytes parsed, a head decided, response written, clock ticks) and returns
/// actions for the connection to perform. It owns the parser but never touches a socket, and
/// time comes in as an argument (`now`, monotonic nanoseconds), so every timeout is testable
/// without sleeping.
///
/// A request goes head → decision → body → handler. While the decision (authentication,
/// routing) is pending no body byte is read and no `100 Continue` is sent, so a caller the
/// responder refuses never makes the server hold its body.
struct ConnectionStateMachine {
    /// What the connection must do next.
    enum Action: Equatable {
        /// Nothing until more bytes arrive, the head is decided or the response is done.
        case wait
        /// A head is complete: ask the responder about it, then call `headAdmitted` or `headRefused`.
        case decide(HTTPRequestHead)
        /// Run the handler for this request.
        case dispatch(HTTPRequest)
        /// Send `HTTP/1.1 100 Continue` now (RFC 9110 §10.1.1), then carry on reading the body.
        case sendContinue
        /// Answer `request` (its body dropped) with this error instead of running the handler.
        case refuse(HTTPError, HTTPRequest)
        /// Answer with this error and close (framing may be lost, RFC 9112 §6.3).
        case reject(HTTPParseError)
        /// Close the connection without answering.
        case close

        static func == (lhs: Action, rhs: Action) -> Bool {
            switch (lhs, rhs) {
            case (.wait, .wait), (.sendContinue, .sendContinue), (.close, .close): return true
            case (.reject(let a), .reject(let b)): return a == b
            case (.decide(let a), .decide(let b)): return a.method == b.method && a.target == b.target
            case (.refuse(let a, let r), .refuse(let b, let s)): return a.status == b.status && a.code == b.code && r.target == s.target
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
        /// The head is with the responder; nothing is read until it decides.
        case deciding
        /// Reading a body (gap and rate timeouts run).
        case readingBody(BodyClock)
        /// The handler is running or its response is being written; the handler owns the time.
        case responding
        /// Nothing more will be read.
        case closed
    }

    /// When a body last made progress, and the rate window it is in.
    struct BodyClock: Equatable {
        /// The last instant body bytes arrived.
        var lastProgress: UInt64
        /// Where the current rate window began.
        var windowStart: UInt64
        /// `parser.bodyBytesRead` when it began.
        var windowStartBytes: Int
    }

    /// Timeouts in nanoseconds, and the slowest body rate accepted.
    struct Timeouts: Equatable {
        var headerNanos: UInt64
        var bodyNanos: UInt64
        var idleNanos: UInt64
        /// A body must bring at least this many bytes a second, measured over each window.
        var bodyRateBytesPerSecondMin: Int = 0
        /// The rate window; the first one after the head is also the grace period.
        var bodyRateWindowNanos: UInt64 = 10_000_000_000
    }

    private(set) var phase: Phase
    var parser: HTTPRequestParser
    private let timeouts: Timeouts
    private let bodyBytesMax: (HTTPRequestHead) -> Int
    /// A refused request with a declared body this small has it read and dropped, keeping the
    /// connection; a larger, chunked or `100-continue` one is answered at once and closed.
    private let refusedBodyDiscardBytesMax: Int
    private var currentHead: HTTPRequestHead?
    private var currentBodyLimit = 0
    private var currentAdmission: (any Sendable)?
    /// The refusal to send once the current (dropped) body is in.
    private var pendingRefusal: HTTPError?
    private var continueDue = false
    /// Whether the current response must close the connection after it.
    private(set) var closeAfterResponse = false
    /// Set once shutdown begins: no new requests, keep-alive ends after the in-flight response.
    private(set) var draining = false
    /// The peer closed its sending side. Requests it sent before are still answered, in order.
    private(set) var peerInputClosed = false

    init(limits: HTTPParserLimits, timeouts: Timeouts, now: UInt64, refusedBodyDiscardBytesMax: Int = 64 * 1024,
         bodyBytesMax: @escaping (HTTPRequestHead) -> Int) {
        self.parser = HTTPRequestParser(limits: limits)
        self.timeouts = timeouts
        self.bodyBytesMax = bodyBytesMax
        self.refusedBodyDiscardBytesMax = refusedBodyDiscardBytesMax
        self.phase = .idle(since: now)
    }

    /// Bytes were appended to `parser.buffer`.
    mutating func bytesReceived(now: UInt64) {
        switch phase {
        case .idle: phase = .readingHead(since: now)
        case .readingBody(var clock):
            clock.lastProgress = now
            phase = .readingBody(clock)
        default: break
        }
    }

    /// Whether the connection may read from its socket now. Not while a head is being decided
    /// (the body must wait for the decision); while answering, the connection's own
    /// read-ahead cap applies.
    var wantsInput: Bool {
        switch phase {
        case .deciding, .closed: return false
        default: return true
        }
    }

    /// Parses as far as possible and says what to do. Call until it answers `.wait`.
    mutating func nextAction(now: UInt64) -> Action {
        if continueDue { continueDue = false; return .sendContinue }
        switch phase {
        case .responding, .closed, .deciding:
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
            currentHead = head
            currentAdmission = nil
            currentBodyLimit = bodyBytesMax(head)
            // A declared length over the route's limit is refused before anything else: it is
            // cheap, and a body that large is never skipped, so the connection closes (413).
            if let length = head.contentLength, length > currentBodyLimit {
                phase = .closed
                return .reject(HTTPParseError(.contentTooLarge, "content-length \(length) over limit \(currentBodyLimit)"))
            }
            phase = .deciding
            if head.target != "*", let reason = CanonicalPath.violation(head.path) {
                return headRefused(CanonicalPath.error(reason), now: now)
            }
            return .decide(head)
        case .body(let body):
            guard let head = currentHead else { phase = .closed; return .close }
            currentHead = nil
            var request = HTTPRequest(method: head.method, target: head.target, version: head.version,
                                      headers: head.headers, body: body)
            request.admission = currentAdmission
            currentAdmission = nil
            closeAfterResponse = closeAfterResponse || !request.keepAlive || draining
            phase = .responding
            if let refusal = pendingRefusal {
                pendingRefusal = nil
                return .refuse(refusal, request)
            }
            return .dispatch(request)
        }
    }

    /// The responder admitted the current head: read its body (after `100 Continue` when the
    /// client waits for one). `admission` travels to the handler as `request.admission`.
    /// Then call `nextAction`.
    mutating func headAdmitted(now: UInt64, admission: (any Sendable)? = nil) -> Action {
        guard case .deciding = phase, let head = currentHead else { return .wait }
        currentAdmission = admission
        if let error = parser.startBody(bytesMax: currentBodyLimit) {
            phase = .closed
            return .reject(error)
        }
        phase = .readingBody(BodyClock(lastProgress: now, windowStart: now, windowStartBytes: 0))
        // Only promise 100 when the body is not already on its way (RFC 9110 §10.1.1: a
        // server MAY omit it if it has already received some of the content).
        if head.expectsContinue && Self.hasBody(head) && parser.buffer.readableCount == 0 { continueDue = true }
        return .wait
    }

    /// The responder refused the current head with `error`. Without a body the refusal is the
    /// answer and the connection carries on; a small declared body is read and dropped first
    /// (the client is sending it anyway, and the connection stays usable); a large, chunked or
    /// `100-continue` body is never read: the answer goes now and the connection closes after it
    /// (RFC 9110 §10.1.1, RFC 9112 §9.6).
    mutating func headRefused(_ error: HTTPError, now: UInt64) -> Action {
        guard case .deciding = phase, let head = currentHead else { return .wait }
        currentAdmission = nil
        if !head.chunked && !(head.expectsContinue && Self.hasBody(head)),
           let length = head.contentLength, length <= refusedBodyDiscardBytesMax {
            // No body, or a small one: it is read and dropped, then the refusal is the answer
            // (at once when there is nothing to read).
            pendingRefusal = error
            _ = parser.startBody(bytesMax: length, keep: false)
            phase = .readingBody(BodyClock(lastProgress: now, windowStart: now, windowStartBytes: 0))
            return nextAction(now: now)
        }
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version, headers: head.headers)
        currentHead = nil
        closeAfterResponse = true
        phase = .responding
        return .refuse(error, request)
    }

    private static func hasBody(_ head: HTTPRequestHead) -> Bool { head.chunked || (head.contentLength ?? 0) > 0 }

    /// The response to the dispatched (or refused) request has been written completely.
    /// Returns `.close` when the connection must end, otherwise `.wait` (call `nextAction` for
    /// pipelined requests; after the peer's FIN, it closes once none is left).
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

    /// The peer closed its sending side (read returned 0). It may only have half-closed and
    /// still be reading: every complete request it sent is answered, in order, before the close.
    mutating func inputClosed(now: UInt64) -> Action {
        peerInputClosed = true
        switch phase {
        case .responding, .deciding, .closed:
            return .wait
        case .idle, .readingHead, .readingBody:
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
        case .readingBody(var clock):
            if now &- clock.lastProgress >= timeouts.bodyNanos {
                phase = .closed
                return .reject(HTTPParseError(.requestTimeout, "request body stalled"))
            }
            // A trickle that never stalls long enough for the gap timeout is still cut: each
            // window must bring its share of bytes.
            let window = now &- clock.windowStart
            if timeouts.bodyRateBytesPerSecondMin > 0, window >= timeouts.bodyRateWindowNanos {
                let brought = parser.bodyBytesRead - clock.windowStartBytes
                let owed = Double(timeouts.bodyRateBytesPerSecondMin) * Double(window) / 1e9
                if Double(brought) < owed {
                    phase = .closed
                    return .reject(HTTPParseError(.requestTimeout,
                                                  "request body slower than \(timeouts.bodyRateBytesPerSecondMin) bytes/s"))
                }
                clock.windowStart = now
                clock.windowStartBytes = parser.bodyBytesRead
                phase = .readingBody(clock)
            }
        case .deciding, .responding, .closed:
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

    /// The connection is ending outside the machine's own decisions (lingering, a refusal the
    /// connection made): nothing more is parsed.
    mutating func abandon() { phase = .closed }

    /// Whether the connection has been idle between requests for at least `nanos` (it may be
    /// closed to free its descriptor when the server runs short).
    func isIdle(atLeast nanos: UInt64, now: UInt64) -> Bool {
        if case .idle(let since) = phase, parser.isIdle { return now &- since >= nanos }
        return false
    }
}
