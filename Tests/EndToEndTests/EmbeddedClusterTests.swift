import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `proofmarket` on its own embedded PostgreSQL, as a newcomer runs it: from folders the
/// service user cannot enter (as root), beside other commands on the same data folder, and
/// stopped by SIGTERM with long-polls and event streams open. Each test checks that the
/// cluster a command started is stopped when it ends, and only then.
@Suite(.serialized, .timeLimit(.minutes(5))) struct EmbeddedClusterTests {
    @Test func closedFolderAndFolderUnderClosedParent_MigrateServeAndDemoSucceed() async throws {
        let closed = try EmbeddedCluster.scratch("closed", mode: 0o700)
        let closedParent = try EmbeddedCluster.scratch("closed-parent", mode: 0o700)
        let project = try EmbeddedCluster.scratch("project", mode: 0o755, in: closedParent)
        var used: [String] = []
        defer {
            for folder in used { EmbeddedCluster.removeFallback(folder) }
            try? FileManager.default.removeItem(atPath: closed)
            try? FileManager.default.removeItem(atPath: closedParent)
        }
        for folder in [closed, project] {
            let requested = folder + "/.proofmarket/postgres"
            let migrated = try await ChildProcess.run("migrate", ["migrate"], workingDirectory: folder)
            #expect(migrated.status == 0, "migrate in \(folder): \(migrated.output)")
            let dataFolder = try #require(EmbeddedCluster.dataFolder(in: migrated.output), "\(migrated.output)")
            used.append(dataFolder)
            if geteuid() == 0 {
                // The postgres user cannot pass the 0700 folder: a folder of its own is used, and said.
                #expect(dataFolder.hasPrefix("/var/lib/proofmarket/"), "\(migrated.output)")
                #expect(migrated.output.contains("\(requested) is not reachable by the"), "\(migrated.output)")
                #expect(migrated.output.contains("using \(dataFolder) instead"))
            } else {
                #expect(dataFolder == requested)
            }
            #expect(EmbeddedCluster.serverLeft(on: dataFolder) == nil, "migrate stops what it started")

            let port = try MarketRun.freePort()
            let serve = try ChildProcess("serve", ["serve", "--port", String(port)], workingDirectory: folder)
            _ = try await serve.waitForLine(containing: "proofmarket coordinator on")
            #expect(EmbeddedCluster.dataFolder(in: serve.output) == dataFolder, "the same folder again: \(serve.output)")
            let health = try await EmbeddedCluster.call(.get, "http://127.0.0.1:\(port)/health")
            #expect(health.status.code == 200, "\(health.bodyText)")
            serve.signal(SIGTERM)
            #expect(try await serve.wait(seconds: 60) == 0, "\(serve.output)")
            #expect(EmbeddedCluster.serverLeft(on: dataFolder) == nil, "serve stops what it started")

            let demo = try await ChildProcess.run("demo", ["demo", "--jobs", "2"], workingDirectory: folder, seconds: 240)
            #expect(demo.status == 0, "demo in \(folder): \(demo.output.suffix(3000))")
            #expect(demo.output.contains("fulfilled 2/2"))
            // Beside the single jobs, one batch job of eight digits, proven in one proof.
            #expect(demo.output.contains("8 inputs in one proof") && demo.output.contains(": fulfilled at"), "\(demo.output.suffix(3000))")
            #expect(EmbeddedCluster.dataFolder(in: demo.output) == dataFolder, "\(demo.output.prefix(2000))")
            #expect(EmbeddedCluster.serverLeft(on: dataFolder) == nil, "demo stops what it started")
        }
        #expect(Set(used).count == 2, "two projects never share a cluster: \(used)")
    }

    @Test func bootstrapAndMigrateWhileServing_LeaveTheCoordinatorsDatabaseRunning() async throws {
        let folder = try EmbeddedCluster.scratch("shared")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dataDirectory = folder + "/pg"
        let port = try MarketRun.freePort()
        let serve = try ChildProcess("serve", ["serve", "--data-dir", dataDirectory, "--port", String(port)])
        _ = try await serve.waitForLine(containing: "proofmarket coordinator on")
        let server = try #require(EmbeddedCluster.postmasterPID(dataDirectory))

        let bootstrap = try await ChildProcess.run("bootstrap", ["admin", "bootstrap", "--data-dir", dataDirectory])
        #expect(bootstrap.status == 0, "\(bootstrap.output)")
        let key = try #require(EmbeddedCluster.adminKey(in: bootstrap.output), "\(bootstrap.output)")
        let migrated = try await ChildProcess.run("migrate", ["migrate", "--data-dir", dataDirectory])
        #expect(migrated.status == 0, "\(migrated.output)")
        #expect(migrated.output.contains("applied    0 now, "), "serve applied them all: \(migrated.output)")

        // The same server still runs, and the coordinator still answers from it.
        #expect(EmbeddedCluster.postmasterPID(dataDirectory) == server, "the server was stopped or replaced")
        #expect(EmbeddedCluster.alive(server))
        let health = try await EmbeddedCluster.call(.get, "http://127.0.0.1:\(port)/health")
        #expect(health.status.code == 200, "\(health.bodyText)")
        let stats = try await EmbeddedCluster.call(.get, "http://127.0.0.1:\(port)/v1/admin/stats", key: key)
        #expect(stats.status.code == 200, "the key bootstrap made works on the running coordinator: \(stats.bodyText)")

        // And the coordinator, which started it, stops it when it goes.
        serve.signal(SIGTERM)
        #expect(try await serve.wait(seconds: 60) == 0, "\(serve.output)")
        #expect(EmbeddedCluster.serverLeft(on: dataDirectory) == nil)
        #expect(try await EmbeddedCluster.gone(server))
    }

    @Test func serveFailingAfterItsDatabaseStarted_StopsTheEmbeddedCluster() async throws {
        let folder = try EmbeddedCluster.scratch("failing")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = try MarketRun.freePort()
        let first = try ChildProcess("serve", ["serve", "--data-dir", folder + "/first", "--port", String(port)])
        _ = try await first.waitForLine(containing: "proofmarket coordinator on")
        // The second starts its own cluster, migrates, then cannot listen: the port is taken.
        let second = try await ChildProcess.run("serve-taken", ["serve", "--data-dir", folder + "/second", "--port", String(port)])
        #expect(second.status != 0, "\(second.output)")
        #expect(EmbeddedCluster.dataFolder(in: second.output) == folder + "/second", "it did start its cluster: \(second.output)")
        #expect(EmbeddedCluster.serverLeft(on: folder + "/second") == nil, "an error ends the command, and what it started with it")
        first.signal(SIGTERM)
        #expect(try await first.wait(seconds: 60) == 0, "\(first.output)")
        #expect(EmbeddedCluster.serverLeft(on: folder + "/first") == nil)
    }

    @Test func sigtermWithLongPollsAndEventStreamsOpen_StopsTheEmbeddedCluster() async throws {
        let folder = try EmbeddedCluster.scratch("sigterm")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dataDirectory = folder + "/pg"
        let port = try MarketRun.freePort()
        let url = "http://127.0.0.1:\(port)"
        let serve = try ChildProcess("serve", ["serve", "--data-dir", dataDirectory, "--port", String(port)])
        _ = try await serve.waitForLine(containing: "proofmarket coordinator on")
        let server = try #require(EmbeddedCluster.postmasterPID(dataDirectory))

        // An admin, a worker and a client with one open job that no worker takes.
        let bootstrap = try await ChildProcess.run("bootstrap", ["admin", "bootstrap", "--data-dir", dataDirectory])
        let adminKey = try #require(EmbeddedCluster.adminKey(in: bootstrap.output), "\(bootstrap.output)")
        func cli(_ arguments: [String], key: String) async throws -> String {
            let result = try await ChildProcess.run(arguments[0], arguments, environment: ["PROOFMARKET_COORDINATOR": url, "PROOFMARKET_API_KEY": key])
            guard result.status == 0 else { throw ChildError.exited("\(arguments) failed: \(result.output)") }
            return result.output
        }
        func account(_ kind: String) async throws -> (id: String, key: String) {
            let lines = try await cli(["admin", "accounts", "create", "--kind", kind, "--owner", "sigterm-\(kind)"], key: adminKey)
                .split(separator: "\n")
            let id = try #require(lines.first(where: { $0.hasPrefix("account") })?.split(separator: " ")[1])
            let key = try #require(lines.first(where: { $0.hasPrefix("api key") })?.split(separator: " ").last)
            return (String(id), String(key))
        }
        let worker = try await account("worker")
        let client = try await account("client")
        _ = try await cli(["admin", "deposit", client.id, "10000000"], key: adminKey)
        _ = try await cli(["admin", "deposit", worker.id, "1000000"], key: adminKey)
        let upload = try await cli(["client", "models", "upload", MarketRun.fixtures.appendingPathComponent("mlp_small.onnx").path], key: client.key)
        let model = try #require(upload.split(separator: "\n").first(where: { $0.count == 64 }), "\(upload)")
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("pm-sigterm-input-\(UUID().uuidString.prefix(8)).json")
        defer { try? FileManager.default.removeItem(at: input) }
        try JSONSerialization.data(withJSONObject: ["shape": [1, 64], "data": [Double](repeating: 0.5, count: 64)]).write(to: input)
        let submitted = try await cli(["client", "jobs", "submit", "--model", String(model), "--input", input.path, "--auction", "dutch",
                                       "--min-price", "1000", "--max-price", "100000", "--ramp-up-s", "2", "--lock-timeout-s", "300",
                                       "--deadline-s", "600", "--lock-stake", "5000"], key: client.key)
        let job = try #require(submitted.split(separator: "\n").last(where: { UUID(uuidString: String($0)) != nil }), "\(submitted)")

        // The worker locks it, so the market has no open job and a worker's long-poll waits too.
        let registered = try await EmbeddedCluster.call(.post, "\(url)/v1/workers", key: worker.key, json: ["name": "sigterm-worker"])
        let registration = try JSONSerialization.jsonObject(with: Data(registered.body)) as? [String: Any]
        let workerID = try #require(registration?["id"] as? String, "\(registered.bodyText)")
        let locked = try await EmbeddedCluster.call(.post, "\(url)/v1/jobs/\(job)/lock", key: worker.key, json: ["worker_id": workerID])
        #expect(locked.status.code == 201, "\(locked.bodyText)")

        // Long-polls and event streams the server holds open when the signal comes.
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<2 {
            sockets.append(try EmbeddedCluster.openRequest(port: port, path: "/v1/market/jobs?wait=60", key: worker.key))
            sockets.append(try EmbeddedCluster.openRequest(port: port, path: "/v1/jobs/\(job)?wait=60&status=locked", key: client.key))
            sockets.append(try EmbeddedCluster.openRequest(port: port, path: "/v1/jobs/\(job)/events", key: client.key))
        }
        // Every one of them is waiting (the watcher counts its waiters), or the signal could
        // come before they are in flight.
        let deadline = Date().addingTimeInterval(60)
        var waiters = 0
        while waiters < 6 && Date() < deadline {
            let metrics = try await EmbeddedCluster.call(.get, "\(url)/metrics", key: adminKey).bodyText
            waiters = metrics.split(separator: "\n").first(where: { $0.hasPrefix("proofmarket_long_poll_waiters ") })
                .flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            if waiters < 6 { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        #expect(waiters >= 6, "long-polls and streams waiting: \(waiters)")

        serve.signal(SIGTERM)
        let status = try await serve.wait(seconds: 90)
        #expect(status == 0, "\(serve.output.suffix(3000))")
        // Nothing the coordinator started outlives it: the pid file is checked at once, the
        // process given the moment it takes to end after removing that file.
        #expect(EmbeddedCluster.serverLeft(on: dataDirectory) == nil)
        #expect(try await EmbeddedCluster.gone(server), "the postmaster (\(server)) outlived the coordinator")
        #expect(EmbeddedCluster.postgresLines(in: serve.output).isEmpty, "\(EmbeddedCluster.postgresLines(in: serve.output))")
        let log = (try? String(contentsOfFile: dataDirectory + "/postgres.log", encoding: .utf8)) ?? ""
        #expect(log.contains("received fast shutdown request"), "the cluster was asked to stop: \(log.suffix(2000))")
    }
}
