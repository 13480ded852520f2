@testable import API
import Foundation
import Glibc
import HTTPServer
import Market
import Testing

/// Authentication and authorisation on the request head, through the real API: a caller
/// without a key, or with the wrong role, is answered before it sends a byte of its body, and
/// paths with a second spelling never reach a route.
@Suite struct HeadAuthTests {
    @Test func everyRoute_HasAnAccessRule() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let api = MarketAPI(market: f.market, watcher: f.watcher)
        let (unruled, unrouted) = RouteAccess.mismatches(api.router())
        #expect(unruled.isEmpty, "routes without a rule in RouteAccess.table: \(unruled)")
        #expect(unrouted.isEmpty, "rules without a route: \(unrouted)")
    }

    @Test func keylessLargeModelUpload_Gets401BeforeTheBodyIsSent() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let socket = try HeadSocket(port: f.server.localPort)
        // 15 MiB announced (under the model limit, so only the missing key refuses it), not a
        // byte of it sent: the answer must come anyway.
        try await socket.send("POST /v1/models?name=m HTTP/1.1\r\nHost: x\r\nContent-Length: \(15 << 20)\r\n\r\n")
        let (status, head, body) = try await socket.readResponse()
        #expect(status == 401)
        #expect(head.contains("WWW-Authenticate: Bearer"))
        #expect(head.contains("Connection: close"))
        #expect(body.contains(#""code":"unauthenticated""#))
        #expect(f.server.bodyBytesInFlight == 0)
    }

    @Test func expectContinue_IsRefusedWithout100ForAKeylessCaller() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let socket = try HeadSocket(port: f.server.localPort)
        try await socket.send("POST /v1/jobs/\(UUID())/proof HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                              + "Content-Type: application/json\r\nContent-Length: \(7 << 20)\r\n\r\n")
        let (status, _, _) = try await socket.readResponse()
        #expect(status == 401)  // the first thing on the wire, not a 100
    }

    @Test func wrongRole_Gets403BeforeTheBody() async throws {
        let f = try await APIFixture.make(importer: InferenceModelImporter())
        defer { Task { await f.stop() } }
        let (workerKey, _) = try await f.worker()
        let socket = try HeadSocket(port: f.server.localPort)
        try await socket.send("POST /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(workerKey)\r\n"
                              + "Content-Length: \(15 << 20)\r\n\r\n")
        let (status, _, body) = try await socket.readResponse()
        #expect(status == 403)
        #expect(body.contains(#""code":"forbidden""#))
    }

    @Test func everyKeyedRoute_RefusesAKeylessHead() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        for (route, access) in RouteAccess.table.sorted(by: { $0.key < $1.key }) where access != .open {
            let parts = route.split(separator: " ")
            let path = parts[1].replacing("{id}", with: UUID().uuidString)
            let socket = try HeadSocket(port: f.server.localPort)
            // A body within every route's limit, which the client will send only after a 100.
            try await socket.send("\(parts[0]) \(path) HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n")
            let (status, _, body) = try await socket.readResponse()
            #expect(status == 401, "\(route): \(status) \(body)")
        }
    }

    @Test func keyedRequests_StillWork_WithOneAuthentication() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        let (_, clientKey) = try await f.account("client", funds: 1_000)
        let jobs = try await f.send(.get, "/v1/jobs", key: clientKey)
        #expect(jobs.status.code == 200, "\(jobs.bodyText)")
        let stats = try await f.send(.get, "/v1/admin/stats", key: f.adminKey)
        #expect(stats.status.code == 200)
        try f.expectProblem(try await f.send(.get, "/v1/admin/stats", key: clientKey), 403, "forbidden")
        try f.expectProblem(try await f.send(.get, "/v1/admin/stats"), 401, "unauthenticated")
        try f.expectProblem(try await f.send(.get, "/v1/admin/stats", key: "pm_nope"), 401, "unauthenticated")
    }

    @Test func adminPathsWithASecondSpelling_AreRefused() async throws {
        let f = try await APIFixture.make()
        defer { Task { await f.stop() } }
        for path in ["//v1/admin/stats", "/v1//admin/stats", "/v1/admin/stats/", "/v1/./admin/stats",
                     "/v1/jobs/../admin/stats", "/v1/admin%2Fstats", "/v1/admin/%73tats/"] {
            let response = try await f.send(.get, path, key: f.adminKey)
            try f.expectProblem(response, 400, "non_canonical_path")
        }
        #expect(try await f.send(.get, "/v1/admin/stats", key: f.adminKey).status.code == 200)
    }
}

/// A blocking socket for requests the HTTP client would not send (a head without its body).
final class HeadSocket: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw HTTPClientError.connectionClosed }
    }

    deinit { close(fd) }

    func send(_ text: String) async throws {
        let bytes = Array(text.utf8)
        let sent = await offPool { bytes.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        guard sent == bytes.count else { throw HTTPClientError.connectionClosed }
    }

    /// The first response: status, head text and body text (Content-Length framed).
    func readResponse() async throws -> (status: Int, head: String, body: String) {
        let bytes = await offPool { () -> [UInt8] in
            var all: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                if let end = Self.headEnd(all) {
                    let head = String(decoding: all[0..<end], as: UTF8.self)
                    let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    if all.count >= end + 4 + length { return Array(all[0..<(end + 4 + length)]) }
                }
                let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return all }
                all.append(contentsOf: buffer[0..<n])
            }
        }
        guard let end = Self.headEnd(bytes) else { throw HTTPClientError.invalidResponse("no response head in \(bytes.count) bytes") }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, head, String(decoding: bytes[(end + 4)...], as: UTF8.self))
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
    }

    private func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: body()) } }
    }
}
