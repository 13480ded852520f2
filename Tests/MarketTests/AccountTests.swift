import Foundation
import Market
import Postgres
import Testing
import TestSupport

@Suite struct AccountTests {
    @Test func issuedKey_AuthenticatesWithItsRoleAndIsStoredOnlyAsDigest() async throws {
        let f = try await MarketFixture.make()
        let account = try await f.market.createAccount(kind: .client, owner: "alice")
        let issued = try await f.market.issueKey(accountID: account.id, role: .client)
        #expect(issued.key.hasPrefix("pm_") && issued.key.count == 46)
        let principal = try await f.market.authenticate(key: issued.key)
        #expect(principal == Principal(keyID: issued.id, accountID: account.id, role: .client))
        let stored = try await f.db.pool.query("SELECT key_hash, key_prefix FROM api_keys WHERE id = $1", [.uuid(issued.id)]).rows
        #expect(stored.count == 1)
        let hash = try stored[0].decode("key_hash", as: [UInt8].self)
        #expect(hash.count == 32 && hash != Array(issued.key.utf8))
        // No column anywhere holds the key text.
        let leaked = try await f.db.pool.query("SELECT count(*) AS n FROM api_keys WHERE position($1 in key_prefix) > 0",
                                               [.text(issued.key)]).first?.decode("n", as: Int.self)
        #expect(leaked == 0)
    }

    @Test func unknownMalformedAndRevokedKeys_AreRefused() async throws {
        let f = try await MarketFixture.make()
        let account = try await f.market.createAccount(kind: .worker, owner: "bob")
        let issued = try await f.market.issueKey(accountID: account.id, role: .worker)
        #expect(await f.code { try await f.market.authenticate(key: "pm_" + String(repeating: "A", count: 43)) } == .unauthenticated)
        #expect(await f.code { try await f.market.authenticate(key: "") } == .unauthenticated)
        #expect(await f.code { try await f.market.authenticate(key: "pm_" + String(repeating: "x", count: 10_000)) } == .unauthenticated)
        var tampered = Array(issued.key)
        tampered[10] = tampered[10] == "a" ? "b" : "a"
        #expect(await f.code { try await f.market.authenticate(key: String(tampered)) } == .unauthenticated)
        #expect(try await f.market.revokeKey(issued.id))
        #expect(try await f.market.revokeKey(issued.id) == false)
        #expect(await f.code { try await f.market.authenticate(key: issued.key) } == .keyRevoked)
        try await f.expectLedgerIntact()
    }

    /// A key in use is remembered for a short while (no lookup a request); a revocation
    /// through the market still refuses it at once, and one made by another coordinator on
    /// the same database once the remembered authentication has lapsed.
    @Test func rememberedKeys_AreRefusedOnceRevoked() async throws {
        var configuration = MarketConfiguration()
        configuration.authenticationCacheSeconds = 0.2
        let f = try await MarketFixture.make(configuration: configuration)
        let account = try await f.market.createAccount(kind: .worker, owner: "dora")
        let here = try await f.market.issueKey(accountID: account.id, role: .worker)
        let elsewhere = try await f.market.issueKey(accountID: account.id, role: .worker)
        for _ in 0..<3 {
            #expect(try await f.market.authenticate(key: here.key).keyID == here.id)
            #expect(try await f.market.authenticate(key: elsewhere.key).keyID == elsewhere.id)
        }
        #expect(try await f.market.revokeKey(here.id))
        #expect(await f.code { try await f.market.authenticate(key: here.key) } == .keyRevoked)

        let other = try await Market.open(pool: f.db.pool, configuration: configuration, clock: f.clock,
                                          verifier: InferenceProofVerifier())
        #expect(try await other.revokeKey(elsewhere.id))
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(await f.code { try await f.market.authenticate(key: elsewhere.key) } == .keyRevoked)
        #expect(await f.code { try await other.authenticate(key: elsewhere.key) } == .keyRevoked)
    }

    @Test func keyRole_MustMatchAccountKind() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.market.createAccount(kind: .client, owner: "carol")
        #expect(await f.code { try await f.market.issueKey(accountID: client.id, role: .worker) } == .roleMismatch)
        #expect(await f.code { try await f.market.issueKey(accountID: client.id, role: .admin) } == .roleMismatch)
        #expect(await f.code { try await f.market.issueKey(accountID: UUID(), role: .client) } == .unknownAccount)
        #expect(await f.code { try await f.market.createAccount(kind: .external, owner: "x") } == .invalidRequest)
        #expect(await f.code { try await f.market.createAccount(kind: .client, owner: "  ") } == .invalidRequest)
    }

    @Test func bootstrap_MakesOneAdminUnlessForced() async throws {
        let f = try await MarketFixture.make()   // has bootstrapped once already
        #expect(f.admin.role == .admin)
        #expect(await f.code { try await f.market.bootstrapAdmin() } == .adminExists)
        let second = try await f.market.bootstrapAdmin(force: true)
        #expect(try await f.market.authenticate(key: second.key).role == .admin)
        // Once every admin key is revoked, bootstrap works again (the way back in).
        try await f.market.revokeKey(f.admin.keyID)
        try await f.market.revokeKey(second.id)
        let third = try await f.market.bootstrapAdmin()
        #expect(try await f.market.authenticate(key: third.key).role == .admin)
    }

    @Test func deposit_IsAdminOnlyIdempotentAndBounded() async throws {
        let f = try await MarketFixture.make()
        let client = try await f.client(funds: 0)
        let first = try await f.market.deposit(by: f.admin, to: client.accountID, amount: 7_000, idempotencyKey: "dep-1")
        let replay = try await f.market.deposit(by: f.admin, to: client.accountID, amount: 7_000, idempotencyKey: "dep-1")
        #expect(first == replay)
        #expect(try await f.balance(client) == Balance(available: 7_000, held: 0))
        #expect(await f.code { try await f.market.deposit(by: f.admin, to: client.accountID, amount: 8_000, idempotencyKey: "dep-1") } == .idempotencyKeyReused)
        #expect(await f.code { try await f.market.deposit(by: client, to: client.accountID, amount: 1) } == .forbidden)
        #expect(await f.code { try await f.market.deposit(by: f.admin, to: client.accountID, amount: 0) } == .invalidRequest)
        #expect(await f.code { try await f.market.deposit(by: f.admin, to: client.accountID, amount: -5) } == .invalidRequest)
        #expect(await f.code { try await f.market.deposit(by: f.admin, to: client.accountID, amount: Int64.max) } == .invalidRequest)
        #expect(await f.code { try await f.market.deposit(by: f.admin, to: f.market.platform.fees, amount: 5) } == .invalidRequest)
        #expect(await f.code { try await f.market.deposit(by: f.admin, to: client.accountID, amount: 5, idempotencyKey: String(repeating: "k", count: 201)) } == .invalidRequest)
        #expect(try await f.balance(client) == Balance(available: 7_000, held: 0))
        #expect(try await f.balance(f.market.platform.external).available == -7_000)
        try await f.expectLedgerIntact()
    }

    @Test func concurrentDepositsWithOneKey_MoveMoneyOnce() async throws {
        // Twelve deposits on a pool of eight: on a loaded full run a connection has been seen
        // to take over 10 s to come free; the test is about money moving once, not about speed.
        var limits = ConnectionPool.Limits()
        limits.acquireTimeoutSeconds = 120
        let f = try await MarketFixture.make(limits: limits)
        let client = try await f.client(funds: 0)
        let results = try await withThrowingTaskGroup(of: Deposit.self) { group in
            for _ in 0..<12 {
                group.addTask { try await f.market.deposit(by: f.admin, to: client.accountID, amount: 500, idempotencyKey: "same") }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.entryID)).count == 1)
        #expect(try await f.balance(client).available == 500)
        try await f.expectLedgerIntact()
    }
}
