import CSocketShim
import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// Runs a command (found on PATH) and returns its exit status and standard output. Uses
/// posix_spawn directly: Foundation's `Process.run` crashed here while another test held more
/// than a thousand descriptors open. The blocking wait runs on a Dispatch thread.
@discardableResult
func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try spawnAndWait(arguments) }) }
    }
}

private func spawnAndWait(_ arguments: [String]) throws -> (status: Int32, output: String) {
    var fds: [Int32] = [0, 0]
    guard pm_pipe_cloexec(&fds) == 0 else { throw SocketError.system("pipe", errno) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    // Nothing else is inherited: no other test's pipe or socket stays open in the child.
    _ = pm_spawn_close_from(&actions, 3)
    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    let rc = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
    close(fds[1])
    guard rc == 0 else { close(fds[0]); throw SocketError.system("posix_spawnp \(arguments[0])", rc) }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fds[0], &buffer, buffer.count)
        if n > 0 { output.append(contentsOf: buffer[0..<n]) } else if n < 0 && errno == EINTR { continue } else { break }
    }
    close(fds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return ((status >> 8) & 0xff, String(decoding: output, as: UTF8.self))
}

/// A self-signed certificate for 127.0.0.1, made with the openssl CLI in a temporary folder.
func makeSelfSignedCertificate() async throws -> (cert: String, key: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pm-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
    let result = try await run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                          "-addext", "subjectAltName=IP:127.0.0.1"])
    guard result.status == 0 else { throw TLSError.openSSL("openssl req failed") }
    return (cert, key)
}

@Suite struct TLSAndShutdownTests {
    @Test(arguments: ["--tlsv1.2 --tls-max 1.2", "--tlsv1.3"])
    func tlsRoundTrip_WithCurl(versionFlags: String) async throws {
        let (cert, key) = try await makeSelfSignedCertificate()
        try await withTestServer({ $0.tlsCertificatePath = cert; $0.tlsPrivateKeyPath = key }) { _, port in
            let args = ["curl", "-s", "--cacert", cert] + versionFlags.split(separator: " ").map(String.init)
                + ["-w", "\\n%{http_code} %{ssl_verify_result}", "-X", "POST", "--data-binary", "over tls",
                   "https://127.0.0.1:\(port)/echo"]
            let result = try await run(args)
            #expect(result.status == 0)
            #expect(result.output == "over tls\n200 0")
        }
    }

    @Test func tlsClient_TalksToTLSServer() async throws {
        let (cert, key) = try await makeSelfSignedCertificate()
        try await withTestServer({ $0.tlsCertificatePath = cert; $0.tlsPrivateKeyPath = key }) { _, port in
            var configuration = HTTPClient.Configuration()
            configuration.tls = try TLSContext(clientVerifyingPeer: true, caFile: cert)
            let client = HTTPClient(configuration: configuration)
            for i in 0..<3 {
                let response = try await client.get("https://127.0.0.1:\(port)/v1/jobs/\(i)")
                #expect(response.bodyText == "job \(i)")
            }
            await client.shutdown()
        }
    }

    @Test func plainRequestToTLSServer_IsDropped() async throws {
        let (cert, key) = try await makeSelfSignedCertificate()
        try await withTestServer({ $0.tlsCertificatePath = cert; $0.tlsPrivateKeyPath = key }) { server, port in
            let socket = try RawSocket(port: port)
            try await socket.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await socket.readToEnd()
            try await waitUntil { server.connectionCount == 0 }
        }
    }

    @Test func shutdown_DrainsInFlightSlowRequest() async throws {
        let gate = Gate()
        try await withTestServer({ $0.drainTimeoutSeconds = 5 }, routes: { router in
            router.get("/gated") { _, _ in
                await gate.enterAndWait()
                return .text("gated done")
            }
        }) { server, port in
            let slow = try RawSocket(port: port)
            try await slow.send("GET /gated HTTP/1.1\r\nHost: x\r\n\r\n")
            let idle = try RawSocket(port: port)
            try await idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try await idle.readResponse()
            try await waitUntil { gate.entered }
            let shutdown = Task { await server.shutdown() }
            // The idle keep-alive connection is closed at once; the in-flight one is waited for.
            #expect(await idle.isClosedByPeer())
            try await Task.sleep(for: .milliseconds(100))
            #expect(server.connectionCount == 1)
            // New connections are refused once shutdown has begun.
            #expect(throws: (any Error).self) { _ = try RawSocket(port: port) }
            gate.open()
            await shutdown.value
            let response = try await slow.readResponse()
            #expect(response.bodyText == "gated done")
            #expect(response.headers["Connection"] == "close")
            #expect(await slow.isClosedByPeer())
        }
    }

    @Test func shutdown_CutsRequestsPastDrainTimeout() async throws {
        let gate = Gate()
        try await withTestServer({ $0.drainTimeoutSeconds = 0.2 }, routes: { router in
            router.get("/gated") { _, _ in
                await gate.enterAndWait()
                return .text("too late")
            }
        }) { server, port in
            let slow = try RawSocket(port: port)
            try await slow.send("GET /gated HTTP/1.1\r\nHost: x\r\n\r\n")
            try await waitUntil { gate.entered }
            let started = Date()
            await server.shutdown()
            // The handler never returns until the gate opens, so an uncut drain would never end;
            // the bound is loose because a loaded machine can take seconds to wind the loops down.
            #expect(Date().timeIntervalSince(started) < 20)
            #expect(await slow.isClosedByPeer())
            gate.open()
        }
    }
}

/// A handler that waits until the test opens the gate.
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var hasEntered = false

    var entered: Bool { lock.lock(); defer { lock.unlock() }; return hasEntered }

    func enterAndWait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            hasEntered = true
            if isOpen { lock.unlock(); c.resume() } else { waiters.append(c); lock.unlock() }
        }
    }

    func open() {
        lock.lock()
        isOpen = true
        let w = waiters
        waiters = []
        lock.unlock()
        w.forEach { $0.resume() }
    }
}
