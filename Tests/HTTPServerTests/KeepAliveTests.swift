import Testing
@testable import HTTPServer

@Suite struct KeepAliveTests {
    @Test func keepAlive_ServesSeveralRequestsOnOneConnection() async throws {
        try await withTestServer { _, port in
            let socket = try RawSocket(port: port)
            for _ in 0..<5 {
                try await socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try await socket.readResponse()
                #expect(response.status == 200)
                #expect(response.bodyText == #"{"status":"ok"}"#)
                #expect(response.headers["Date"] != nil)
                #expect(response.headers["Connection"] == nil)
            }
        }
    }
}
