import Testing
@testable import ZKProof

/// The transcript construction, pinned by bytes computed independently (Python's hashlib,
/// following the formulas in `Transcript`'s doc comment).
@Suite struct TranscriptTests {
    @Test func goldenBytes() {
        var t = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        #expect(hex(t.state) == "308189eefc9345af70bab20f8acd9ba96e40a62e67ce70d2d1af32e7e0093c8d")
        t.absorb(TranscriptLabel.testMessage, Array("abc".utf8))
        #expect(hex(t.state) == "5bac1a0f169394ae551bbea29a2c3fa42858b95aced4c053a9a47beb11b40063")
        let c1 = t.challenge(TranscriptLabel.testChallenge)
        #expect(hex(t.state) == "4301fb799e0bd44a589c865347dac9fd5038cfc107bd8d14233cd39b4842ffe5")
        #expect(hex(c1.bigEndianBytes) == "5c941b8e00e81aa58f7b5f1f87d00329c0ae42947164003f07ab9c07e00b72a1")
        let c2 = t.challenge(TranscriptLabel.testChallenge)
        #expect(hex(c2.bigEndianBytes) == "ec8579c0fa6976d90d125bb40ca9a562e2cbd34d0a9845a4b38379ec48e3bc62")
    }

    @Test func aProgram_ReplacesChallengesInOrderAndLeavesTheStateAlone() {
        // The simulators' seam: programmed values first, then Fiat–Shamir again; the hash chain is the plain one.
        var plain = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        var programmed = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        let fixed = [Scalar(UInt64(7)), Scalar(UInt64(11))]
        programmed.program = ChallengeProgram(fixed)
        var drawn: [Scalar] = [], derived: [Scalar] = []
        for n in 0..<3 {
            plain.absorb(TranscriptLabel.testMessage, [UInt8(n)])
            programmed.absorb(TranscriptLabel.testMessage, [UInt8(n)])
            derived.append(plain.challenge(TranscriptLabel.testChallenge))
            drawn.append(programmed.challenge(TranscriptLabel.testChallenge))
            #expect(programmed.state == plain.state)
        }
        #expect(drawn == fixed + [derived[2]])
        #expect(derived[0] != fixed[0])
        #expect(programmed.program?.drawn == 2)
    }

    @Test func everyAbsorbedByteChangesTheChallenge() {
        func challenge(after message: [UInt8], label: String = TranscriptLabel.testMessage) -> Scalar {
            var t = Transcript(protocolLabel: TranscriptLabel.testProtocol)
            t.absorb(label, message)
            return t.challenge(TranscriptLabel.testChallenge)
        }
        let base = challenge(after: [1, 2, 3])
        #expect(challenge(after: [1, 2, 4]) != base)
        #expect(challenge(after: [1, 2, 3, 0]) != base)
        #expect(challenge(after: [1, 2, 3], label: TranscriptLabel.testChallenge) != base)
    }

    @Test func labelAndMessageBoundaryIsUnambiguous() {
        // Without length prefixes, ("ab", "c") and ("a", "bc") would hash the same bytes.
        var a = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        a.absorb("ab", [UInt8(ascii: "c")])
        var b = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        b.absorb("a", Array("bc".utf8))
        #expect(a.state != b.state)
    }

    @Test func protocolLabelSeparatesDomains() {
        let a = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        let b = Transcript(protocolLabel: TranscriptLabel.inferenceProtocol)
        #expect(a.state != b.state)
    }

    @Test func typedAbsorbsEncodeLikeTheWriter() {
        var w = ProofWriter()
        w.int64(-2)
        w.int64(300)
        var a = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        a.absorb(TranscriptLabel.testMessage, integers: [-2, 300])
        var b = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        b.absorb(TranscriptLabel.testMessage, w.bytes)
        #expect(a.state == b.state)
        for values: [Int64] in [[], [Int64.min, Int64.max, 0, -1], (0..<1000).map { Int64($0) * 7_919 - 3_000_000 }] {
            var wv = ProofWriter()
            for v in values { wv.int64(v) }
            var x = Transcript(protocolLabel: TranscriptLabel.testProtocol), y = x
            x.absorb(TranscriptLabel.testMessage, integers: values)
            y.absorb(TranscriptLabel.testMessage, wv.bytes)
            #expect(x.state == y.state, "\(values.count) integers")
        }
        var s = ProofWriter()
        s.scalars([Scalar.one, Scalar(Int64(-5))])
        var c = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        c.absorb(TranscriptLabel.testMessage, scalars: [Scalar.one, Scalar(Int64(-5))])
        var d = Transcript(protocolLabel: TranscriptLabel.testProtocol)
        d.absorb(TranscriptLabel.testMessage, s.bytes)
        #expect(c.state == d.state)
    }
}
