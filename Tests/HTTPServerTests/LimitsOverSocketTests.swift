import Foundation
import Testing
@testable import HTTPServer

/// Limits and abuse over real sockets: each answered with the right status, then close.
@Suite struct LimitsOverSocketTests {
    private func expectRejected(_ request: String, status: Int, port: Int) async throws {
        let socket = try RawSocket(port: port)
        try await socket.send(request)
        let response = try await socket.readResponse()
        #expect(response.status == status)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(await socket.isClosedByPeer())
    }

    @Test func smugglingAttempts_Are400AndClose() async throws {
        try await withTestServer { _, port in
            try await expectRejected("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400, port: port)
            try await expectRejected("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", status: 400, port: port)
            try await expectRejected("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", status: 400, port: port)
            try await expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n folded\r\n\r\n", status: 400, port: port)
            try await expectRejected("GET / HTTP/1.1\r\nHost : x\r\n\r\n", status: 400, port: port)
            try await expectRejected("GET /\u{7f} HTTP/1.1\r\nHost: x\r\n\r\n", status: 400, port: port)
        }
    }

    @Test func longTarget_Is414_LargeHeaders_Are431() async throws {
        try await withTestServer { _, port in
            try await expectRejected("GET /\(String(repeating: "a", count: 8 * 1024)) HTTP/1.1\r\nHost: x\r\n\r\n", status: 414, port: port)
            try await expectRejected("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 16 * 1024))\r\n\r\n", status: 431, port: port)
            let fields = (1...100).map { "X-\($0): v\r\n" }.joined()
            try await expectRejected("GET / HTTP/1.1\r\nHost: x\r\n\(fields)\r\n", status: 431, port: port)
        }
    }

    @Test func slowloris_Gets408AndClose() async throws {
        try await withTestServer({ $0.headerTimeoutSeconds = 0.3 }) { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET / HTTP/1.1\r\nHost: x\r\n")
            for _ in 0..<3 { try await Task.sleep(for: .milliseconds(120)); try? await socket.send("X-A: b\r\n") }
            let response = try await socket.readResponse()
            #expect(response.status == 408)
            #expect(await socket.isClosedByPeer())
        }
    }

    @Test func idleKeepAlive_IsClosed() async throws {
        try await withTestServer({ $0.idleTimeoutSeconds = 0.3 }) { _, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await socket.readResponse().status == 200)
            let start = Date()
            #expect(await socket.isClosedByPeer())
            // Closed by the 0.3 s idle timer, not by a later limit (the next, the header timeout,
            // is 10 s); the margin is wide because a loaded CI machine wakes threads late.
            #expect(Date().timeIntervalSince(start) < 8)
        }
    }

    @Test func connectionCap_PausesAcceptingAndResumes() async throws {
        // Idle connections are not shed here (see `idleConnectionsAtTheCap_AreShedForWaitingClients`).
        try await withTestServer({ $0.connectionCountMax = 2; $0.loopCount = 1; $0.idleShedSeconds = 600 }) { server, port in
            let a = try RawSocket(port: port)
            let b = try RawSocket(port: port)
            try await a.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            try await b.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await a.readResponse().status == 200)
            #expect(try await b.readResponse().status == 200)
            // The third connection completes its TCP handshake in the backlog but is not served.
            let c = try RawSocket(port: port, timeoutSeconds: 1)
            try await c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            await #expect(throws: (any Error).self) { try await c.readResponse() }
            #expect(server.connectionCount == 2)
            // Closing one makes room; the waiting connection is accepted and answered.
            try await a.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            _ = try await a.readResponse()
            let c2 = try RawSocket(port: port, timeoutSeconds: 5)
            _ = c2
            #expect(try await c.readResponse().status == 200)
        }
    }

    @Test func idleConnectionsAtTheCap_AreShedForWaitingClients() async throws {
        try await withTestServer({ $0.connectionCountMax = 2; $0.loopCount = 1; $0.idleShedSeconds = 0.2 }) { server, port in
            let a = try RawSocket(port: port)
            let b = try RawSocket(port: port)
            for s in [a, b] {
                try await s.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await s.readResponse().status == 200)
            }
            // Both sit idle at the cap; a third client waits in the backlog until they are shed.
            let c = try RawSocket(port: port, timeoutSeconds: 10)
            try await c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await c.readResponse().status == 200)
            #expect(await a.isClosedByPeer())
            #expect(server.connectionCount <= 2)
        }
    }
}
