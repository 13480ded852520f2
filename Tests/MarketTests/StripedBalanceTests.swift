import Foundation
import Market
import Postgres
import Testing
import TestSupport

/// Balances are kept in stripes (migration 0010), so that settlements against one busy account
/// do not queue on one row: the stripes must add up to exactly what the ledger says, a debit
/// must see the whole account (borrowing across stripes) and no more, concurrent settlements
/// must lose nothing, and the audit must see through a stripe edited by hand.
@Suite struct StripedBalanceTests {
    /// Each stripe of `account`, as (stripe, available, held), for the ones holding money.
    private func stripes(_ f: MarketFixture, _ account: UUID) async throws -> [(Int, Int64, Int64)] {
        try await f.db.pool.query("""
            SELECT stripe, available, held FROM balance_stripes
            WHERE account_id = $1 AND (available <> 0 OR held <> 0) ORDER BY stripe
            """, [.uuid(account)]).rows.map {
            (try $0.decode("stripe", as: Int.self), try $0.decode("available", as: Int64.self), try $0.decode("held", as: Int64.self))
        }
    }

    @Test func everyAccountHasItsStripes_AndBalancesAreTheirSum() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let counts = try await f.db.pool.query("""
            SELECT count(*) AS n, count(DISTINCT stripe) AS distinct_stripes FROM balance_stripes WHERE account_id = $1
            """, [.uuid(client.accountID)]).rows[0]
        #expect(try counts.decode("n", as: Int.self) == 32)
        #expect(try counts.decode("distinct_stripes", as: Int.self) == 32)
        let (wp, w) = try await f.worker(funds: 50_000)
        var jobs: [Job] = []
        for _ in 0..<6 {
            let job = try await f.job(client, MarketFixture.dutch(min: 2_000, max: 2_000, stake: 1_000))
            jobs.append(job)
            let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
            _ = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: wp, worker: w.id)
        }
        let fee = jobs[0].escrow - 2_000
        #expect(try await f.balance(client) == Balance(available: 100_000 - 6 * (2_000 + fee) + 6 * fee, held: 0))
        #expect(try await f.balance(wp) == Balance(available: 50_000 + 6 * (2_000 - fee), held: 0))
        #expect(try await f.balance(f.market.platform.fees) == Balance(available: 6 * fee, held: 0))
        // The view is the stripes' sum, and the jobs spread over more than one stripe.
        let parts = try await stripes(f, client.accountID)
        #expect(parts.reduce(0) { $0 + $1.1 } == 100_000 - 6 * 2_000)
        let feeStripes = try await stripes(f, f.market.platform.fees)
        #expect(Set(jobs.map { Int($0.id.uuid.15 % 32) }).count == Set(feeStripes.map(\.0)).count)
        try await f.expectLedgerIntact()
    }

    @Test func aDebitBorrowsFromTheAccountsOtherStripes() async throws {
        let f = try await MarketFixture.make()
        // A deposit is spread over all 32 stripes; a job costing far more than one stripe
        // holds (but not more than all of them) must still be paid for.
        let client = try await f.client(funds: 6_000)
        _ = try await f.market.deposit(by: f.admin, to: client.accountID, amount: 6_000)
        let parts = try await stripes(f, client.accountID)
        #expect(parts.count == 32 && parts.allSatisfy { $0.1 == 374 || $0.1 == 376 })
        #expect(parts.reduce(0) { $0 + $1.1 } == 12_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 9_000, max: 9_000, stake: 0))
        #expect(try await f.balance(client) == Balance(available: 12_000 - job.escrow, held: job.escrow))
        // The escrow is held in the job's own stripe, where its settlement will release it.
        let held = try await stripes(f, client.accountID).filter { $0.2 != 0 }
        #expect(held.map(\.0) == [Int(job.id.uuid.15 % 32)] && held.map(\.2) == [job.escrow])
        try await f.expectLedgerIntact()
    }

    @Test func aDebitNoStripeTogetherCovers_IsAnOverdraftAndMovesNothing() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 5_000)
        _ = try await f.market.deposit(by: f.admin, to: client.accountID, amount: 5_000)
        let before = try await stripes(f, client.accountID)
        let code = await f.code { try await f.job(client, MarketFixture.dutch(min: 10_000, max: 10_000, stake: 0)) }
        #expect(code == .insufficientBalance)
        let after = try await stripes(f, client.accountID)
        #expect(after.map(\.0) == before.map(\.0) && after.map(\.1) == before.map(\.1))
        #expect(try await f.balance(client) == Balance(available: 10_000, held: 0))
        try await f.expectLedgerIntact()
    }

    /// Inserts entries of `job` (attempt, from, from bucket, to, to bucket, amount, kind) in one statement.
    private func insertEntries(_ f: MarketFixture, job: UUID,
                               _ rows: [(Int, UUID, String, UUID, String, Int64, String)]) async throws {
        func list(_ values: [String]) -> String { "'{\(values.joined(separator: ","))}'" }
        _ = try await f.db.pool.query("""
            INSERT INTO ledger_entries (debit_account, debit_bucket, credit_account, credit_bucket, amount, kind, job_id, job_attempt)
            SELECT d, db, c, cb, a, k, $1, n
            FROM unnest(\(list(rows.map { "\($0.1)" }))::uuid[], \(list(rows.map(\.2)))::text[], \(list(rows.map { "\($0.3)" }))::uuid[],
                        \(list(rows.map(\.4)))::text[], \(list(rows.map { "\($0.5)" }))::bigint[], \(list(rows.map(\.6)))::text[],
                        \(list(rows.map { "\($0.0)" }))::integer[]) AS t (d, db, c, cb, a, k, n)
            """, [.uuid(job)])
    }

    @Test func entriesOfOneStatement_MoveEachStripeOnceByTheirSum() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 10_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 2_000, max: 2_000, stake: 0))
        let home = Int(job.id.uuid.15 % 32)
        let before = try await stripes(f, client.accountID)
        // The first entry takes 100 more out of the job's held stripe than it has; only the
        // second entry of the same statement puts it there. The statement's sum is covered.
        try await insertEntries(f, job: job.id, [
            (1, client.accountID, "held", client.accountID, "available", job.escrow + 100, "escrow_refund"),
            (1, client.accountID, "available", client.accountID, "held", 100, "escrow_hold"),
        ])
        #expect(try await f.balance(client) == Balance(available: 10_000, held: 0))
        let after = try await stripes(f, client.accountID)
        // Only the job's stripe changed, once: the escrow moved back from its held to its available.
        let changed = zip(before, after).filter { $0.0 != $0.1 }
        #expect(after.map(\.0) == before.map(\.0))
        #expect(changed.count == 1 && changed.first?.1.0 == home && changed.first?.1.2 == 0
                && changed.first.map { $0.1.1 - $0.0.1 } == job.escrow)
        try await f.expectLedgerIntact()
    }

    @Test func entriesOfOneStatement_WhoseSumNoStripeCovers_AreRefusedTogether() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 10_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 2_000, max: 2_000, stake: 0))
        let entries = try #require(try await f.db.pool.query("SELECT count(*) AS n FROM ledger_entries").first).decode("n", as: Int.self)
        let before = try await stripes(f, client.accountID)
        // Together they release 50 more than the account holds: the statement borrows what it can
        // and is refused as an overdraft, and none of its entries remains.
        var refused: PostgresError?
        do {
            try await insertEntries(f, job: job.id, [
                (1, client.accountID, "held", client.accountID, "available", job.escrow, "escrow_refund"),
                (1, client.accountID, "held", f.market.platform.fees, "available", 50, "fee"),
            ])
        } catch let error as PostgresError {
            refused = error
        }
        #expect(refused?.sqlState == "23514" && refused?.constraint == "balances_non_negative")
        let after = try await stripes(f, client.accountID)
        #expect(after.map(\.0) == before.map(\.0) && after.map(\.1) == before.map(\.1) && after.map(\.2) == before.map(\.2))
        #expect(try await f.db.pool.query("SELECT count(*) AS n FROM ledger_entries").first?.decode("n", as: Int.self) == entries)
        #expect(try await f.balance(f.market.platform.fees) == Balance(available: 0, held: 0))
        try await f.expectLedgerIntact()
    }

    @Test func anEntryNamingNoAccount_IsRefusedAndMovesNothing() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 10_000)
        let job = try await f.job(client, MarketFixture.dutch(min: 2_000, max: 2_000, stake: 0))
        let entries = try #require(try await f.db.pool.query("SELECT count(*) AS n FROM ledger_entries").first).decode("n", as: Int.self)
        let before = try await f.balance(client)
        // A credit to an account that does not exist, beside one to an account that does.
        for stranger in [UUID(), f.market.platform.fees] {
            var refused: PostgresError?
            do {
                try await insertEntries(f, job: job.id, [
                    (1, client.accountID, "held", UUID(), "available", 100, "payment"),
                    (1, client.accountID, "held", stranger, "available", 100, "fee"),
                ])
            } catch let error as PostgresError {
                refused = error
            }
            #expect(refused?.sqlState == "23503")
        }
        #expect(try await f.balance(client) == before)
        #expect(try await f.db.pool.query("SELECT count(*) AS n FROM ledger_entries").first?.decode("n", as: Int.self) == entries)
        try await f.expectLedgerIntact()
    }

    @Test func concurrentSettlementsOfOneBusyClient_LoseNoMoney() async throws {
        var limits = ConnectionPool.Limits()
        limits.maximumConnections = 16
        let f = try await MarketFixture.make(limits: limits)
        let client = try await f.client(funds: 1_000_000)
        let price: Int64 = 3_000
        let workers = try await (0..<8).asyncMap { _ in try await f.worker(funds: 20_000) }
        _ = try await f.model()
        let rounds = 3
        let fees = try await withThrowingTaskGroup(of: Int64.self) { group in
            for (wp, w) in workers {
                group.addTask {
                    var fees: Int64 = 0
                    for _ in 0..<rounds {
                        let job = try await f.job(client, MarketFixture.dutch(min: price, max: price, stake: 2_000))
                        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
                        let s = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: wp, worker: w.id)
                        #expect(s.price == price)
                        fees += s.fee
                    }
                    return fees
                }
            }
            return try await group.reduce(0, +)
        }
        let settled = Int64(workers.count * rounds)
        #expect(try await f.balance(client) == Balance(available: 1_000_000 - settled * price, held: 0))
        #expect(try await f.balance(f.market.platform.fees) == Balance(available: fees, held: 0))
        for (wp, _) in workers {
            #expect(try await f.balance(wp) == Balance(available: 20_000 + Int64(rounds) * price - fees / settled * Int64(rounds), held: 0))
        }
        try await f.expectLedgerIntact()
    }

    @Test func concurrentJobsSpendingTheWholeBalance_AllSucceedAndTheNextIsRefused() async throws {
        var limits = ConnectionPool.Limits()
        limits.maximumConnections = 16
        let f = try await MarketFixture.make(limits: limits)
        _ = try await f.model()
        let terms = MarketFixture.dutch(min: 4_000, max: 4_000, stake: 0)
        let escrow: Int64 = 4_000 + 4_000 * 250 / 10_000
        // Exactly enough for 12 jobs, spread over the stripes by the deposit: every job must
        // gather money from other stripes while the others do the same.
        let client = try await f.client(funds: 12 * escrow)
        let jobs = try await withThrowingTaskGroup(of: Job.self) { group in
            for _ in 0..<12 { group.addTask { try await f.job(client, terms) } }
            return try await group.reduce(into: [Job]()) { $0.append($1) }
        }
        #expect(jobs.count == 12 && jobs.allSatisfy { $0.escrow == escrow })
        #expect(try await f.balance(client) == Balance(available: 0, held: 12 * escrow))
        #expect(await f.code { try await f.job(client, terms) } == .insufficientBalance)
        try await f.expectLedgerIntact()
    }

    @Test func tamperedStripe_IsCaughtByTheAudit() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        let job = try await f.job(client, MarketFixture.dutch(lockTimeout: 300, deadline: 3_600, stake: 1_000))
        let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
        _ = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: wp, worker: w.id)
        try await f.expectLedgerIntact()
        // Money added to one stripe of the fees account behind the ledger's back (triggers off,
        // as a superuser could): the account no longer replays, and the books no longer sum to zero.
        try await f.db.pool.transaction { c in
            try await c.query("SET LOCAL session_replication_role = replica")
            try await c.query("UPDATE balance_stripes SET available = available + 7 WHERE account_id = $1 AND stripe = 5",
                              [.uuid(f.market.platform.fees)])
        }
        let report = try await f.market.verifyLedger()
        #expect(!report.isIntact)
        #expect(report.replayMismatches == [f.market.platform.fees])
        #expect(report.balanceSum == 7)
        #expect(report.chainBreaks.isEmpty)
    }
}

extension Sequence {
    /// Maps in order, awaiting each element.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var values: [T] = []
        for element in self { values.append(try await transform(element)) }
        return values
    }
}

/// Transitions announce themselves after their commit, many notifications per statement
/// (`Notifier`): each committed one must still be announced, and a rolled-back one must not.
@Suite struct BatchedNotificationTests {
    @Test func manyTransitionsAtOnce_AreEachAnnounced() async throws {
        let f = try await MarketFixture.make()
        let listener = try await PostgresListener(configuration: f.db.configuration, channels: [MarketNotifications.channel])
        defer { listener.stop() }
        let client = try await f.client(funds: 1_000_000)
        var jobs: [Job] = []
        var workers: [(principal: Principal, worker: Worker)] = []
        for _ in 0..<12 {
            jobs.append(try await f.job(client, MarketFixture.dutch(stake: 100)))
            workers.append(try await f.worker(funds: 1_000))   // one lock each (a worker's locks are limited)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (job, (wp, w)) in zip(jobs, workers) { group.addTask { _ = try await f.market.lock(job.id, by: wp, worker: w.id) } }
            try await group.waitForAll()
        }
        // Every creation and every lock is announced once its transaction has committed.
        var expected = Set(jobs.flatMap { ["\($0.id.uuidString.lowercased()) open", "\($0.id.uuidString.lowercased()) locked"] })
        // A lost notification ends the wait at the bound (the stream ends) and fails below.
        let bound = Task { try? await Task.sleep(nanoseconds: 60_000_000_000); listener.stop() }
        defer { bound.cancel() }
        for await notification in listener {
            expected.remove(notification.payload)
            if expected.isEmpty { break }
        }
        #expect(expected.isEmpty)
    }

    @Test func aRolledBackTransition_AnnouncesNothing() async throws {
        let f = try await MarketFixture.make()
        let watcher = try await JobWatcher(configuration: f.db.configuration)
        defer { watcher.stop() }
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 0)   // cannot pay the stake: the lock rolls back
        _ = try await f.model()
        // The job's creation is announced (after its commit) before anything else is watched.
        let opened = Task { try await f.market.waitForOpenJobs(timeoutSeconds: 60, by: wp, watcher: watcher) }
        while watcher.waiting == 0 { await Task.yield() }
        let job = try await f.job(client, MarketFixture.dutch(stake: 5_000))
        #expect(try await opened.value.map(\.id) == [job.id])
        #expect(watcher.wakeupsByNotification == 1)
        let waiting = Task { try await f.market.waitForChange(job.id, from: .open, timeoutSeconds: 2, by: client, watcher: watcher) }
        while watcher.waiting == 0 { await Task.yield() }
        #expect(await f.code { try await f.market.lock(job.id, by: wp, worker: w.id) } == .insufficientBalance)
        #expect(try await waiting.value.status == .open)
        #expect(watcher.wakeupsByNotification == 1, "the failed lock woke nobody")
    }
}
