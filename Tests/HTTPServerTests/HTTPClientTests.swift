import Foundation
import Testing
@testable import HTTPServer

/// The client against our own server, over real sockets.
@Suite struct HTTPClientTests {
    @Test func client_GetPostKeepAliveAndChunked() async throws {
        try await withTestServer(routes: { router in
            router.get("/chunks") { _, _ in HTTPResponse(stream: { w in for p in ["a", "bb", "ccc"] { try await w.write(p) } }) }
        }) { server, port in
            let client = HTTPClient()
            let health = try await client.get("http://127.0.0.1:\(port)/health")
            #expect(health.status == .ok)
            #expect(try health.decode([String: String].self) == ["status": "ok"])
            let echo = try await client.post("http://127.0.0.1:\(port)/echo", body: Array("hello".utf8))
            #expect(echo.bodyText == "hello")
            let chunked = try await client.get("http://127.0.0.1:\(port)/chunks")
            #expect(chunked.bodyText == "abbccc")
            // Three exchanges, one pooled connection.
            #expect(server.connectionCount == 1)
            let missing = try await client.get("http://127.0.0.1:\(port)/missing")
            #expect(missing.status == .notFound)
            await client.shutdown()
        }
    }

    @Test func client_TimesOut() async throws {
        try await withTestServer { _, port in
            let client = HTTPClient()
            let request = try HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow?ms=2000", timeoutSeconds: 0.2)
            await #expect(throws: HTTPClientError.timedOut) { try await client.execute(request) }
            await client.shutdown()
        }
    }

    @Test func client_RetriesWhenServerClosedIdleConnection() async throws {
        try await withTestServer({ $0.idleTimeoutSeconds = 0.1 }) { server, port in
            let client = HTTPClient()
            _ = try await client.get("http://127.0.0.1:\(port)/health")
            try await waitUntil { server.connectionCount == 0 }
            let again = try await client.get("http://127.0.0.1:\(port)/health")
            #expect(again.status == .ok)
            await client.shutdown()
        }
    }

    @Test func client_RefusedConnection_Throws() async throws {
        let client = HTTPClient()
        await #expect(throws: (any Error).self) { try await client.get("http://127.0.0.1:1/") }
        await client.shutdown()
    }

    @Test func url_IsParsed() throws {
        let url = try HTTPURL("https://example.test:8443/v1/jobs?x=1")
        #expect(url == HTTPURL(isTLSForTest: true, host: "example.test", port: 8443, target: "/v1/jobs?x=1"))
        #expect(try HTTPURL("http://h").target == "/")
        #expect(throws: HTTPClientError.self) { try HTTPURL("ftp://h/") }
    }
}

extension HTTPURL {
    init(isTLSForTest: Bool, host: String, port: Int, target: String) {
        self = try! HTTPURL("\(isTLSForTest ? "https" : "http")://\(host):\(port)\(target)")
    }
}
