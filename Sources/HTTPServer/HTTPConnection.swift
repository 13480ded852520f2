import CSocketShim

/// One accepted connection, confined to its event loop's thread. It moves bytes between the
/// socket and the `ConnectionStateMachine`, starts handler tasks, and writes their responses.
/// Every decision about HTTP lives in the state machine; this type only performs actions.
final class HTTPConnection: EventHandler, @unchecked Sendable {
    let loop: EventLoop
    let server: HTTPServerCore
    let transport: Transport
    let remoteAddress: String
    var machine: ConnectionStateMachine

    // Outbound bytes: `out` holds heads, chunks and small bodies; `bigBody` a large body that
    // follows `out`, sent with writev instead of being copied.
    var out: [UInt8] = []
    var outOffset = 0
    var bigBody: [UInt8] = []
    var bigBodyOffset = 0
    var lastWriteProgress: UInt64 = 0

    /// The socket has unread data (edge-triggered epoll tells us once).
    var readable = true
    /// The peer's FIN was reported; from then on reads go on until EOF is seen.
    private var peerHalfClosed = false
    private var driving = false
    private var driveAgain = false
    /// The response in flight has queued all its bytes; once they are flushed it is complete.
    var responseQueued = false
    /// The in-flight request was HEAD, so the response body is not sent (RFC 9110 §9.3.2).
    var respondingToHead = false
    /// A streaming body writer waiting for the outbound buffer to drain.
    var drainWaiter: CheckedContinuation<Void, any Error>?
    /// After flushing, close (error answers and close-delimited bodies).
    var closeWhenFlushed = false
    var isClosed = false
    /// The context of the request in progress, made when its head arrived.
    private var context: RequestContext?
    /// Body bytes of the current request held against the server's budget.
    var heldBodyBytes = 0
    /// Whether the body being read is chunked (it takes budget as it grows).
    private var bodyIsChunked = false
    /// The inbound buffer's storage as last added to the server's counter.
    private var countedInboundBytes = 0
    /// Set while lingering: output shut, input read and dropped until EOF or the linger limits.
    var lingeringSince: UInt64?
    var lingeredBytes = 0
    /// Our sending side is shut (a FIN, and TLS close_notify, went out).
    var outputShut = false

    init(fd: Int32, loop: EventLoop, server: HTTPServerCore, tls: TLSSession?) {
        self.loop = loop
        self.server = server
        self.transport = tls.map { .tls(fd, $0) } ?? .plain(fd)
        self.remoteAddress = SocketIO.peerName(fd)
        let responder = server.responder
        let defaultLimit = server.configuration.bodyBytesMax
        self.machine = ConnectionStateMachine(
            limits: server.configuration.limits, timeouts: server.configuration.timeouts, now: EventLoop.now(),
            refusedBodyDiscardBytesMax: server.configuration.refusedBodyDiscardBytesMax,
            bodyBytesMax: { responder.bodyBytesMax(for: $0) ?? defaultLimit })
    }

    // MARK: - Events

    func handleEvents(_ events: UInt32) {
        if events & (PM_EPOLLIN | PM_EPOLLHUP | PM_EPOLLERR | PM_EPOLLRDHUP) != 0 { readable = true }
        if events & (PM_EPOLLRDHUP | PM_EPOLLHUP) != 0 { peerHalfClosed = true }
        if lingeringSince != nil { if readable { linger() }; return }
        // A TLS read can stall on WANT_WRITE (handshake, renegotiation): writability lets it retry.
        if transportIsTLS && events & PM_EPOLLOUT != 0 { readable = true }
        if events & PM_EPOLLOUT != 0 || transportIsTLS { flush() }
        if !isClosed { drive() }
    }

    func tick(now: UInt64) {
        guard !isClosed else { return }
        if let since = lingeringSince {
            if now &- since >= server.lingerNanos { close() }
            return
        }
        if hasPendingOutput, now &- lastWriteProgress >= server.writeTimeoutNanos {
            server.logger.debug("closing \(remoteAddress): write stalled")
            close()
            return
        }
        perform(machine.tick(now: now))
    }

    /// Shutdown: close when idle, otherwise after the current response.
    func beginDrain() {
        guard !isClosed, lingeringSince == nil else { return }
        perform(machine.beginDrain())
    }

    /// Whether this connection may be closed to free its descriptor: idle between requests for
    /// at least `idleNanos` with nothing to send, or already lingering on its way out.
    func isSheddable(now: UInt64, idleNanos: UInt64) -> Bool {
        if isClosed { return false }
        if lingeringSince != nil { return true }
        return !hasPendingOutput && machine.isIdle(atLeast: idleNanos, now: now)
    }

    private var transportIsTLS: Bool { if case .tls = transport { return true }; return false }

    // MARK: - Reading and acting

    /// Runs state-machine actions and reads while allowed. Re-entrant calls (a handler or a
    /// head decision that completes synchronously) just ask the outer loop for another round.
    func drive() {
        if driving { driveAgain = true; return }
        driving = true
        defer { driving = false }
        repeat {
            driveAgain = false
            while !isClosed && lingeringSince == nil {
                let action = machine.nextAction(now: EventLoop.now())
                if action == .wait { break }
                perform(action)
            }
            if !isClosed && lingeringSince == nil { holdChunkedBodyGrowth() }
            if !isClosed && lingeringSince == nil && readable && mayRead { readOnce() }
        } while driveAgain && !isClosed && lingeringSince == nil
        countInboundBuffer()
    }

    /// Back-pressure: nothing is read while a head is being decided (its body must wait for the
    /// verdict); while answering, read ahead only up to the pipeline cap, and not at all while
    /// response bytes are waiting on a slow reader.
    private var mayRead: Bool {
        guard machine.wantsInput else { return false }
        if case .responding = machine.phase {
            return !hasPendingOutput && machine.parser.buffer.readableCount < server.configuration.pipelineBufferBytesMax
        }
        return true
    }

    private func readOnce() {
        var drained = false
        let result = machine.parser.buffer.write(minimum: 16 * 1024) { raw -> Int in
            switch transport.read(into: raw) {
            case .bytes(let n):
                // A short read on a plain socket emptied the kernel buffer: the next arrival is a
                // new edge, so the EAGAIN read can be skipped. Not with TLS (one record per read),
                // nor after a FIN, whose edge may already have been consumed with this data.
                if n < raw.count, case .plain = transport, !peerHalfClosed { drained = true }
                return n
            case .wouldBlock: return -1
            case .eof: return -2
            case .failed: return -3
            }
        }
        let now = EventLoop.now()
        switch result {
        case let n where n > 0:
            machine.bytesReceived(now: now)
            if drained { readable = false }
            driveAgain = true
        case -1:
            readable = false
        case -2:
            readable = false
            perform(machine.inputClosed(now: now))
        default:
            close()
        }
    }

    func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .wait:
            break
        case .decide(let head):
            decide(head)
        case .dispatch(let request):
            dispatch(request)
        case .sendContinue:
            enqueue(ResponseEncoder.continueResponse)
            flush()
        case .refuse(let error, let request):
            dispatch(request, refusal: error)
        case .reject(let error):
            let code = error.status == .requestTimeout ? "request_timeout" : "malformed_request"
            sendError(HTTPError(error.status, code: code, detail: error.reason))
        case .close:
            // Idle timeouts, shutdown and the peer's own close: nothing is in flight to protect.
            if hasPendingOutput { closeWhenFlushed = true } else { close() }
        }
    }

    private func takeContext() -> RequestContext {
        defer { context = nil }
        return context ?? server.makeContext(remoteAddress: remoteAddress)
    }

    /// Asks the responder about a head before any of its body is read. A decision that does not
    /// wait runs right here (`Task.immediate`); one that does resumes on this loop.
    private func decide(_ head: HTTPRequestHead) {
        let context = server.makeContext(remoteAddress: remoteAddress)
        self.context = context
        let server = self.server
        Task.immediate(executorPreference: loop) { [self] in
            let verdict = await server.admit(head, context: context)
            if loop.inLoop {
                headDecided(verdict, for: head)
            } else {
                loop.execute { self.headDecided(verdict, for: head) }
            }
        }
    }

    private func headDecided(_ verdict: Result<(any Sendable)?, HTTPError>, for head: HTTPRequestHead) {
        guard !isClosed, lingeringSince == nil, case .deciding = machine.phase else { return }
        let now = EventLoop.now()
        switch verdict {
        case .success(let admission):
            // A declared body takes its whole length from the budget now, so a request that
            // does not fit is told before it sends a byte.
            if !head.chunked, let length = head.contentLength, length > 0 {
                guard server.reserveBodyBytes(length) else {
                    perform(machine.headRefused(HTTPServerCore.serverBusy, now: now))
                    if !isClosed { drive() }
                    return
                }
                heldBodyBytes = length
            }
            bodyIsChunked = head.chunked
            perform(machine.headAdmitted(now: now, admission: admission))
        case .failure(let error):
            perform(machine.headRefused(error, now: now))
        }
        if !isClosed { drive() }
    }

    /// A chunked body takes budget as its storage grows; past the budget the request is refused
    /// (503 `server_busy`) and the connection closes, since the rest of the body cannot be skipped.
    private func holdChunkedBodyGrowth() {
        guard bodyIsChunked, case .readingBody = machine.phase else { return }
        let holding = machine.parser.bodyCapacity
        guard holding > heldBodyBytes else { return }
        guard server.reserveBodyBytes(holding - heldBodyBytes) else {
            machine.abandon()
            sendError(HTTPServerCore.serverBusy)
            return
        }
        heldBodyBytes = holding
    }

    /// Gives the current request's body bytes back to the budget (its response is out).
    func releaseHeldBody() {
        server.releaseBodyBytes(heldBodyBytes)
        heldBodyBytes = 0
        bodyIsChunked = false
    }

    /// Keeps the server's count of inbound buffer storage current.
    func countInboundBuffer() {
        let capacity = isClosed ? 0 : machine.parser.buffer.capacity
        if capacity != countedInboundBytes {
            server.inboundBufferBytes.add(capacity - countedInboundBytes, ordering: .relaxed)
            countedInboundBytes = capacity
        }
    }

    /// Runs the handler for `request`, or with `refusal` the responder's refusal path (no handler).
    private func dispatch(_ request: HTTPRequest, refusal: HTTPError? = nil) {
        respondingToHead = request.method == .head
        responseQueued = false
        let context = takeContext()
        let server = self.server
        // Task.immediate runs the handler right here on the loop thread until it first
        // suspends; with the loop as executor preference it also resumes here afterwards.
        Task.immediate(executorPreference: loop) { [self] in
            let response = await server.respond(to: request, refusal: refusal, context: context)
            if loop.inLoop {
                startResponse(response, for: request)
            } else {
                loop.execute { self.startResponse(response, for: request) }
            }
        }
    }

    /// Answers with a problem document and closes (RFC 9112 §6.3: after a framing error the
    /// connection cannot be reused).
    private func sendError(_ error: HTTPError) {
        var response = error.response()
        response.headers.remove("X-Request-Id")
        server.logger.debug("\(remoteAddress): \(error.status.code) \(error.detail ?? error.code)")
        closeWhenFlushed = true
        writeHead(response, version: .http1_1, framing: .length(response.bodyByteCount ?? 0), keepAlive: false)
        if case .bytes(let body) = response.body { enqueue(body) }
        flush()
    }
}

/// Errors a streaming body writer sees.
enum HTTPConnectionError: Error {
    /// The connection closed (the client went away, or a timeout or shutdown cut it).
    case closed
}
