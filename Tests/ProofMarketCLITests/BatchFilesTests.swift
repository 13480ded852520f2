import Foundation
import Testing
@testable import ProofMarketCLI

/// `client jobs submit --inputs` reads a batch from a JSON array, JSON lines or a CSV of flat
/// rows, told apart by content; `--results` writes JSON lines or CSV.
@Suite struct BatchFilesTests {
    func parse(_ text: String) throws -> [WireTensor] { try BatchFiles.parseInputs(Array(text.utf8), path: "in") }

    @Test func jsonArrayOfTensors_AndOfFlatArrays_AreItems() throws {
        let tensors = try parse(#"[{"shape": [1, 2], "values": [1, 2]}, {"shape": [1, 2], "values": [3, 4.5]}]"#)
        #expect(tensors.map(\.shape) == [[1, 2], [1, 2]] && tensors.map(\.values) == [[1, 2], [3, 4.5]])
        let flat = try parse("[[1, 2], [3, 4]]")
        #expect(flat.map(\.shape) == [[2], [2]] && flat.map(\.values) == [[1, 2], [3, 4]])
    }

    @Test func jsonLines_AreOneItemALine_TensorsOrFlat() throws {
        let items = try parse("{\"shape\": [1, 2], \"values\": [1, 2]}\n\n[3, 4]\n")
        #expect(items.map(\.values) == [[1, 2], [3, 4]])
        #expect(throws: ProofCommandError.self) { try parse("[1, 2]\n{\"nope\": 1}\n") }
    }

    @Test func csvRows_AreItems_AHeaderIsSkipped_ABadRowRefused() throws {
        #expect(try parse("a,b\n1,2\n3, 4\n").map(\.values) == [[1, 2], [3, 4]])
        #expect(try parse("1,2\n3,4").map(\.values) == [[1, 2], [3, 4]])
        #expect(throws: ProofCommandError.self) { try parse("1,2\n3,x\n") }
        #expect(throws: ProofCommandError.self) { try parse("1,2\n3,,4\n") }
        #expect(throws: ProofCommandError.self) { try parse("  \n") }
    }

    @Test func outputs_AreWrittenAsJSONLinesOrCSV() {
        let items = [WireItemOutput(index: 0, output: WireOutput(shape: [1, 2], values: [0.5, 1], quantised: [128, 256], argmax: 1,
                                                                 clampedInput: 0, clampedInModel: 2))]
        var jsonl = ""
        BatchFiles.write(items, format: .jsonl, header: true) { jsonl += $0 }
        #expect(jsonl == #"{"argmax":1,"clamped_in_model":2,"clamped_input":0,"index":0,"quantised":[128,256],"values":[0.5,1]}"# + "\n")
        var csv = ""
        BatchFiles.write(items, format: .csv, header: true) { csv += $0 }
        #expect(csv == "index,argmax,clamped_input,clamped_in_model,v0,v1\n0,1,0,2,0.5,1.0\n")
        #expect(BatchFiles.Format.of(path: "out.CSV") == .csv && BatchFiles.Format.of(path: "out.jsonl") == .jsonl)
    }
}
