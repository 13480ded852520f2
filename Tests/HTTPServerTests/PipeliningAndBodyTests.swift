import Foundation
import Testing
@testable import HTTPServer

/// Bodies and pipelining over real sockets.
@Suite struct PipeliningAndBodyTests {
    @Test func pipelinedRequests_AreAnsweredInOrder() async throws {  // RFC 9112 §9.3.2
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET /v1/jobs/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /slow?ms=50 HTTP/1.1\r\nHost: x\r\n\r\n"
                            + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /v1/jobs/4 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await socket.readResponse().bodyText == "job 1")
            #expect(try await socket.readResponse().bodyText == "slow done")
            #expect(try await socket.readResponse().bodyText == "abc")
            #expect(try await socket.readResponse().bodyText == "job 4")
        }
    }

    @Test func chunkedUpload_IsReassembled() async throws {  // RFC 9112 §7.1
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            try await socket.send("4\r\nWiki\r\n")
            try await socket.send("5;note=x\r\npedia\r\n0\r\n\r\n")
            let response = try await socket.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "Wikipedia")
        }
    }

    @Test func tenMiBBody_RoundTrips() async throws {
        try await withTestServer { _, port in
            let body = patternedBytes(count: 10 << 20)
            let socket = try RawSocket(port: port, timeoutSeconds: 20)
            try await socket.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.count)\r\n\r\n")
            try await socket.send(body)
            let response = try await socket.readResponse()
            #expect(response.status == 200)
            #expect(response.body == body)
        }
    }

    @Test func oneByteAtATime_IsServed() async throws {
        // This checks parsing across 55 reads, not the slowloris timeout (tested on its own): a
        // generous header timeout keeps a loaded machine from turning it into a 408.
        try await withTestServer({ $0.headerTimeoutSeconds = 120 }) { _, port in
            let socket = try RawSocket(port: port)
            for byte in Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello".utf8) {
                try await socket.send([byte])
                try await Task.sleep(for: .microseconds(200))
            }
            #expect(try await socket.readResponse().bodyText == "hello")
        }
    }

    @Test func bodyOverRouteLimit_Is413AndClose() async throws {
        try await withTestServer(routes: { router in
            router.post("/small", bodyBytesMax: 16) { request, _ in .text("got \(request.body.count)") }
        }) { _, port in
            let atLimit = try RawSocket(port: port)
            try await atLimit.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef")
            #expect(try await atLimit.readResponse().bodyText == "got 16")
            let past = try RawSocket(port: port)
            try await past.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n0123456789abcdefg")
            let response = try await past.readResponse()
            #expect(response.status == 413)
            #expect(response.headers["Content-Type"] == "application/problem+json")
            #expect(response.headers["Connection"] == "close")
            #expect(await past.isClosedByPeer())
        }
    }

    @Test func expectContinue_GetsInterim100ThenResponse() async throws {  // RFC 9110 §10.1.1
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            let interim = try await socket.readResponse()
            #expect(interim.status == 100)
            try await socket.send("ping")
            #expect(try await socket.readResponse().bodyText == "ping")
        }
    }

    @Test func http10Client_GetsResponseAndClose() async throws {  // RFC 9112 §9.3
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET /v1/jobs/7 HTTP/1.0\r\n\r\n")
            let all = String(decoding: await socket.readToEnd(), as: UTF8.self)
            #expect(all.hasPrefix("HTTP/1.0 200 OK\r\n"))
            #expect(all.contains("Connection: close\r\n"))
            #expect(all.hasSuffix("job 7"))
        }
    }

    @Test func http10KeepAlive_IsHonoured() async throws {  // RFC 9112 §9.3 (HTTP/1.0 persistence)
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            for i in 0..<2 {
                try await socket.send("GET /v1/jobs/\(i) HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let response = try await socket.readResponse()
                #expect(response.bodyText == "job \(i)")
                #expect(response.headers["Connection"] == "keep-alive")
            }
        }
    }

    @Test func methodNotAllowed_OverSocket_HasAllowAndProblem() async throws {
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await socket.readResponse()
            #expect(response.status == 405)
            #expect(response.headers["Allow"] == "GET, HEAD")
            #expect(response.headers["Content-Type"] == "application/problem+json")
            #expect(response.bodyText.contains(#""code":"method_not_allowed""#))
            #expect(response.headers["X-Request-Id"] != nil)
            // An answered 405 is not a framing error: the connection stays usable.
            try await socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await socket.readResponse().status == 200)
        }
    }

    @Test func head_HasLengthButNoBody() async throws {  // RFC 9110 §9.3.2
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("HEAD /v1/jobs/7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let all = String(decoding: await socket.readToEnd(), as: UTF8.self)
            #expect(all.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(all.contains("Content-Length: 5\r\n"))
            #expect(all.hasSuffix("\r\n\r\n"))
        }
    }
}

/// `count` bytes of a non-repeating-looking pattern, made quickly even in debug builds.
func patternedBytes(count: Int) -> [UInt8] {
    var seed: UInt64 = 0x9E3779B97F4A7C15
    var words = [UInt64](repeating: 0, count: (count + 7) / 8)
    for i in words.indices { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; words[i] = seed }
    return words.withUnsafeBytes { Array($0.prefix(count)) }
}

/// A client that half-closes after pipelining still gets every answer.
@Suite struct HalfCloseTests {
    @Test func pipelinedRequestsThenFIN_AreAllAnsweredInOrder() async throws {  // RFC 9112 §9.3.2, §9.6
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            // The first answer takes a while, so the FIN is surely read while it is pending.
            try await socket.send("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/jobs/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                                  + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /v1/jobs/4 HTTP/1.1\r\nHost: x\r\n\r\n")
            socket.shutdownWrite()
            var bytes = await socket.readToEnd()
            var bodies: [String] = []
            while let (response, used) = ParsedResponse.parse(bytes) {
                bodies.append(response.bodyText)
                bytes.removeFirst(used)
            }
            #expect(bodies == ["slow done", "job 2", "abc", "job 4"])
        }
    }
}

/// Paths with more than one spelling are refused before routing (see `CanonicalPath`).
@Suite struct CanonicalPathOverSocketTests {
    @Test func nonCanonicalPaths_Are400_AndTheConnectionStays() async throws {
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            for path in ["//health", "/health/", "/v1//jobs/1", "/v1/jobs/1/", "/v1/./jobs/1", "/v1/x/../jobs/1",
                         "/v1/jobs/a%2Fb", "/v1/jobs/%2e%2e"] {
                try await socket.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try await socket.readResponse()
                #expect(response.status == 400, "\(path)")
                #expect(response.headers["Content-Type"] == "application/problem+json")
                #expect(response.bodyText.contains(#""code":"non_canonical_path""#), "\(path): \(response.bodyText)")
            }
            try await socket.send("GET /v1/jobs/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await socket.readResponse().bodyText == "job 1")
        }
    }
}
