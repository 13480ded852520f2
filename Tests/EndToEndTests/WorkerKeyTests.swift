import Foundation
import Testing

/// A worker's API key stays out of its argument vector, where every user of the machine could
/// read it (`ps`, `/proc/<pid>/cmdline`).
@Suite(.timeLimit(.minutes(5))) struct WorkerKeyTests {
    @Test func workerGivenKeyFile_WorksAndItsCommandLineHoldsNoKey() async throws {
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["filed"])
        let key = cast.workers[0].key
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pm-e2e-key-\(UUID().uuidString.prefix(8))").path
        try Data((key + "\n").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let worker = try run.worker("filed", keyFile: path)
        // The key works: the worker registers and proves a job.
        _ = try await worker.waitForLine(containing: "registered as worker")
        let job = try await run.submit(key: cast.client.key, model: cast.model, input: try run.inputFile(0).path, auction: "dutch")
        #expect(try await run.waitForJob(job, ["fulfilled", "expired"]).status == "fulfilled")
        // And it is nowhere in what `ps` shows.
        let cmdline = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(worker.pid)/cmdline"))
        let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        #expect(arguments.contains("--api-key-file"), "\(arguments)")
        #expect(!arguments.contains { $0.contains(key) }, "the key is in the worker's argv: \(arguments)")
        #expect(!arguments.contains("--api-key"))
    }
}
