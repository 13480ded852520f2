import Foundation

/// A complete response received by `HTTPClient`.
public struct HTTPClientResponse: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// The header fields.
    public var headers: HTTPHeaders
    /// The whole body, de-chunked.
    public var body: [UInt8]

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Decodes the body as JSON with the project's `JSONCoding.decoder`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONCoding.decoder.decode(type, from: Data(body))
    }

    /// Reads one response from `connection`; also says whether the connection can be reused.
    static func read(from connection: ClientConnection, method: HTTPMethod, configuration: HTTPClient.Configuration,
                     deadline: UInt64) async throws -> (HTTPClientResponse, Bool) {
        var head: HTTPResponseParser.Head
        while true {
            if let parsed = try connection.inbound.withReadable({ try HTTPResponseParser.head($0, headerBytesMax: configuration.responseHeadBytesMax) }) {
                connection.inbound.consume(parsed.byteCount)
                // 1xx interim responses (100 Continue) are skipped (RFC 9110 §15.2).
                if parsed.status.code < 200 { continue }
                head = parsed
                break
            }
            guard try await connection.readMore(deadline: deadline) else { throw HTTPClientError.connectionClosed }
        }
        let framing = try HTTPResponseParser.framing(of: head, method: method)
        var body: [UInt8] = []
        var keepAlive = head.version == .http1_1 && !head.headers.hasToken("close", in: "Connection")
        switch framing {
        case .none:
            break
        case .length(let n):
            guard n <= configuration.responseBodyBytesMax else { throw HTTPClientError.responseTooLarge }
            while connection.inbound.readableCount < n {
                guard try await connection.readMore(deadline: deadline) else { throw HTTPClientError.connectionClosed }
            }
            body = connection.inbound.bytes(n)
            connection.inbound.consume(n)
        case .chunked:
            body = try await readChunked(connection, configuration: configuration, deadline: deadline)
        case .untilClose:
            keepAlive = false
            while try await connection.readMore(deadline: deadline) {
                if connection.inbound.readableCount > configuration.responseBodyBytesMax { throw HTTPClientError.responseTooLarge }
            }
            body = connection.inbound.bytes(connection.inbound.readableCount)
            connection.inbound.consume(body.count)
        }
        return (HTTPClientResponse(status: head.status, headers: head.headers, body: body), keepAlive)
    }

    private static func readChunked(_ connection: ClientConnection, configuration: HTTPClient.Configuration,
                                    deadline: UInt64) async throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = connection.inbound.withReadable { ChunkDecoder.sizeLine($0, lineBytesMax: 1024) }
            switch line {
            case .failure(let error): throw HTTPClientError.invalidResponse(error.reason)
            case .success(nil):
                guard try await connection.readMore(deadline: deadline) else { throw HTTPClientError.connectionClosed }
            case .success(let (size, lineBytes)?):
                // Need the line, the data and its CRLF; the last chunk is followed by trailers and CRLF.
                if size == 0 {
                    connection.inbound.consume(lineBytes)
                    while true {
                        let end = connection.inbound.withReadable { bytes -> Int? in
                            if bytes.count >= 2 && bytes[0] == CR && bytes[1] == LF { return 2 }
                            var i = 3
                            while i < bytes.count { if bytes[i - 3] == CR && bytes[i - 2] == LF && bytes[i - 1] == CR && bytes[i] == LF { return i + 1 }; i += 1 }
                            return nil
                        }
                        if let end { connection.inbound.consume(end); return body }
                        guard try await connection.readMore(deadline: deadline) else { throw HTTPClientError.connectionClosed }
                    }
                }
                guard body.count + size <= configuration.responseBodyBytesMax else { throw HTTPClientError.responseTooLarge }
                while connection.inbound.readableCount < lineBytes + size + 2 {
                    guard try await connection.readMore(deadline: deadline) else { throw HTTPClientError.connectionClosed }
                }
                connection.inbound.consume(lineBytes)
                body.append(contentsOf: connection.inbound.bytes(size))
                connection.inbound.consume(size + 2)
            }
        }
    }
}
