/// The Fiat–Shamir transcript: a SHA-256 hash chain.
///
/// Math: the state is a 32-byte digest `σ`. With `frame(x) = u64be(|x|) ‖ x`:
/// - creation: `σ₀ = SHA256(frame(domain) ‖ frame(protocol))`;
/// - `absorb(label, m)`: `σ ← SHA256(0x01 ‖ σ ‖ frame(label) ‖ frame(m))`;
/// - `challenge(label)`: `σ ← SHA256(0x02 ‖ σ ‖ frame(label))`, then
///   `c = (SHA256(0x03 ‖ σ ‖ 0x00) ‖ SHA256(0x03 ‖ σ ‖ 0x01)) mod n` — 512 bits reduced, so
///   the bias from reduction is below `2^-256`.
///
/// Every message and every challenge changes `σ`, so a challenge depends on everything
/// absorbed before it and on every earlier challenge. The distinct leading bytes keep the
/// three kinds of hash input apart; length prefixes keep labels and messages apart.
///
/// Soundness: the transcript only makes challenges unpredictable *given what was absorbed*.
/// A protocol must absorb the whole statement before the first challenge and each prover
/// message before the next challenge; forgetting one is the "Frozen Heart" bug.
public struct Transcript: Sendable {
    /// The current state `σ` (exposed for golden-bytes tests).
    public private(set) var state: [UInt8]
    /// Challenges fixed in advance by a simulator (tests only; production code never sets it).
    /// Nil means every challenge is the Fiat–Shamir value.
    package var program: ChallengeProgram?

    /// Starts a transcript for one protocol, named by a label from `TranscriptLabel`.
    public init(protocolLabel: String) {
        var m = [UInt8]()
        Transcript.frame(Array(TranscriptLabel.transcriptDomain.utf8), into: &m)
        Transcript.frame(Array(protocolLabel.utf8), into: &m)
        state = SHA256Digest.hash(m)
    }

    /// Absorbs a message under a label.
    public mutating func absorb(_ label: String, _ message: [UInt8]) {
        var m = [UInt8]()
        m.reserveCapacity(1 + 32 + 16 + label.utf8.count + message.count)
        m.append(0x01)
        m.append(contentsOf: state)
        Transcript.frame(Array(label.utf8), into: &m)
        Transcript.frame(message, into: &m)
        state = SHA256Digest.hash(m)
    }

    /// Absorbs field elements (canonical 32-byte encodings, concatenated).
    public mutating func absorb(_ label: String, scalars: [Scalar]) {
        var m = [UInt8]()
        m.reserveCapacity(32 * scalars.count)
        for s in scalars { s.appendBigEndian(to: &m) }
        absorb(label, m)
    }

    /// Absorbs signed integers (8-byte big-endian two's complement, concatenated).
    ///
    /// The same bytes as `absorb(label, bytes)` of the big-endian encodings, written straight
    /// into the hashed message (a trace holds tens of thousands of integers per item).
    public mutating func absorb(_ label: String, integers: [Int64]) {
        var m = [UInt8]()
        let labelBytes = Array(label.utf8)
        m.reserveCapacity(1 + 32 + 8 + labelBytes.count + 8 + 8 * integers.count)
        m.append(0x01)
        m.append(contentsOf: state)
        Transcript.frame(labelBytes, into: &m)
        let n = UInt64(8 * integers.count)
        for shift in stride(from: 56, through: 0, by: -8) { m.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) }
        let start = m.count
        m.append(contentsOf: repeatElement(0, count: 8 * integers.count))
        m.withUnsafeMutableBytes { raw in
            integers.withUnsafeBufferPointer { xs in
                for (i, x) in xs.enumerated() { raw.storeBytes(of: UInt64(bitPattern: x).bigEndian, toByteOffset: start + 8 * i, as: UInt64.self) }
            }
        }
        state = SHA256Digest.hash(m)
    }

    /// Draws one challenge in the field.
    public mutating func challenge(_ label: String) -> Scalar {
        var m = [UInt8]([0x02])
        m.append(contentsOf: state)
        Transcript.frame(Array(label.utf8), into: &m)
        state = SHA256Digest.hash(m)
        var wide = SHA256Digest.hash([0x03] + state + [0x00])
        wide.append(contentsOf: SHA256Digest.hash([0x03] + state + [0x01]))
        let derived = Scalar(wideBigEndian: wide)
        guard var p = program else { return derived }
        let programmed = p.next() ?? derived
        program = p
        return programmed
    }

    /// Draws `count` challenges, one after the other, under the same label.
    public mutating func challenges(_ label: String, count: Int) -> [Scalar] {
        (0..<count).map { _ in challenge(label) }
    }

    static func frame(_ bytes: [UInt8], into m: inout [UInt8]) {
        let n = UInt64(bytes.count)
        for shift in stride(from: 56, through: 0, by: -8) { m.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) }
        m.append(contentsOf: bytes)
    }
}

/// The challenge-programming seam of zero-knowledge simulators ("programming the random
/// oracle"): a transcript carrying a program returns its challenges in order instead of the
/// Fiat–Shamir values, while its state evolves exactly as without it (same absorbs, same
/// hashes). Past the program's end the Fiat–Shamir values return. Only test code builds one:
/// a simulator that fixes every challenge can make any statement accept, which shows what a
/// proof reveals (zero knowledge), never that it is sound.
package struct ChallengeProgram: Sendable {
    let challenges: [Scalar]
    /// How many challenges were drawn.
    package private(set) var drawn = 0

    package init(_ challenges: [Scalar]) { self.challenges = challenges }

    /// The next programmed challenge, nil once all were drawn.
    mutating func next() -> Scalar? {
        guard drawn < challenges.count else { return nil }
        drawn += 1
        return challenges[drawn - 1]
    }
}
