/// An incremental, strict HTTP/1.1 request parser (RFC 9112). It works on bytes only and never
/// sees a socket. Feed bytes into `buffer`, then call `next()` until it answers `.needMore`.
///
/// After `.head`, the caller decides the body limit (it depends on the route) and calls
/// `startBody(bytesMax:)`; `next()` then yields `.body` once the whole body is in.
struct HTTPRequestParser: Sendable {
    /// What `next()` found.
    enum Event: Sendable {
        /// More bytes are needed.
        case needMore
        /// A request head is complete; call `startBody(bytesMax:)` next.
        case head(HTTPRequestHead)
        /// The body of the current request is complete (possibly empty).
        case body([UInt8])
        /// The input broke a rule; answer with the error's status and close.
        case error(HTTPParseError)
    }

    private enum State: Sendable {
        case head(scanned: Int)
        case awaitingBodyDecision(HTTPRequestHead)
        case fixedBody(length: Int)
        case chunkSize(body: [UInt8], bytesMax: Int)
        case chunkData(body: [UInt8], bytesMax: Int, remaining: Int)
        case trailers(body: [UInt8], scanned: Int)
        case failed
    }

    /// The limits enforced.
    let limits: HTTPParserLimits
    /// Received bytes not yet consumed.
    var buffer = InboundBuffer()
    private var state: State = .head(scanned: 0)

    /// Makes a parser with the given limits.
    init(limits: HTTPParserLimits = HTTPParserLimits()) { self.limits = limits }

    /// Whether the parser is between requests with nothing buffered.
    var isIdle: Bool {
        if case .head = state, buffer.readableCount == 0 { return true }
        return false
    }

    /// Whether a request head has begun arriving but is not complete yet.
    var isReadingHead: Bool {
        if case .head = state, buffer.readableCount > 0 { return true }
        return false
    }

    /// Advances as far as the buffered bytes allow.
    mutating func next() -> Event {
        switch state {
        case .failed:
            return .needMore
        case .awaitingBodyDecision:
            return .needMore
        case .head(let scanned):
            return parseHead(scanned: scanned)
        case .fixedBody(let length):
            guard buffer.readableCount >= length else { return .needMore }
            let body = buffer.bytes(length)
            buffer.consume(length)
            state = .head(scanned: 0)
            return .body(body)
        case .chunkSize, .chunkData, .trailers:
            return parseChunked()
        }
    }

    /// Chooses how much body the current request may have. Returns an error (413) when a
    /// declared `Content-Length` is already over `bytesMax`.
    mutating func startBody(bytesMax: Int) -> HTTPParseError? {
        guard case .awaitingBodyDecision(let head) = state else { return nil }
        if head.chunked {
            state = .chunkSize(body: [], bytesMax: bytesMax)
        } else {
            let length = head.contentLength ?? 0
            if length > bytesMax {
                state = .failed
                return HTTPParseError(.contentTooLarge, "content-length \(length) over limit \(bytesMax)")
            }
            state = .fixedBody(length: length)
        }
        return nil
    }

    // MARK: - Head (RFC 9112 §2.2, §3, §5)

    private mutating func parseHead(scanned: Int) -> Event {
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the
        // request line; we ignore any number of them.
        while buffer.readableCount >= 2 {
            let leading = buffer.withReadable { ($0[0], $0[1]) }
            guard leading == (CR, LF) else { break }
            buffer.consume(2)
        }
        let found: Result<Int?, HTTPParseError> = buffer.withReadable { bytes in
            findHeadEnd(bytes, from: scanned)
        }
        switch found {
        case .failure(let error):
            return fail(error)
        case .success(nil):
            let count = buffer.readableCount
            state = .head(scanned: max(0, count - 3))
            if let error = checkIncompleteHeadSize(count: count) { return fail(error) }
            return .needMore
        case .success(let end?):
            let parsed = buffer.withReadable { bytes in
                HeadDecoder.decode(UnsafeBufferPointer(rebasing: bytes[0..<end]), limits: limits)
            }
            buffer.consume(end + 4)
            switch parsed {
            case .failure(let error):
                return fail(error)
            case .success(let head):
                state = .awaitingBodyDecision(head)
                return .head(head)
            }
        }
    }

    /// Finds the CRLFCRLF that ends the head and returns the offset of its first byte.
    /// A LF not preceded by CR is rejected: we do not accept bare LF line endings, so a
    /// request cannot be read two different ways by us and a proxy (RFC 9112 §2.2).
    private func findHeadEnd(_ bytes: UnsafeBufferPointer<UInt8>, from scanned: Int) -> Result<Int?, HTTPParseError> {
        var i = scanned
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == LF {
                if i == 0 || bytes[i - 1] != CR { return .failure(HTTPParseError(.badRequest, "bare LF")) }
                if i >= 3 && bytes[i - 2] == LF && bytes[i - 3] == CR { return .success(i - 3) }
            } else if b == CR, i + 1 < n, bytes[i + 1] != LF {
                return .failure(HTTPParseError(.badRequest, "bare CR"))
            }
            i += 1
        }
        return .success(nil)
    }

    /// Applies the size limits to a head that is still arriving, so that a client cannot make
    /// us buffer without bound by never ending its request line or its header section.
    private func checkIncompleteHeadSize(count: Int) -> HTTPParseError? {
        let lineEnd: Int? = buffer.withReadable { bytes in
            var i = 0
            while i + 1 < bytes.count { if bytes[i] == CR && bytes[i + 1] == LF { return i }; i += 1 }
            return nil
        }
        // Method, two spaces and "HTTP/1.1" allow some slack over the target limit.
        let requestLineSlack = 32
        guard let lineEnd else {
            return count > limits.targetBytesMax + requestLineSlack
                ? HTTPParseError(.uriTooLong, "request line over \(limits.targetBytesMax) bytes") : nil
        }
        if count - (lineEnd + 2) > limits.headerBytesMax + 2 {
            return HTTPParseError(.requestHeaderFieldsTooLarge, "header section over \(limits.headerBytesMax) bytes")
        }
        return nil
    }

    private mutating func fail(_ error: HTTPParseError) -> Event {
        state = .failed
        return .error(error)
    }

    // MARK: - Chunked body (RFC 9112 §7.1)

    private mutating func parseChunked() -> Event {
        while true {
            switch state {
            case .chunkSize(let body, let bytesMax):
                let line: Result<(size: Int, lineBytes: Int)?, HTTPParseError> = buffer.withReadable {
                    ChunkDecoder.sizeLine($0, lineBytesMax: limits.chunkLineBytesMax)
                }
                switch line {
                case .failure(let error): return fail(error)
                case .success(nil): return .needMore
                case .success(let (size, lineBytes)?):
                    buffer.consume(lineBytes)
                    if size == 0 {
                        state = .trailers(body: body, scanned: 0)
                    } else {
                        if body.count + size > bytesMax {
                            return fail(HTTPParseError(.contentTooLarge, "chunked body over limit \(bytesMax)"))
                        }
                        state = .chunkData(body: body, bytesMax: bytesMax, remaining: size)
                    }
                }
            case .chunkData(var body, let bytesMax, let remaining):
                // The data, then exactly CRLF (RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF).
                let available = min(buffer.readableCount, remaining)
                if available > 0 {
                    state = .failed  // drop our reference so `body` is uniquely owned
                    buffer.withReadable { body.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<available])) }
                    buffer.consume(available)
                }
                let left = remaining - available
                if left > 0 || buffer.readableCount < 2 {
                    state = .chunkData(body: body, bytesMax: bytesMax, remaining: left)
                    return .needMore
                }
                let crlf = buffer.withReadable { ($0[0], $0[1]) }
                guard crlf == (CR, LF) else { return fail(HTTPParseError(.badRequest, "chunk data not followed by CRLF")) }
                buffer.consume(2)
                state = .chunkSize(body: body, bytesMax: bytesMax)
            case .trailers(let body, let scanned):
                // Trailer fields are read and dropped (RFC 9112 §7.1.2 lets a recipient discard them).
                if buffer.readableCount >= 2, buffer.withReadable({ ($0[0], $0[1]) }) == (CR, LF) {
                    buffer.consume(2)
                    state = .head(scanned: 0)
                    return .body(body)
                }
                let found: Result<Int?, HTTPParseError> = buffer.withReadable { findHeadEnd($0, from: scanned) }
                switch found {
                case .failure(let error): return fail(error)
                case .success(nil):
                    if buffer.readableCount > limits.headerBytesMax {
                        return fail(HTTPParseError(.requestHeaderFieldsTooLarge, "trailer section too large"))
                    }
                    state = .trailers(body: body, scanned: max(0, buffer.readableCount - 3))
                    return .needMore
                case .success(let end?):
                    buffer.consume(end + 4)
                    state = .head(scanned: 0)
                    return .body(body)
                }
            default:
                return .needMore
            }
        }
    }
}

let CR = UInt8(ascii: "\r")
let LF = UInt8(ascii: "\n")
