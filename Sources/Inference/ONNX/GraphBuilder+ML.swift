/// The `ai.onnx.ml` operators scikit-learn exports use (skl2onnx), lowered onto the existing
/// steps: linear models are dense layers, scalers element-wise layers, post-transforms the
/// sigmoid and softmax steps, normalisers reductions and divisions. Their integer meaning is
/// that of those steps (docs/PROTOCOL.md, "Classical models").
extension GraphBuilder {
    /// The `ai.onnx.ml` operator-set versions the importer reads.
    static let mlOpsetVersions: ClosedRange<Int64> = 1...5

    /// The `ai.onnx.ml` operators the model graph implements.
    static let mlOperators: Set<String> = [
        "Scaler", "Normalizer", "LinearClassifier", "LinearRegressor", "ArrayFeatureExtractor", "ZipMap",
        "Binarizer", "Imputer", "OneHotEncoder", "TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble",
    ]

    /// Lowers one `ai.onnx.ml` node whose inputs include a model tensor.
    mutating func lowerML(_ node: Onnx_NodeProto, name: String) throws(InferenceError) {
        switch node.opType {
        case "Scaler": try scaler(node, name)
        case "Normalizer": try normalizer(node, name)
        case "LinearClassifier": try linearClassifier(node, name)
        case "LinearRegressor": try linearRegressor(node, name)
        case "ArrayFeatureExtractor":
            try requireOnly([], node, name)
            let x = try tensor(node, 0, name)
            guard let idx = try constant(node, 1, name) else { throw .unsupportedGraph(node: name, detail: "ArrayFeatureExtractor needs constant indices") }
            let shape = tensors[x].shape
            let width = shape[shape.count - 1]
            var indices: [Int] = []
            for v in idx.values {
                guard v == v.rounded(), v >= 0, v < Double(width) else {
                    throw .unsupportedAttribute(op: node.opType, node: name, detail: "index \(v) outside 0…\(width - 1)")
                }
                indices.append(Int(v))
            }
            guard !indices.isEmpty else { throw .unsupportedAttribute(op: node.opType, node: name, detail: "no indices") }
            try output(node, try add(.gather(axis: shape.count - 1, indices: indices, indexShape: [indices.count]), inputs: [x], name: name))
        case "ZipMap":
            // The probabilities stay the output: a map per item is only their presentation.
            try requireOnly(["classlabels_int64s", "classlabels_strings"], node, name)
            try alias(node, .tensor(try tensor(node, 0, name)))
        case "TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble": try treeEnsemble(node, name)
        case "Binarizer": try binarizer(node, name)
        case "Imputer": try imputer(node, name)
        case "OneHotEncoder": try oneHotEncoder(node, name)
        default:
            throw .unsupportedOperator(op: "ai.onnx.ml.\(node.opType)", node: name)
        }
    }

    /// A `Cast` of a model tensor to int64 or int32 read only by `OneHotEncoder` (as skl2onnx
    /// writes before it): the same tensor, the encoder matching categories on it. Any other
    /// reader of such a cast is refused, since it would see the value untruncated.
    mutating func lowerIntegerCast(_ node: Onnx_NodeProto, name: String) throws(InferenceError) -> Bool {
        if let cast = node.input.first(where: { integerCasts.contains($0) }), !(node.opType == "OneHotEncoder" && node.domain == "ai.onnx.ml") {
            throw .unsupportedAttribute(op: "Cast", node: cast, detail: "a model tensor may only be cast to a float type; a cast to an integer type may only be read by OneHotEncoder, and \(node.opType) node '\(name)' reads it")
        }
        guard node.opType == "Cast", node.domain.isEmpty || node.domain == "ai.onnx", [6, 7].contains(node.int("to", default: 1)),
              let input = node.input.first, case .tensor(let x)? = values[input], let out = node.output.first, !out.isEmpty else { return false }
        try requireOnly(["to", "saturate", "round_mode"], node, name)
        values[out] = .tensor(x)
        integerCasts.insert(out)
        return true
    }

    /// OneHotEncoder with integer categories `cats_int64s` (`c_0 … c_{C−1}`): `x [1, F]` becomes
    /// `[1, F, C]` with `1.0` where `⌊x⌋ = c`, else `0` (onnxruntime truncates a float to an
    /// integer first: the same for `x ≥ 0` and for whole numbers). Steps: `reshape` to
    /// `[1, F, 1]`, `gather` of that column `C` times, an element-wise layer `x − c`
    /// (`K = [1, 1, C]`, committed), then on integers `d` at that layer's scale `2^-g`:
    /// `[d ≥ 0] − [d ≥ 2^g]` as `clamp(d + 1, 0, 1) − clamp(d + 1 − 2^g, 0, 1)`, times `2^g`.
    /// `zeros = 0` (an error on an unknown category) is refused: the proof cannot fail.
    mutating func oneHotEncoder(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["cats_int64s", "cats_strings", "zeros"], node, name)
        if node.attribute("cats_strings").map({ !$0.strings.isEmpty }) ?? false {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "string categories (cats_strings) are not supported: the model input is numbers; encode categories as integers (cats_int64s)")
        }
        let categories = node.attribute("cats_int64s")?.ints ?? []
        guard !categories.isEmpty, categories.count <= ClassLabels.classCountMax,
              categories.allSatisfy({ $0.magnitude < (1 << 24) }) else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "needs 1…\(ClassLabels.classCountMax) integer categories (cats_int64s) below 2^24 in magnitude")
        }
        guard node.int("zeros", default: 1) == 1 else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "zeros = 0 (fail on an unknown category) is not supported; export with handle_unknown='ignore'")
        }
        let x = try tensor(node, 0, name)
        let shape = tensors[x].shape
        guard shape.count == 2, shape[0] == 1 else { throw .shapeMismatch(detail: "OneHotEncoder '\(name)': input \(shape) must be [N, F]") }
        let f = shape[1], c = categories.count
        let column = try add(.reshape(shape: [1, f, 1]), inputs: [x], name: "\(name) (columns)")
        let spread = try add(.gather(axis: 2, indices: [Int](repeating: 0, count: c), indexShape: [c]), inputs: [column], name: "\(name) (× categories)")
        let d = try affine(spread, parameterShape: [1, 1, c], scale: [Double](repeating: 1, count: c),
                           shift: categories.map { -Double($0) }, name: "\(name) (x − c)")
        let g = tensors[d].fractionBits
        let hi = activationRange.hi
        func atLeast(_ units: Int64, _ what: String) throws(InferenceError) -> Int {
            // [d ≥ units] = clamp(d − units + 1, 0, 1)
            try add(.binary(BinaryOperation(kind: .sub, constant: .init(value: units - 1, fractionBits: g, first: false),
                                            outputFractionBits: g, lo: 0, hi: 1)), inputs: [d], name: "\(name) (\(what))")
        }
        let low = try atLeast(0, "x ≥ c")
        let high = try atLeast(Int64(1) << Int64(g), "x ≥ c + 1")
        let indicator = try add(.binary(BinaryOperation(kind: .sub, constant: nil, outputFractionBits: g, lo: 0, hi: 1)),
                                inputs: [low, high], name: "\(name) (⌊x⌋ = c)")
        let one = BinaryOperation(kind: .mul, constant: .init(value: Int64(1) << Int64(g), fractionBits: 0, first: false),
                                  outputFractionBits: g, lo: 0, hi: min(Int64(1) << Int64(g), hi))
        try output(node, try add(.binary(one), inputs: [indicator], name: name))
    }

    /// A tree ensemble over one item's features (docs/PROTOCOL.md, "Tree ensembles"): its
    /// thresholds at the scale of the tensor it reads, its scores at their own. A classifier's
    /// first output is the label `classes[argmax(scores)]`, its second the scores.
    mutating func treeEnsemble(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        let x = try tensor(node, 0, name)
        let input = tensors[x]
        guard let features = input.shape.last, input.elements == features else {
            throw .unsupportedGraph(node: name, detail: "a tree ensemble reads one item of features [1, features], not \(input.shape)")
        }
        let raw = node.opType == "TreeEnsemble"
            ? try TreeAttributes(opset5: node, name: name, features: features)
            : try TreeAttributes(node, name: name, features: features)
        let imported = try TreeQuantiser.quantise(raw, activationBits: config.activationBits, inputFractionBits: input.fractionBits)
        let scores = try add(.treeEnsemble(imported.ensemble.spec), inputs: [x], name: name)
        trees.append(imported.ensemble)
        treeChecks.append((name, imported, node.input.first.flatMap { realValues[$0] }))
        guard raw.isClassifier else {
            try output(node, scores)
            return
        }
        let classes: ClassLabels.Classes = imported.classNames.isEmpty ? .integers(imported.classLabels) : .strings(imported.classNames)
        guard classes.count == tensors[scores].elements else {
            throw .invalidLabels(detail: "node '\(name)': \(classes.count) classes for \(tensors[scores].elements) scores")
        }
        if let label = node.output.first, !label.isEmpty { labelValues[label] = LabelValue(scores: scores, classes: classes) }
        if node.output.count > 1, !node.output[1].isEmpty { values[node.output[1]] = .tensor(scores) }
    }

    /// Floats of a `FLOATS` attribute.
    func floats(_ node: Onnx_NodeProto, _ key: String) -> [Double] {
        node.attribute(key)?.floats.map(Double.init) ?? []
    }

    /// Scaler: `y = (x − offset) · scale` per feature (one value, or one per feature), an
    /// element-wise layer.
    mutating func scaler(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["offset", "scale"], node, name)
        let x = try tensor(node, 0, name)
        guard let d = tensors[x].shape.last else { throw .shapeMismatch(detail: "Scaler '\(name)': scalar input") }
        func spread(_ v: [Double], _ what: String, default value: Double) throws(InferenceError) -> [Double] {
            if v.isEmpty { return [Double](repeating: value, count: d) }
            if v.count == 1 { return [Double](repeating: v[0], count: d) }
            guard v.count == d else { throw .shapeMismatch(detail: "Scaler '\(name)': \(v.count) \(what) values for \(d) features") }
            return v
        }
        let offset = try spread(floats(node, "offset"), "offset", default: 0)
        let scale = try spread(floats(node, "scale"), "scale", default: 1)
        let shift = zip(offset, scale).map { -$0 * $1 }
        try output(node, try channelAffine(x, scale: scale, shift: shift, lastAxis: true, name: name))
    }

    /// LinearRegressor: `y = x·Wᵀ + b`, one row per target; post-transform NONE only.
    mutating func linearRegressor(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["coefficients", "intercepts", "targets", "post_transform"], node, name)
        let transform = node.string("post_transform", default: "NONE")
        guard transform == "NONE" else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "post_transform \(transform): a regressor supports NONE")
        }
        let x = try tensor(node, 0, name)
        let targets = Int(node.int("targets", default: 1))
        let (w, b) = try linearParameters(node, name, x: x, rows: targets)
        try output(node, try dense(x, weights: w, rows: targets, bias: b, name: name))
    }

    /// The coefficients (`rows × features`) and intercepts (`rows`, zero when absent).
    func linearParameters(_ node: Onnx_NodeProto, _ name: String, x: Int, rows: Int) throws(InferenceError) -> ([Double], [Double]) {
        let shape = tensors[x].shape
        guard shape.count == 2, let features = shape.last, rows >= 1 else {
            throw .shapeMismatch(detail: "\(node.opType) '\(name)': input \(shape) must be [N, features]")
        }
        let w = floats(node, "coefficients")
        guard w.count == rows * features else {
            throw .shapeMismatch(detail: "\(node.opType) '\(name)': \(w.count) coefficients for \(rows) rows of \(features) features")
        }
        var b = floats(node, "intercepts")
        if b.isEmpty { b = [Double](repeating: 0, count: rows) }
        guard b.count == rows else { throw .shapeMismatch(detail: "\(node.opType) '\(name)': \(b.count) intercepts for \(rows) rows") }
        return (w, b)
    }

    /// LinearClassifier: scores `x·Wᵀ + b` (one row per class; with one row and two classes
    /// the scores are `[−z, z]`), then the post-transform (NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO), and the
    /// label `classes[argmax(scores)]`.
    mutating func linearClassifier(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["coefficients", "intercepts", "classlabels_ints", "classlabels_strings", "multi_class", "post_transform"], node, name)
        let classes = try classLabelAttributes(node, name)
        let x = try tensor(node, 0, name)
        guard let features = tensors[x].shape.last, features >= 1 else { throw .shapeMismatch(detail: "LinearClassifier '\(name)': scalar input") }
        let rows = floats(node, "coefficients").count / features
        let binary = rows == 1 && classes.count == 2
        guard binary || rows == classes.count else {
            throw .shapeMismatch(detail: "LinearClassifier '\(name)': \(rows) coefficient rows for \(classes.count) classes")
        }
        var (w, b) = try linearParameters(node, name, x: x, rows: rows)
        if binary {
            w = w.map { -$0 } + w
            b = b.map { -$0 } + b
        }
        var scores = try dense(x, weights: w, rows: classes.count, bias: b, name: name)
        // The label is classes[argmax] of the scores before the post-transform (onnxruntime's);
        // every transform but SOFTMAX_ZERO keeps the argmax.
        var labelScores: Int?
        let transform = node.string("post_transform", default: "NONE")
        switch (transform, binary) {
        case ("NONE", _), ("SOFTMAX", true), ("SOFTMAX_ZERO", true):
            // One row and two classes: onnxruntime writes the decision values [−z, z] unchanged.
            break
        case ("LOGISTIC", _):
            scores = try sigmoid(scores, name: "\(name) (logistic)")
        case ("SOFTMAX", false):
            scores = try softmaxLastAxis(scores, name: "\(name) (softmax)")
        case ("SOFTMAX_ZERO", false):
            // A zero score's probability is 0, so a zero score above all others would lose the
            // argmax: the label reads the scores themselves, which become a model output too.
            labelScores = scores
            let fo = config.activationFractionBits
            scores = try add(.softmaxZero(axis: tensors[scores].shape.count - 1, outputFractionBits: fo, lo: 0,
                                          hi: min(Int64(1) << Int64(fo), activationRange.hi)), inputs: [scores], name: "\(name) (softmax zero)")
        default:
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "post_transform \(transform) is not supported (supported: NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO)")
        }
        guard node.output.count >= 1, !node.output[0].isEmpty else { throw .unsupportedGraph(node: name, detail: "no label output") }
        labelValues[node.output[0]] = LabelValue(scores: labelScores ?? scores, classes: classes)
        if node.output.count > 1, !node.output[1].isEmpty { values[node.output[1]] = .tensor(scores) }
    }

    /// The logistic sigmoid of `x`, element by element, at the activation scale.
    mutating func sigmoid(_ x: Int, name: String) throws(InferenceError) -> Int {
        let e = try ElementOperator(.sigmoid, inputFractionBits: tensors[x].fractionBits, outputFractionBits: config.activationFractionBits,
                                    lo: activationRange.lo, hi: activationRange.hi)
        return try add(.element(e), inputs: [x], name: name)
    }

    /// Softmax over the last axis, at the activation scale.
    mutating func softmaxLastAxis(_ x: Int, name: String) throws(InferenceError) -> Int {
        let fo = config.activationFractionBits
        return try add(.softmax(axis: tensors[x].shape.count - 1, log: false, outputFractionBits: fo, lo: 0,
                                hi: min(Int64(1) << Int64(fo), activationRange.hi)), inputs: [x], name: name)
    }

    /// Normalizer over the last axis: `x / max(x)` (MAX) and `x / Σ|x|` (L1), each a reduction
    /// then a division (a zero L1 norm divides by one unit, so a zero row stays zero), and
    /// `x / √Σx²` (L2) as RMS normalisation times `1/√d`.
    mutating func normalizer(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["norm"], node, name)
        let x = try tensor(node, 0, name)
        let shape = tensors[x].shape
        let axis = shape.count - 1
        let f = tensors[x].fractionBits
        let (lo, hi) = activationRange
        func reduce(_ kind: ReduceSpec.Kind, _ t: Int, _ what: String) throws(InferenceError) -> Int {
            try add(.reduce(ReduceSpec(kind: kind, axes: [axis], keepDimensions: true, lo: lo, hi: hi)), inputs: [t], name: "\(name) (\(what))")
        }
        func atLeastOneUnit(_ t: Int) throws(InferenceError) -> Int {
            let tf = tensors[t].fractionBits
            return try add(.binary(BinaryOperation(kind: .max, constant: .init(value: 1, fractionBits: tf, first: false),
                                                   outputFractionBits: tf, lo: lo, hi: hi)), inputs: [t], name: "\(name) (norm ≥ 1 unit)")
        }
        let norm: Int
        switch node.string("norm", default: "MAX") {
        case "MAX":
            norm = try reduce(.max, x, "max")
        case "L1":
            let negated = try add(.binary(BinaryOperation(kind: .sub, constant: .init(value: 0, fractionBits: 0, first: true),
                                                          outputFractionBits: f, lo: lo, hi: hi)), inputs: [x], name: "\(name) (−x)")
            let magnitude = try add(.binary(BinaryOperation(kind: .max, constant: nil, outputFractionBits: f, lo: 0, hi: hi)),
                                    inputs: [x, negated], name: "\(name) (|x|)")
            norm = try atLeastOneUnit(try reduce(.sum, magnitude, "Σ|x|"))
        case "L2":
            // x / √Σx² = (x / √(mean(x²) + ε)) / √d: the RMS normalisation step (wide
            // arithmetic, no square is clamped), ε = 2^-40 so a zero row stays 0, then the
            // public constant 1/√d.
            let d = shape[axis]
            let rms = try add(.normalize(axis: axis, epsilon: 1, centered: false, outputFractionBits: config.activationFractionBits,
                                         lo: lo, hi: hi), inputs: [x], name: "\(name) (x / rms)")
            guard let c = IntegerSemantics.quantize(1 / Double(d).squareRoot(), fractionBits: 16) else {
                throw .shapeMismatch(detail: "Normalizer '\(name)': \(d) features")
            }
            try output(node, try add(.binary(BinaryOperation(kind: .mul, constant: .init(value: c, fractionBits: 16, first: false),
                                                             outputFractionBits: config.activationFractionBits, lo: lo, hi: hi)),
                                     inputs: [rms], name: name))
            return
        case let other:
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "norm '\(other)' is not MAX, L1 or L2")
        }
        try output(node, try add(.binary(BinaryOperation(kind: .div, constant: nil, outputFractionBits: config.activationFractionBits,
                                                         lo: lo, hi: hi)), inputs: [x, norm], name: name))
    }

    /// Binarizer: `1` where `x > threshold`, else `0`. On integers at scale `2^-f`, `x > t`
    /// is `x − q(t) ≥ 1`, so `clamp(x − q(t), 0, 1)` is the indicator (in units of `2^-f`),
    /// then times the constant `2^f` (at scale 1), which makes it `1.0` at `2^-f`.
    mutating func binarizer(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["threshold"], node, name)
        let x = try tensor(node, 0, name)
        let f = tensors[x].fractionBits
        let threshold = node.float("threshold", default: 0)
        guard let q = IntegerSemantics.quantize(threshold, fractionBits: f), q.magnitude < (1 << 40) else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "threshold \(threshold) is out of range")
        }
        let indicator = try add(.binary(BinaryOperation(kind: .sub, constant: .init(value: q, fractionBits: f, first: false),
                                                        outputFractionBits: f, lo: 0, hi: 1)), inputs: [x], name: "\(name) (x > t)")
        let one = BinaryOperation(kind: .mul, constant: .init(value: Int64(1) << Int64(f), fractionBits: 0, first: false),
                                  outputFractionBits: f, lo: 0, hi: Int64(1) << Int64(f))
        try output(node, try add(.binary(one), inputs: [indicator], name: name))
    }

    /// Imputer that replaces missing values (NaN) by constants: a quantised input holds no
    /// NaN (a non-finite input value is refused when it is quantised), so the step is the
    /// identity. Replacing a finite value is not supported.
    mutating func imputer(_ node: Onnx_NodeProto, _ name: String) throws(InferenceError) {
        try requireOnly(["imputed_value_floats", "imputed_value_int64s", "replaced_value_float", "replaced_value_int64"], node, name)
        let x = try tensor(node, 0, name)
        let imputed = floats(node, "imputed_value_floats")
        guard !imputed.isEmpty, imputed.allSatisfy(\.isFinite) else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "needs constant imputed_value_floats (finite)")
        }
        guard imputed.count == 1 || imputed.count == tensors[x].shape.last else {
            throw .shapeMismatch(detail: "Imputer '\(name)': \(imputed.count) imputed values for \(tensors[x].shape)")
        }
        let replaced = node.float("replaced_value_float", default: 0)
        guard replaced.isNaN, node.attribute("replaced_value_int64") == nil else {
            throw .unsupportedAttribute(op: node.opType, node: name, detail: "replaced_value_float \(replaced): only missing values (NaN) can be imputed")
        }
        try alias(node, .tensor(x))
    }
}
