import Foundation
import Logging
import Postgres

/// The market's rules, over one PostgreSQL database.
///
/// `Market` keeps no state between calls but a cache of ready models, which never change
/// (everything else lives in the database), so any number of instances, in any number of
/// processes, may serve one market. Each operation is one
/// read-committed transaction whose transitions are guarded updates, whose money moves as
/// ledger entries in that same transaction, and whose events and `NOTIFY` commit with it.
/// Proof verification runs outside any transaction, on a bounded `VerificationPool`.
public final class Market: Sendable {
    /// The database.
    public let pool: ConnectionPool
    /// The rules' parameters.
    public let configuration: MarketConfiguration
    /// The clock every rule reads.
    public let clock: any MarketClock
    /// Checks proofs; given by the caller (the coordinator passes the real inference verifier).
    public let verifier: any ProofVerifier
    /// The private proof system (commitments and checks of private proofs); nil: private jobs
    /// are refused with `proof_mode_unsupported`.
    public let privateProofs: (any PrivateProofSystem)?
    /// The bounded threads proofs are verified on (nothing else runs there).
    public let verificationPool: VerificationPool
    /// Gathers waiting proofs of one model into batches verified together, on `verificationPool`.
    public let verificationBatcher: VerificationBatcher
    /// Where uploaded models are imported: threads of their own, and admission per account.
    public let modelImports: ModelImports
    /// Bounds the proof submissions handled at once (see `settlementsConcurrentMax`).
    let settlementGate: AsyncGate
    /// Ready models by id (see `model(_:)`).
    let readyModels = BoundedCache<String, Model>(capacity: Market.readyModelsCachedMax)
    /// Keys authenticated in the last `authenticationCacheSeconds`.
    let authenticatedKeys: KeyCache
    /// The platform's own accounts.
    public let platform: PlatformAccounts
    /// Sends transitions' notifications once they have committed (see `Notifier`).
    let notifier: Notifier
    let logger: Logger

    /// The ids of the platform's accounts (created by migration 0002).
    public struct PlatformAccounts: Sendable {
        /// Source of deposits.
        public let external: UUID
        /// Receives fees.
        public let fees: UUID
        /// Receives the platform's share of slashed stakes.
        public let slashed: UUID
    }

    /// Opens the market on a migrated database.
    public static func open(pool: ConnectionPool, configuration: MarketConfiguration = MarketConfiguration(),
                            clock: any MarketClock = SystemClock(), verifier: any ProofVerifier,
                            privateProofs: (any PrivateProofSystem)? = nil,
                            logger: Logger = Logger(label: "proofmarket.market")) async throws -> Market {
        func platformAccount(_ kind: AccountKind) async throws -> UUID {
            guard let row = try await pool.query(AccountQueries.accountPlatform.sql, [.text(kind.rawValue)]).first else {
                throw PostgresError(.migration, "the \(kind.rawValue) account is missing: apply migration 0002")
            }
            return try row.decode("id")
        }
        let platform = PlatformAccounts(external: try await platformAccount(.external),
                                        fees: try await platformAccount(.platformFees),
                                        slashed: try await platformAccount(.platformSlashed))
        return Market(pool: pool, configuration: configuration, clock: clock, verifier: verifier,
                      privateProofs: privateProofs, platform: platform, logger: logger)
    }

    private init(pool: ConnectionPool, configuration: MarketConfiguration, clock: any MarketClock,
                 verifier: any ProofVerifier, privateProofs: (any PrivateProofSystem)?, platform: PlatformAccounts, logger: Logger) {
        self.pool = pool
        self.privateProofs = privateProofs
        self.configuration = configuration
        self.clock = clock
        self.verifier = verifier
        self.platform = platform
        self.logger = logger
        self.notifier = Notifier(pool: pool, logger: logger)
        self.verificationPool = VerificationPool(threads: configuration.verificationThreads,
                                                 queueMax: configuration.verificationQueueMax)
        self.verificationBatcher = VerificationBatcher(pool: verificationPool, verifier: verifier,
                                                       batchProofsMax: configuration.verificationBatchProofsMax,
                                                       windowMilliseconds: configuration.verificationBatchWindowMilliseconds,
                                                       waitingMax: verificationPool.queueMax + verificationPool.threads)
        self.modelImports = ModelImports(configuration: configuration)
        self.authenticatedKeys = KeyCache(lifetimeSeconds: configuration.authenticationCacheSeconds,
                                          capacity: Market.authenticatedKeysCachedMax)
        self.settlementGate = AsyncGate(slots: configuration.settlementsConcurrentMax,
                                        waitersMax: configuration.verificationQueueMax)
    }

    deinit {
        verificationPool.shutdown()
        modelImports.shutdown()
    }

    /// Runs `body` in one read-committed transaction; an overdraft refused by the balance CHECK
    /// becomes `insufficient_balance`, naming what was being paid for. The notifications of the
    /// transitions it records are sent once it has committed (see `Notifier`).
    func transaction<T: Sendable>(paying what: String = "this",
                                  _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let pending = PendingNotifications()
        do {
            let value = try await PendingNotifications.$current.withValue(pending) {
                try await pool.transaction(.readCommitted) { c in
                    pending.reset()
                    return try await body(c)
                }
            }
            notifier.send(pending.take())
            return value
        } catch let error as PostgresError where error.isOverdraft {
            throw MarketError(.insufficientBalance, "the available balance does not cover \(what)")
        }
    }
}
