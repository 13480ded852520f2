import Foundation
import PackagePlugin

/// Embeds the product's own files — the migrations, the OpenAPI document, the bundled demo
/// model and its sample digits — into the target it is applied to, as generated Swift
/// source, so a `proofmarket` binary copied alone still has them.
///
/// SwiftPM resources would not do: `Bundle.module` looks for a bundle beside the binary. The
/// generated file is written into the build folder on every build whose inputs changed and is
/// never committed, so it cannot drift from the files it is made from.
@main
struct EmbedAssets: BuildToolPlugin {
    /// The embedded files, relative to the package root. Every `.sql` file of `migrations/`
    /// is added to these, so a new migration is embedded without touching this list.
    static let files = [
        "openapi/openapi.yaml",
        "models/digits-mlp-large.onnx",
        "models/digits-sample.json",
    ]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let migrations = root.appendingPathComponent("migrations")
        let sql = try FileManager.default.contentsOfDirectory(atPath: migrations.path)
            .filter { $0.hasSuffix(".sql") }.sorted().map { "migrations/" + $0 }
        let relative = sql + Self.files
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedAssets.swift")
        return [.buildCommand(
            displayName: "Embedding \(relative.count) files into \(target.name)",
            executable: try context.tool(named: "embed-assets").url,
            arguments: [output.path, root.path] + relative,
            inputFiles: relative.map { root.appendingPathComponent($0) },
            outputFiles: [output])]
    }
}
