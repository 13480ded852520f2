import Foundation
import Market

/// The receipt-signing keys of the coordinators this user has talked to, pinned the way SSH
/// pins host keys in `known_hosts`: the first contact with a coordinator saves its key, and
/// from then on a receipt from that coordinator must be signed by exactly that key. A
/// coordinator that presents a different key is refused, loudly, until the user removes the
/// old line (after making sure the key really was replaced).
///
/// The file is `known_coordinators` in `$PROOFMARKET_CONFIG_DIR`, else
/// `$XDG_CONFIG_HOME/proofmarket`, else `~/.config/proofmarket`; one line per coordinator:
/// `<base URL> ed25519 <hex public key>`, `#` starting a comment.
struct KnownCoordinators {
    /// The file.
    let path: String

    /// The largest file read; a line is about 120 bytes.
    static let fileBytesMax = 1 << 20

    /// The user's file.
    static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> KnownCoordinators {
        let folder: String
        if let dir = environment["PROOFMARKET_CONFIG_DIR"], !dir.isEmpty { folder = dir }
        else if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { folder = xdg + "/proofmarket" }
        else { folder = (environment["HOME"] ?? NSHomeDirectory()) + "/.config/proofmarket" }
        return KnownCoordinators(path: folder + "/known_coordinators")
    }

    /// Why a key cannot be trusted.
    enum Failure: Error, CustomStringConvertible {
        /// The coordinator presents a key other than the one pinned for it.
        case keyChanged(url: String, pinned: String, presented: String, file: String)
        /// The file cannot be read or written, or holds a line that is not a pin.
        case unusable(file: String, detail: String)
        /// `--coordinator-key` is neither a key nor a file holding one.
        case badKeyArgument(String)

        var description: String {
            switch self {
            case .keyChanged(let url, let pinned, let presented, let file):
                return """
                    @@@ THE COORDINATOR'S RECEIPT KEY HAS CHANGED @@@
                    The coordinator at \(url) presents the key \(presented),
                    but the key pinned for it in \(file) is \(pinned).
                    Someone may be impersonating it, or its key was replaced. Refusing (coordinator_key_changed).
                    If you have checked that the new key is right, remove the line for \(url) from \(file).
                    """
            case .unusable(let file, let detail): return "\(file): \(detail) (known_coordinators_unusable)"
            case .badKeyArgument(let value):
                return "--coordinator-key must be the coordinator's Ed25519 public key in hex (64 digits) or a file holding it, not \(value) (coordinator_key_invalid)"
            }
        }
    }

    /// A base URL as it is pinned: lowercased, without trailing slashes.
    static func normalise(_ url: String) -> String {
        var text = url.lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// The key pinned for `url`, if any.
    func key(for url: String) throws -> [UInt8]? {
        try entries().first { $0.url == Self.normalise(url) }?.key
    }

    /// The key to trust for `url`, given the one it `presents` now: the pinned one if they agree,
    /// `presents` itself (pinned from now on) on first contact, else `keyChanged`.
    func check(_ presents: [UInt8], for url: String) throws -> (key: [UInt8], firstContact: Bool) {
        if let pinned = try key(for: url) {
            guard pinned == presents else {
                throw Failure.keyChanged(url: Self.normalise(url), pinned: Self.hex(pinned), presented: Self.hex(presents), file: path)
            }
            return (pinned, false)
        }
        try pin(presents, for: url)
        return (presents, true)
    }

    /// Adds a line for `url` (which has none yet).
    func pin(_ key: [UInt8], for url: String) throws {
        let existing = FileManager.default.fileExists(atPath: path) ? try text() : ""
        let line = "\(Self.normalise(url)) ed25519 \(Self.hex(key))\n"
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let content = (existing.isEmpty || existing.hasSuffix("\n") ? existing : existing + "\n") + line
            try Data(content.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw Failure.unusable(file: path, detail: "cannot write: \(error.localizedDescription)")
        }
    }

    /// A key given on the command line: 64 hex digits, or a file holding them.
    static func parseKeyArgument(_ value: String) throws -> [UInt8] {
        if let key = Receipt.bytes(hex: value.lowercased()), key.count == 32 { return key }
        guard let bytes = try? FileInput.read(value, limit: 4_096),
              let key = Receipt.bytes(hex: String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()),
              key.count == 32 else { throw Failure.badKeyArgument(value) }
        return key
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private func text() throws -> String {
        do { return String(decoding: try FileInput.read(path, limit: Self.fileBytesMax), as: UTF8.self) } catch {
            throw Failure.unusable(file: path, detail: "cannot read: \(error)")
        }
    }

    private func entries() throws -> [(url: String, key: [UInt8])] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        var found: [(url: String, key: [UInt8])] = []
        for (number, raw) in try text().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            if words.isEmpty { continue }
            guard words.count == 3, words[1] == "ed25519", let key = Receipt.bytes(hex: words[2].lowercased()), key.count == 32 else {
                throw Failure.unusable(file: path, detail: "line \(number + 1) is not '<url> ed25519 <hex key>'")
            }
            found.append((Self.normalise(words[0]), key))
        }
        return found
    }
}
