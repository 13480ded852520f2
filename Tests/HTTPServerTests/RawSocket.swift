import Foundation
import Glibc
@testable import HTTPServer

/// A blocking TCP client for tests: sends literal bytes and reads what comes back, with a
/// receive timeout so a test fails instead of hanging.
final class RawSocket: @unchecked Sendable {
    let fd: Int32

    init(port: Int, timeoutSeconds: Int = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket", errno) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else { let e = errno; close(fd); throw SocketError.system("connect", e) }
    }

    deinit { close(fd) }

    // The public operations run their blocking system calls on a Dispatch thread, never on the
    // Swift concurrency pool: with two cores that pool has two threads, and a test blocked in
    // recv there would stall every other test's awaits (and the server's shutdown).
    func send(_ text: String) async throws { try await send(Array(text.utf8)) }
    func send(_ bytes: [UInt8]) async throws { try await offPool { try self.sendNow(bytes) } }
    func readToEnd() async -> [UInt8] { await offPool { self.readToEndNow() } }
    func readResponse() async throws -> ParsedResponse { try await offPool { try self.readResponseNow() } }
    func isClosedByPeer() async -> Bool { await offPool { self.isClosedByPeerNow() } }
    /// Half-closes: sends a FIN, keeps reading.
    func shutdownWrite() { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
    /// Sends without failing the test when the server has already closed (refused uploads).
    func sendIgnoringErrors(_ bytes: [UInt8]) async -> Bool { await offPool { (try? self.sendNow(bytes)) != nil } }

    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try body() }) } }
    }

    private func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: body()) } }
    }

    func sendNow(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw SocketError.system("send", errno) }
            offset += n
        }
    }

    /// Reads until the peer closes or the timeout passes; returns what arrived.
    func readToEndNow() -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            buffer.withUnsafeBufferPointer { all.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
        }
        return all
    }

    /// Reads one complete response (Content-Length or chunked framing).
    func readResponseNow() throws -> ParsedResponse {
        var all: [UInt8] = pending
        pending = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let (response, used) = ParsedResponse.parse(all) {
                pending = Array(all[used...])
                return response
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { throw SocketError.system("recv (have \(all.count) bytes: \(String(decoding: all.prefix(200), as: UTF8.self)))", errno) }
            buffer.withUnsafeBufferPointer { all.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// Whether the server closed the connection (read returns 0, or reset) within the timeout.
    func isClosedByPeerNow() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    private var pending: [UInt8] = []
}

/// A response read by `RawSocket`.
struct ParsedResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Parses one response from the start of `bytes`; nil if incomplete.
    static func parse(_ bytes: [UInt8]) -> (ParsedResponse, Int)? {
        guard let end = find(bytes, Array("\r\n\r\n".utf8), from: 0) else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let status = Int(statusLine.split(separator: " ")[1]) ?? 0
        var headers = HTTPHeaders()
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 1)
            headers.add(String(parts[0]), parts.count > 1 ? String(parts[1].trimmingCharacters(in: .whitespaces)) : "")
        }
        var index = end + 4
        if status < 200 { return (ParsedResponse(status: status, headers: headers, body: []), index) }
        if let length = headers["Content-Length"].flatMap(Int.init) {
            guard bytes.count >= index + length else { return nil }
            return (ParsedResponse(status: status, headers: headers, body: Array(bytes[index..<(index + length)])), index + length)
        }
        if headers["Transfer-Encoding"] == "chunked" {
            var body: [UInt8] = []
            while true {
                guard let lineEnd = find(bytes, [13, 10], from: index) else { return nil }
                let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self), radix: 16) ?? 0
                index = lineEnd + 2
                if size == 0 { guard bytes.count >= index + 2 else { return nil }; return (ParsedResponse(status: status, headers: headers, body: body), index + 2) }
                guard bytes.count >= index + size + 2 else { return nil }
                body.append(contentsOf: bytes[index..<(index + size)])
                index += size + 2
            }
        }
        return (ParsedResponse(status: status, headers: headers, body: []), index)
    }

    static func find(_ haystack: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { return i }
            i += 1
        }
        return nil
    }
}
