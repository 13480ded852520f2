import Foundation
import Testing
@testable import HTTPServer

/// Deciding on the head before the body, over real sockets: refusals come before a byte of
/// body is sent, `100 Continue` only for admitted requests, and bodies stay within budget.
@Suite struct HeadAdmissionTests {
    /// `/upload*` needs `X-Key: k`; everything else is open.
    static let keyCheck: @Sendable (HTTPRequestHead) async throws -> (any Sendable)? = { head in
        guard head.path.hasPrefix("/upload") else { return nil }
        guard head.headers["X-Key"] == "k" else { throw HTTPError.unauthorized("send X-Key") }
        return "caller-k"
    }

    static func routes(_ router: Router) {
        router.post("/upload", bodyBytesMax: 128 << 20) { request, _ in
            .text("\(request.body.count) from \(request.admission as? String ?? "nobody")")
        }
    }

    static func upload(length: Int, key: Bool, extra: String = "") -> String {
        "POST /upload HTTP/1.1\r\nHost: x\r\n\(key ? "X-Key: k\r\n" : "")\(extra)Content-Length: \(length)\r\n\r\n"
    }

    @Test func keylessLargeUpload_Gets401BeforeTheBodyIsSent() async throws {
        try await withTestServer(routes: Self.routes, admit: Self.keyCheck) { server, port in
            let socket = try RawSocket(port: port, timeoutSeconds: 10)
            try await socket.send(Self.upload(length: 64 << 20, key: false))
            let response = try await socket.readResponse()
            #expect(response.status == 401)
            #expect(response.headers["Content-Type"] == "application/problem+json")
            #expect(response.headers["WWW-Authenticate"] == "Bearer")
            #expect(response.headers["Connection"] == "close")
            #expect(response.headers["X-Request-Id"] != nil)
            #expect(await socket.isClosedByPeer())
            #expect(server.bodyBytesInFlight == 0)
        }
    }

    @Test func expectContinue_IsAnsweredOnlyForAdmittedRequests() async throws {  // RFC 9110 §10.1.1
        try await withTestServer(routes: Self.routes, admit: Self.keyCheck) { _, port in
            let refused = try RawSocket(port: port, timeoutSeconds: 10)
            try await refused.send(Self.upload(length: 1 << 20, key: false, extra: "Expect: 100-continue\r\n"))
            #expect(try await refused.readResponse().status == 401)  // no 100 before it
            #expect(await refused.isClosedByPeer())

            let admitted = try RawSocket(port: port, timeoutSeconds: 10)
            try await admitted.send(Self.upload(length: 4, key: true, extra: "Expect: 100-continue\r\n"))
            #expect(try await admitted.readResponse().status == 100)
            try await admitted.send("ping")
            #expect(try await admitted.readResponse().bodyText == "4 from caller-k")
        }
    }

    @Test func refusedSmallBody_IsDropped_AndTheConnectionStaysUsable() async throws {
        try await withTestServer(routes: Self.routes, admit: Self.keyCheck) { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send(Self.upload(length: 10, key: false) + "0123456789")
            let refused = try await socket.readResponse()
            #expect(refused.status == 401)
            #expect(refused.headers["Connection"] == nil)
            try await socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await socket.readResponse().status == 200)
        }
    }

    @Test func keylessUploadFlood_HoldsNoBodyMemory() async throws {
        // The attack: connections announce 64 MiB each, send a good part of it, then trickle.
        // Refused at the head, their bytes are dropped as they come, never buffered.
        try await withTestServer(routes: Self.routes, admit: Self.keyCheck) { server, port in
            var sockets: [RawSocket] = []
            for _ in 0..<8 {
                let socket = try RawSocket(port: port, timeoutSeconds: 10)
                try await socket.send(Self.upload(length: 64 << 20, key: false))
                #expect(try await socket.readResponse().status == 401)
                sockets.append(socket)
            }
            let part = patternedBytes(count: 4 << 20)
            var peak = 0
            for socket in sockets {
                _ = await socket.sendIgnoringErrors(part)
                peak = max(peak, server.inboundBufferBytes + server.bodyBytesInFlight)
            }
            for _ in 0..<10 {
                for socket in sockets { _ = await socket.sendIgnoringErrors([0x41]) }
                peak = max(peak, server.inboundBufferBytes + server.bodyBytesInFlight)
                try await Task.sleep(for: .milliseconds(50))
            }
            // A read buffer or two per connection, never a body: 8 × 64 MiB announced, 8 × 4 MiB sent.
            #expect(peak <= 8 * 256 * 1024, "peak \(peak) bytes buffered")
            #expect(server.bodyBytesInFlight == 0)

            // The same counters do see an admitted body: the measure above is not blind.
            let admitted = try RawSocket(port: port, timeoutSeconds: 20)
            try await admitted.send(Self.upload(length: 8 << 20, key: true))
            try await admitted.send(Array(part[0..<(1 << 20)]))
            try await waitUntil { server.bodyBytesInFlight >= 8 << 20 }
            try await admitted.send(Array(repeating: 0x42, count: 7 << 20))
            #expect(try await admitted.readResponse().bodyText == "\(8 << 20) from caller-k")
            try await waitUntil { server.bodyBytesInFlight == 0 }
        }
    }

    @Test func bodiesPastTheBudget_Get503ServerBusy_BeforeTheirBody() async throws {
        try await withTestServer({ $0.bodyBytesInFlightMax = 4 << 20 }, routes: Self.routes, admit: Self.keyCheck) { server, port in
            let first = try RawSocket(port: port, timeoutSeconds: 20)
            try await first.send(Self.upload(length: 3 << 20, key: true) + "start")
            try await waitUntil { server.bodyBytesInFlight == 3 << 20 }

            let tooMuch = try RawSocket(port: port, timeoutSeconds: 10)
            try await tooMuch.send(Self.upload(length: 2 << 20, key: true))
            let busy = try await tooMuch.readResponse()
            #expect(busy.status == 503)
            #expect(busy.headers["Retry-After"] == "1")
            #expect(busy.bodyText.contains(#""code":"server_busy""#))

            let fits = try RawSocket(port: port, timeoutSeconds: 20)
            try await fits.send(Self.upload(length: 1 << 20, key: true))
            try await fits.send(Array(repeating: 0x43, count: 1 << 20))
            #expect(try await fits.readResponse().status == 200)

            try await first.send(Array(repeating: 0x44, count: (3 << 20) - 5))
            #expect(try await first.readResponse().bodyText == "\(3 << 20) from caller-k")
            try await waitUntil { server.bodyBytesInFlight == 0 }
            let retried = try RawSocket(port: port, timeoutSeconds: 20)
            try await retried.send(Self.upload(length: 2 << 20, key: true))
            try await retried.send(Array(repeating: 0x45, count: 2 << 20))
            #expect(try await retried.readResponse().status == 200)
        }
    }

    @Test func chunkedBodyPastTheBudget_Gets503AndClose() async throws {
        try await withTestServer({ $0.bodyBytesInFlightMax = 1 << 20 }, routes: Self.routes, admit: Self.keyCheck) { server, port in
            let hold = try RawSocket(port: port, timeoutSeconds: 20)
            try await hold.send(Self.upload(length: 512 << 10, key: true) + "held")
            try await waitUntil { server.bodyBytesInFlight > 0 }
            let socket = try RawSocket(port: port, timeoutSeconds: 10)
            try await socket.send("POST /upload HTTP/1.1\r\nHost: x\r\nX-Key: k\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = Array("10000\r\n".utf8) + [UInt8](repeating: 0x46, count: 0x10000) + [13, 10]
            for _ in 0..<32 { if !(await socket.sendIgnoringErrors(chunk)) { break } }
            let response = try await socket.readResponse()
            #expect(response.status == 503)
            #expect(response.bodyText.contains(#""code":"server_busy""#))
            #expect(await socket.isClosedByPeer())
        }
    }

    @Test func trickledBody_Gets408ByItsRate() async throws {
        try await withTestServer({ $0.bodyRateBytesPerSecondMin = 100_000; $0.bodyRateWindowSeconds = 0.5 },
                                 routes: Self.routes, admit: Self.keyCheck) { _, port in
            let socket = try RawSocket(port: port, timeoutSeconds: 10)
            try await socket.send(Self.upload(length: 1 << 20, key: true))
            // Never silent for long (the gap timeout is a minute here), but far too slow.
            let trickle = Task {
                for _ in 0..<100 {
                    guard await socket.sendIgnoringErrors(Array("0123456789".utf8)) else { return }
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            let response = try await socket.readResponse()
            trickle.cancel()
            #expect(response.status == 408)
            #expect(response.bodyText.contains(#""code":"request_timeout""#))
        }
    }
}
