/// An incremental, strict HTTP/1.1 request parser (RFC 9112). It works on bytes only and never
/// sees a socket. Feed bytes into `buffer`, then call `next()` until it answers `.needMore`.
///
/// After `.head`, the caller decides the body limit (it depends on the route) and whether the
/// body is wanted at all, and calls `startBody(bytesMax:keep:)`; `next()` then yields `.body`
/// once the whole body is in. Body bytes leave `buffer` as soon as they arrive and are appended
/// to one growing array, so decoding costs time linear in the body whatever its framing.
struct HTTPRequestParser: Sendable {
    /// What `next()` found.
    enum Event: Sendable {
        /// More bytes are needed.
        case needMore
        /// A request head is complete; call `startBody(bytesMax:keep:)` next.
        case head(HTTPRequestHead)
        /// The body of the current request is complete (possibly empty; always empty when not kept).
        case body([UInt8])
        /// The input broke a rule; answer with the error's status and close.
        case error(HTTPParseError)
    }

    // The states carry only counters: the body lives in `body`, outside the enum, so appending
    // to it never copies what is already there (an array held by an enum payload and a local
    // at once is not uniquely referenced, and each append would copy it whole).
    private enum State: Sendable {
        case head(scanned: Int)
        case awaitingBodyDecision(chunked: Bool, length: Int)
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(scanned: Int)
        case failed
    }

    /// The limits enforced.
    let limits: HTTPParserLimits
    /// Received bytes not yet consumed.
    var buffer = InboundBuffer()
    private var state: State = .head(scanned: 0)
    private var body: [UInt8] = []
    private var bodyBytesMax = 0
    private var keepsBody = true
    /// Where the request line of a head still arriving ends, once seen (the size checks need it).
    private var requestLineEnd: Int?
    /// Body bytes of the current request taken from `buffer` so far, kept or dropped.
    private(set) var bodyBytesRead = 0

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

    /// The bytes of storage the body being read holds.
    var bodyCapacity: Int { body.capacity }

    /// Advances as far as the buffered bytes allow.
    mutating func next() -> Event {
        switch state {
        case .failed, .awaitingBodyDecision:
            return .needMore
        case .head(let scanned):
            return parseHead(scanned: scanned)
        case .fixedBody(let remaining):
            let available = min(buffer.readableCount, remaining)
            take(available)
            if remaining > available {
                state = .fixedBody(remaining: remaining - available)
                return .needMore
            }
            return finishBody()
        case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            return parseChunked()
        }
    }

    /// Chooses how much body the current request may have, and whether it is kept (`keep`
    /// false reads it and drops it, as for a refused request). Returns an error (413) when a
    /// declared `Content-Length` is already over `bytesMax`.
    mutating func startBody(bytesMax: Int, keep: Bool = true) -> HTTPParseError? {
        guard case .awaitingBodyDecision(let chunked, let length) = state else { return nil }
        bodyBytesMax = bytesMax
        keepsBody = keep
        bodyBytesRead = 0
        body = []
        if chunked {
            state = .chunkSize
        } else {
            if length > bytesMax {
                state = .failed
                return HTTPParseError(.contentTooLarge, "content-length \(length) over limit \(bytesMax)")
            }
            // The length is admitted, so the storage is taken once instead of by doubling.
            if keep { body.reserveCapacity(length) }
            state = .fixedBody(remaining: length)
        }
        return nil
    }

    /// Moves `count` buffered bytes into the body (or drops them).
    private mutating func take(_ count: Int) {
        guard count > 0 else { return }
        if keepsBody { buffer.copyOut(count, appendingTo: &body) }
        buffer.consume(count)
        bodyBytesRead += count
    }

    private mutating func finishBody() -> Event {
        let complete = body
        body = []
        state = .head(scanned: 0)
        return .body(complete)
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
        var lineEnd = requestLineEnd
        let found: Result<Int?, HTTPParseError> = buffer.withReadable { bytes in
            findHeadEnd(bytes, from: scanned, firstLineEnd: &lineEnd)
        }
        requestLineEnd = lineEnd
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
            requestLineEnd = nil
            switch parsed {
            case .failure(let error):
                return fail(error)
            case .success(let head):
                state = .awaitingBodyDecision(chunked: head.chunked, length: head.contentLength ?? 0)
                return .head(head)
            }
        }
    }

    /// Finds the CRLFCRLF that ends the head and returns the offset of its first byte; on the
    /// way it notes where the first line ends, so no byte is scanned twice while a head arrives.
    /// A LF not preceded by CR is rejected: we do not accept bare LF line endings, so a
    /// request cannot be read two different ways by us and a proxy (RFC 9112 §2.2).
    private func findHeadEnd(_ bytes: UnsafeBufferPointer<UInt8>, from scanned: Int,
                             firstLineEnd: inout Int?) -> Result<Int?, HTTPParseError> {
        var i = scanned
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == LF {
                if i == 0 || bytes[i - 1] != CR { return .failure(HTTPParseError(.badRequest, "bare LF")) }
                if firstLineEnd == nil { firstLineEnd = i - 1 }
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
        let lineEnd = requestLineEnd
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
            case .chunkSize:
                let line: Result<(size: Int, lineBytes: Int)?, HTTPParseError> = buffer.withReadable {
                    ChunkDecoder.sizeLine($0, lineBytesMax: limits.chunkLineBytesMax)
                }
                switch line {
                case .failure(let error): return fail(error)
                case .success(nil): return .needMore
                case .success(let (size, lineBytes)?):
                    buffer.consume(lineBytes)
                    if size == 0 {
                        state = .trailers(scanned: 0)
                    } else {
                        if bodyBytesRead + size > bodyBytesMax {
                            return fail(HTTPParseError(.contentTooLarge, "chunked body over limit \(bodyBytesMax)"))
                        }
                        state = .chunkData(remaining: size)
                    }
                }
            case .chunkData(let remaining):
                // The data, then exactly CRLF (RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF).
                let available = min(buffer.readableCount, remaining)
                take(available)
                if remaining > available {
                    state = .chunkData(remaining: remaining - available)
                    return .needMore
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard buffer.readableCount >= 2 else { return .needMore }
                let crlf = buffer.withReadable { ($0[0], $0[1]) }
                guard crlf == (CR, LF) else { return fail(HTTPParseError(.badRequest, "chunk data not followed by CRLF")) }
                buffer.consume(2)
                state = .chunkSize
            case .trailers(let scanned):
                // Trailer fields are read and dropped (RFC 9112 §7.1.2 lets a recipient discard them).
                if buffer.readableCount >= 2, buffer.withReadable({ ($0[0], $0[1]) }) == (CR, LF) {
                    buffer.consume(2)
                    return finishBody()
                }
                var unused: Int? = 0
                let found: Result<Int?, HTTPParseError> = buffer.withReadable { findHeadEnd($0, from: scanned, firstLineEnd: &unused) }
                switch found {
                case .failure(let error): return fail(error)
                case .success(nil):
                    if buffer.readableCount > limits.headerBytesMax {
                        return fail(HTTPParseError(.requestHeaderFieldsTooLarge, "trailer section too large"))
                    }
                    state = .trailers(scanned: max(0, buffer.readableCount - 3))
                    return .needMore
                case .success(let end?):
                    buffer.consume(end + 4)
                    return finishBody()
                }
            default:
                return .needMore
            }
        }
    }
}

let CR = UInt8(ascii: "\r")
let LF = UInt8(ascii: "\n")
