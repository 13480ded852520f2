import Testing
@testable import HTTPServer

/// The head decision, body rate and half-close in the connection state machine, with an
/// injected clock: no sockets, no sleeps.
@Suite struct HeadDecisionMachineTests {
    let second: UInt64 = 1_000_000_000
    let unauthorized = HTTPError.unauthorized("no key")

    private func machine(rate: Int = 0, windowSeconds: UInt64 = 10, bodyBytesMax: Int = 64 << 20) -> ConnectionStateMachine {
        ConnectionStateMachine(limits: HTTPParserLimits(),
                               timeouts: .init(headerNanos: 5 * second, bodyNanos: 5 * second, idleNanos: 30 * second,
                                               bodyRateBytesPerSecondMin: rate, bodyRateWindowNanos: windowSeconds * second),
                               now: 0, refusedBodyDiscardBytesMax: 1024, bodyBytesMax: { _ in bodyBytesMax })
    }

    private func feed(_ m: inout ConnectionStateMachine, _ text: String, now: UInt64 = 0) {
        m.parser.buffer.append(Array(text.utf8))
        m.bytesReceived(now: now)
    }

    @Test func head_IsDecidedBeforeAnyBodyIsRead() {
        var m = machine()
        feed(&m, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel")
        guard case .decide(let head) = m.nextAction(now: 0) else { Issue.record("no decision asked"); return }
        #expect(head.target == "/up")
        // Until the verdict, nothing is parsed or read: the bytes already here stay in the buffer.
        #expect(!m.wantsInput)
        #expect(m.nextAction(now: 0) == .wait)
        #expect(m.parser.buffer.readableCount == 3)
        #expect(m.headAdmitted(now: 0, admission: "caller-7") == .wait)
        #expect(m.wantsInput)
        feed(&m, "lo")
        guard case .dispatch(let request) = m.nextAction(now: 0) else { Issue.record("no dispatch"); return }
        #expect(request.body == Array("hello".utf8))
        #expect(request.admission as? String == "caller-7")
    }

    @Test func expectContinue_IsPromisedOnlyAfterAdmission() {  // RFC 9110 §10.1.1
        var admitted = machine()
        feed(&admitted, "POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        guard case .decide = admitted.nextAction(now: 0) else { Issue.record("no decision asked"); return }
        #expect(admitted.nextAction(now: 0) == .wait)  // no 100 while deciding
        _ = admitted.headAdmitted(now: 0)
        #expect(admitted.nextAction(now: 0) == .sendContinue)

        var refused = machine()
        feed(&refused, "POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        _ = refused.nextAction(now: 0)
        // The client waits for 100 and may never send the body: answer now and close after it.
        #expect(refused.headRefused(unauthorized, now: 0) == .refuse(unauthorized, HTTPRequest(method: .post, target: "/up")))
        #expect(refused.nextAction(now: 0) == .wait)
        #expect(refused.closeAfterResponse)
        #expect(refused.responseSent(now: 0) == .close)
    }

    @Test func refusedHeadWithoutBody_IsAnsweredAndTheConnectionStays() {
        var m = machine()
        feed(&m, "GET /secret HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = m.nextAction(now: 0)
        guard case .refuse(let error, _) = m.headRefused(unauthorized, now: 0) else { Issue.record("no refusal"); return }
        #expect(error.status == .unauthorized)
        #expect(m.responseSent(now: 0) == .wait)
        guard case .decide(let next) = m.nextAction(now: 0) else { Issue.record("pipelined request lost"); return }
        #expect(next.target == "/next")
    }

    @Test func refusedSmallBody_IsReadAndDropped_ThenAnswered() {
        var m = machine()
        feed(&m, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234")
        _ = m.nextAction(now: 0)
        #expect(m.headRefused(unauthorized, now: 0) == .wait)
        #expect(m.nextAction(now: 0) == .wait)
        feed(&m, "56789GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
        guard case .refuse(_, let request) = m.nextAction(now: 0) else { Issue.record("no refusal"); return }
        #expect(request.body.isEmpty)
        #expect(!m.closeAfterResponse)
        #expect(m.responseSent(now: 0) == .wait)
        guard case .decide(let next) = m.nextAction(now: 0) else { Issue.record("framing lost after the dropped body"); return }
        #expect(next.target == "/next")
    }

    @Test func refusedLargeOrChunkedBody_IsAnsweredAtOnceAndCloses() {
        for head in ["Content-Length: 2048", "Transfer-Encoding: chunked"] {
            var m = machine()
            feed(&m, "POST /up HTTP/1.1\r\nHost: a\r\n\(head)\r\n\r\n")
            _ = m.nextAction(now: 0)
            guard case .refuse = m.headRefused(unauthorized, now: 0) else { Issue.record("not refused at once: \(head)"); continue }
            #expect(m.closeAfterResponse)
            #expect(m.nextAction(now: 0) == .wait)
            #expect(m.responseSent(now: 0) == .close)
        }
    }

    @Test func contentLengthOverTheRouteLimit_Is413BeforeTheDecision() {
        var m = machine(bodyBytesMax: 100)
        feed(&m, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n")
        guard case .reject(let error) = m.nextAction(now: 0) else { Issue.record("no 413"); return }
        #expect(error.status == .contentTooLarge)
    }

    @Test func nonCanonicalPath_IsRefusedWithoutAskingTheResponder() {
        for target in ["//v1/admin/stats", "/v1//admin/stats", "/v1/admin/stats/", "/v1/./admin", "/v1/x/../admin",
                       "/v1/admin%2Fstats", "/v1/%2e%2E/admin", "/v1\\admin"] {
            var m = machine()
            feed(&m, "GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n")
            guard case .refuse(let error, _) = m.nextAction(now: 0) else { Issue.record("\(target) not refused"); continue }
            #expect(error.status == .badRequest)
            #expect(error.code == "non_canonical_path")
        }
        for target in ["/", "/v1/admin/stats", "/v1/jobs/a.b", "/v1/jobs/%41?x=//y", "/v1/...", "*"] {
            var m = machine()
            let method = target == "*" ? "OPTIONS" : "GET"
            feed(&m, "\(method) \(target) HTTP/1.1\r\nHost: a\r\n\r\n")
            guard case .decide = m.nextAction(now: 0) else { Issue.record("\(target) refused"); continue }
        }
    }

    @Test func trickledBody_IsCutByItsRate_NotOnlyByTheGap() {
        // 1 KiB/s over 10 s windows; a byte every 4 s never trips the 5 s gap timeout.
        var m = machine(rate: 1024)
        feed(&m, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n")
        _ = m.nextAction(now: 0)
        _ = m.headAdmitted(now: 0)
        var now: UInt64 = 0
        var outcome = ConnectionStateMachine.Action.wait
        while now < 30 * second && outcome == .wait {
            now += 4 * second
            feed(&m, "x", now: now)
            _ = m.nextAction(now: now)
            outcome = m.tick(now: now)
        }
        guard case .reject(let error) = outcome else { Issue.record("trickle never cut"); return }
        #expect(error.status == .requestTimeout)
        #expect(now <= 12 * second)
    }

    @Test func bodyAtTheRate_PassesEveryWindow() {
        var m = machine(rate: 1024)
        feed(&m, "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 60000\r\n\r\n")
        _ = m.nextAction(now: 0)
        _ = m.headAdmitted(now: 0)
        let piece = String(repeating: "y", count: 2048)
        for s in 1...29 {
            feed(&m, piece, now: UInt64(s) * second)
            #expect(m.nextAction(now: UInt64(s) * second) == .wait)
            #expect(m.tick(now: UInt64(s) * second) == .wait, "cut at \(s) s")
        }
        feed(&m, String(repeating: "y", count: 60000 - 29 * 2048), now: 30 * second)
        guard case .dispatch = m.nextAction(now: 30 * second) else { Issue.record("no dispatch"); return }
    }

    @Test func pipelinedRequestsThenFIN_AreAllAnsweredInOrder() {  // RFC 9112 §9.6
        var m = machine()
        feed(&m, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
        var answered: [String] = []
        for index in 0..<3 {
            guard case .decide = m.nextAction(now: 0) else { Issue.record("request \(index + 1) lost"); return }
            _ = m.headAdmitted(now: 0)
            guard case .dispatch(let request) = m.nextAction(now: 0) else { Issue.record("no dispatch"); return }
            answered.append(request.target)
            // The FIN arrives while the first request is being answered.
            if index == 0 { #expect(m.inputClosed(now: 0) == .wait) }
            #expect(m.responseSent(now: 0) == .wait)
        }
        #expect(answered == ["/1", "/2", "/3"])
        #expect(m.nextAction(now: 0) == .close)
    }
}
