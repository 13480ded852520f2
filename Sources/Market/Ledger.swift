import Foundation
import Postgres

/// The money an entry moves from and to: an account's `available` or `held` bucket.
public enum Bucket: String, Sendable, Codable {
    /// Free money.
    case available
    /// Escrow or stake.
    case held
}

/// What an entry is for; stable names stored in `ledger_entries.kind`.
public enum EntryKind: String, Sendable, Codable, CaseIterable {
    /// external → client or worker, available.
    case deposit
    /// client available → client held, when a job is created.
    case escrowHold = "escrow_hold"
    /// client held → client available: the unspent escrow (cancel, expiry, settlement).
    case escrowRefund = "escrow_refund"
    /// client held → worker available: the price minus the fee.
    case payment
    /// client held → platform_fees available.
    case fee
    /// worker available → worker held, when a lock is taken.
    case stakeHold = "stake_hold"
    /// worker held → worker available: the stake back (settlement, or the unpenalised part of a release).
    case stakeRelease = "stake_release"
    /// worker held → client available: the client's share of a slashed stake.
    case slashToClient = "slash_to_client"
    /// worker held → platform_slashed available: the platform's share.
    case slashToPlatform = "slash_to_platform"
}

/// One row of the ledger.
public struct LedgerEntry: Sendable, Codable, Equatable {
    /// Position in the chain.
    public let id: Int64
    /// When it was appended.
    public let at: Date
    /// Paid from.
    public let debitAccount: UUID
    /// Paid from this bucket.
    public let debitBucket: Bucket
    /// Paid to.
    public let creditAccount: UUID
    /// Paid into this bucket.
    public let creditBucket: Bucket
    /// Micro-credits, > 0.
    public let amount: Int64
    /// Why.
    public let kind: EntryKind
    /// The job, if any.
    public let jobID: UUID?
    /// The job's attempt (lock round), if any.
    public let jobAttempt: Int?
    /// A caller's reference (a deposit's idempotency key).
    public let reference: String?
    /// Its place in the hash chain (`ledger_chain.position`, from 1), once the sealer has
    /// chained it; nil while its transaction may still be running, and in an append's answer.
    public let chainPosition: Int64?

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        at = try row.decode("at")
        debitAccount = try row.decode("debit_account")
        debitBucket = Bucket(rawValue: try row.decode("debit_bucket")) ?? .available
        creditAccount = try row.decode("credit_account")
        creditBucket = Bucket(rawValue: try row.decode("credit_bucket")) ?? .available
        amount = try row.decode("amount")
        kind = try EntryKind(rawValue: row.decode("kind")).orThrow("unknown ledger kind")
        jobID = try row.decode("job_id")
        jobAttempt = try row.decode("job_attempt")
        reference = try row.decode("reference")
        chainPosition = row.isNull("chain_position") ? nil : try row.decode("chain_position", as: Int64.self)
    }
}

/// One transfer to append (the ledger fills in id, time and hashes).
struct Transfer {
    var from: UUID
    var fromBucket: Bucket = .available
    var to: UUID
    var toBucket: Bucket = .available
    var amount: Int64
    var kind: EntryKind
    var jobID: UUID? = nil
    var attempt: Int? = nil
    var reference: String? = nil
}

enum Ledger {
    /// Appends transfers in order, in one statement, skipping zero amounts (the schema requires
    /// amount > 0). The triggers stamp each entry and apply it to `balances`; the sealer chains it
    /// once the transaction has ended. Called last in a transaction, so the balance rows it
    /// locks (a busy client's, `platform_fees`) are held for the shortest time.
    @discardableResult
    static func append(_ transfers: [Transfer], on c: PostgresConnection) async throws -> [LedgerEntry] {
        guard let insert = insertion(transfers) else { return [] }
        return try entries(try await c.query(insert.statement.sql, insert.statement.parameters), expected: insert.count)
    }

    /// A transition's last writes (`statements`, whose results are not needed), then its
    /// transfers, all in one pipeline (one round trip). With `commit`, COMMIT goes with them
    /// (locks the transfers take, busy balance rows, are held only while the server works) and
    /// nothing may be sent on `c` after; without it the transaction goes on.
    @discardableResult
    static func write(_ statements: [PostgresStatement], _ transfers: [Transfer], on c: PostgresConnection,
                      commit: Bool) async throws -> [LedgerEntry] {
        let insert = insertion(transfers)
        let sent = statements + (insert.map { [$0.statement] } ?? [])
        guard commit || !sent.isEmpty else { return [] }
        let results = commit ? try await c.queryAndCommit(sent) : try await c.query(sent)
        guard let insert, let last = results.last else { return [] }
        return try entries(last, expected: insert.count)
    }

    /// `write`, for statements whose results are needed: returns them, in order (the entries
    /// are checked as `write` checks them).
    static func write(results statements: [PostgresStatement], _ transfers: [Transfer], on c: PostgresConnection,
                      commit: Bool) async throws -> [PostgresResult] {
        let insert = insertion(transfers)
        let sent = statements + (insert.map { [$0.statement] } ?? [])
        guard commit || !sent.isEmpty else { return [] }
        let results = commit ? try await c.queryAndCommit(sent) : try await c.query(sent)
        if let insert, let last = results.last { _ = try entries(last, expected: insert.count) }
        return Array(results.prefix(statements.count))
    }

    /// The insert for the transfers that move money; nil if none does.
    private static func insertion(_ transfers: [Transfer]) -> (statement: PostgresStatement, count: Int)? {
        let moving = transfers.filter { $0.amount > 0 }
        guard !moving.isEmpty else { return nil }
        return (PostgresStatement(LedgerQueries.ledgerInsert.sql, [
            .array(moving.map { $0.from.uuidString }), .array(moving.map { $0.fromBucket.rawValue }),
            .array(moving.map { $0.to.uuidString }), .array(moving.map { $0.toBucket.rawValue }),
            .array(moving.map { String($0.amount) }), .array(moving.map { $0.kind.rawValue }),
            .array(moving.map { $0.jobID?.uuidString }), .array(moving.map { $0.attempt.map(String.init) }),
            .array(moving.map { $0.reference }),
        ]), moving.count)
    }

    private static func entries(_ result: PostgresResult, expected count: Int) throws -> [LedgerEntry] {
        let entries = try result.rows.map(LedgerEntry.init(row:)).sorted { $0.id < $1.id }
        guard entries.count == count else {
            throw PostgresError(.decoding, "the ledger stored \(entries.count) entries, not the number sent")
        }
        return entries
    }

    /// Seals final entries into the hash chain until none are left or `rounds` batches were
    /// chained. With `wait`, waits for another sealer to finish instead of leaving the work to it.
    /// Each batch is its own transaction. Returns the number of entries chained.
    @discardableResult
    static func seal(pool: ConnectionPool, wait: Bool, batch: Int = 2_000, rounds: Int = 50) async throws -> Int {
        var total = 0
        for _ in 0..<rounds {
            let sealed = try await pool.transaction { c in
                try await c.run(LedgerQueries.ledgerSeal, [.int(Int64(batch)), .bool(wait)]).first?.decode("sealed", as: Int.self) ?? 0
            }
            total += sealed
            if sealed < batch { break }
        }
        return total
    }
}

/// What the auditor found. `isIntact` is true only if all four checks pass.
public struct LedgerReport: Sendable, Codable, Equatable {
    /// Sum of every account's available + held: must be 0 (money is neither created nor lost).
    public let balanceSum: Int64
    /// Non-external accounts with a negative bucket: must be 0.
    public let negativeAccounts: Int
    /// Accounts whose stored balance differs from replaying every entry from zero.
    public let replayMismatches: [UUID]
    /// Entries where the hash chain breaks (the first 20): a link that does not recompute, a
    /// gap or repeat in the chain, or a final entry the sealer has not chained.
    public let chainBreaks: [Int64]
    /// Entries checked.
    public let entries: Int64
    /// Entries whose transactions were still running when the audit sealed the chain: they are
    /// checked by the next audit. Not a fault.
    public let unsealed: Int64

    /// All four invariants hold.
    public var isIntact: Bool {
        balanceSum == 0 && negativeAccounts == 0 && replayMismatches.isEmpty && chainBreaks.isEmpty
    }
}

/// The money held by one kind of account, summed over its accounts.
public struct LedgerTotal: Sendable, Codable, Equatable {
    /// `client`, `worker`, `platform_fees`, `platform_slashed`, `external`, `admin`.
    public let accountKind: String
    /// Accounts of this kind.
    public let accounts: Int64
    /// Their available money (negative for `external`: everything ever deposited).
    public let available: Int64
    /// Their held money (escrow for clients, stakes for workers).
    public let held: Int64
}

/// The ledger at a glance, for monitoring.
public struct LedgerTotals: Sendable, Codable, Equatable {
    /// Per kind of account; together they sum to zero.
    public let byAccountKind: [LedgerTotal]
    /// Entries in the hash chain.
    public let sealedEntries: Int64
}

/// A deposit's result.
public struct Deposit: Sendable, Codable, Equatable {
    /// The ledger entry that moved the money.
    public let entryID: Int64
    /// The account credited.
    public let accountID: UUID
    /// Micro-credits deposited.
    public let amount: Int64
}

/// A page of ledger entries.
public struct LedgerPage: Sendable, Codable {
    /// The entries, oldest first.
    public let entries: [LedgerEntry]
    /// Pass as `after` for the next page; nil at the end.
    public let nextCursor: Int64?
}

extension Market {
    /// Credits `amount` micro-credits to a client or worker account from `external`.
    /// With `idempotencyKey`, a repeat returns the first deposit and moves nothing.
    public func deposit(by principal: Principal, to accountID: UUID, amount: Int64,
                        idempotencyKey: String? = nil) async throws -> Deposit {
        try principal.require(.admin)
        guard amount > 0, amount <= configuration.amountMicrosMax else {
            throw MarketError(.invalidRequest, "a deposit is 1 to \(configuration.amountMicrosMax) micro-credits")
        }
        let target = try await account(accountID)
        guard target.kind == .client || target.kind == .worker else {
            throw MarketError(.invalidRequest, "deposits go to client or worker accounts, not \(target.kind.rawValue)")
        }
        struct Request: Encodable { let op = "deposit"; let account: UUID; let amount: Int64 }
        return try await idempotent(account: principal.accountID, key: idempotencyKey,
                                    request: Request(account: accountID, amount: amount)) { c in
            let entries = try await Ledger.append([Transfer(
                from: self.platform.external, to: accountID, amount: amount, kind: .deposit,
                reference: idempotencyKey.map { "\(principal.accountID)/\($0)" })], on: c)
            return Deposit(entryID: entries[0].id, accountID: accountID, amount: amount)
        }
    }

    /// A page of ledger entries after `after` (an entry id), for one account, job or kind of
    /// entry if given, each with its chain position once sealed.
    public func ledger(account: UUID? = nil, job: UUID? = nil, kind: EntryKind? = nil, after: Int64 = 0,
                       limit: Int = 100) async throws -> LedgerPage {
        let limit = max(1, min(limit, configuration.pageItemsMax))
        let rows = try await pool.query(LedgerQueries.ledgerList.sql, [
            account.map { .uuid($0) } ?? .null, job.map { .uuid($0) } ?? .null, .int(after), .int(Int64(limit) + 1),
            kind.map { .text($0.rawValue) } ?? .null,
        ]).rows
        let entries = try rows.prefix(limit).map(LedgerEntry.init(row:))
        return LedgerPage(entries: entries, nextCursor: rows.count > limit ? entries.last?.id : nil)
    }

    /// Audits the whole ledger: balances sum to zero, none negative outside `external`,
    /// replaying every entry reproduces every balance, and the hash chain is intact. It first
    /// seals every entry whose transaction has ended, so that all of them are checked.
    public func verifyLedger() async throws -> LedgerReport {
        let bound = try await pool.query(LedgerQueries.ledgerSealBound.sql).first.orThrow("no seal bound")
            .decode("bound", as: String.self)
        try await Ledger.seal(pool: pool, wait: true, rounds: .max)
        return try await pool.transaction(.repeatableRead) { c in
            let totals = try await c.run(LedgerQueries.ledgerVerifyTotals, [.text(bound)]).first.orThrow("no totals")
            let replay = try await c.run(LedgerQueries.ledgerVerifyReplay).rows.map { try $0.decode("account_id", as: UUID.self) }
            let chain = try await c.run(LedgerQueries.ledgerVerifyChain, [.text(bound)]).rows.map { try $0.decode("id", as: Int64.self) }
            return LedgerReport(balanceSum: try totals.decode("total"), negativeAccounts: try totals.decode("negative"),
                                replayMismatches: replay, chainBreaks: chain, entries: try totals.decode("entries"),
                                unsealed: try totals.decode("unsealed"))
        }
    }

    /// Balances summed by kind of account, and the length of the chain (cheap: no ledger scan).
    public func ledgerTotals() async throws -> LedgerTotals {
        let rows = try await pool.query(LedgerQueries.ledgerTotals.sql).rows
        return LedgerTotals(
            byAccountKind: try rows.map {
                LedgerTotal(accountKind: try $0.decode("kind"), accounts: try $0.decode("accounts"),
                            available: try $0.decode("available"), held: try $0.decode("held"))
            },
            sealedEntries: try rows.first?.decode("sealed", as: Int64.self) ?? 0)
    }

    /// Chains the entries of finished transactions (the sweeper calls this on every pass; the
    /// auditor before it checks). Returns how many were chained.
    @discardableResult
    public func sealLedger() async throws -> Int {
        try await Ledger.seal(pool: pool, wait: false)
    }
}
