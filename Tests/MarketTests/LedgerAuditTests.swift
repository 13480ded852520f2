import Foundation
import Market
import Postgres
import Testing
import TestSupport

/// The auditor catches what the triggers cannot prevent: someone with the database's
/// superuser rights editing entries or links behind the market's back.
@Suite struct LedgerAuditTests {
    /// A market with a settled history: deposits, two fulfilled jobs, all sealed.
    private func settledMarket() async throws -> MarketFixture {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 100_000)
        let (wp, w) = try await f.worker(funds: 5_000)
        for _ in 0..<2 {
            let job = try await f.job(client, MarketFixture.dutch(lockTimeout: 300, deadline: 3_600, stake: 1_000))
            let grant = try await f.market.lock(job.id, by: wp, worker: w.id)
            _ = try await f.market.submitProof(job.id, proof: try await f.proof(for: grant), by: wp, worker: w.id)
        }
        try await f.expectLedgerIntact()
        return f
    }

    /// Runs `sql` with triggers off (as a superuser could), in one transaction.
    private func tamper(_ f: MarketFixture, _ sql: String) async throws {
        try await f.db.pool.transaction { c in
            try await c.query("SET LOCAL session_replication_role = replica")
            try await c.query(sql)
        }
    }

    @Test func editedEntry_BreaksTheChainAtThatEntry() async throws {
        let f = try await settledMarket()
        let entry = try #require(try await f.db.pool.query(
            "SELECT id FROM ledger_entries WHERE kind = 'payment' ORDER BY id LIMIT 1").first).decode("id", as: Int64.self)
        // A change the balances cannot show (the time of the entry): only the chain sees it.
        try await tamper(f, "UPDATE ledger_entries SET at = at - interval '1 day' WHERE id = \(entry)")
        let report = try await f.market.verifyLedger()
        #expect(!report.isIntact)
        #expect(report.chainBreaks == [entry])
        #expect(report.replayMismatches.isEmpty && report.balanceSum == 0)
    }

    @Test func editedAmount_FailsTheReplayAndTheChain() async throws {
        let f = try await settledMarket()
        let entry = try #require(try await f.db.pool.query(
            "SELECT id FROM ledger_entries WHERE kind = 'fee' ORDER BY id LIMIT 1").first).decode("id", as: Int64.self)
        try await tamper(f, "UPDATE ledger_entries SET amount = amount + 1 WHERE id = \(entry)")
        let report = try await f.market.verifyLedger()
        #expect(!report.isIntact)
        #expect(report.chainBreaks == [entry])
        #expect(report.replayMismatches.count == 2)   // the payer and the payee
    }

    @Test func removedLink_IsAGapAndAnUnchainedEntry() async throws {
        let f = try await settledMarket()
        let link = try #require(try await f.db.pool.query(
            "SELECT position, entry_id FROM ledger_chain ORDER BY position LIMIT 1 OFFSET 3").first)
        let entry = try link.decode("entry_id", as: Int64.self)
        let next = try #require(try await f.db.pool.query(
            "SELECT entry_id FROM ledger_chain WHERE position = $1", [.int(try link.decode("position", as: Int64.self) + 1)]).first)
            .decode("entry_id", as: Int64.self)
        try await tamper(f, "DELETE FROM ledger_chain WHERE entry_id = \(entry)")
        let report = try await f.market.verifyLedger()
        #expect(!report.isIntact)
        // The removed entry is final but unchained; the next link no longer follows its predecessor.
        #expect(Set(report.chainBreaks) == [entry, next])
    }

    @Test func forgedEntryWithoutItsBalance_IsCaught() async throws {
        let f = try await settledMarket()
        let client = try #require(try await f.db.pool.query("SELECT id FROM accounts WHERE kind = 'client'").first).decode("id", as: UUID.self)
        // Triggers off: no stamp, no balance change, no transaction id, no link.
        try await tamper(f, """
            INSERT INTO ledger_entries (id, debit_account, credit_account, amount, kind)
            VALUES (nextval('ledger_entries_id_seq'), '\(f.market.platform.external)', '\(client)', 5, 'deposit')
            """)
        let report = try await f.market.verifyLedger()
        #expect(!report.isIntact)
        #expect(report.chainBreaks.count == 1)
        #expect(report.replayMismatches.count == 2)
    }

    @Test func sweeperSealsWhatTheMarketWrote() async throws {
        let f = try await MarketFixture.make()
        _ = try await f.client(funds: 100_000)
        let before = try #require(try await f.db.pool.query("SELECT count(*) AS n FROM ledger_chain").first).decode("n", as: Int.self)
        #expect(try await f.market.sealLedger() >= 1)
        let after = try #require(try await f.db.pool.query("SELECT count(*) AS n FROM ledger_chain").first).decode("n", as: Int.self)
        let entries = try #require(try await f.db.pool.query("SELECT count(*) AS n FROM ledger_entries").first).decode("n", as: Int.self)
        #expect(after > before && after == entries)
        #expect(try await f.market.sealLedger() == 0)
    }
}
