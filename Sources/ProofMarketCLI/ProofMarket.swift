import ArgumentParser

/// The `proofmarket` command: every subcommand listed here really works.
@main
struct ProofMarket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proofmarket",
        abstract: "A proving marketplace for machine-learning inference.",
        subcommands: [ServeCommand.self, WorkerCommand.self, ClientCommand.self, AdminCommand.self, DemoCommand.self,
                      MigrateCommand.self, ModelCommand.self, ProveCommand.self, VerifyCommand.self, InferCommand.self]
    )
}
