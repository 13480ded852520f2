import Foundation
import Postgres

extension Market {
    /// The longest `Idempotency-Key` accepted (the schema's CHECK says the same).
    static let idempotencyKeyBytesMax = 200

    /// Runs `body` at most once per (`account`, `key`): the key is claimed first in the same
    /// transaction, so a concurrent duplicate waits for this one and then replays its answer.
    /// A key reused for a different request is `idempotency_key_reused`. If `body` fails the
    /// claim rolls back with it, and the key may be used again. Without a key, `body` just runs.
    func idempotent<T: Codable & Sendable>(account: UUID, key: String?, request: some Encodable,
                                          paying what: String = "this",
                                          _ body: @escaping (PostgresConnection) async throws -> T) async throws -> T {
        guard let key else { return try await transaction(paying: what, body) }
        guard (1...Self.idempotencyKeyBytesMax).contains(key.utf8.count) else {
            throw MarketError(.invalidRequest, "Idempotency-Key must be 1 to \(Self.idempotencyKeyBytesMax) bytes")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let requestHash = Crypto.sha256(Array(try encoder.encode(request)))
        let now = clock.now()
        return try await transaction(paying: what) { c in
            let claimed = try await c.run(IdempotencyQueries.idempotencyClaim,
                                          [.uuid(account), .text(key), .bytea(requestHash), .timestamp(now)])
            if claimed.rows.isEmpty {
                let row = try await c.run(IdempotencyQueries.idempotencyFind, [.uuid(account), .text(key)]).first
                    .orThrow("idempotency key vanished")
                guard Crypto.constantTimeEqual(try row.decode("request_hash"), requestHash) else {
                    throw MarketError(.idempotencyKeyReused,
                                      "Idempotency-Key '\(key)' was used before for a different request")
                }
                return try JSONDecoder().decode(T.self, from: Data(try row.decode("response_body", as: [UInt8].self)))
            }
            let value = try await body(c)
            try await c.run(IdempotencyQueries.idempotencyComplete,
                            [.uuid(account), .text(key), .int(200), .bytea(Array(try JSONEncoder().encode(value)))])
            return value
        }
    }
}
