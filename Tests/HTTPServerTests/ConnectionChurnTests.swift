import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// Many connections, and clients that vanish.
@Suite struct ConnectionChurnTests {
    @Test func thousandConcurrentConnections_AreAllServed() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 { limit.rlim_cur = min(limit.rlim_max, 4096); setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) }
        try await withTestServer { server, port in
            var sockets: [RawSocket] = []
            for _ in 0..<1000 { sockets.append(try RawSocket(port: port, timeoutSeconds: 10)) }
            for (i, s) in sockets.enumerated() { try await s.send("GET /v1/jobs/\(i) HTTP/1.1\r\nHost: x\r\n\r\n") }
            var served = 0
            for (i, s) in sockets.enumerated() { if try await s.readResponse().bodyText == "job \(i)" { served += 1 } }
            #expect(served == 1000)
            #expect(server.connectionCount == 1000)
        }
    }

    @Test func clientVanishingMidRequest_LeavesServerHealthy() async throws {
        try await withTestServer { server, port in
            for _ in 0..<20 {
                let s = try RawSocket(port: port)
                try await s.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial")
            }
            try await waitUntil { server.connectionCount == 0 }
            let s = try RawSocket(port: port)
            try await s.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await s.readResponse().status == 200)
        }
    }

    @Test func clientVanishingMidResponse_LeavesServerHealthy() async throws {
        try await withTestServer(routes: { router in
            router.get("/big") { _, _ in HTTPResponse(body: [UInt8](repeating: 65, count: 8 << 20)) }
            router.get("/stream") { _, _ in
                HTTPResponse(stream: { writer in
                    for _ in 0..<10_000 { try await writer.write([UInt8](repeating: 66, count: 64 * 1024)) }
                })
            }
        }) { server, port in
            for path in ["/big", "/stream", "/big", "/stream"] {
                let s = try RawSocket(port: port)
                try await s.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                var buffer = [UInt8](repeating: 0, count: 1000)
                _ = recv(s.fd, &buffer, 1000, 0)  // take a little, then vanish with unread data (RST)
            }
            try await waitUntil { server.connectionCount == 0 }
            let s = try RawSocket(port: port)
            try await s.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await s.readResponse().status == 200)
        }
    }
}

/// Polls `condition` every 10 ms for up to `seconds`; fails the test if it never holds.
func waitUntil(seconds: Double = 5, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { Issue.record("condition not met in \(seconds) s"); return }
        try await Task.sleep(for: .milliseconds(10))
    }
}
