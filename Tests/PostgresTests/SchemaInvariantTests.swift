import Foundation
import Postgres
import Testing
import TestSupport

/// The invariants of the first migration, enforced by the database itself.
@Suite struct SchemaInvariantTests {
    private func account(_ db: TestDatabase, _ kind: String) async throws -> UUID {
        // Migration 0002 creates the platform accounts (external, fees, slashed) once; reuse them.
        let row = try #require(try await db.pool.query("""
            WITH made AS (
                INSERT INTO accounts (kind, owner) VALUES ($1, 'test')
                ON CONFLICT (kind) WHERE kind IN ('platform_fees', 'platform_slashed', 'external') DO NOTHING
                RETURNING id)
            SELECT id FROM made UNION ALL SELECT id FROM accounts WHERE kind = $1 AND NOT EXISTS (SELECT 1 FROM made)
            """, [.text(kind)]).first)
        return try row.decode("id")
    }

    private func transfer(_ db: TestDatabase, from: UUID, to: UUID, amount: Int64, kind: String = "deposit",
                          fromBucket: String = "available", toBucket: String = "available") async throws {
        try await db.pool.query("""
            INSERT INTO ledger_entries (debit_account, debit_bucket, credit_account, credit_bucket, amount, kind)
            VALUES ($1, $2, $3, $4, $5, $6)
            """, [.uuid(from), .text(fromBucket), .uuid(to), .text(toBucket), .int(amount), .text(kind)])
    }

    @Test func ledgerEntries_ApplyToBalancesAndChainHashes() async throws {
        let db = try await TestDatabase.make()
        let external = try await account(db, "external")
        let client = try await account(db, "client")
        try await transfer(db, from: external, to: client, amount: 5_000_000)
        try await transfer(db, from: client, to: client, amount: 1_200_000, kind: "escrow_hold", toBucket: "held")
        let balance = try #require(try await db.pool.query("SELECT available, held FROM balances WHERE account_id = $1", [.uuid(client)]).first)
        #expect(try balance.decode("available", as: Int64.self) == 3_800_000)
        #expect(try balance.decode("held", as: Int64.self) == 1_200_000)
        let total = try #require(try await db.pool.query("SELECT sum(available + held)::bigint AS s FROM balances").first)
        #expect(try total.decode("s", as: Int64.self) == 0)
        // The chain: the sealer links both entries; each link's prev_hash is the previous link's
        // hash, and each hash recomputes from its entry.
        #expect(try await seal(db) == 2)
        #expect(try await seal(db) == 0)
        let rows = try await chain(db)
        #expect(rows.count == 2)
        #expect(rows.map(\.position) == [1, 2])
        #expect(rows[0].prevHash == [UInt8](repeating: 0, count: 32))
        #expect(rows[1].prevHash == rows[0].hash)
        #expect(rows.allSatisfy { $0.recomputes })
    }

    private func seal(_ db: TestDatabase, wait: Bool = true) async throws -> Int {
        try await db.pool.transaction { c in
            try #require(try await c.query("SELECT ledger_seal(100, $1) AS n", [.bool(wait)]).first).decode("n", as: Int.self)
        }
    }

    private struct Link { let position: Int64; let entry: Int64; let prevHash: [UInt8]; let hash: [UInt8]; let recomputes: Bool }

    private func chain(_ db: TestDatabase) async throws -> [Link] {
        try await db.pool.query("""
            SELECT c.position, c.entry_id, c.prev_hash, c.hash, ledger_entry_digest(c.prev_hash, e) = c.hash AS recomputes
            FROM ledger_chain c JOIN ledger_entries e ON e.id = c.entry_id ORDER BY c.position
            """).rows.map {
            Link(position: try $0.decode("position"), entry: try $0.decode("entry_id"), prevHash: try $0.decode("prev_hash"),
                 hash: try $0.decode("hash"), recomputes: try $0.decode("recomputes"))
        }
    }

    @Test func ledgerSeal_ChainsOnlyEntriesOfFinishedTransactions_InTransactionOrder() async throws {
        let db = try await TestDatabase.make()
        let external = try await account(db, "external")
        let first = try await account(db, "client")
        let second = try await account(db, "client")
        try await transfer(db, from: external, to: first, amount: 1_000)
        try await transfer(db, from: external, to: second, amount: 1_000)
        #expect(try await seal(db) == 2)
        // A transaction that stays open while a later one commits (each moves money within its
        // own account, so neither waits for the other's balance row): neither is sealed while
        // the first runs, since the later one's place in the chain comes after the first's.
        let open = try await PostgresConnection.connect(db.configuration)
        defer { open.close() }
        let hold = "INSERT INTO ledger_entries (debit_account, credit_account, credit_bucket, amount, kind) VALUES ($1, $1, 'held', $2, 'escrow_hold')"
        try await open.query("BEGIN")
        try await open.query(hold, [.uuid(first), .int(10)])
        let early = try #require(try await open.query("SELECT max(id) AS id FROM ledger_entries").first).decode("id", as: Int64.self)
        try await db.pool.query(hold, [.uuid(second), .int(20)])
        #expect(try await seal(db) == 0)
        #expect(try await db.pool.query("SELECT count(*) AS n FROM ledger_entries").first?.decode("n", as: Int.self) == 3)
        try await open.query("COMMIT")
        #expect(try await seal(db) == 2)
        let rows = try await chain(db)
        #expect(rows.map(\.position) == [1, 2, 3, 4])
        // The open transaction began (and took its transaction id) first, so it is chained first,
        // although it committed last.
        #expect(rows[2].entry == early)
        #expect(rows[2].prevHash == rows[1].hash && rows[3].prevHash == rows[2].hash)
        #expect(rows.allSatisfy { $0.recomputes })
        // Rolled-back entries leave no gap in the chain.
        try await open.query("BEGIN")
        try await open.query(hold, [.uuid(first), .int(30)])
        try await open.query("ROLLBACK")
        try await db.pool.query(hold, [.uuid(second), .int(40)])
        #expect(try await seal(db) == 1)
        #expect(try await chain(db).map(\.position) == [1, 2, 3, 4, 5])
    }

    @Test func ledgerSeal_WithoutWaiting_LeavesTheWorkToTheRunningSealer() async throws {
        let db = try await TestDatabase.make()
        let external = try await account(db, "external")
        let client = try await account(db, "client")
        try await transfer(db, from: external, to: client, amount: 1_000)
        let other = try await PostgresConnection.connect(db.configuration)
        defer { other.close() }
        try await other.query("BEGIN")
        #expect(try await other.query("SELECT ledger_seal(100, false) AS n").first?.decode("n", as: Int.self) == 1)
        #expect(try await seal(db, wait: false) == 0)   // the other sealer holds the turn
        try await other.query("COMMIT")
        #expect(try await seal(db, wait: false) == 0)   // and it did the work
        #expect(try await chain(db).count == 1)
    }

    /// Each statement is refused by an append-only trigger.
    private func expectAppendOnly(_ db: TestDatabase, _ statements: [String],
                                  sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for sql in statements {
            do {
                try await db.pool.query(sql)
                Issue.record("\(sql) was accepted", sourceLocation: sourceLocation)
            } catch let error as PostgresError {
                #expect(error.sqlState == "23001", sourceLocation: sourceLocation)
                #expect(error.message.contains("append-only"), sourceLocation: sourceLocation)
            }
        }
    }

    @Test func ledgerChain_IsAppendOnly() async throws {
        let db = try await TestDatabase.make()
        let external = try await account(db, "external")
        let client = try await account(db, "client")
        try await transfer(db, from: external, to: client, amount: 100)
        #expect(try await seal(db) == 1)
        try await expectAppendOnly(db, ["UPDATE ledger_chain SET position = 7", "DELETE FROM ledger_chain", "TRUNCATE ledger_chain"])
    }

    @Test func ledgerUpdateAndDelete_AreRefused() async throws {
        let db = try await TestDatabase.make()
        let external = try await account(db, "external")
        let client = try await account(db, "client")
        try await transfer(db, from: external, to: client, amount: 100)
        try await expectAppendOnly(db, ["UPDATE ledger_entries SET amount = 1", "DELETE FROM ledger_entries",
                                        "TRUNCATE ledger_entries CASCADE"])
    }

    @Test func negativeClientBalance_IsRefused() async throws {
        let db = try await TestDatabase.make()
        let external = try await account(db, "external")
        let client = try await account(db, "client")
        let worker = try await account(db, "worker")
        try await transfer(db, from: external, to: client, amount: 100)
        do {
            try await transfer(db, from: client, to: worker, amount: 101, kind: "payment")
            Issue.record("an overdraft was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23514")
            #expect(error.constraint == "balances_non_negative")
        }
        // Nothing moved: neither the entry nor the balances.
        let count = try #require(try await db.pool.query("SELECT count(*) AS n FROM ledger_entries").first)
        #expect(try count.decode("n", as: Int.self) == 1)
        do {
            try await db.pool.query("UPDATE balances SET available = -5 WHERE account_id = $1", [.uuid(worker)])
            Issue.record("a negative balance was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23514")
        }
    }

    @Test func jobLockedWithoutLockFields_IsRefused() async throws {
        let db = try await TestDatabase.make()
        let client = try await account(db, "client")
        try await db.pool.query("""
            INSERT INTO models (id, owner, name, onnx, status) VALUES ('m1', $1, 'digits', '\\x00', 'processing')
            """, [.uuid(client)])
        do {
            try await db.pool.query("""
                INSERT INTO jobs (client_account, model_id, input, auction, min_price, max_price, bidding_start,
                                  lock_timeout_s, lock_stake, fee_bps, escrow, escrowed_max_price, deadline, status)
                VALUES ($1, 'm1', '{}', 'dutch', 1, 10, now(), 60, 5, 100, 10, 10, now() + interval '1 hour', 'locked')
                """, [.uuid(client)])
            Issue.record("a locked job without a lock was accepted")
        } catch let error as PostgresError {
            #expect(error.constraint == "jobs_locked_has_lock")
        }
    }
}
