import ArgumentParser

/// The `proofmarket` command: every subcommand listed here really works.
@main
struct ProofMarket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proofmarket",
        abstract: "A proving marketplace for machine-learning inference.",
        subcommands: [ModelCommand.self, InferCommand.self, ProveCommand.self, VerifyCommand.self]
    )
}
