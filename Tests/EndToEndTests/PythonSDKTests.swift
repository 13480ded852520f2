import Foundation
import Testing
import TestSupport

/// The Python SDK (clients/python) against a real coordinator: `proofmarket serve` on its own
/// PostgreSQL database, as MarketRun starts it, and the SDK's pytest suite run against it. The
/// suite uploads a model, follows jobs that real `proofmarket worker` processes prove (and
/// proves others itself as a worker, with `proofmarket prove`), verifies receipts, checks that
/// errors arrive as their exception classes, drives the admin calls, and generates a client
/// from openapi/openapi.yaml with openapi-python-client (`--fail-on-warning`) and type-checks it
/// with mypy. Any failing Python test fails this test, with pytest's report.
@Suite(.serialized, .timeLimit(.minutes(10))) struct PythonSDKTests {
    @Test func pytestSuite_PassesAgainstALiveCoordinator() async throws {
        let python = try PythonTools.python()
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let tests = PythonTools.root.appendingPathComponent("clients/python/tests").path
        let (status, output) = try await PythonTools.run(python, ["-m", "pytest", tests, "-q", "-p", "no:cacheprovider", "-rA"],
                                                         environment: [
                                                             "PROOFMARKET_URL": run.url,
                                                             "PROOFMARKET_ADMIN_KEY": run.adminKey,
                                                             "PROOFMARKET_BIN": ChildProcess.binary,
                                                             "PROOFMARKET_CONFIG_DIR": run.configDir,
                                                             "PYTHONDONTWRITEBYTECODE": "1",
                                                         ], seconds: 540)
        print(output.split(separator: "\n").suffix(40).joined(separator: "\n"))
        #expect(status == 0, "the SDK's pytest suite failed against the live coordinator:\n\(output)")
        // pytest's closing line names how many passed; a run that collected nothing fails too.
        let summary = output.split(separator: "\n").last(where: { $0.contains(" passed") }) ?? ""
        #expect(summary.contains("passed") && !summary.contains("failed") && !summary.contains("skipped"), "\(summary)")
        #expect(try await run.ledgerIntact())
    }
}
