import Foundation
import Testing
@testable import Inference

/// The label rule (`ClassLabels`): the class at the first largest score, per item, and its
/// place in the model description's canonical bytes.
struct ClassLabelsTests {
    @Test func label_IsTheClassAtTheFirstLargestScore() throws {
        let labels = try ClassLabels(classes: .strings(["a", "b", "c"]), scoresOutput: 0)
        #expect(labels.label(forScores: [1, 5, 3]) == .string("b"))
        #expect(labels.label(forScores: [7, 7, 3]) == .string("a"))
        #expect(labels.label(forScores: [-9, -2, -2]) == .string("b"))
        let ints = try ClassLabels(classes: .integers([3, 7]), scoresOutput: 0)
        #expect(ints.label(forScores: [0, 0]) == .integer(3))
        #expect(ints.label(forScores: [-1, 1]).description == "7")
    }

    @Test func repeatedOrEmptyClasses_AreRefused() {
        #expect(throws: InferenceError.self) { try ClassLabels(classes: .integers([1, 1]), scoresOutput: 0) }
        #expect(throws: InferenceError.self) { try ClassLabels(classes: .strings([]), scoresOutput: 0) }
        #expect(throws: InferenceError.self) {
            try ClassLabels(classes: .strings([String(repeating: "x", count: ClassLabels.classBytesMax + 1)]), scoresOutput: 0)
        }
    }

    /// A labelled description keeps its labels through its bytes; every truncation of them
    /// is a typed error, never a crash.
    @Test func labelledDescription_RoundTrips_AndTruncationsAreRefused() throws {
        guard let url = Bundle.module.url(forResource: "logreg_multinomial.nozipmap.onnx", withExtension: nil, subdirectory: "Fixtures/sklearn") else {
            throw Fixtures.FixtureMissing(name: "logreg_multinomial.nozipmap.onnx")
        }
        let model = try ONNXImporter.importModel([UInt8](try Data(contentsOf: url)))
        let labels = try #require(model.spec.labels)
        #expect(labels.classes == .strings(["setosa", "versicolor", "virginica"]))
        let bytes = model.spec.encoded()
        #expect(try ModelSpec(decoding: bytes) == model.spec)
        for cut in stride(from: bytes.count - 40, to: bytes.count, by: 1) {
            #expect(throws: InferenceError.self) { try ModelSpec(decoding: Array(bytes.prefix(cut))) }
        }
        // The flags byte (after the magic, version, config and input tensor) has bit 2 set.
        #expect(bytes[bytes.startIndex + 6 + 3 + 1 + 4 * model.spec.inputShape.count + 1 + 16] & 4 == 4)
    }
}
