import Foundation
import Glibc
import Testing
@testable import HTTPServer

/// A small deterministic PRNG (SplitMix64), so a failing seed replays exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeded random mutation of valid requests: the parser must never trap, and the server must
/// answer each input with a response or close cleanly.
@Suite struct ParserFuzzTests {
    static let seeds: [String] = [
        "GET /v1/jobs?status=open HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    ]
    static let tokens: [[UInt8]] = ["\r\n", "\r", "\n", ":", " ", "\t", "0", "ffffffff", "Content-Length: 7\r\n",
                                    "Transfer-Encoding: chunked\r\n", "\r\n\r\n", "%", "\u{0}", "HTTP/1.1", ";"].map { Array($0.utf8) }

    static func mutate(_ input: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 1 where !bytes.isEmpty: bytes.remove(at: position)
            case 2: bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: position)
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &rng))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 4 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...8, using: &rng)))
            default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: position)
            }
        }
        return bytes
    }

    static let allowedErrors: Set<Int> = [400, 408, 413, 414, 417, 431, 501, 505]

    @Test func mutatedInputs_NeverTrapTheParser() {
        let seed = UInt64(20261127)
        var rng = SplitMix64(state: seed)
        var outcomes = [String: Int]()
        for i in 0..<4000 {
            let input = Self.mutate(Array(Self.seeds[i % Self.seeds.count].utf8), using: &rng)
            let outcome = parse(input, bodyBytesMax: 64, chunkSize: Int.random(in: 1...32, using: &rng))
            if let error = outcome.error {
                #expect(Self.allowedErrors.contains(error.status.code), "seed \(seed) input \(i): \(error)")
                outcomes["\(error.status.code)", default: 0] += 1
            } else {
                outcomes[outcome.requests.isEmpty ? "incomplete" : "parsed", default: 0] += 1
            }
        }
        // The mutations must reach both sides: some inputs still parse, many are rejected.
        #expect(outcomes["parsed", default: 0] > 100)
        #expect(outcomes["400", default: 0] > 100)
    }

    @Test func mutatedInputs_OverSockets_GetResponseOrCleanClose() async throws {
        let seed = UInt64(9457)
        var rng = SplitMix64(state: seed)
        try await withTestServer({ $0.headerTimeoutSeconds = 2; $0.bodyTimeoutSeconds = 2 }) { server, port in
            for i in 0..<300 {
                let input = Self.mutate(Array(Self.seeds[i % Self.seeds.count].utf8), using: &rng)
                let socket = try RawSocket(port: port, timeoutSeconds: 5)
                try? await socket.send(input)
                shutdown(socket.fd, Int32(SHUT_WR))  // EOF: an incomplete request must end in a close
                let reply = await socket.readToEnd()
                let text = String(decoding: reply.prefix(12), as: UTF8.self)
                let ok = reply.isEmpty || text.hasPrefix("HTTP/1.1 ") || text.hasPrefix("HTTP/1.0 ")
                #expect(ok, "seed \(seed) input \(i): \(String(decoding: input, as: UTF8.self).debugDescription) -> \(text)")
            }
            try await waitUntil { server.connectionCount == 0 }
        }
    }
}
