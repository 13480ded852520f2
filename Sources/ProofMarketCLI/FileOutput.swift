import Foundation

/// Writing of the files the proof commands produce.
enum FileOutput {
    /// Writes `bytes` to `path` atomically (a half-written proof is never left behind).
    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ProofCommandError.unwritable(path: path)
        }
    }

    /// Writes a secret (a private commitment's blinding material) readable by its owner alone:
    /// created with mode 0600 under a temporary name, then renamed into place.
    static func writeSecret(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".partial-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ProofCommandError.unwritable(path: path) }
        var written = 0
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n <= 0 { return false }
                written += n
            }
            return true
        }
        guard close(fd) == 0, ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ProofCommandError.unwritable(path: path)
        }
    }
}
