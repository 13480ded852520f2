import Foundation
import Testing
@testable import HTTPServer

/// Chunked bodies cost what bodies with a Content-Length cost: decoding is linear in the body,
/// never re-copying what has already been reassembled.
@Suite struct ChunkedCostTests {
    /// The body as `chunkBytes`-sized chunks of the chunked coding (RFC 9112 §7.1).
    static func chunkedRequest(_ body: [UInt8], chunkBytes: Int, path: String = "/up") -> [UInt8] {
        var out = Array("POST \(path) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        out.reserveCapacity(body.count + body.count / chunkBytes * 12 + 64)
        var offset = 0
        while offset < body.count {
            let n = min(chunkBytes, body.count - offset)
            out.append(contentsOf: Array(String(n, radix: 16).utf8) + [13, 10])
            out.append(contentsOf: body[offset..<(offset + n)])
            out.append(contentsOf: [13, 10])
            offset += n
        }
        out.append(contentsOf: Array("0\r\n\r\n".utf8))
        return out
    }

    static func lengthRequest(_ body: [UInt8], path: String = "/up") -> [UInt8] {
        Array("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
    }

    /// The fastest of `rounds` runs, in seconds.
    static func fastest(_ rounds: Int, _ work: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            work()
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return best
    }

    @Test func chunkedParse_CostsAboutWhatContentLengthCosts() {
        let body = patternedBytes(count: 8 << 20)
        let chunked = Self.chunkedRequest(body, chunkBytes: 4096)
        let length = Self.lengthRequest(body)
        var chunkedBody: [UInt8] = [], lengthBody: [UInt8] = []
        let chunkedSeconds = Self.fastest(3) { chunkedBody = parse(chunked, bodyBytesMax: 16 << 20, chunkSize: 64 * 1024).requests.first?.body ?? [] }
        let lengthSeconds = Self.fastest(3) { lengthBody = parse(length, bodyBytesMax: 16 << 20, chunkSize: 64 * 1024).requests.first?.body ?? [] }
        #expect(chunkedBody == body)
        #expect(lengthBody == body)
        // Linear decoding is within a small factor of the Content-Length path (scanning chunk
        // lines costs a little); re-copying the reassembled body per chunk is hundreds of times slower.
        #expect(chunkedSeconds < 4 * lengthSeconds + 0.05, "chunked \(chunkedSeconds) s, content-length \(lengthSeconds) s")
    }

    @Test func chunkedUpload_OverASocket_CostsAboutWhatContentLengthCosts() async throws {
        try await withTestServer(routes: { router in
            router.post("/count", bodyBytesMax: 64 << 20) { request, _ in .text("\(request.body.count)") }
        }) { _, port in
            let body = patternedBytes(count: 32 << 20)
            let chunked = Self.chunkedRequest(body, chunkBytes: 64 * 1024, path: "/count")
            let length = Self.lengthRequest(body, path: "/count")
            func timed(_ request: [UInt8]) async throws -> Double {
                let socket = try RawSocket(port: port, timeoutSeconds: 120)
                let start = ContinuousClock.now
                try await socket.send(request)
                let response = try await socket.readResponse()
                let elapsed = ContinuousClock.now - start
                #expect(response.bodyText == "\(32 << 20)")
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            var lengthSeconds = Double.infinity, chunkedSeconds = Double.infinity
            for _ in 0..<2 {
                lengthSeconds = min(lengthSeconds, try await timed(length))
                chunkedSeconds = min(chunkedSeconds, try await timed(chunked))
            }
            #expect(chunkedSeconds < 4 * lengthSeconds + 0.5, "chunked \(chunkedSeconds) s, content-length \(lengthSeconds) s")
        }
    }
}
