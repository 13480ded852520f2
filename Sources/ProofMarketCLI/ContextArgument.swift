import Inference

/// Parsing of the `--context` argument.
enum ContextArgument {
    /// `JOB:WORKER:NONCE` as a `BindingContext`, or `context_malformed`.
    static func parse(_ text: String) throws -> BindingContext {
        do { return try BindingContext(parsing: text) } catch { throw ProofCommandError.badContext(text) }
    }
}
