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
        // The chain: each entry's prev_hash is the previous entry's hash, and each hash recomputes.
        let rows = try await db.pool.query("""
            SELECT id, prev_hash, hash, ledger_entry_digest(prev_hash, e) = hash AS recomputes
            FROM ledger_entries e ORDER BY id
            """).rows
        #expect(rows.count == 2)
        #expect(try rows[0].decode("prev_hash", as: [UInt8].self) == [UInt8](repeating: 0, count: 32))
        #expect(try rows[1].decode("prev_hash", as: [UInt8].self) == rows[0].decode("hash", as: [UInt8].self))
        #expect(try rows.allSatisfy { try $0.decode("recomputes", as: Bool.self) })
    }

    @Test func ledgerUpdateAndDelete_AreRefused() async throws {
        let db = try await TestDatabase.make()
        let external = try await account(db, "external")
        let client = try await account(db, "client")
        try await transfer(db, from: external, to: client, amount: 100)
        for sql in ["UPDATE ledger_entries SET amount = 1", "DELETE FROM ledger_entries", "TRUNCATE ledger_entries CASCADE"] {
            do {
                try await db.pool.query(sql)
                Issue.record("\(sql) was accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == "23001")
                #expect(error.message.contains("append-only"))
            }
        }
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
                                  lock_timeout_s, lock_stake, fee_bps, escrow, deadline, status)
                VALUES ($1, 'm1', '{}', 'dutch', 1, 10, now(), 60, 5, 100, 11, now() + interval '1 hour', 'locked')
                """, [.uuid(client)])
            Issue.record("a locked job without a lock was accepted")
        } catch let error as PostgresError {
            #expect(error.constraint == "jobs_locked_has_lock")
        }
    }
}
