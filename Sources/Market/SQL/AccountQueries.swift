/// The `accounts` table: who holds money.
enum AccountQueries {
    static let columns = "id, kind, owner, created_at"

    /// A new account; its balance row is created by the `accounts_open_balance` trigger.
    static let accountInsert = NamedQuery("AccountInsert", """
        INSERT INTO accounts (kind, owner, created_at) VALUES ($1, $2, $3) RETURNING \(columns)
        """)
    static let accountByID = NamedQuery("AccountByID", "SELECT \(columns) FROM accounts WHERE id = $1")
    /// One of the platform's own accounts (`external`, `platform_fees`, `platform_slashed`), created by migration 0002.
    static let accountPlatform = NamedQuery("AccountPlatform", "SELECT id FROM accounts WHERE kind = $1")

    static let all = [accountInsert, accountByID, accountPlatform]
}

/// The `balances` table, read-only here: the ledger trigger is its only writer.
enum BalanceQueries {
    static let balanceByAccount = NamedQuery("BalanceByAccount", """
        SELECT available, held FROM balances WHERE account_id = $1
        """)
    static let all = [balanceByAccount]
}

/// The `api_keys` table: only SHA-256 digests of keys are stored.
enum APIKeyQueries {
    static let apiKeyInsert = NamedQuery("APIKeyInsert", """
        INSERT INTO api_keys (account_id, role, key_hash, key_prefix, created_at)
        VALUES ($1, $2, $3, $4, $5) RETURNING id
        """)
    static let apiKeyByHash = NamedQuery("APIKeyByHash", """
        SELECT k.id, k.account_id, k.role, k.key_hash, k.revoked_at, a.kind
        FROM api_keys k JOIN accounts a ON a.id = k.account_id
        WHERE k.key_hash = $1
        """)
    static let apiKeyRevoke = NamedQuery("APIKeyRevoke", """
        UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
        """)
    static let apiKeyActiveAdminExists = NamedQuery("APIKeyActiveAdminExists", """
        SELECT EXISTS (SELECT 1 FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL) AS present
        """)
    /// Serialises `admin bootstrap` runs, so two at once cannot both make the first admin.
    static let apiKeyBootstrapLock = NamedQuery("APIKeyBootstrapLock", "SELECT pg_advisory_xact_lock(7078041502)")

    static let all = [apiKeyInsert, apiKeyByHash, apiKeyRevoke, apiKeyActiveAdminExists, apiKeyBootstrapLock]
}

/// The `idempotency_keys` table: one remembered answer per account and `Idempotency-Key`.
enum IdempotencyQueries {
    /// Claims the key first, so a concurrent duplicate waits for this transaction and then finds the answer.
    static let idempotencyClaim = NamedQuery("IdempotencyClaim", """
        INSERT INTO idempotency_keys (account_id, key, request_hash, response_status, response_body, created_at)
        VALUES ($1, $2, $3, 0, '\\x'::bytea, $4)
        ON CONFLICT (account_id, key) DO NOTHING
        RETURNING key
        """)
    static let idempotencyFind = NamedQuery("IdempotencyFind", """
        SELECT request_hash, response_status, response_body FROM idempotency_keys
        WHERE account_id = $1 AND key = $2
        """)
    static let idempotencyComplete = NamedQuery("IdempotencyComplete", """
        UPDATE idempotency_keys SET response_status = $3, response_body = $4
        WHERE account_id = $1 AND key = $2
        """)
    static let all = [idempotencyClaim, idempotencyFind, idempotencyComplete]
}

/// The `coordinator_key` table: the single receipt-signing key.
enum CoordinatorKeyQueries {
    static let coordinatorKeyInsert = NamedQuery("CoordinatorKeyInsert", """
        INSERT INTO coordinator_key (private_key, public_key) VALUES ($1, $2) ON CONFLICT (singleton) DO NOTHING
        """)
    static let coordinatorKey = NamedQuery("CoordinatorKey", "SELECT private_key, public_key FROM coordinator_key")
    static let all = [coordinatorKeyInsert, coordinatorKey]
}
