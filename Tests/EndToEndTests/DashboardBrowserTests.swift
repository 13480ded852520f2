import Foundation
import HTTPServer
import Testing
import TestSupport

/// The admin dashboard in a real browser: a live coordinator (`proofmarket serve` on the
/// embedded test PostgreSQL) with real jobs proven by real `proofmarket worker` processes (one
/// worker proves most of them, a forger's proof is refused and its lock slashed, a job is
/// cancelled), then headless Chromium signs in and visits every page, and what each page shows
/// is checked against the admin API. Each page is also drawn on a phone-sized screen, where
/// nothing may be wider than the screen. Screenshots of every page, both sizes, are written to
/// `.build-artifacts/dashboard/`. No page may break its Content-Security-Policy or load
/// anything from elsewhere.
@Suite(.serialized, .timeLimit(.minutes(10))) struct DashboardBrowserTests {
    @Test func everyPage_ShowsTheMarketAsTheAPIHasIt_OnADesktopAndAPhone() async throws {
        _ = try BrowserSession.chromium()   // fails at once, and clearly, without a browser
        let run = try await MarketRun.start()
        defer { Task { await run.stop() } }
        let cast = try await run.cast(workers: ["alpha", "beta", "forger"])
        let (client, model) = (cast.client, cast.model)

        // alpha proves four jobs, two of each auction.
        let alpha = try run.worker("alpha", key: cast.workers[0].key)
        var jobs: [String] = []
        for index in 0..<4 {
            jobs.append(try await run.submit(key: client.key, model: model, input: try run.inputFile(index).path,
                                             auction: index % 2 == 0 ? "dutch" : "sealed"))
        }
        for job in jobs { #expect(try await run.waitForJob(job, ["fulfilled", "expired"]).status == "fulfilled") }
        alpha.signal(SIGKILL)
        try await alpha.wait()

        // A forger's proof is refused; its lock expires and is slashed; beta proves the job.
        // The forger takes one lock and exits by itself, so however slowly this test runs it
        // cannot lock the job again once its lock has expired.
        let forger = try run.worker("forger", key: cast.workers[2].key, extra: ["--forge-proofs", "--max-jobs", "1"])
        let contested = try await run.submit(key: client.key, model: model, input: try run.inputFile(4).path, auction: "dutch", lockTimeoutS: 3)
        _ = try await forger.waitForLine(containing: "proof refused")
        #expect(try await forger.wait() == 0, "\(forger.output.suffix(2000))")
        #expect(forger.output.contains("worker summary: locked 1,"), "\(forger.output.suffix(2000))")
        let beta = try run.worker("beta", key: cast.workers[1].key)
        #expect(try await run.waitForJob(contested, ["fulfilled", "expired"]).status == "fulfilled")
        beta.signal(SIGKILL)
        try await beta.wait()

        // A job nobody proves, cancelled by its client.
        let cancelled = try await run.submit(key: client.key, model: model, input: try run.inputFile(5).path, auction: "sealed")
        let cancel = try await call(run, .delete, "/v1/jobs/\(cancelled)", key: client.key)
        #expect(cancel.status == 200, "\(cancel.body)")

        // What the API says, to hold the pages against. The audit first: it seals every entry,
        // so every entry has its chain position.
        let audit = try await call(run, .get, "/v1/admin/ledger/verify", key: run.adminKey).object
        #expect(audit["intact"] as? Bool == true)
        let entries = try await call(run, .get, "/v1/admin/ledger?limit=500", key: run.adminKey).object["entries"] as? [[String: Any]] ?? []
        #expect(entries.count > 20, "enough entries for two pages of ten")
        let contestedEntries = entries.filter { $0["job_id"] as? String == contested }
        let payments = entries.filter { $0["kind"] as? String == "payment" }
        #expect(payments.count == 5)
        let timeline = try await call(run, .get, "/v1/admin/jobs/\(contested)", key: run.adminKey).object
        let events = (timeline["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        #expect(events.contains("proof_rejected") && events.contains("lock_expired") && events.last == "fulfilled", "\(events)")
        let contestedJob = timeline["job"] as? [String: Any] ?? [:]
        let bids = timeline["bids"] as? [[String: Any]] ?? []
        let workers = try await call(run, .get, "/v1/admin/workers", key: run.adminKey).object
        let workerLines = workers["workers"] as? [[String: Any]] ?? []
        func line(_ name: String) -> [String: Any] { workerLines.first { $0["name"] as? String == name } ?? [:] }
        #expect(line("alpha")["above_share_warning"] as? Bool == true && line("alpha")["share_last_day_bps"] as? Int == 8_000)
        #expect(line("beta")["above_share_warning"] as? Bool == false && line("forger")["jobs_rejected"] as? Int == 1)
        #expect(line("forger")["jobs_slashed"] as? Int == 1)
        let history = try await call(run, .get, "/v1/admin/market/history?hours=1&buckets=12", key: run.adminKey).object
        let stats = try await call(run, .get, "/v1/admin/stats", key: run.adminKey).object
        let byStatus = stats["jobs_by_status"] as? [String: Int] ?? [:]
        #expect(byStatus["fulfilled"] == 5 && byStatus["cancelled"] == 1)
        let accounts = try await call(run, .get, "/v1/admin/accounts?limit=500", key: run.adminKey).object["accounts"] as? [[String: Any]] ?? []
        let clientAccount = accounts.first { $0["id"] as? String == client.id } ?? [:]
        #expect(clientAccount["kind"] as? String == "client")

        // The browser's visit.
        var b = BrowserSession()
        b.viewport(width: 1280, height: 900, mobile: false)
        b.navigate("\(run.url)/admin")
        b.wait("!document.getElementById('sign-in').hidden")
        b.screenshot("desktop-sign-in")
        b.type("#admin-key", "pm_not_a_key")
        b.click("#sign-in-form button[type=submit]")
        b.wait("document.getElementById('sign-in-error').textContent.includes('not valid')")
        b.read("unknownKey", "document.getElementById('sign-in-error').textContent")
        b.run("document.getElementById('admin-key').value = ''")
        b.type("#admin-key", client.key)
        b.click("#sign-in-form button[type=submit]")
        b.wait("document.getElementById('sign-in-error').textContent.includes('not an admin key')")
        b.read("clientKey", "document.getElementById('sign-in-error').textContent")
        b.read("storedBefore", "sessionStorage.length + localStorage.length")
        b.run("document.getElementById('admin-key').value = ''")
        b.type("#admin-key", run.adminKey)
        b.click("#sign-in-form button[type=submit]")
        b.waitForPage("jobs")
        b.read("storage", "({ session: sessionStorage.getItem('proofmarket.adminKey'), local: localStorage.length, cookie: document.cookie })")

        // Jobs, and the filter by status.
        b.read("jobs", rows("#jobs-table", "({ id: r.dataset.jobId, status: r.dataset.status })"))
        b.read("chips", "[...document.querySelectorAll('#job-status-counts a')].map(a => [a.dataset.status, +a.dataset.count])")
        b.screenshot("desktop-jobs")
        b.go("#/jobs?status=fulfilled", page: "jobs")
        b.read("fulfilledJobs", rows("#jobs-table", "r.dataset.status"))

        // The contested job's timeline.
        b.go("#/job/\(contested)", page: "job")
        b.read("events", "[...document.querySelectorAll('#job-events li')].map(li => li.dataset.kind)")
        b.read("jobCards", "({ status: document.querySelector('#job-status').dataset.value, prove: document.querySelector('#job-prove').dataset.value, verify: document.querySelector('#job-verify').dataset.value, price: document.querySelector('#job-lock-price').dataset.value })")
        b.read("jobBids", rows("#job-bids", "r.dataset.bidKind"))
        b.read("jobLedger", rows("#job-ledger", "r.dataset.kind"))
        b.read("timelineMarkers", "document.querySelectorAll('#job-timeline-chart circle.marker').length")
        b.screenshot("desktop-job")

        // Workers: alpha's 80 % is past the 60 % threshold.
        b.go("#/workers", page: "workers")
        b.read("warning", "(document.getElementById('share-warning') || {}).textContent || null")
        b.read("threshold", "document.getElementById('share-threshold').dataset.bps")
        b.read("workers", rows("#workers-table", "({ id: r.dataset.workerId, above: r.dataset.above, share: +r.querySelector('.share').dataset.bps, cells: [...r.cells].map(c => c.textContent) })"))
        b.read("shareBars", "[...document.querySelectorAll('#share-chart rect.bar')].map(r => r.classList.contains('over'))")
        b.screenshot("desktop-workers")

        // Market: the price chart and the percentiles.
        b.go("#/market?hours=1&buckets=12", page: "market")
        b.read("market", "({ p50: document.getElementById('market-p50').dataset.value, p90: document.getElementById('market-p90').dataset.value, locks: document.getElementById('market-locks').dataset.value, dots: document.querySelectorAll('#price-chart circle.dot').length, paths: document.querySelectorAll('#price-chart path.series').length, statusBars: [...document.querySelectorAll('#status-chart rect.bar')].map(r => +r.dataset.value) })")
        b.screenshot("desktop-market")

        // The audit's four invariants.
        b.go("#/audit", page: "audit")
        b.read("invariants", "[...document.querySelectorAll('.invariant')].map(i => [i.dataset.invariant, i.dataset.ok])")
        b.read("auditEntries", "+document.getElementById('audit-entries').dataset.value")
        b.screenshot("desktop-audit")

        // The ledger: ten a page, the second page, one job's entries, one kind.
        let ledgerRow = "({ id: +r.dataset.entryId, kind: r.dataset.kind, micros: +r.dataset.micros, text: r.querySelector('.amount').textContent, position: r.querySelector('.chain-position').dataset.position || null })"
        b.go("#/ledger?limit=10", page: "ledger")
        b.read("ledger1", rows("#ledger-table", ledgerRow))
        b.screenshot("desktop-ledger")
        b.click("#ledger-next")
        b.wait("(document.getElementById('ledger-page') || {dataset: {}}).dataset.page === '2' && document.getElementById('view').dataset.state === 'ready'")
        b.read("ledger2", rows("#ledger-table", ledgerRow))
        b.click("#ledger-previous")
        b.wait("(document.getElementById('ledger-page') || {dataset: {}}).dataset.page === '1' && document.getElementById('view').dataset.state === 'ready'")
        b.read("ledgerBack", rows("#ledger-table", "+r.dataset.entryId"))
        b.go("#/ledger?job=\(contested)", page: "ledger")
        b.read("ledgerJob", rows("#ledger-table", ledgerRow))
        b.go("#/ledger?kind=payment", page: "ledger")
        b.read("ledgerPayments", rows("#ledger-table", ledgerRow))

        // Accounts and balances.
        b.go("#/accounts", page: "accounts")
        b.read("accounts", rows("#accounts-table", "({ id: r.dataset.accountId, available: +r.querySelector('.available').dataset.micros, held: +r.querySelector('.held').dataset.micros })"))
        b.read("accountBars", "document.querySelectorAll('#accounts-chart rect.bar').length")
        b.screenshot("desktop-accounts")

        // A phone: every page again, none wider than the screen.
        let pages: [(hash: String, page: String, shot: String)] = [
            ("#/jobs", "jobs", "jobs"), ("#/job/\(contested)", "job", "job"), ("#/workers", "workers", "workers"),
            ("#/market?hours=1&buckets=12", "market", "market"), ("#/audit", "audit", "audit"), ("#/ledger?limit=10", "ledger", "ledger"),
            ("#/accounts", "accounts", "accounts"),
        ]
        b.viewport(width: 390, height: 844, mobile: true, scale: 2)
        // A new load (another address, not only another fragment), so the page starts as a phone's.
        b.navigate("\(run.url)/admin?screen=phone#/jobs")
        b.waitForPage("jobs")
        let overflow = "document.documentElement.scrollWidth - window.innerWidth"
        for page in pages {
            b.go(page.hash, page: page.page)
            b.read("phone-\(page.shot)", overflow)
            b.screenshot("phone-\(page.shot)")
        }
        // Subtitles wrap between words: no word of a page's lede is cut on the phone.
        b.read("ledeBreak", "getComputedStyle(document.querySelector('.lede') || document.body).wordBreak")
        b.read("hasLede", "document.querySelector('.lede') !== null")
        b.click("#sign-out")
        b.wait("!document.getElementById('sign-in').hidden")
        b.read("afterSignOut", "sessionStorage.getItem('proofmarket.adminKey')")
        b.read("signOutStyle", "document.getElementById('sign-in-error').className")
        b.screenshot("phone-sign-in")

        let report = try await b.run()
        #expect(report.error == nil, "the browser stopped: \(report.error ?? "")\nconsole: \(report.console)")
        let r = report.results

        // Signing in: refused keys are named as such; the key is kept in the tab's session only.
        #expect((r["unknownKey"] as? String ?? "").contains("not valid"))
        #expect((r["clientKey"] as? String ?? "").contains("not an admin key"))
        #expect(r["storedBefore"] as? Int == 0, "a refused key is not stored")
        #expect(r["signOutStyle"] as? String == "notice", "signing out is a notice, not an error")
        #expect(r["hasLede"] as? Bool == true)
        #expect(r["ledeBreak"] as? String != "break-all")
        let storage = r["storage"] as? [String: Any] ?? [:]
        #expect(storage["session"] as? String == run.adminKey && storage["local"] as? Int == 0 && storage["cookie"] as? String == "")
        #expect(r["afterSignOut"] is NSNull || r["afterSignOut"] == nil, "signing out forgets the key")

        // Jobs.
        let shownJobs = r["jobs"] as? [[String: Any]] ?? []
        #expect(Set(shownJobs.compactMap { $0["id"] as? String }) == Set(jobs + [contested, cancelled]))
        #expect(shownJobs.filter { $0["status"] as? String == "fulfilled" }.count == 5)
        let chips = Dictionary(uniqueKeysWithValues: (r["chips"] as? [[Any]] ?? []).compactMap { pair -> (String, Int)? in
            guard let status = pair.first as? String, let count = pair.last as? Int else { return nil }
            return (status, count)
        })
        #expect(chips["fulfilled"] == 5 && chips["cancelled"] == 1 && chips["open"] == 0)
        #expect((r["fulfilledJobs"] as? [String] ?? []) == Array(repeating: "fulfilled", count: 5))

        // The timeline: every event, in order, with the prices and times.
        #expect(r["events"] as? [String] == events)
        let cards = r["jobCards"] as? [String: Any] ?? [:]
        #expect(cards["status"] as? String == "fulfilled")
        #expect(cards["prove"] as? String == (contestedJob["prove_ms"] as? Int).map(String.init))
        #expect(cards["verify"] as? String == (contestedJob["verify_ms"] as? Int).map(String.init))
        #expect(cards["price"] as? String == (contestedJob["lock_price"] as? Int).map(String.init))
        #expect(r["jobBids"] as? [String] == bids.compactMap { $0["kind"] as? String })
        #expect(r["jobLedger"] as? [String] == contestedEntries.compactMap { $0["kind"] as? String })
        #expect(r["timelineMarkers"] as? Int == events.count)

        // Workers: the warning names alpha, whose row and bar are flagged; the threshold is 60 %.
        let warning = r["warning"] as? String ?? ""
        #expect(warning.contains("alpha") && warning.contains("80 %") && warning.contains("60 %"), "\(warning)")
        #expect(!warning.contains("beta"))
        #expect(r["threshold"] as? String == "6000")
        let shownWorkers = r["workers"] as? [[String: Any]] ?? []
        for expected in workerLines {
            let shown = shownWorkers.first { $0["id"] as? String == expected["id"] as? String }
            #expect(shown?["above"] as? String == String(expected["above_share_warning"] as? Bool ?? false))
            #expect(shown?["share"] as? Int == expected["share_last_day_bps"] as? Int)
            let cells = shown?["cells"] as? [String] ?? []
            // Fulfilled, rejected, released, slashed, as the table's columns 3 to 6.
            #expect(cells.count == 10 && cells[2...5].map { Int($0) } == ["jobs_fulfilled", "jobs_rejected", "jobs_released", "jobs_slashed"].map { expected[$0] as? Int },
                    "\(cells) against \(expected)")
        }
        #expect((r["shareBars"] as? [Bool] ?? []).filter { $0 }.count == 1)

        // Market: the window's percentiles, one dot per percentile per slice with locks, jobs by status.
        let market = r["market"] as? [String: Any] ?? [:]
        func close(_ shown: Any?, _ expected: Any?) -> Bool {
            guard let text = shown as? String, let value = Double(text), let want = (expected as? NSNumber)?.doubleValue else { return false }
            return abs(value - want) <= 1e-9 * max(1, abs(want))
        }
        #expect(close(market["p50"], history["p50"]) && close(market["p90"], history["p90"]), "\(market) against \(history)")
        #expect(market["locks"] as? String == (history["locks"] as? Int).map(String.init))
        let slicesWithLocks = (history["buckets"] as? [[String: Any]] ?? []).filter { $0["p50"] != nil }.count
        #expect(slicesWithLocks >= 1 && market["dots"] as? Int == 2 * slicesWithLocks && market["paths"] as? Int == 2)
        #expect(market["statusBars"] as? [Int] == ["open", "locked", "fulfilled", "cancelled", "expired"].map { byStatus[$0] ?? 0 })

        // The audit.
        let invariants = (r["invariants"] as? [[String]] ?? []).map { $0.joined(separator: "=") }
        #expect(invariants == ["balance_sum=true", "non_negative=true", "replay=true", "chain=true"])
        #expect(r["auditEntries"] as? Int == audit["entries"] as? Int)

        // The ledger: the API's entries, amounts, kinds and chain positions, page by page.
        func expectRows(_ name: String, _ expected: [[String: Any]]) {
            let shown = r[name] as? [[String: Any]] ?? []
            #expect(shown.count == expected.count, "\(name): \(shown.count) rows, \(expected.count) expected")
            for (row, entry) in zip(shown, expected) {
                #expect(row["id"] as? Int == entry["id"] as? Int && row["kind"] as? String == entry["kind"] as? String, "\(name)")
                #expect(row["micros"] as? Int == entry["amount"] as? Int && row["text"] as? String == credits(entry["amount"] as? Int ?? -1), "\(name): \(row)")
                #expect(row["position"] as? String == (entry["chain_position"] as? Int).map(String.init), "\(name): chain position \(row)")
            }
        }
        expectRows("ledger1", Array(entries.prefix(10)))
        expectRows("ledger2", Array(entries.dropFirst(10).prefix(10)))
        #expect(r["ledgerBack"] as? [Int] == entries.prefix(10).compactMap { $0["id"] as? Int })
        expectRows("ledgerJob", contestedEntries)
        expectRows("ledgerPayments", payments)
        #expect(entries.allSatisfy { $0["chain_position"] != nil }, "the audit sealed every entry")

        // Accounts.
        let shownAccounts = r["accounts"] as? [[String: Any]] ?? []
        #expect(Set(shownAccounts.compactMap { $0["id"] as? String }) == Set(accounts.compactMap { $0["id"] as? String }))
        let shownClient = shownAccounts.first { $0["id"] as? String == client.id } ?? [:]
        #expect(shownClient["available"] as? Int == clientAccount["available"] as? Int && shownClient["held"] as? Int == clientAccount["held"] as? Int)
        #expect(r["accountBars"] as? Int == accounts.filter { ["client", "worker"].contains($0["kind"] as? String ?? "") }.count)

        // A phone: nothing wider than the screen.
        for page in pages { #expect(r["phone-\(page.shot)"] as? Int == 0, "\(page.page) is wider than a phone's screen") }

        // The policy held, and nothing came from anywhere but the coordinator.
        #expect(report.violations.isEmpty, "Content-Security-Policy violations: \(report.violations)")
        let foreign = report.requests.filter { !$0.hasPrefix(run.url + "/") && !$0.hasPrefix("data:") && $0 != "about:blank" }
        #expect(foreign.isEmpty, "requests beyond the coordinator: \(foreign)")
        let failed = report.responses.filter { $0.status >= 400 && !($0.url.contains("/v1/admin/accounts?limit=1") && [401, 403].contains($0.status)) }
        #expect(failed.isEmpty, "failed requests: \(failed)")
        let noise = report.console.filter { !($0.contains("status of 401") || $0.contains("status of 403")) }
        #expect(noise.isEmpty, "the browser logged: \(noise)")
        for name in ["sign-in", "jobs", "job", "workers", "market", "audit", "ledger", "accounts"] {
            for size in ["desktop", "phone"] {
                let file = BrowserSession.screenshots.appendingPathComponent("\(size)-\(name).png")
                let bytes = (try? Data(contentsOf: file)) ?? Data()
                #expect(bytes.count > 1_000 && bytes.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "\(file.path) is not a screenshot")
            }
        }
        print("dashboard screenshots in \(BrowserSession.screenshots.path)")
        #expect(try await run.ledgerIntact())
    }

    /// A script reading each body row `r` of a table as `value`.
    private func rows(_ table: String, _ value: String) -> String {
        "[...document.querySelectorAll('\(table) tbody tr')].map(r => \(value))"
    }

    /// Micro-credits as the dashboard writes them: credits with six decimals, thousands apart.
    private func credits(_ micros: Int) -> String {
        var digits = String(String(abs(micros)).reversed())
        if digits.count < 7 { digits += String(repeating: "0", count: 7 - digits.count) }
        let whole = String(digits.dropFirst(6).reversed())
        var grouped = ""
        for (i, c) in whole.enumerated() {
            if i > 0 && (whole.count - i) % 3 == 0 { grouped += "\u{202F}" }
            grouped.append(c)
        }
        return (micros < 0 ? "\u{2212}" : "") + grouped + "." + String(digits.prefix(6).reversed())
    }

    /// One request to the coordinator.
    private func call(_ run: MarketRun, _ method: HTTPMethod, _ path: String, key: String) async throws -> (status: Int, body: String, object: [String: Any]) {
        var headers = HTTPHeaders()
        headers["Authorization"] = "Bearer \(key)"
        let response = try await run.http.execute(HTTPClientRequest(method: method, url: run.url + path, headers: headers, timeoutSeconds: 30))
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (Int(response.status.code), String(decoding: response.body, as: UTF8.self), object)
    }
}
