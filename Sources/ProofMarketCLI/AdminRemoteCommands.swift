import ArgumentParser
import Foundation
import HTTPServer

/// `proofmarket admin accounts create`: a client, worker or admin account with its first key.
struct AdminAccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "accounts", abstract: "Manage accounts.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account; prints its id and its API key (shown once).")
        @OptionGroup var remote: RemoteOptions
        @Option(help: "client, worker or admin.") var kind: String
        @Option(help: "Who the account belongs to.") var owner: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let created: WireCreatedAccount = try await remote.client().call(.post, "/v1/admin/accounts", body: ["kind": kind, "owner": owner])
            if json { return try printJSON(created) }
            print("account  \(created.id.uuidString.lowercased())  (\(created.kind), \(created.owner))")
            print("api key  \(created.apiKey)")
        }
    }
}

/// `proofmarket admin deposit ACCOUNT AMOUNT`: credits an account from outside.
struct AdminDepositCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deposit", abstract: "Credit an account (micro-credits); idempotent with --idempotency-key.")
    @OptionGroup var remote: RemoteOptions
    @Argument(help: "Account id.") var account: String
    @Argument(help: "Amount in micro-credits.") var amount: Int64
    @Option(help: "Makes a retried deposit count once (default: a fresh one).") var idempotencyKey: String?

    func validate() throws { guard amount > 0 else { throw ValidationError("the amount must be positive") } }

    func run() async throws {
        let client = try remote.client()
        _ = try await client.send(.post, "/v1/admin/accounts/\(account)/deposit", body: ["amount": amount],
                                  idempotencyKey: idempotencyKey ?? UUID().uuidString)
        let balance: WireAccountBalance = try await client.call(.get, "/v1/admin/accounts/\(account)")
        print("\(balance.id.uuidString.lowercased())  available \(balance.available) µc, held \(balance.held) µc")
    }
}

/// `proofmarket admin ledger [verify]`: the entries, or the auditor's report.
struct AdminLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "List ledger entries.",
                                                    subcommands: [List.self, Verify.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List ledger entries, oldest first.")
        @OptionGroup var remote: RemoteOptions
        @Option(help: "Entries per page (default: 100).") var limit: Int = 100
        @Option(help: "Cursor from a previous page.") var cursor: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            var path = "/v1/admin/ledger?limit=\(limit)"
            if let cursor { path += "&cursor=\(cursor)" }
            let page: WireLedgerPage = try await remote.client().call(.get, path)
            if json { return try printJSON(page) }
            print("ID      KIND               AMOUNT µc     FROM                 TO                   JOB")
            for e in page.entries {
                print("\(String(e.id).padded(7)) \(e.kind.padded(18)) \(String(e.amount).padded(13)) \((e.debitAccount.short + "/" + e.debitBucket).padded(20)) \((e.creditAccount.short + "/" + e.creditBucket).padded(20)) \(e.jobId?.short ?? "-")")
            }
            if let next = page.nextCursor { print("next page: --cursor \(next)") }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Audit the ledger: zero sum, no overdraft, replay, hash chain. Exit 1 if broken.")
        @OptionGroup var remote: RemoteOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let report: WireLedgerReport = try await remote.client().call(.get, "/v1/admin/ledger/verify")
            if json { try printJSON(report) } else {
                print("ledger \(report.intact ? "INTACT" : "BROKEN"): \(report.entries) entries; balances sum to \(report.balanceSum); \(report.negativeAccounts) negative accounts; \(report.replayMismatches.count) replay mismatches; \(report.chainBreaks.count) chain breaks")
            }
            if !report.intact { throw ExitCode(1) }
        }
    }
}

/// `proofmarket admin stats`: the market at a glance.
struct AdminStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Jobs by status, timings, prices and workers.")
    @OptionGroup var remote: RemoteOptions

    func run() async throws {
        let response = try await remote.client().send(.get, "/v1/admin/stats")
        let object = try JSONSerialization.jsonObject(with: Data(response.body))
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: pretty, as: UTF8.self))
    }
}

/// Prints a value as the API's JSON.
func printJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try JSONCoding.encoder.encode(value), as: UTF8.self))
}
