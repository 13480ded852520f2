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
    private var readable = true
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
    private(set) var isClosed = false

    init(fd: Int32, loop: EventLoop, server: HTTPServerCore, tls: TLSSession?) {
        self.loop = loop
        self.server = server
        self.transport = tls.map { .tls(fd, $0) } ?? .plain(fd)
        self.remoteAddress = SocketIO.peerName(fd)
        let responder = server.responder
        let defaultLimit = server.configuration.bodyBytesMax
        self.machine = ConnectionStateMachine(
            limits: server.configuration.limits, timeouts: server.configuration.timeouts, now: EventLoop.now(),
            bodyBytesMax: { responder.bodyBytesMax(for: $0) ?? defaultLimit })
    }

    // MARK: - Events

    func handleEvents(_ events: UInt32) {
        if events & (PM_EPOLLIN | PM_EPOLLHUP | PM_EPOLLERR | PM_EPOLLRDHUP) != 0 { readable = true }
        if events & (PM_EPOLLRDHUP | PM_EPOLLHUP) != 0 { peerHalfClosed = true }
        // A TLS read can stall on WANT_WRITE (handshake, renegotiation): writability lets it retry.
        if transportIsTLS && events & PM_EPOLLOUT != 0 { readable = true }
        if events & PM_EPOLLOUT != 0 || transportIsTLS { flush() }
        if !isClosed { drive() }
    }

    func tick(now: UInt64) {
        guard !isClosed else { return }
        if hasPendingOutput, now &- lastWriteProgress >= server.writeTimeoutNanos {
            server.logger.debug("closing \(remoteAddress): write stalled")
            close()
            return
        }
        perform(machine.tick(now: now))
    }

    /// Shutdown: close when idle, otherwise after the current response.
    func beginDrain() {
        guard !isClosed else { return }
        perform(machine.beginDrain())
    }

    private var transportIsTLS: Bool { if case .tls = transport { return true }; return false }

    // MARK: - Reading and acting

    /// Runs state-machine actions and reads while allowed. Re-entrant calls (a handler that
    /// completes synchronously inside `dispatch`) just ask the outer loop for another round.
    func drive() {
        if driving { driveAgain = true; return }
        driving = true
        defer { driving = false }
        repeat {
            driveAgain = false
            while !isClosed {
                let action = machine.nextAction(now: EventLoop.now())
                if action == .wait { break }
                perform(action)
            }
            if !isClosed && readable && mayRead { readOnce() }
        } while driveAgain && !isClosed
    }

    /// Back-pressure: while answering, read ahead only up to the pipeline cap, and not at all
    /// while response bytes are waiting on a slow reader.
    private var mayRead: Bool {
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
        case .dispatch(let request):
            dispatch(request)
        case .sendContinue:
            enqueue(ResponseEncoder.continueResponse)
            flush()
        case .reject(let error):
            sendError(error)
        case .close:
            if hasPendingOutput { closeWhenFlushed = true } else { close() }
        }
    }

    private func dispatch(_ request: HTTPRequest) {
        respondingToHead = request.method == .head
        responseQueued = false
        let context = server.makeContext(remoteAddress: remoteAddress)
        let server = self.server
        // Task.immediate runs the handler right here on the loop thread until it first
        // suspends; with the loop as executor preference it also resumes here afterwards.
        Task.immediate(executorPreference: loop) { [self] in
            let response = await server.respond(to: request, context: context)
            if loop.inLoop {
                startResponse(response, for: request)
            } else {
                loop.execute { self.startResponse(response, for: request) }
            }
        }
    }

    /// Answers a parse error with a problem document and closes (RFC 9112 §6.3: after a
    /// framing error the connection cannot be reused).
    private func sendError(_ error: HTTPParseError) {
        let code = error.status == .requestTimeout ? "request_timeout" : "malformed_request"
        var response = HTTPError(error.status, code: code, detail: error.reason).response()
        response.headers.remove("X-Request-Id")
        server.logger.debug("\(remoteAddress): \(error.status.code) \(error.reason)")
        closeWhenFlushed = true
        writeHead(response, version: .http1_1, framing: .length(response.bodyByteCount ?? 0), keepAlive: false)
        if case .bytes(let body) = response.body { enqueue(body) }
        flush()
    }

    // MARK: - Closing

    func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(transport.fd)
        transport.close()
        out = []
        bigBody = []
        if let waiter = drainWaiter {
            drainWaiter = nil
            waiter.resume(throwing: HTTPConnectionError.closed)
        }
        server.connectionClosed(on: loop)
    }
}

/// Errors a streaming body writer sees.
enum HTTPConnectionError: Error {
    /// The connection closed (the client went away, or a timeout or shutdown cut it).
    case closed
}
