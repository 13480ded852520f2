import Foundation
import Testing
@testable import HTTPServer

/// Streaming responses: chunked, server-sent events, HTTP/1.0 close-delimited.
@Suite struct StreamingTests {
    private let routes: (Router) -> Void = { router in
        router.get("/events") { _, _ in
            .eventStream { writer in
                for i in 1...3 {
                    try await writer.writeEvent(data: "tick \(i)", event: "tick", id: "\(i)")
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
        }
        router.get("/chunks") { _, _ in
            HTTPResponse(headers: ["Content-Type": "text/plain"], stream: { writer in
                for part in ["alpha,", "beta,", "gamma"] { try await writer.write(part) }
            })
        }
    }

    @Test func serverSentEvents_ArriveChunkedThenKeepAliveContinues() async throws {
        try await withTestServer(routes: routes) { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await socket.readResponse()
            #expect(response.headers["Content-Type"] == "text/event-stream")
            #expect(response.headers["Transfer-Encoding"] == "chunked")
            #expect(response.bodyText == "event: tick\nid: 1\ndata: tick 1\n\nevent: tick\nid: 2\ndata: tick 2\n\nevent: tick\nid: 3\ndata: tick 3\n\n")
            try await socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await socket.readResponse().status == 200)
        }
    }

    @Test func chunkedStream_ToHTTP10_IsCloseDelimited() async throws {
        try await withTestServer(routes: routes) { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET /chunks HTTP/1.0\r\n\r\n")
            let all = String(decoding: await socket.readToEnd(), as: UTF8.self)
            #expect(!all.contains("chunked"))
            #expect(all.hasSuffix("\r\n\r\nalpha,beta,gamma"))
        }
    }

    @Test func slowReader_BackPressuresTheWriter() async throws {
        // A writer that would produce 64 MiB must be held back while the reader takes nothing.
        let produced = ProducedCounter()
        try await withTestServer({ $0.outboundHighWaterBytes = 64 * 1024 }, routes: { router in
            router.get("/flood") { _, _ in
                HTTPResponse(stream: { writer in
                    for _ in 0..<1024 { try await writer.write([UInt8](repeating: 70, count: 64 * 1024)); produced.add(64 * 1024) }
                })
            }
        }) { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(300))
            // Kernel socket buffers hold a few MiB at most; the rest must not have been produced.
            #expect(produced.value < 16 << 20)
        }
    }
}

extension StreamingTests {
    @Test func readerThatNeverReads_IsCutAfterWriteTimeout() async throws {
        // Loopback buffers can hold tens of MiB, so the body is a stream that would go on for
        // 1 GiB; once the buffers are full no byte moves, and the write timeout must cut it.
        let produced = ProducedCounter()
        try await withTestServer({ $0.writeTimeoutSeconds = 0.3 }, routes: { router in
            router.get("/endless") { _, _ in
                HTTPResponse(stream: { writer in
                    for _ in 0..<(16 * 1024) { try await writer.write([UInt8](repeating: 72, count: 64 * 1024)); produced.add(64 * 1024) }
                })
            }
        }) { server, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
            try await waitUntil(seconds: 10) { server.connectionCount == 0 }
            #expect(produced.value < 1 << 30)
        }
    }
}

final class ProducedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ n: Int) { lock.lock(); total += n; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return total }
}
