import ArgumentParser

/// The `proofmarket` command: every subcommand listed here really works.
@main
struct ProofMarket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proofmarket",
        abstract: "A proving marketplace for machine-learning inference.",
        subcommands: [MigrateCommand.self, ServeCommand.self, AdminCommand.self, ModelCommand.self, InferCommand.self]
    )
}
