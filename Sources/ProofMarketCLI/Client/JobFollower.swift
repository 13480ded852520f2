import Foundation

/// Waits for a job to finish without polling in a loop: each call is a long-poll that the
/// coordinator answers when the status changes (or after `waitSeconds`).
struct JobFollower {
    let client: CoordinatorClient
    var waitSeconds = 20

    /// Follows `id` until it is fulfilled, cancelled or expired; with `live`, keeps one status
    /// line on standard error (state, current price, elapsed time).
    func follow(_ id: UUID, live: Bool = false) async throws -> WireJob {
        let started = Date()
        var job: WireJob = try await client.call(.get, "/v1/jobs/\(id)")
        var delay = 0.2
        while !job.isFinal {
            if live { status(job, started) }
            do {
                job = try await client.call(.get, "/v1/jobs/\(id)?wait=\(waitSeconds)&status=\(job.status)",
                                            timeoutSeconds: Double(waitSeconds) + 30)
                delay = 0.2
            } catch let error as RemoteError where error.isTransient {
                try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                delay = min(delay * 2, 5)
            }
        }
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return job
    }

    private func status(_ job: WireJob, _ started: Date) {
        let price = job.lockPrice ?? job.currentPrice ?? 0
        let batch = (job.batchItems ?? 1) > 1 ? "  batch of \(job.batchItems ?? 1)" : ""
        let line = String(format: "\r\u{1B}[K%@  %@%@  price %lld µc  %.1f s", job.id.short, job.status, batch, price, Date().timeIntervalSince(started))
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// Prints a job for people.
enum JobPrinter {
    static func print(_ job: WireJob) {
        Swift.print("job        \(job.id.uuidString.lowercased())")
        Swift.print("status     \(job.status)")
        Swift.print("model      \(job.modelId)")
        Swift.print("auction    \(job.auction), \(job.minPrice)…\(job.maxPrice) µc, stake \(job.lockStake) µc")
        if let price = job.lockPrice { Swift.print("price      \(price) µc") }
        if let items = job.batchItems, items > 1 {
            Swift.print("batch      \(items) inputs, one proof\(job.status == "fulfilled" ? "; outputs: client jobs outputs \(job.id.uuidString.lowercased())" : "")")
        }
        if let output = job.output {
            Swift.print("output     \(output.values.map { String(format: "%.3f", $0) }.joined(separator: " "))")
            if let argmax = output.argmax { Swift.print("argmax     \(argmax)") }
            let (input, inModel) = (output.clampedInput ?? 0, output.clampedInModel ?? 0)
            if input + inModel > 0 {
                Swift.print("clamped    \(input) input value(s), \(inModel) inside the model")
                FileHandle.standardError.write(Data("warning: \(input + inModel) value(s) were clamped to the model's range; the output may be wrong\n".utf8))
            }
        }
        if let p = job.proveMs, let v = job.verifyMs { Swift.print("timings    prove \(p) ms, verify \(v) ms") }
        for event in job.events ?? [] {
            let detail = event.detail.keys.sorted().map { "\($0)=\(event.detail[$0] ?? "")" }.joined(separator: " ")
            Swift.print("  \(ISO8601DateFormatter().string(from: event.at))  \(event.kind.padded(14)) \(detail)")
        }
    }
}
