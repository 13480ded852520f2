import Foundation
import PackagePlugin

/// Embeds the product's own files — the migrations, the OpenAPI document, the admin
/// dashboard's pages, the bundled demo model and its sample digits — into the target it is
/// applied to, as generated Swift source, so a `proofmarket` binary copied alone still has them.
///
/// SwiftPM resources would not do: `Bundle.module` looks for a bundle beside the binary. The
/// generated file is written into the build folder on every build whose inputs changed and is
/// never committed, so it cannot drift from the files it is made from.
@main
struct EmbedAssets: BuildToolPlugin {
    /// The embedded files, relative to the package root. Every `.sql` file of `migrations/`
    /// and every `.html`, `.css`, `.js` and `.svg` file of the dashboard's folder is added to
    /// these, so a new migration or page is embedded without touching this list.
    static let files = [
        "openapi/openapi.yaml",
        "models/digits-mlp-large.onnx",
        "models/digits-sample.json",
    ]

    /// The admin dashboard's files (served at `/admin`), beside the API target that serves them.
    static let dashboard = "Sources/API/Dashboard"
    /// The kinds of file the dashboard is made of.
    static let dashboardExtensions = [".html", ".css", ".js", ".svg"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let migrations = root.appendingPathComponent("migrations")
        let sql = try FileManager.default.contentsOfDirectory(atPath: migrations.path)
            .filter { $0.hasSuffix(".sql") }.sorted().map { "migrations/" + $0 }
        let pages = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(Self.dashboard).path)
            .filter { name in Self.dashboardExtensions.contains { name.hasSuffix($0) } }.sorted().map { Self.dashboard + "/" + $0 }
        let relative = sql + pages + Self.files
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedAssets.swift")
        return [.buildCommand(
            displayName: "Embedding \(relative.count) files into \(target.name)",
            executable: try context.tool(named: "embed-assets").url,
            arguments: [output.path, root.path] + relative,
            inputFiles: relative.map { root.appendingPathComponent($0) },
            outputFiles: [output])]
    }
}
