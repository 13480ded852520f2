/// Ending a connection: at once, or by lingering.
extension HTTPConnection {
    /// Closes after an answer that ends the connection. Closing a socket with unread input makes
    /// the kernel send a reset, which can destroy the answer in the client's buffers before it
    /// is read (a refused upload is the usual case). So the server shuts its sending side (the
    /// client sees the answer, then end of stream) and reads and drops what still arrives until
    /// the client closes, `lingerSeconds` pass or `lingerBytesMax` bytes came (RFC 9112 §9.6).
    func closeGracefully() {
        guard !isClosed, lingeringSince == nil else { return }
        // The client already closed its side: nothing can turn into a reset.
        if machine.peerInputClosed { close(); return }
        transport.shutdownOutput()
        outputShut = true
        lingeringSince = EventLoop.now()
        lingeredBytes = 0
        releaseHeldBody()
        machine.abandon()
        machine.parser.buffer.discardAll()
        countInboundBuffer()
        linger()
    }

    /// Reads and drops input while lingering.
    func linger() {
        while !isClosed, lingeringSince != nil {
            let result = machine.parser.buffer.write(minimum: 16 * 1024) { raw -> Int in
                switch transport.read(into: raw) {
                case .bytes(let n): return n
                case .wouldBlock: return -1
                case .eof, .failed: return -2
                }
            }
            machine.parser.buffer.discardAll()
            switch result {
            case let n where n > 0:
                lingeredBytes += n
                if lingeredBytes > server.configuration.lingerBytesMax { close() }
            case -1:
                readable = false
                return
            default:
                close()
            }
        }
    }

    /// Closes now.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(transport.fd)
        transport.close(outputShut: outputShut)
        out = []
        bigBody = []
        releaseHeldBody()
        machine.abandon()
        machine.parser.buffer.discardAll()
        countInboundBuffer()
        if let waiter = drainWaiter {
            drainWaiter = nil
            waiter.resume(throwing: HTTPConnectionError.closed)
        }
        server.connectionClosed(on: loop)
    }
}
