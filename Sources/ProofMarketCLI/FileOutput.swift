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
}
