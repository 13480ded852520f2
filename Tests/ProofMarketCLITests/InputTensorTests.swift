import Foundation
import Testing
@testable import ProofMarketCLI

/// Input files spell a tensor as the API does, `{"shape", "values"}`; the old `data` key is
/// still read, with a deprecation note, and a file giving both is refused.
@Suite struct InputTensorTests {
    @Test func valuesKey_IsRead_WithoutANote() throws {
        var notes: [String] = []
        let tensor = try InputTensor.decode(Array(#"{"shape": [1, 2], "values": [0.5, 1]}"#.utf8), path: "in.json") { notes.append($0) }
        #expect(tensor.shape == [1, 2] && tensor.values == [0.5, 1])
        #expect(notes.isEmpty)
    }

    @Test func deprecatedDataKey_IsRead_WithANoteNamingTheFile() throws {
        var notes: [String] = []
        let tensor = try InputTensor.decode(Array(#"{"shape": [2], "data": [3, 4]}"#.utf8), path: "old.json") { notes.append($0) }
        #expect(tensor.values == [3, 4])
        #expect(notes.count == 1 && notes[0].contains("old.json") && notes[0].contains("deprecated") && notes[0].contains("`values`"))
    }

    @Test func bothKeys_OrNeither_AreRefused() {
        for text in [#"{"shape": [1], "values": [1], "data": [1]}"#, #"{"shape": [1]}"#] {
            #expect(throws: ProofCommandError.self) { try InputTensor.decode(Array(text.utf8), path: "bad.json") { _ in } }
        }
    }

    @Test func bundledExampleInput_UsesTheAPIsSpelling() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bytes = Array(try Data(contentsOf: root.appendingPathComponent("models/digits-input.json")))
        var notes: [String] = []
        let tensor = try InputTensor.decode(bytes, path: "models/digits-input.json") { notes.append($0) }
        #expect(tensor.values.count == 64 && notes.isEmpty)
    }
}
