import Testing
@testable import ZKProof

@Test func moduleLinks() { #expect(Bool(true)) }
