import Foundation
import Logging
import Testing
@testable import HTTPServer

/// Router, query parsing and middleware, through `respond` directly (no sockets needed:
/// these are responders, the layer above the codec).
@Suite struct RoutingTests {
    private func context() -> RequestContext {
        RequestContext(requestID: "r-1", logger: Logger(label: "test"), remoteAddress: "127.0.0.1:1")
    }

    private func router() -> Router {
        let router = Router()
        router.get("/v1/jobs/{id}") { request, _ in .text("job=\(request.pathParameters["id"]!)") }
        router.delete("/v1/jobs/{id}") { _, _ in HTTPResponse(status: .noContent) }
        router.get("/v1/jobs") { request, _ in .text("status=\(request.query("status") ?? "-")") }
        router.get("/v1/jobs/{id}/receipt") { request, _ in .text("receipt=\(request.pathParameters["id"]!)") }
        router.post("/v1/models", bodyBytesMax: 256 << 20) { _, _ in HTTPResponse(status: .created) }
        return router
    }

    private func head(_ method: HTTPMethod, _ target: String) -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: target, version: .http1_1, headers: HTTPHeaders(),
                        contentLength: 0, chunked: false, expectsContinue: false)
    }

    @Test func pathParameter_IsMatchedAndDecoded() async throws {
        let response = try await router().respond(to: HTTPRequest(method: .get, target: "/v1/jobs/a%20b"), context: context())
        if case .bytes(let body) = response.body { #expect(String(decoding: body, as: UTF8.self) == "job=a b") }
    }

    @Test func encodedSlash_StaysInsideItsSegment() async throws {
        let response = try await router().respond(to: HTTPRequest(method: .get, target: "/v1/jobs/x%2Fy"), context: context())
        if case .bytes(let body) = response.body { #expect(String(decoding: body, as: UTF8.self) == "job=x/y") }
    }

    @Test func longerPattern_IsMatched() async throws {
        let response = try await router().respond(to: HTTPRequest(method: .get, target: "/v1/jobs/9/receipt"), context: context())
        if case .bytes(let body) = response.body { #expect(String(decoding: body, as: UTF8.self) == "receipt=9") }
    }

    @Test func unknownPath_Is404() async {
        await #expect(throws: HTTPError.self) {
            try await router().respond(to: HTTPRequest(method: .get, target: "/nope"), context: context())
        }
    }

    @Test func wrongMethod_Is405WithAllow() async throws {  // RFC 9110 §15.5.6
        do {
            _ = try await router().respond(to: HTTPRequest(method: .put, target: "/v1/jobs/1"), context: context())
            Issue.record("expected 405")
        } catch let error as HTTPError {
            #expect(error.status == .methodNotAllowed)
            #expect(error.code == "method_not_allowed")
            #expect(error.headers["Allow"] == "GET, HEAD, DELETE")
        }
    }

    @Test func head_IsRoutedToGet() async throws {
        let response = try await router().respond(to: HTTPRequest(method: .head, target: "/v1/jobs/1"), context: context())
        #expect(response.status == .ok)
    }

    @Test func queryItems_ArePercentDecoded() {
        let request = HTTPRequest(method: .get, target: "/v1/jobs?status=open%20now&tag=a+b&flag&x=%E2%9C%93")
        #expect(request.query("status") == "open now")
        #expect(request.query("tag") == "a b")
        #expect(request.query("flag") == "")
        #expect(request.query("x") == "✓")
        #expect(request.path == "/v1/jobs")
    }

    @Test func malformedPercentEscape_IsKeptRaw() {
        #expect(HTTPRequest(method: .get, target: "/x?q=%zz").query("q") == "%zz")
        #expect(PercentDecoding.decode("%4") == nil)
    }

    @Test func perRouteBodyLimit_IsReported() {
        let r = router()
        #expect(r.bodyBytesMax(for: head(.post, "/v1/models")) == 256 << 20)
        #expect(r.bodyBytesMax(for: head(.get, "/v1/jobs/1")) == nil)
        let chain = MiddlewareChain([ErrorMiddleware()], responder: r)
        #expect(chain.bodyBytesMax(for: head(.post, "/v1/models")) == 256 << 20)
    }

    @Test func errorMiddleware_MapsToProblemJSON() async throws {  // RFC 9457 §3
        let chain = MiddlewareChain([ErrorMiddleware()], responder: router())
        let response = try await chain.respond(to: HTTPRequest(method: .get, target: "/nope"), context: context())
        #expect(response.status == .notFound)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        guard case .bytes(let body) = response.body else { Issue.record("no body"); return }
        let problem = try JSONCoding.decoder.decode(ProblemDetails.self, from: Data(body))
        #expect(problem.type == "urn:proofmarket:problem:not_found")
        #expect(problem.code == "not_found")
        #expect(problem.status == 404)
        #expect(problem.instance == "/nope")
    }

    @Test func unexpectedError_Is500WithoutDetails() async throws {
        struct Secret: Error {}
        let chain = MiddlewareChain([ErrorMiddleware()], responder: ClosureResponder { _, _ in throw Secret() })
        let response = try await chain.respond(to: HTTPRequest(method: .get, target: "/"), context: context())
        #expect(response.status == .internalServerError)
        guard case .bytes(let body) = response.body else { return }
        #expect(!String(decoding: body, as: UTF8.self).contains("Secret"))
    }

    @Test func requestID_IsTakenFromClientOrGenerated() async throws {
        let echo = ClosureResponder { _, context in .text(context.requestID) }
        let chain = MiddlewareChain([RequestIDMiddleware()], responder: echo)
        var request = HTTPRequest(method: .get, target: "/")
        request.headers["X-Request-Id"] = "abc-123"
        let supplied = try await chain.respond(to: request, context: context())
        #expect(supplied.headers["X-Request-Id"] == "abc-123")
        request.headers["X-Request-Id"] = "bad id with spaces"
        let generated = try await chain.respond(to: request, context: context())
        #expect(generated.headers["X-Request-Id"] == "r-1")
    }

    @Test func authentication_RequiredRejectsAnonymous() async throws {
        let auth = AuthenticationMiddleware(required: true) { request in
            request.headers["Authorization"] == "Bearer good" ? Principal(id: "acct-1", role: "client") : nil
        }
        let chain = MiddlewareChain([ErrorMiddleware(), auth], responder: ClosureResponder { _, c in .text(c.principal?.id ?? "-") })
        var request = HTTPRequest(method: .get, target: "/")
        let anonymous = try await chain.respond(to: request, context: context())
        #expect(anonymous.status == .unauthorized)
        #expect(anonymous.headers["WWW-Authenticate"] == "Bearer")
        request.headers["authorization"] = "Bearer good"
        let ok = try await chain.respond(to: request, context: context())
        if case .bytes(let body) = ok.body { #expect(String(decoding: body, as: UTF8.self) == "acct-1") }
    }

    @Test func jsonCoding_UsesSnakeCaseSortedKeysAndISODates() throws {
        struct Sample: Codable, Equatable { var jobId: String; var createdAt: Date; var aField: Int }
        let sample = Sample(jobId: "j1", createdAt: Date(timeIntervalSince1970: 0), aField: 1)
        let text = String(decoding: try JSONCoding.encoder.encode(sample), as: UTF8.self)
        #expect(text == #"{"a_field":1,"created_at":"1970-01-01T00:00:00Z","job_id":"j1"}"#)
        #expect(try JSONCoding.decoder.decode(Sample.self, from: Data(text.utf8)) == sample)
    }
}
