import MarketTestSupport
import API
import Foundation
import HTTPServer
import Logging
import Market
import Postgres
import Testing
import TestSupport

extension APIFixture {
    /// The model's state once its import has finished (polls while it is `processing`).
    func settledModel(_ id: String, key: String, secondsMax: Double = 120,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let started = ContinuousClock.now
        while true {
            let model = try object(try await send(.get, "/v1/models/\(id)", key: key))
            if model["status"] as? String != "processing" { return model }
            guard ContinuousClock.now - started < .seconds(secondsMax) else {
                Issue.record("model \(id) still processing after \(secondsMax) s", sourceLocation: sourceLocation)
                return model
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// The stored size of a model's file, or nil if no row holds it.
    func storedBytes(ofModel id: String) async throws -> Int? {
        try await db.pool.query("SELECT length(onnx) AS n FROM models WHERE id = $1", [.text(id)]).first?
            .decode("n", as: Int.self)
    }

    /// How many proofs were recorded as rejected against a worker.
    func rejections(ofWorker id: String) async throws -> Int64 {
        let row = try await db.pool.query("SELECT jobs_rejected FROM workers WHERE id = $1", [.uuid(try #require(UUID(uuidString: id)))]).first
        return try #require(row).decode("jobs_rejected")
    }

    /// Sends only a request's head (with this `Content-Length`, no body) on a socket of its own
    /// and returns the status the server answers with: for refusals made before any body is read.
    func statusOfHead(_ requestLine: String, key: String, contentLength: Int) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(server.localPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let head = "\(requestLine)\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Length: \(contentLength)\r\n\r\n"
        _ = Array(head.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !reply.contains(0x0A) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            reply += buffer.prefix(n)
        }
        let statusLine = String(decoding: reply.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw POSIXError(.EBADMSG) }
        return status
    }
}
