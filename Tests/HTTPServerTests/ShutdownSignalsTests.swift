import Foundation
import Glibc
import Logging
import Testing
@testable import HTTPServer

@Suite struct ShutdownSignalsTests {
    @Test func sigterm_DrainsAndRunReturns() async throws {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.loopCount = 1
        var logger = Logger(label: "test.signals")
        logger.logLevel = .critical
        let server = HTTPServer(configuration: configuration, responder: ClosureResponder { _, _ in .text("up") }, logger: logger)
        try server.start()
        let port = server.localPort
        let signals = ShutdownSignals.install { await server.shutdown() }
        let running = Task { try await server.run() }
        let socket = try RawSocket(port: port)
        try await socket.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await socket.readResponse().bodyText == "up")
        // The handlers set SIGTERM to be ignored by default, so raising it cannot kill the runner.
        kill(getpid(), SIGTERM)  // process-directed, as from an orchestrator (raise would target this thread only)
        try await running.value
        #expect(await socket.isClosedByPeer())
        signals.forEach { $0.cancel() }
        // Give the runner its default dispositions back (a CI timeout must still be able to stop it).
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
    }
}
