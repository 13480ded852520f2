import Foundation
import HTTPServer
import Market

extension MarketAPI {
    /// Admin routes: accounts and keys, deposits, the ledger and its audit, statistics; the
    /// read-only views of the dashboard are in `AdminViews`.
    func addAdminRoutes(_ router: Router) {
        router.post("/v1/admin/accounts", bodyBytesMax: limits.jsonBodyBytesMax) { request, _ in
            let p = try await principal(request)
            try p.require(.admin)
            let body = try body(request, as: CreateAccountBody.self)
            guard let kind = AccountKind(rawValue: body.kind), let role = Role(rawValue: body.kind) else {
                throw MarketError(.invalidRequest, "kind must be client, worker or admin")
            }
            let account = try await market.createAccount(kind: kind, owner: body.owner)
            let key = try await market.issueKey(accountID: account.id, role: role)
            struct Created: Encodable { let id: UUID; let kind: String; let owner: String; let apiKey: String; let apiKeyId: UUID }
            return try .json(Created(id: account.id, kind: kind.rawValue, owner: account.owner, apiKey: key.key, apiKeyId: key.id), status: .created)
        }
        router.post("/v1/admin/accounts/{id}/keys", bodyBytesMax: 1024) { request, _ in
            let p = try await principal(request)
            try p.require(.admin)
            let account = try await market.account(try uuid(request, "id", unknown: .unknownAccount))
            guard let role = Role(rawValue: account.kind.rawValue) else { throw MarketError(.roleMismatch, "platform accounts have no keys") }
            let key = try await market.issueKey(accountID: account.id, role: role)
            struct Created: Encodable { let apiKey: String; let apiKeyId: UUID; let role: String }
            return try .json(Created(apiKey: key.key, apiKeyId: key.id, role: role.rawValue), status: .created)
        }
        router.delete("/v1/admin/keys/{id}") { request, _ in
            let p = try await principal(request)
            try p.require(.admin)
            struct Revoked: Encodable { let revoked: Bool }
            return try .json(Revoked(revoked: try await market.revokeKey(try uuid(request, "id", unknown: .unknownAccount))))
        }
        router.get("/v1/admin/accounts/{id}") { request, _ in
            let p = try await principal(request)
            try p.require(.admin)
            let account = try await market.account(try uuid(request, "id", unknown: .unknownAccount))
            let balance = try await market.balance(of: account.id)
            struct View: Encodable { let id: UUID; let kind: String; let owner: String; let available: Int64; let held: Int64 }
            return try .json(View(id: account.id, kind: account.kind.rawValue, owner: account.owner,
                                  available: balance.available, held: balance.held))
        }
        router.post("/v1/admin/accounts/{id}/deposit", bodyBytesMax: 1024) { request, _ in
            let p = try await principal(request)
            let body = try body(request, as: DepositBody.self)
            let d = try await market.deposit(by: p, to: try uuid(request, "id", unknown: .unknownAccount), amount: body.amount,
                                             idempotencyKey: idempotencyKey(request))
            struct View: Encodable { let entryId: Int64; let accountId: UUID; let amount: Int64 }
            return try .json(View(entryId: d.entryID, accountId: d.accountID, amount: d.amount), status: .created)
        }
        router.get("/v1/admin/ledger") { request, _ in
            let p = try await principal(request)
            try p.require(.admin)
            func optionalUUID(_ name: String) throws -> UUID? {
                guard let text = request.query(name) else { return nil }
                guard let id = UUID(uuidString: text) else { throw MarketError(.invalidRequest, "\(name) must be a UUID") }
                return id
            }
            var after: Int64 = 0
            if let text = request.query("cursor") {
                guard let value = Int64(text), value >= 0 else { throw MarketError(.invalidRequest, "cursor is malformed") }
                after = value
            }
            var kind: EntryKind?
            if let text = request.query("kind") {
                guard let value = EntryKind(rawValue: text) else {
                    throw MarketError(.invalidRequest, "kind must be one of \(EntryKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                kind = value
            }
            let page = try await market.ledger(account: try optionalUUID("account"), job: try optionalUUID("job"), kind: kind,
                                               after: after, limit: try limit(request, default: 100))
            struct Entry: Encodable {
                let id: Int64; let at: Date; let debitAccount: UUID; let debitBucket: String; let creditAccount: UUID
                let creditBucket: String; let amount: Int64; let kind: String; let jobId: UUID?; let jobAttempt: Int?; let reference: String?
                let chainPosition: Int64?
            }
            struct Page: Encodable { let entries: [Entry]; let nextCursor: String? }
            return try .json(Page(entries: page.entries.map {
                Entry(id: $0.id, at: $0.at, debitAccount: $0.debitAccount, debitBucket: $0.debitBucket.rawValue,
                      creditAccount: $0.creditAccount, creditBucket: $0.creditBucket.rawValue, amount: $0.amount,
                      kind: $0.kind.rawValue, jobId: $0.jobID, jobAttempt: $0.jobAttempt, reference: $0.reference,
                      chainPosition: $0.chainPosition)
            }, nextCursor: page.nextCursor.map(String.init)))
        }
        router.get("/v1/admin/ledger/verify") { request, _ in
            let p = try await principal(request)
            try p.require(.admin)
            let r = try await market.verifyLedger()
            struct View: Encodable {
                let intact: Bool; let balanceSum: Int64; let negativeAccounts: Int; let replayMismatches: [UUID]
                let chainBreaks: [Int64]; let entries: Int64; let unsealed: Int64
            }
            return try .json(View(intact: r.isIntact, balanceSum: r.balanceSum, negativeAccounts: r.negativeAccounts,
                                  replayMismatches: r.replayMismatches, chainBreaks: r.chainBreaks, entries: r.entries,
                                  unsealed: r.unsealed))
        }
        router.get("/v1/admin/stats") { request, _ in
            let p = try await principal(request)
            return try .json(StatsView(try await market.stats(by: p)))
        }
    }
}
