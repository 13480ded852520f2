import Foundation
import Logging
@testable import HTTPServer

/// Starts a real server on 127.0.0.1 with an ephemeral port and the routes tests use. With
/// `admit`, every head is put to it before its body is read (throw an `HTTPError` to refuse).
func withTestServer(_ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                    routes: (Router) -> Void = { _ in },
                    admit: (@Sendable (HTTPRequestHead) async throws -> (any Sendable)?)? = nil,
                    _ body: (HTTPServer, Int) async throws -> Void) async throws {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.loopCount = 2
    // Generous read timeouts, so a test starved of CPU on a loaded machine is not cut off
    // between two of its writes; the tests about timeouts set their own.
    configuration.headerTimeoutSeconds = 60
    configuration.bodyTimeoutSeconds = 60
    configuration.bodyRateWindowSeconds = 60
    configure(&configuration)
    let router = Router()
    router.get("/health") { _, _ in try .json(["status": "ok"]) }
    router.post("/echo", bodyBytesMax: 16 << 20) { request, _ in
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
    }
    router.get("/v1/jobs/{id}") { request, _ in .text("job \(request.pathParameters["id"] ?? "?")") }
    router.get("/slow") { request, _ in
        let ms = Int(request.query("ms") ?? "200") ?? 200
        try await Task.sleep(for: .milliseconds(ms))
        return .text("slow done")
    }
    routes(router)
    var logger = Logger(label: "test.http")
    logger.logLevel = .critical
    let inner: any Responder = admit.map { HeadCheckedResponder(router: router, check: $0) } ?? router
    let responder = MiddlewareChain([RequestIDMiddleware(), ErrorMiddleware()], responder: inner)
    let server = HTTPServer(configuration: configuration, responder: responder, logger: logger)
    try server.start()
    do {
        try await body(server, server.localPort)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}

/// A router whose heads go through `check` (after the router's own 404 / 405) before any body is read.
struct HeadCheckedResponder: Responder {
    let router: Router
    let check: @Sendable (HTTPRequestHead) async throws -> (any Sendable)?

    func respond(to request: HTTPRequest, context: RequestContext) async throws -> HTTPResponse {
        try await router.respond(to: request, context: context)
    }
    func bodyBytesMax(for head: HTTPRequestHead) -> Int? { router.bodyBytesMax(for: head) }
    func admit(_ head: HTTPRequestHead, context: RequestContext) async throws -> (any Sendable)? {
        _ = try await router.admit(head, context: context)
        return try await check(head)
    }
}
