@testable import API
import Foundation
import HTTPServer
import Market
import Testing

/// Responses are written with `JSONCoding.encodeSplicing`, where a tensor writes its own JSON
/// (`Tensor.wireJSON`, or the row's text, spliced in through `JSONFragments`): the bytes must be exactly those of
/// `JSONCoding.encoder`, whatever the numbers and whatever else the document holds.
@Suite struct TensorBodyJSONTests {
    struct Document: Encodable {
        var name: String
        var input: TensorBody
        var inputs: [TensorBody]
        var maybe: TensorBody?
        var note: String?
    }

    static func randomTensor(_ generator: inout SystemRandomNumberGenerator) -> TensorBody {
        let n = Int.random(in: 0...200, using: &generator)
        let values = (0..<n).map { _ -> Double in
            switch Int.random(in: 0...3, using: &generator) {
            case 0: return Double(Int.random(in: -100_000...100_000, using: &generator))
            case 1: return Double(Int.random(in: -4096...4096, using: &generator)) / 64
            case 2: return Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator) & 0x7FEF_FFFF_FFFF_FFFF)
            default: return Double.random(in: -1...1, using: &generator) * pow(10, Double(Int.random(in: -30...30, using: &generator)))
            }
        }
        return TensorBody(Tensor(shape: [1, n], values: values))
    }

    @Test func splicedResponses_AreByteForByteTheEncodersOwn() throws {
        var generator = SystemRandomNumberGenerator()
        let special = TensorBody(Tensor(shape: [2, 7], values: [0, -0.0, 1, -1, 1e16, 1e21, 1e-7, 5e-324, -1.7976931348623157e308,
                                                                 123456789.125, 0.1, 2.5, 100, 1e300]))
        var documents = [Document(name: "special", input: special, inputs: [], maybe: nil, note: nil)]
        for i in 0..<100 {
            // Strings that look like the placeholders of another document are left alone.
            let lookalike = i % 2 == 0 ? "pmfragment00000000000000000000000000000000-0" : "\"quoted\" \\ back/slash \u{1}"
            documents.append(Document(name: lookalike, input: Self.randomTensor(&generator),
                                      inputs: (0..<Int.random(in: 0...3, using: &generator)).map { _ in Self.randomTensor(&generator) },
                                      maybe: Bool.random(using: &generator) ? Self.randomTensor(&generator) : nil,
                                      note: Bool.random(using: &generator) ? lookalike : nil))
        }
        for document in documents {
            let spliced = try JSONCoding.encodeSplicing(document)
            let plain = Array(try JSONCoding.encoder.encode(document))
            #expect(spliced == plain, "\(String(decoding: spliced.prefix(160), as: UTF8.self))")
        }
    }

    @Test func aTensorsWireForm_IsSplicedAsTheEncoderWritesIt() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let tensor = Self.randomTensor(&generator).tensor
            let withWire = Document(name: "w", input: TensorBody(tensor, wire: try tensor.wireJSON()), inputs: [], maybe: nil, note: nil)
            let without = Document(name: "w", input: TensorBody(tensor), inputs: [], maybe: nil, note: nil)
            #expect(try JSONCoding.encodeSplicing(withWire) == Array(try JSONCoding.encoder.encode(without)))
        }
    }

    @Test func aPlaceholderFromAnotherDocument_IsNotReplaced() throws {
        // A string holding a placeholder minted for one document passes through another as text.
        struct Echo: Encodable { var text: String; var input: TensorBody }
        let fragments = JSONFragments()
        let minted = fragments.placeholder(for: Array("[1]".utf8))
        let echo = Echo(text: minted, input: TensorBody(Tensor(shape: [1], values: [2])))
        let spliced = try JSONCoding.encodeSplicing(echo)
        #expect(spliced == Array(try JSONCoding.encoder.encode(echo)))
        #expect(String(decoding: spliced, as: UTF8.self).contains(minted))
    }

    @Test func nonFiniteValues_AreRefused() {
        for bad in [Double.nan, .infinity, -.infinity] {
            #expect(throws: EncodingError.self) {
                try JSONCoding.encodeSplicing(TensorBody(Tensor(shape: [1, 2], values: [1, bad])))
            }
        }
    }
}
