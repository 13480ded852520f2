import Foundation
import Testing
@testable import HTTPServer

/// `connectAddress`: the client connects to the address it is given, not to whatever the name
/// resolves to, and still names the host in `Host`.
@Suite struct HTTPClientConnectAddressTests {
    @Test func connectAddress_IsUsedAndHostHeaderKeepsTheName() async throws {
        try await withTestServer(routes: { router in
            router.get("/host") { request, _ in .text(request.headers["host"] ?? "-") }
        }) { _, port in
            let client = HTTPClient()
            // `.invalid` never resolves (RFC 6761), so only the given address can answer.
            var request = try HTTPClientRequest(url: "http://receiver.invalid:\(port)/host")
            await #expect(throws: (any Error).self) { try await client.execute(request) }
            request.connectAddress = "127.0.0.1"
            let answer = try await client.execute(request)
            #expect(answer.bodyText == "receiver.invalid:\(port)")
            // Only a dotted-quad address is taken; a name there would mean a second lookup.
            request.connectAddress = "localhost"
            await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
            await client.shutdown()
        }
    }
}
