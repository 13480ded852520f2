/// The class label of one item, as a classifier's label output gives it: one of the model's
/// classes, a whole number or a string (scikit-learn's `classes_`).
public enum ClassLabel: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// An integer class (`classlabels_ints`, an int64 or int32 `classes` table).
    case integer(Int64)
    /// A string class (`classlabels_strings`, a string `classes` table).
    case string(String)

    /// The label as users see it: the number in decimal, or the string itself.
    public var description: String {
        switch self {
        case .integer(let v): String(v)
        case .string(let s): s
        }
    }
}

/// A classifier's label output: `classes[argmax(scores)]`, where `scores` is one of the
/// model's proven output tensors (probabilities or decision values) over the classes.
///
/// The proof is about the scores; the label is a deterministic function of them that the
/// prover, the verifier and every reader of a result compute with `label(forScores:)`. The
/// class list is part of the model description (hence of the digest and the commitment), so
/// a verified output determines its labels.
///
/// Rule (docs/PROTOCOL.md, "Class labels"): the index of the **first** largest score, so ties
/// go to the earlier class, as ONNX ArgMax and the `ai.onnx.ml` classifiers do.
public struct ClassLabels: Sendable, Equatable, Hashable {
    /// The classes, in score order: all integers or all strings.
    public enum Classes: Sendable, Equatable, Hashable {
        /// Integer classes.
        case integers([Int64])
        /// String classes.
        case strings([String])

        /// How many classes.
        public var count: Int {
            switch self {
            case .integers(let v): v.count
            case .strings(let v): v.count
            }
        }

        /// Every class, in score order.
        public var all: [ClassLabel] { (0..<count).map { self[$0] } }

        /// Class `i` (0 ≤ i < count).
        public subscript(i: Int) -> ClassLabel {
            switch self {
            case .integers(let v): .integer(v[i])
            case .strings(let v): .string(v[i])
            }
        }
    }

    /// The most classes a model may name.
    public static let classCountMax = 4096
    /// The most UTF-8 bytes of one string class.
    public static let classBytesMax = 255

    /// The classes, in the order of the scores.
    public let classes: Classes
    /// Which of the model's outputs (an index into `ModelSpec.outputs`) holds the scores.
    public let scoresOutput: Int

    /// Checks the class list: 1…`classCountMax` classes, strings of at most `classBytesMax`
    /// bytes, none repeated.
    public init(classes: Classes, scoresOutput: Int) throws(InferenceError) {
        guard (1...Self.classCountMax).contains(classes.count) else {
            throw .invalidLabels(detail: "\(classes.count) classes; a model has 1…\(Self.classCountMax)")
        }
        switch classes {
        case .integers(let v):
            guard Set(v).count == v.count else { throw .invalidLabels(detail: "a class is listed twice") }
        case .strings(let v):
            guard Set(v).count == v.count else { throw .invalidLabels(detail: "a class is listed twice") }
            if let long = v.first(where: { $0.utf8.count > Self.classBytesMax }) {
                throw .invalidLabels(detail: "class '\(long.prefix(32))…' is longer than \(Self.classBytesMax) bytes")
            }
        }
        guard scoresOutput >= 0 else { throw .invalidLabels(detail: "scores output \(scoresOutput)") }
        self.classes = classes
        self.scoresOutput = scoresOutput
    }

    /// The label of one item's scores: the class at the first largest score. The scores must
    /// have one value per class (a model description guarantees it).
    public func label(forScores scores: some Collection<Int64>) -> ClassLabel {
        var best = 0, bestValue = Int64.min, i = 0
        for s in scores {
            if i == 0 || s > bestValue { best = i; bestValue = s }
            i += 1
        }
        return classes[min(best, classes.count - 1)]
    }
}

extension ModelSpec {
    /// `labels classes [a, b, …] = argmax of output N (tK)`, for `model inspect`; nil without labels.
    public func describeLabels() -> String? {
        guard let labels, labels.scoresOutput < outputs.count else { return nil }
        return "labels classes [\(labels.classes.all.map(\.description).joined(separator: ", "))] = first argmax of output \(labels.scoresOutput) (t\(outputs[labels.scoresOutput]))"
    }

    /// The labels of a model output `y` (one item, or a batch of items one after another):
    /// one per item, or none when the model has no label output or `y` does not split into
    /// whole items.
    public func labels(forOutput y: [Int64]) -> [ClassLabel] {
        guard let labels, labels.scoresOutput < outputs.count, outputElements > 0,
              y.count % outputElements == 0 else { return [] }
        let offset = outputs[..<labels.scoresOutput].reduce(0) { $0 + tensors[$1].elements }
        let width = tensors[outputs[labels.scoresOutput]].elements
        return stride(from: 0, to: y.count, by: outputElements).map { start in
            labels.label(forScores: y[(start + offset)..<(start + offset + width)])
        }
    }

    /// Checks claimed labels against an output: each must be the label its scores give.
    /// A mismatch is `label_mismatch`, naming the item.
    public func checkLabels(_ claimed: [ClassLabel], forOutput y: [Int64]) throws(InferenceError) {
        let expected = labels(forOutput: y)
        guard claimed.count == expected.count else {
            throw .labelMismatch(item: min(claimed.count, expected.count), claimed: "\(claimed.count) labels",
                                 expected: "\(expected.count) labels")
        }
        for (i, (c, e)) in zip(claimed, expected).enumerated() where c != e {
            throw .labelMismatch(item: i, claimed: c.description, expected: e.description)
        }
    }
}
