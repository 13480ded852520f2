import COpenSSL

/// The group equations of a verification, checked one at a time or together.
///
/// Math: each equation is `E_i = Σ_j s_ij·P_ij = O`. A deferred batch draws for each a
/// weight `ρ_i` uniform modulo `n` from OpenSSL's CSPRNG when it is added (never from a
/// transcript: the prover must not know them) and at the end checks
///
///     Σ_i ρ_i·E_i = Σ_P (Σ_{(i,j): P_ij = P} ρ_i·s_ij)·P = O,
///
/// one multi-scalar multiplication over the distinct bases. Bases that are the same object
/// have their scalars added as they come (the generators `G_j`, `H` and `G` are shared
/// objects, and so are the decoded rows of a commitment and a prover message used by two
/// equations), so the multiplication has one term per distinct point, not per occurrence.
///
/// Soundness: the equations are fixed by the proof bytes and the transcript before any
/// `ρ_i` is known to anyone but the verifier. If some `E_k ≠ O`, then with the other weights
/// fixed `Σ_i ρ_i·E_i = ρ_k·E_k + Q` is the identity for exactly one `ρ_k` (`E_k` has order
/// `n`), so a batch holding a failing equation passes with probability `≤ 1/n`. Without
/// randomness (`RAND_bytes` failing) the batch checks each equation alone instead.
///
/// Failures are named exactly: when the combined check fails, the recorded equations are
/// checked one by one in the order they were added, and the first that does not hold is
/// reported with the error the per-equation verifier throws for it (its `failure`, renamed by
/// the contexts it was added in). An immediate batch is that per-equation verifier: `add`
/// checks at once and throws.
///
/// Memory: the batch keeps each equation's terms for the fallback; they are the points and
/// scalars the per-equation verifier builds one at a time, so the whole is bounded by the
/// proof (its messages, its statement's rows and generators).
public final class EquationBatch {
    /// One recorded equation `Σ scalars_j·points_j = O`.
    struct Equation {
        let points: [CurvePoint]
        let scalars: [Scalar]
        /// The block's own error for this equation.
        let failure: ZKVerificationError
        /// The renaming of the contexts it was added in (innermost applied first).
        let rename: ((ZKVerificationError) -> ZKVerificationError)?
        /// The caller's naming (outermost), if any.
        let name: ((ZKVerificationError) -> any Error)?

        var holds: Bool { CurvePoint.sumIsIdentity(points, scalars) }

        var namedFailure: any Error {
            let renamed = rename.map { $0(failure) } ?? failure
            return name.map { $0(renamed) } ?? renamed
        }
    }

    /// True when `add` checks each equation at once (the per-equation verifier).
    public let isImmediate: Bool
    private(set) var equations: [Equation] = []
    /// The merged terms of `Σ_i ρ_i·E_i`: one slot per distinct base object.
    private(set) var bases: [CurvePoint] = []
    private(set) var coefficients: [Scalar] = []
    private var slot: [ObjectIdentifier: Int] = [:]
    /// False once the CSPRNG failed: then every equation is checked alone.
    private var weighted = true
    private let weight: () -> Scalar?
    private var rename: ((ZKVerificationError) -> ZKVerificationError)?
    private var name: ((ZKVerificationError) -> any Error)?

    /// A deferred batch, weights from OpenSSL's CSPRNG.
    public convenience init() { self.init(immediate: false, weights: EquationBatch.randomWeight) }

    /// A batch that checks every equation as it is added.
    public static func immediate() -> EquationBatch { EquationBatch(immediate: true, weights: { nil }) }

    /// A batch with the given weight source (tests pin weights with it; a verifier must use
    /// weights the prover cannot know: `init()`). A nil weight means no randomness.
    init(immediate: Bool, weights: @escaping () -> Scalar?) {
        isImmediate = immediate
        weight = weights
    }

    /// The number of equations recorded.
    public var count: Int { equations.count }

    /// The number of distinct bases of the combined multi-scalar multiplication.
    public var baseCount: Int { bases.count }

    /// Adds `Σ scalars_j·points_j = O`, named by `failure` (the block's error for it). An
    /// immediate batch checks it now and throws `failure` if it does not hold (a failed group
    /// operation counts as not holding); a deferred batch records it and never throws.
    public func add(_ points: [CurvePoint], _ scalars: [Scalar], failure: ZKVerificationError) throws(ZKVerificationError) {
        guard points.count == scalars.count else { throw .shapeMismatch("\(points.count) points, \(scalars.count) scalars") }
        let equation = Equation(points: points, scalars: scalars, failure: failure, rename: rename, name: name)
        if isImmediate {
            guard equation.holds else { throw failure }
            return
        }
        equations.append(equation)
        guard weighted, let rho = weight() else {
            weighted = false
            return
        }
        for (p, s) in zip(points, scalars) {
            let key = ObjectIdentifier(p)
            if let k = slot[key] {
                coefficients[k] += rho * s
            } else {
                slot[key] = bases.count
                bases.append(p)
                coefficients.append(rho * s)
            }
        }
    }

    /// Runs `body` with the equations it adds renamed by `rename` when they fail (after any
    /// renaming of contexts inside `body`); errors `body` throws are renamed the same way.
    public func renaming<T>(_ rename: @escaping (ZKVerificationError) -> ZKVerificationError,
                            _ body: () throws(ZKVerificationError) -> T) throws(ZKVerificationError) -> T {
        let outer = self.rename
        self.rename = outer.map { o in { o(rename($0)) } } ?? rename
        defer { self.rename = outer }
        do { return try body() } catch { throw rename(error) }
    }

    /// Runs `body` with the equations it adds named by `name` when they fail: the error the
    /// caller throws for its block's error. Errors `body` throws are the caller's to name.
    public func naming<T, E: Error>(_ name: @escaping (ZKVerificationError) -> any Error,
                                    _ body: () throws(E) -> T) throws(E) -> T {
        let outer = self.name, outerRename = self.rename
        self.name = name
        self.rename = nil
        defer {
            self.name = outer
            self.rename = outerRename
        }
        return try body()
    }

    /// The first recorded equation that does not hold and its named error; nil when all hold.
    /// The combined check decides first; only when it fails (or there was no randomness) are
    /// the equations checked one by one.
    public func firstFailure() -> (index: Int, error: any Error)? {
        if weighted, combinedHolds() { return nil }
        for (i, e) in equations.enumerated() where !e.holds { return (i, e.namedFailure) }
        return nil
    }

    /// Throws the first failing equation's named error (see `firstFailure`).
    public func verify() throws {
        if let failure = firstFailure() { throw failure.error }
    }

    /// `Σ_i ρ_i·E_i = O`, one multi-scalar multiplication; false if OpenSSL fails.
    func combinedHolds() -> Bool {
        bases.isEmpty || CurvePoint.sumIsIdentity(bases, coefficients)
    }

    /// A uniform scalar from `RAND_bytes` (64 bytes reduced: bias `< 2^-256`); nil if the
    /// generator fails.
    static func randomWeight() -> Scalar? {
        var bytes = [UInt8](repeating: 0, count: 64)
        guard RAND_bytes(&bytes, 64) == 1 else { return nil }
        return Scalar(wideBigEndian: bytes)
    }
}
