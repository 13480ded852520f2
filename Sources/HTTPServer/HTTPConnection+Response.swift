/// Writing responses: encoding, streaming with back-pressure, and flushing partial writes.
extension HTTPConnection {
    var hasPendingOutput: Bool { outOffset < out.count || bigBodyOffset < bigBody.count }
    var pendingByteCount: Int { out.count - outOffset + bigBody.count - bigBodyOffset }

    /// Starts sending the handler's response to `request`.
    func startResponse(_ response: HTTPResponse, for request: HTTPRequest) {
        guard !isClosed else { return }
        let keepAlive = !machine.closeAfterResponse
        switch response.body {
        case .bytes(let body):
            let framing: ResponseEncoder.Framing = response.status.allowsBody ? .length(body.count) : .noBody
            writeHead(response, version: request.version, framing: framing, keepAlive: keepAlive)
            if !respondingToHead && response.status.allowsBody && !body.isEmpty {
                if body.count >= 16 * 1024 && !hasPendingBigBody { bigBody = body; bigBodyOffset = 0 } else { enqueue(body) }
            }
            responseQueued = true
            flush()
        case .stream(let writer):
            if respondingToHead || !response.status.allowsBody {
                writeHead(response, version: request.version, framing: .noBody, keepAlive: keepAlive)
                responseQueued = true
                flush()
                return
            }
            // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
            let chunked = request.version == .http1_1
            if !chunked { machine.forceCloseAfterResponse() }
            writeHead(response, version: request.version, framing: chunked ? .chunked : .closeDelimited,
                      keepAlive: chunked && keepAlive)
            flush()
            let bodyWriter = ConnectionBodyWriter(connection: self, chunked: chunked)
            Task.immediate(executorPreference: loop) { [self] in
                var failed = false
                do { try await writer(bodyWriter) } catch {
                    failed = true
                    server.logger.debug("stream for \(request.target) ended with \(error)")
                }
                let failedStream = failed
                loop.executeSoon {
                    guard !self.isClosed else { return }
                    // A failed stream is cut without its last-chunk, so the client sees it incomplete.
                    if failedStream { self.close(); return }
                    if chunked { self.enqueue(ResponseEncoder.lastChunk) }
                    self.responseQueued = true
                    self.flush()
                }
            }
        }
    }

    private var hasPendingBigBody: Bool { bigBodyOffset < bigBody.count }

    func writeHead(_ response: HTTPResponse, version: HTTPVersion, framing: ResponseEncoder.Framing, keepAlive: Bool) {
        // The write-stall clock starts when output starts waiting, not at the last response.
        if !hasPendingOutput { lastWriteProgress = EventLoop.now() }
        if outOffset == out.count { out.removeAll(keepingCapacity: true); outOffset = 0 }
        ResponseEncoder.writeHead(into: &out, status: response.status, headers: response.headers, version: version,
                                  framing: framing, keepAlive: keepAlive, date: loop.date.bytes())
    }

    func enqueue(_ bytes: [UInt8]) {
        if hasPendingBigBody {
            // Keep order: what follows a big body goes after it.
            out.append(contentsOf: bigBody[bigBodyOffset...])
            bigBody = []
            bigBodyOffset = 0
        }
        if outOffset == out.count { out.removeAll(keepingCapacity: true); outOffset = 0 }
        out.append(contentsOf: bytes)
    }

    /// One chunk from a streaming writer; suspends the writer while the client is behind.
    func streamWrite(_ bytes: [UInt8], chunked: Bool, continuation: CheckedContinuation<Void, any Error>) {
        guard !isClosed else { continuation.resume(throwing: HTTPConnectionError.closed); return }
        if chunked {
            var chunk: [UInt8] = []
            ResponseEncoder.writeChunk(into: &chunk, bytes)
            enqueue(chunk)
        } else {
            enqueue(bytes)
        }
        flush()
        if isClosed { continuation.resume(throwing: HTTPConnectionError.closed); return }
        if pendingByteCount > server.configuration.outboundHighWaterBytes {
            drainWaiter = continuation
        } else {
            continuation.resume()
        }
    }

    /// Writes as much as the socket takes. Partial writes keep their offset; EAGAIN waits for
    /// EPOLLOUT. When a complete response is out, the state machine decides what comes next.
    func flush() {
        while hasPendingOutput && !isClosed {
            let result: SocketIO.Result
            let outPending = outOffset < out.count
            if case .plain(let fd) = transport, outPending, hasPendingBigBody {
                result = out.withUnsafeBytes { a in
                    bigBody.withUnsafeBytes { b in
                        SocketIO.writev(fd, UnsafeRawBufferPointer(rebasing: a[outOffset...]),
                                        UnsafeRawBufferPointer(rebasing: b[bigBodyOffset...]))
                    }
                }
            } else if outPending {
                result = out.withUnsafeBytes { transport.write(UnsafeRawBufferPointer(rebasing: $0[outOffset...])) }
            } else {
                result = bigBody.withUnsafeBytes { transport.write(UnsafeRawBufferPointer(rebasing: $0[bigBodyOffset...])) }
            }
            switch result {
            case .bytes(var n):
                lastWriteProgress = EventLoop.now()
                let fromOut = min(n, out.count - outOffset)
                outOffset += fromOut
                n -= fromOut
                bigBodyOffset += n
            case .wouldBlock:
                return
            case .eof, .failed:
                close()
                return
            }
        }
        guard !isClosed else { return }
        out.removeAll(keepingCapacity: out.capacity <= 64 * 1024)
        outOffset = 0
        bigBody = []
        bigBodyOffset = 0
        if let waiter = drainWaiter {
            drainWaiter = nil
            waiter.resume()
        }
        if closeWhenFlushed { closeGracefully(); return }
        if responseQueued {
            responseQueued = false
            respondingToHead = false
            // The handler is done with the request, and so with its body.
            releaseHeldBody()
            // A connection that ends after an answer lingers, so the answer is not lost to a reset.
            let next = machine.responseSent(now: EventLoop.now())
            if next == .close { closeGracefully() } else { perform(next) }
            if !isClosed { drive() }
        }
    }
}

/// The `HTTPBodyWriter` handed to streaming responses; each write hops to the connection's loop.
struct ConnectionBodyWriter: HTTPBodyWriter, @unchecked Sendable {
    let connection: HTTPConnection
    let chunked: Bool

    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            connection.loop.executeSoon { connection.streamWrite(bytes, chunked: chunked, continuation: continuation) }
        }
    }
}
