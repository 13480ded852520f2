import Testing
@testable import HTTPServer

/// Body framing and the request-smuggling cases (RFC 9112 §6, §7).
@Suite struct ParserFramingTests {
    @Test func contentLengthBody_IsRead() {
        let outcome = parse("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        #expect(outcome.requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello")
    }

    @Test func contentLengthAndTransferEncoding_IsRejected() {  // RFC 9112 §6.1
        let text = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        #expect(parse(text).error?.status == .badRequest)
    }

    @Test func differingDuplicateContentLength_IsRejected() {  // RFC 9112 §6.3 item 5
        let text = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
        #expect(parse(text).error?.status == .badRequest)
    }

    @Test func equalDuplicateContentLength_IsAccepted() {  // RFC 9112 §6.3 item 5
        let text = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"
        #expect(parse(text).requests.count == 1)
    }

    @Test func contentLengthList_WithDifferentValues_IsRejected() {
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!").error?.status == .badRequest)
    }

    @Test func signedContentLength_IsRejected() {  // RFC 9110 §8.6: 1*DIGIT
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello").error?.status == .badRequest)
    }

    @Test func hugeContentLength_IsRejectedWithoutOverflow() {
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n").error?.status == .badRequest)
    }

    @Test func chunkedBody_IsDecoded() {  // RFC 9112 §7.1
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        let outcome = parse(text)
        #expect(outcome.requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello world")
    }

    @Test func chunkedBody_ByteByByte_IsDecoded() {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = parse(text, chunkSize: 1)
        #expect(outcome.requests.count == 2)
        #expect(outcome.requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "0123456789")
    }

    @Test func badChunkSize_IsRejected() {  // RFC 9112 §7.1: chunk-size = 1*HEXDIG
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
        #expect(parse(text).error?.status == .badRequest)
    }

    @Test func overlongChunkSize_IsRejected() {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"
        #expect(parse(text).error?.status == .badRequest)
    }

    @Test func chunkWithoutTrailingCRLF_IsRejected() {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"
        #expect(parse(text).error?.status == .badRequest)
    }

    @Test func chunkedNotLast_IsRejected() {  // RFC 9112 §6.1
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
        #expect(parse(text).error?.status == .badRequest)
    }

    @Test func unknownTransferCoding_Is501() {  // RFC 9112 §6.1
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        #expect(parse(text).error?.status == .notImplemented)
    }

    @Test func transferEncodingInHTTP10_IsRejected() {  // RFC 9112 §6.1
        #expect(parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").error?.status == .badRequest)
    }

    @Test func bodyAtLimit_IsAccepted() {
        let body = String(repeating: "b", count: 100)
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n\(body)", bodyBytesMax: 100).requests.count == 1)
    }

    @Test func bodyPastLimit_Is413() {
        let body = String(repeating: "b", count: 101)
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n\(body)", bodyBytesMax: 100).error?.status == .contentTooLarge)
    }

    @Test func chunkedBodyAtLimit_IsAccepted() {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"
        #expect(parse(text, bodyBytesMax: 10).requests.count == 1)
    }

    @Test func chunkedBodyPastLimit_Is413() {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n"
        #expect(parse(text, bodyBytesMax: 10).error?.status == .contentTooLarge)
    }

    @Test func pipelinedRequests_AreParsedInOrder() {  // RFC 9112 §9.3.2
        let text = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = parse(text)
        #expect(outcome.requests.map(\.head.target) == ["/a", "/b", "/c"])
    }

    @Test func expectContinue_IsNoted() {  // RFC 9110 §10.1.1
        let outcome = parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
        #expect(outcome.requests.first?.head.expectsContinue == true)
    }

    @Test func unknownExpectation_Is417() {  // RFC 9110 §10.1.1
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: coffee\r\n\r\n").error?.status == .expectationFailed)
    }

    @Test func incompleteBody_NeedsMore() {
        let outcome = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        #expect(outcome.requests.isEmpty && outcome.error == nil && outcome.needsMore)
    }
}
