import Foundation

/// The product's own files, compiled into the binary by the EmbedAssets build plugin, so a
/// `proofmarket` copied alone to another folder or machine has its migrations, its REST
/// contract, its admin dashboard and the demo's model and digits without any file beside it.
///
/// The sources stay where a reader looks for them (`migrations/`, `openapi/openapi.yaml`,
/// `models/`); the plugin re-embeds them on every build in which one changed.
public enum BundledAssets {
    /// The bytes of the embedded file at `path` (relative to the package root), or nil.
    public static func file(_ path: String) -> [UInt8]? {
        decoded[path]
    }

    /// The forward-only migrations, `(file name, bytes)`, in file-name order.
    public static var migrations: [(name: String, bytes: [UInt8])] {
        encoded.map(\.path).filter { $0.hasPrefix("migrations/") && $0.hasSuffix(".sql") }.sorted()
            .compactMap { path in decoded[path].map { (String(path.dropFirst("migrations/".count)), $0) } }
    }

    /// The REST contract, `openapi/openapi.yaml`.
    public static var openAPIDocument: String {
        String(decoding: decoded["openapi/openapi.yaml"] ?? [], as: UTF8.self)
    }

    /// Where the admin dashboard's files are, relative to the package root.
    public static let dashboardFolder = "Sources/API/Dashboard"

    /// The admin dashboard's file names (`index.html`, `app.js`, …), sorted.
    public static var dashboardFiles: [String] {
        encoded.map(\.path).filter { $0.hasPrefix(dashboardFolder + "/") }.map { String($0.dropFirst(dashboardFolder.count + 1)) }.sorted()
    }

    /// The bytes of the dashboard's file `name`, or nil if there is none.
    public static func dashboardFile(_ name: String) -> [UInt8]? { decoded[dashboardFolder + "/" + name] }

    /// The demo's digits model, `models/digits-mlp-large.onnx` (64 → 256 → 256 → 10).
    public static var demoModel: [UInt8] { decoded["models/digits-mlp-large.onnx"] ?? [] }

    /// The demo's test digits with their true labels, `models/digits-sample.json`.
    public static var digitsSample: [UInt8] { decoded["models/digits-sample.json"] ?? [] }

    /// Every embedded path.
    public static var paths: [String] { encoded.map(\.path) }

    /// Decoded once, on first use; the plugin wrote valid base64, so a nil here is a bug
    /// in the build and leaves that file out rather than trapping.
    private static let decoded: [String: [UInt8]] = {
        var files: [String: [UInt8]] = [:]
        for entry in encoded {
            if let data = Data(base64Encoded: entry.base64) { files[entry.path] = [UInt8](data) }
        }
        return files
    }()
}
