import Testing
@testable import HTTPServer

/// The connection state machine with an injected clock: timeouts without sockets or sleeps.
@Suite struct ConnectionStateMachineTests {
    let second: UInt64 = 1_000_000_000

    private func machine(now: UInt64 = 0, bodyBytesMax: Int = 1024) -> ConnectionStateMachine {
        ConnectionStateMachine(limits: HTTPParserLimits(),
                               timeouts: .init(headerNanos: 5 * second, bodyNanos: 5 * second, idleNanos: 30 * second),
                               now: now, bodyBytesMax: { _ in bodyBytesMax })
    }

    /// The next action, with any head admitted on the spot (the responder says yes at once).
    private func step(_ m: inout ConnectionStateMachine, now: UInt64) -> ConnectionStateMachine.Action {
        let action = m.nextAction(now: now)
        guard case .decide = action else { return action }
        let admitted = m.headAdmitted(now: now)
        return admitted == .wait ? m.nextAction(now: now) : admitted
    }

    private func feed(_ m: inout ConnectionStateMachine, _ text: String, now: UInt64) {
        m.parser.buffer.append(Array(text.utf8))
        m.bytesReceived(now: now)
    }

    @Test func slowHead_TimesOutWith408() {
        var m = machine()
        feed(&m, "GET / HTTP/1.1\r\nHo", now: 1 * second)
        #expect(step(&m, now: 1 * second) == .wait)
        #expect(m.tick(now: 5 * second) == .wait)  // 4 s after the first byte: still in time
        feed(&m, "st: a\r\n", now: 5 * second)   // progress does not restart the header clock
        #expect(step(&m, now: 5 * second) == .wait)
        #expect(m.tick(now: 6 * second) == .reject(HTTPParseError(.requestTimeout, "request head not complete in time")))
    }

    @Test func idleKeepAlive_ClosesAfterIdleTimeout() {
        var m = machine()
        #expect(m.tick(now: 29 * second) == .wait)
        #expect(m.tick(now: 30 * second) == .close)
    }

    @Test func request_IsDispatchedThenConnectionReturnsToIdle() {
        var m = machine()
        feed(&m, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", now: 0)
        guard case .dispatch(let request) = step(&m, now: 0) else { Issue.record("no dispatch"); return }
        #expect(request.target == "/x")
        // While the handler runs, no timeout applies: a long-poll may take its time.
        #expect(m.tick(now: 1000 * second) == .wait)
        #expect(m.responseSent(now: 1000 * second) == .wait)
        #expect(m.phase == .idle(since: 1000 * second))
    }

    @Test func connectionClose_ClosesAfterResponse() {  // RFC 9112 §9.6
        var m = machine()
        feed(&m, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", now: 0)
        guard case .dispatch = step(&m, now: 0) else { Issue.record("no dispatch"); return }
        #expect(m.closeAfterResponse)
        #expect(m.responseSent(now: 0) == .close)
    }

    @Test func http10_ClosesByDefault_KeepsAliveWhenAsked() {  // RFC 9112 §9.3
        var m = machine()
        feed(&m, "GET / HTTP/1.0\r\n\r\n", now: 0)
        _ = step(&m, now: 0)
        #expect(m.closeAfterResponse)
        var k = machine()
        feed(&k, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", now: 0)
        _ = step(&k, now: 0)
        #expect(!k.closeAfterResponse)
    }

    @Test func expectContinue_SendsContinueBeforeBody() {
        var m = machine()
        feed(&m, "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", now: 0)
        #expect(step(&m, now: 0) == .sendContinue)
        #expect(step(&m, now: 0) == .wait)
        feed(&m, "hi", now: 0)
        guard case .dispatch(let request) = step(&m, now: 0) else { Issue.record("no dispatch"); return }
        #expect(request.body == Array("hi".utf8))
    }

    @Test func expectContinue_OverLimit_Is413WithoutContinue() {
        var m = machine(bodyBytesMax: 10)
        feed(&m, "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n", now: 0)
        guard case .reject(let error) = step(&m, now: 0) else { Issue.record("no reject"); return }
        #expect(error.status == .contentTooLarge)
    }

    @Test func stalledBody_TimesOut() {
        var m = machine()
        feed(&m, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", now: 0)
        #expect(step(&m, now: 0) == .wait)
        feed(&m, "de", now: 4 * second)
        #expect(m.tick(now: 8 * second) == .wait)  // progress at 4 s restarts the body clock
        guard case .reject(let error) = m.tick(now: 9 * second) else { Issue.record("no reject"); return }
        #expect(error.status == .requestTimeout)
    }

    @Test func drain_ClosesIdleConnectionAtOnce() {
        var m = machine()
        #expect(m.beginDrain() == .close)
    }

    @Test func drain_LetsInFlightResponseFinishThenCloses() {
        var m = machine()
        feed(&m, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", now: 0)
        guard case .dispatch = step(&m, now: 0) else { Issue.record("no dispatch"); return }
        #expect(m.beginDrain() == .wait)
        #expect(m.responseSent(now: 0) == .close)
    }

    @Test func drain_ServesRequestThatWasArrivingThenCloses() {
        var m = machine()
        feed(&m, "GET / HTTP/1.1\r\nHo", now: 0)
        #expect(step(&m, now: 0) == .wait)
        #expect(m.beginDrain() == .wait)
        feed(&m, "st: a\r\n\r\n", now: 0)
        guard case .dispatch = step(&m, now: 0) else { Issue.record("no dispatch"); return }
        #expect(m.closeAfterResponse)
        #expect(m.responseSent(now: 0) == .close)
    }

    @Test func eofBetweenRequests_IsCleanClose() {
        var m = machine()
        #expect(m.inputClosed(now: 0) == .close)
    }

    @Test func eofMidHead_Closes() {  // RFC 9112 §8: an incomplete message is not processed
        var m = machine()
        feed(&m, "GET / HT", now: 0)
        #expect(step(&m, now: 0) == .wait)
        #expect(m.inputClosed(now: 0) == .close)
    }
}
