import Testing
@testable import HTTPServer

/// Literal-byte tests of the request parser. Each cites the rule it checks.
@Suite struct ParserTests {
    // MARK: Request line (RFC 9112 §3)

    @Test func simpleGet_IsParsed() {
        let outcome = parse("GET /v1/jobs?status=open HTTP/1.1\r\nHost: a\r\nX-Thing:  v  \r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.requests.count == 1)
        let head = outcome.requests[0].head
        #expect(head.method == .get)
        #expect(head.target == "/v1/jobs?status=open")
        #expect(head.version == .http1_1)
        #expect(head.headers["x-thing"] == "v")  // OWS trimmed, lookup any case (RFC 9110 §5.1, §5.5)
    }

    @Test func http10WithoutHost_IsAccepted() {
        let outcome = parse("GET / HTTP/1.0\r\n\r\n")
        #expect(outcome.requests.count == 1)
        #expect(outcome.requests[0].head.version == .http1_0)
    }

    @Test func http11WithoutHost_IsRejected() {  // RFC 9112 §3.2
        #expect(parse("GET / HTTP/1.1\r\n\r\n").error?.status == .badRequest)
    }

    @Test func repeatedHost_IsRejected() {  // RFC 9112 §3.2
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").error?.status == .badRequest)
    }

    @Test func leadingEmptyLines_AreIgnored() {  // RFC 9112 §2.2
        #expect(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").requests.count == 1)
    }

    @Test func doubleSpaceInRequestLine_IsRejected() {  // RFC 9112 §3
        #expect(parse("GET  / HTTP/1.1\r\nHost: a\r\n\r\n").error?.status == .badRequest)
    }

    @Test func unknownVersion_Is505() {  // RFC 9110 §15.6.6
        #expect(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n").error?.status == .httpVersionNotSupported)
    }

    @Test func garbageVersion_IsRejected() {
        #expect(parse("GET / HTTX/1.1\r\nHost: a\r\n\r\n").error?.status == .badRequest)
    }

    @Test func controlCharacterInTarget_IsRejected() {  // RFC 9112 §3.2
        #expect(parse("GET /a\u{01}b HTTP/1.1\r\nHost: a\r\n\r\n").error?.status == .badRequest)
    }

    @Test func invalidMethodCharacter_IsRejected() {  // RFC 9110 §9.1 method = token
        #expect(parse("G(T / HTTP/1.1\r\nHost: a\r\n\r\n").error?.status == .badRequest)
    }

    @Test func absoluteForm_IsReducedToPath() {  // RFC 9112 §3.2.2
        let outcome = parse("GET http://example.test/v1/x?y=1 HTTP/1.1\r\nHost: example.test\r\n\r\n")
        #expect(outcome.requests.first?.head.target == "/v1/x?y=1")
    }

    @Test func bareLF_IsRejected() {  // RFC 9112 §2.2: we do not accept bare LF
        #expect(parse("GET / HTTP/1.1\nHost: a\n\n").error?.status == .badRequest)
    }

    @Test func bareCR_IsRejected() {  // RFC 9112 §2.2
        #expect(parse("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n").error?.status == .badRequest)
    }

    // MARK: Target limit (414)

    @Test func targetAtLimit_IsAccepted() {
        var limits = HTTPParserLimits(); limits.targetBytesMax = 64
        let target = "/" + String(repeating: "a", count: 63)
        #expect(parse("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits).requests.count == 1)
    }

    @Test func targetPastLimit_Is414() {
        var limits = HTTPParserLimits(); limits.targetBytesMax = 64
        let target = "/" + String(repeating: "a", count: 64)
        #expect(parse("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits).error?.status == .uriTooLong)
    }

    @Test func defaultTargetPastEightKiB_Is414() {
        let target = "/" + String(repeating: "a", count: 8 * 1024)
        #expect(parse("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n").error?.status == .uriTooLong)
    }

    @Test func endlessRequestLine_Is414BeforeItEnds() {
        let outcome = parse("GET /" + String(repeating: "a", count: 9000))
        #expect(outcome.error?.status == .uriTooLong)
    }

    // MARK: Header limits (431)

    /// A header section of exactly `bytes` bytes (field lines with CRLFs), Host included.
    private func headerSection(bytes: Int) -> String {
        let host = "Host: a\r\n"
        let filler = bytes - host.utf8.count - "X-Fill: \r\n".utf8.count
        return host + "X-Fill: " + String(repeating: "f", count: filler) + "\r\n"
    }

    @Test func headerSectionAtLimit_IsAccepted() {
        let text = "GET / HTTP/1.1\r\n" + headerSection(bytes: 16 * 1024) + "\r\n"
        #expect(parse(text).requests.count == 1)
    }

    @Test func headerSectionPastLimit_Is431() {
        let text = "GET / HTTP/1.1\r\n" + headerSection(bytes: 16 * 1024 + 1) + "\r\n"
        #expect(parse(text).error?.status == .requestHeaderFieldsTooLarge)
    }

    @Test func endlessHeaderSection_Is431BeforeItEnds() {
        let text = "GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "f", count: 20_000)
        #expect(parse(text).error?.status == .requestHeaderFieldsTooLarge)
    }

    @Test func hundredFields_AreAccepted() {
        let fields = (1..<100).map { "X-\($0): v\r\n" }.joined()
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n").requests.count == 1)
    }

    @Test func hundredAndOneFields_Are431() {
        let fields = (1...100).map { "X-\($0): v\r\n" }.joined()
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n").error?.status == .requestHeaderFieldsTooLarge)
    }

    // MARK: Field syntax (RFC 9112 §5, RFC 9110 §5.5)

    @Test func whitespaceBeforeColon_IsRejected() {  // RFC 9112 §5.1
        let outcome = parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello")
        #expect(outcome.error?.status == .badRequest)
        #expect(outcome.error?.reason == "whitespace before colon")
    }

    @Test func obsFold_IsRejected() {  // RFC 9112 §5.2
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n").error?.status == .badRequest)
    }

    @Test func nulInFieldValue_IsRejected() {  // RFC 9110 §5.5
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{0}b\r\n\r\n").error?.status == .badRequest)
    }

    @Test func fieldWithoutColon_IsRejected() {
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n").error?.status == .badRequest)
    }

    @Test func obsTextInFieldValue_IsAccepted() {  // RFC 9110 §5.5 obs-text
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: caf".utf8) + [0xC3, 0xA9] + Array("\r\n\r\n".utf8)
        #expect(parse(bytes).requests.count == 1)
    }
}
