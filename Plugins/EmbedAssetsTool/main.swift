// embed-assets OUTPUT ROOT FILE…: writes OUTPUT, a Swift file holding each FILE (a path
// relative to ROOT) as a base64 string literal keyed by that path. Run by the EmbedAssets
// build plugin. Base64 in a string literal compiles in well under a second per megabyte,
// where an array literal of the same bytes takes the compiler minutes.
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count >= 2, let output = arguments.first, let root = arguments.dropFirst().first else {
    FileHandle.standardError.write(Data("usage: embed-assets OUTPUT ROOT FILE…\n".utf8))
    exit(2)
}
var source = """
    // Generated at build time by the EmbedAssets plugin (Plugins/EmbedAssets) from the files
    // named below. Never edit or commit it: edit those files.

    extension BundledAssets {
        /// Each embedded file's path relative to the package root, and its bytes in base64.
        static let encoded: [(path: String, base64: String)] = [

    """
for path in arguments.dropFirst(2) {
    guard let data = FileManager.default.contents(atPath: root + "/" + path) else {
        FileHandle.standardError.write(Data("embed-assets: cannot read \(root)/\(path)\n".utf8))
        exit(1)
    }
    let escaped = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    source += "        (\"\(escaped)\", \"\(data.base64EncodedString())\"),\n"
}
source += "    ]\n}\n"
do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("embed-assets: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
