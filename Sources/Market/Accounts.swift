import Foundation
import Postgres

/// What a key may do. Checked by every operation that needs a role.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Posts jobs and pays for them.
    case client
    /// Locks and proves jobs, and is paid for them.
    case worker
    /// Creates accounts and keys, deposits, audits the ledger.
    case admin
}

/// The kind of an account. Only `client`, `worker` and `admin` accounts are created on request;
/// the three platform accounts exist once each (migration 0002).
public enum AccountKind: String, Sendable, Codable, CaseIterable {
    /// A client's money: `available`, and `held` as escrow for its open jobs.
    case client
    /// A worker's money: `available`, and `held` as stake for its locks.
    case worker
    /// An administrator (holds no money in normal operation).
    case admin
    /// Fees taken from payments.
    case platformFees = "platform_fees"
    /// The platform's share of slashed stakes.
    case platformSlashed = "platform_slashed"
    /// The outside world: deposits come from here; the only account allowed to go negative.
    case external
}

/// An account.
public struct Account: Sendable, Codable, Equatable {
    /// The id.
    public let id: UUID
    /// The kind.
    public let kind: AccountKind
    /// A free-form owner label (a name or an e-mail address).
    public let owner: String
    /// When it was created.
    public let createdAt: Date

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        kind = AccountKind(rawValue: try row.decode("kind")) ?? .client
        owner = try row.decode("owner")
        createdAt = try row.decode("created_at")
    }
}

/// An account's money, in micro-credits.
public struct Balance: Sendable, Codable, Equatable {
    /// Free to spend or stake.
    public let available: Int64
    /// Set aside as escrow or stake; still the account's.
    public let held: Int64

    /// A balance.
    public init(available: Int64, held: Int64) {
        self.available = available
        self.held = held
    }
}

/// A key just issued: the only time the key itself is visible.
public struct IssuedKey: Sendable, Codable {
    /// The key's id (for revocation).
    public let id: UUID
    /// The account it acts for.
    public let accountID: UUID
    /// Its role.
    public let role: Role
    /// The key. Only its SHA-256 is stored, so it cannot be shown again.
    public let key: String
}

/// Who is calling: the result of authenticating a key.
public struct Principal: Sendable, Equatable {
    /// The key's id.
    public let keyID: UUID
    /// The account the key acts for.
    public let accountID: UUID
    /// The key's role.
    public let role: Role

    /// Creates a principal (the API builds one only through `Market.authenticate`).
    public init(keyID: UUID, accountID: UUID, role: Role) {
        self.keyID = keyID
        self.accountID = accountID
        self.role = role
    }

    /// Throws `forbidden` unless the principal has one of `roles`.
    public func require(_ roles: Role...) throws {
        guard roles.contains(role) else {
            throw MarketError(.forbidden, "this needs a \(roles.map(\.rawValue).joined(separator: " or ")) key; yours is a \(role.rawValue) key")
        }
    }
}

/// API keys: `pm_` + 43 base64url characters (32 random bytes).
enum APIKey {
    static let prefix = "pm_"
    /// The longest string accepted as a key before hashing (a bound on work per request).
    static let keyBytesMax = 128

    static func generate() -> String {
        let raw = Crypto.randomBytes(32)
        let text = Data(raw).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    static func digest(_ key: String) -> [UInt8] { Crypto.sha256(Array(key.utf8)) }
}

extension Market {
    /// Creates an account of kind `client`, `worker` or `admin`.
    public func createAccount(kind: AccountKind, owner: String) async throws -> Account {
        guard [.client, .worker, .admin].contains(kind) else {
            throw MarketError(.invalidRequest, "only client, worker and admin accounts can be created; \(kind.rawValue) exists once")
        }
        let owner = owner.trimmingCharacters(in: .whitespacesAndNewlines)
        // Counted in Unicode scalars, as the contract's `maxLength` counts.
        guard (1...200).contains(owner.unicodeScalars.count) else {
            throw MarketError(.invalidRequest, "owner must be 1 to 200 characters")
        }
        let row = try await pool.withConnection { c in
            try await c.run(AccountQueries.accountInsert, [.text(kind.rawValue), .text(owner), .timestamp(clock.now())]).first
        }
        return try Account(row: row.orThrow("account insert returned no row"))
    }

    /// The account with this id.
    public func account(_ id: UUID) async throws -> Account {
        guard let row = try await pool.query(AccountQueries.accountByID.sql, [.uuid(id)]).first else {
            throw MarketError(.unknownAccount, "no account \(id)")
        }
        return try Account(row: row)
    }

    /// An account's balance.
    public func balance(of accountID: UUID) async throws -> Balance {
        guard let row = try await pool.query(BalanceQueries.balanceByAccount.sql, [.uuid(accountID)]).first else {
            throw MarketError(.unknownAccount, "no account \(accountID)")
        }
        return Balance(available: try row.decode("available"), held: try row.decode("held"))
    }

    /// Issues a key with `role` for an account whose kind matches the role. The key is returned once.
    public func issueKey(accountID: UUID, role: Role) async throws -> IssuedKey {
        let account = try await account(accountID)
        guard account.kind.rawValue == role.rawValue else {
            throw MarketError(.roleMismatch, "a \(role.rawValue) key needs a \(role.rawValue) account; \(accountID) is a \(account.kind.rawValue) account")
        }
        let key = APIKey.generate()
        let row = try await pool.query(APIKeyQueries.apiKeyInsert.sql, [
            .uuid(accountID), .text(role.rawValue), .bytea(APIKey.digest(key)),
            .text(String(key.prefix(11))), .timestamp(clock.now()),
        ]).first
        return IssuedKey(id: try row.orThrow("key insert returned no row").decode("id"), accountID: accountID, role: role, key: key)
    }

    /// Who holds this key. Unknown keys are `unauthenticated`, revoked ones `key_revoked`.
    ///
    /// The key is looked up by its SHA-256 and the stored digest compared again in constant
    /// time, so neither the lookup nor the comparison reveals how much of a guess was right. A
    /// key found valid is trusted again for `authenticationCacheSeconds` without a lookup
    /// (see `KeyCache`; a revocation through `revokeKey` is immediate).
    public func authenticate(key: String) async throws -> Principal {
        guard key.hasPrefix(APIKey.prefix), key.utf8.count <= APIKey.keyBytesMax else {
            throw MarketError(.unauthenticated, "no valid API key was presented")
        }
        let digest = APIKey.digest(key)
        let (cached, generation) = authenticatedKeys.principal(for: digest)
        if let cached { return cached }
        guard let row = try await pool.query(APIKeyQueries.apiKeyByHash.sql, [.bytea(digest)]).first,
              Crypto.constantTimeEqual(try row.decode("key_hash", as: [UInt8].self), digest) else {
            throw MarketError(.unauthenticated, "no valid API key was presented")
        }
        if try row.decode("revoked_at", as: Date?.self) != nil {
            throw MarketError(.keyRevoked, "this API key was revoked")
        }
        guard let role = Role(rawValue: try row.decode("role")) else {
            throw MarketError(.unauthenticated, "the key has an unknown role")
        }
        let principal = Principal(keyID: try row.decode("id"), accountID: try row.decode("account_id"), role: role)
        authenticatedKeys.keep(principal, for: digest, generation: generation)
        return principal
    }

    /// Revokes a key; revoking twice is harmless. Returns whether this call revoked it.
    @discardableResult
    public func revokeKey(_ keyID: UUID) async throws -> Bool {
        // Emptied before and after: a lookup under way meanwhile keeps nothing, and none made
        // after the revocation finds the key.
        authenticatedKeys.removeAll()
        defer { authenticatedKeys.removeAll() }
        return try await pool.query(APIKeyQueries.apiKeyRevoke.sql, [.uuid(keyID), .timestamp(clock.now())]).affectedRows == 1
    }

    /// Creates the first admin account and key, unless an active admin key already exists
    /// (`force` makes another). Used by `proofmarket admin bootstrap`.
    public func bootstrapAdmin(owner: String = "admin", force: Bool = false) async throws -> IssuedKey {
        let key = APIKey.generate()
        let now = clock.now()
        return try await pool.transaction { c in
            try await c.run(APIKeyQueries.apiKeyBootstrapLock)
            let exists = try await c.run(APIKeyQueries.apiKeyActiveAdminExists).first?.decode("present", as: Bool.self) ?? false
            if exists && !force {
                throw MarketError(.adminExists, "an admin key already exists; use it to create more, or pass --force")
            }
            let account = try Account(row: try await c.run(AccountQueries.accountInsert,
                [.text(AccountKind.admin.rawValue), .text(owner), .timestamp(now)]).first.orThrow("no account row"))
            let id: UUID = try await c.run(APIKeyQueries.apiKeyInsert, [
                .uuid(account.id), .text(Role.admin.rawValue), .bytea(APIKey.digest(key)),
                .text(String(key.prefix(11))), .timestamp(now),
            ]).first.orThrow("no key row").decode("id")
            return IssuedKey(id: id, accountID: account.id, role: .admin, key: key)
        }
    }
}

extension Optional {
    /// The value, or a thrown programmer-visible error (a statement that must return a row did not).
    func orThrow(_ what: String) throws -> Wrapped {
        guard let self else { throw PostgresError(.decoding, what) }
        return self
    }
}
