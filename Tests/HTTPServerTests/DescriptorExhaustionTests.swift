import Foundation
import Testing
@testable import HTTPServer

/// Running out of descriptors: the listener rests instead of spinning, idle connections make
/// room, and serving resumes. The server runs in its own process under a low RLIMIT_NOFILE.
@Suite struct DescriptorExhaustionTests {
    @Test func connectionCap_IsSizedFromTheDescriptorLimit() {
        #expect(HTTPServerCore.connectionCap(configured: 10_000, descriptorLimit: 1024, reserved: 128) == 896)
        #expect(HTTPServerCore.connectionCap(configured: 500, descriptorLimit: 1_048_576, reserved: 128) == 500)
        #expect(HTTPServerCore.connectionCap(configured: 10_000, descriptorLimit: 100, reserved: 128) == 1)
    }

    /// A soft descriptor limit below the hard one is raised to it at start, and the connection
    /// cap is sized from the raised limit (400 − 8), not from the soft one (64 − 8).
    @Test func softLimitBelowTheHardOne_IsRaised_AndSizesTheCap() async throws {
        let host = try TestHostProcess(["--descriptors", "400", "--soft-descriptors", "64", "--reserve", "8"])
        defer { host.stop() }
        let (port, cap) = try await host.waitForListening()
        #expect(cap == 392)
        let limits = try String(contentsOfFile: "/proc/\(host.pid)/limits", encoding: .utf8)
        let openFiles = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map {
            $0.split(separator: " ").compactMap { Int($0) }
        }
        #expect(openFiles == [400, 400], "soft and hard after start: \(openFiles ?? [])")
        let client = try RawSocket(port: port, timeoutSeconds: 20)
        try await client.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try await client.readResponse().status == 200)
    }

    @Test func floodPastTheDescriptorLimit_DoesNotSpin_AndServingGoesOn() async throws {
        // 64 descriptors, 8 reserved (a cap of 56), then 30 taken by "files": accept runs out of
        // descriptors (EMFILE) well before the cap, which is the case that used to spin.
        let host = try TestHostProcess(["--descriptors", "64", "--reserve", "8", "--hog", "30"])
        defer { host.stop() }
        let (port, cap) = try await host.waitForListening()
        #expect(cap == 56)
        var flood: [RawSocket] = []
        for _ in 0..<150 { flood.append(try RawSocket(port: port, timeoutSeconds: 5)) }
        try await Task.sleep(for: .milliseconds(500))
        let cpuBefore = host.cpuSeconds
        let start = Date()
        try await Task.sleep(for: .seconds(3))
        let share = (host.cpuSeconds - cpuBefore) / Date().timeIntervalSince(start)
        // Spinning on the ready listener costs a whole core; resting costs next to nothing.
        #expect(share < 0.15, "the server used \(Int(share * 100)) % of a core while out of descriptors")

        // While the flood holds on, idle connections are shed, so a new client is served.
        let during = try RawSocket(port: port, timeoutSeconds: 20)
        try await during.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await during.readResponse().status == 200)

        // And once the flood ends, serving is as usual.
        flood.removeAll()
        for _ in 0..<3 {
            let after = try RawSocket(port: port, timeoutSeconds: 20)
            try await after.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try await after.readResponse().status == 200)
        }
    }
}
