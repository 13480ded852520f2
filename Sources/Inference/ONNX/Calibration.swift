/// How a model's fixed-point scales are chosen when it is registered.
///
/// With fixed fraction bits every tensor sits at `2^-fractionBits` (the first rule, and the
/// default: 8 bits, 16-bit activations). With `auto` the scales are chosen per tensor by
/// `Calibration`: the input's from the calibration inputs, each linear layer's output from
/// its weights and, when calibration inputs are given, from the peaks they reach. The chosen
/// scales are part of the model description, hence of its digest; the options themselves are
/// not needed again (`ONNXImporter.importModel(_:matching:)` re-imports from a description).
public struct QuantisationOptions: Sendable, Equatable, Hashable {
    /// Fraction bits: one number for every tensor, or chosen per tensor.
    public enum FractionBits: Sendable, Equatable, Hashable {
        /// Every tensor at `2^-n`.
        case fixed(Int)
        /// Chosen per tensor (see `Calibration`).
        case auto
    }

    /// Total signed width of an activation.
    public var activationBits: Int
    /// Fraction bits of the activations.
    public var fractionBits: FractionBits
    /// Inputs of the model, each one item of `inputElements` real values, on which `auto`
    /// observes the ranges the tensors reach.
    public var calibration: [[Double]]
    /// How the input's scale is chosen from the calibration inputs.
    public enum InputScales: String, Sendable, Equatable, Hashable {
        /// One scale for every input value, from the largest of them (the default).
        case uniform
        /// One scale per feature (element of the input's last axis), from that feature's
        /// largest value, folded into the linear layers that read the input: for features in
        /// their own units (see `ONNXImporter+FeatureScales`). Needs calibration inputs.
        case perFeature = "per_feature"
    }
    /// How the input's scale is chosen.
    public var inputScales: InputScales

    /// The registration default: what `QuantizationConfig.default` describes.
    public static let `default` = QuantisationOptions()
    /// The most calibration inputs one registration takes.
    public static let calibrationInputsMax = 64
    /// The most calibration values (over all inputs) one registration takes.
    public static let calibrationValuesMax = 1 << 18
    /// Headroom of a calibrated scale, in bits: the observed peak times `2^headroomBits` must
    /// fit the activation range, so inputs up to twice the calibration's stay exact.
    public static let headroomBits = 1
    /// Weight fraction bits of every model (the rescale shifts carry the per-layer choice).
    public static let weightFractionBits = 8

    /// Collects the options (checked by `validate`).
    public init(activationBits: Int = 16, fractionBits: FractionBits = .fixed(8), calibration: [[Double]] = [],
                inputScales: InputScales = .uniform) {
        self.activationBits = activationBits
        self.fractionBits = fractionBits
        self.calibration = calibration
        self.inputScales = inputScales
    }

    /// Whether these are the registration defaults (the model is imported as it always was).
    public var isDefault: Bool { self == .default }

    /// Checks the parts that do not need the model: the widths, the calibration's size, that
    /// its values are finite and that it comes with `auto`. Errors are `invalid_quantization`.
    public func validate() throws(InferenceError) {
        guard (2...32).contains(activationBits) else {
            throw .invalidQuantization(detail: "activation bits \(activationBits): accepted are 2…32")
        }
        if case .fixed(let f) = fractionBits {
            guard (0...30).contains(f), f < activationBits - 1 else {
                throw .invalidQuantization(detail: "fraction bits \(f): accepted are 0…\(min(30, activationBits - 2)) for \(activationBits)-bit activations, or \"auto\"")
            }
            guard calibration.isEmpty else {
                throw .invalidQuantization(detail: "calibration inputs choose scales, so they need fraction bits \"auto\", not \(f)")
            }
        }
        guard inputScales == .uniform || (fractionBits == .auto && !calibration.isEmpty) else {
            throw .invalidQuantization(detail: "per-feature input scales come from calibration inputs: they need fraction bits \"auto\" and calibration inputs")
        }
        guard calibration.count <= Self.calibrationInputsMax else {
            throw .invalidQuantization(detail: "\(calibration.count) calibration inputs; at most \(Self.calibrationInputsMax) are accepted")
        }
        let values = calibration.reduce(0) { $0 + $1.count }
        guard values <= Self.calibrationValuesMax else {
            throw .invalidQuantization(detail: "\(values) calibration values; at most \(Self.calibrationValuesMax) are accepted")
        }
        for (i, input) in calibration.enumerated() {
            if let j = input.firstIndex(where: { !$0.isFinite }) {
                throw .invalidQuantization(detail: "calibration input \(i), value \(j) is not a finite number")
            }
        }
    }
}

/// The scales of the tensors a calibration chooses: the input's and each linear layer's
/// output's fraction bits. A layer not (yet) in the plan gets `provisionalFractionBits`, the
/// coarsest scale, which holds the largest values while the layers before it are calibrated.
public struct ScalePlan: Sendable, Equatable, Hashable {
    /// Fraction bits of the model input.
    public var inputFractionBits: Int
    /// Fraction bits of linear layer `k`'s output, for the first layers.
    public var layerFractionBits: [Int]
    /// Per-feature scales of the input, when calibrated feature by feature (then
    /// `inputFractionBits` is the input's nominal scale; see `ONNXImporter+FeatureScales`).
    public var featureFractionBits: [Int]?
    /// The scale of a layer the plan does not name.
    static let provisionalFractionBits = 0

    /// A plan naming the input's scale and the first layers'.
    public init(inputFractionBits: Int, layerFractionBits: [Int], featureFractionBits: [Int]? = nil) {
        self.inputFractionBits = inputFractionBits
        self.layerFractionBits = layerFractionBits
        self.featureFractionBits = featureFractionBits
    }

    /// The plan a model description was imported with: its input's scale and every linear
    /// output's.
    public init(spec: ModelSpec) {
        inputFractionBits = spec.input.fractionBits
        featureFractionBits = spec.inputFeatureFractionBits
        layerFractionBits = spec.nodes.indices.compactMap { i in
            guard case .linear = spec.nodes[i].op else { return nil }
            return spec.tensors[i + 1].fractionBits
        }
    }

    /// Fraction bits of linear layer `k`'s output.
    func outputFractionBits(layer k: Int) -> Int {
        k < layerFractionBits.count ? layerFractionBits[k] : Self.provisionalFractionBits
    }
}

/// The rule that chooses scales (docs/PROTOCOL.md, "Choosing scales"). Every decision is an
/// integer comparison of bit lengths, or a comparison of a real value times a power of two
/// (exact in IEEE arithmetic), so the same model and calibration give the same scales, hence
/// the same digest, on every machine.
public enum Calibration {
    /// Bits of `v`: the least `n` with `v < 2^n`.
    static func bitLength(_ v: UInt64) -> Int { UInt64.bitWidth - v.leadingZeroBitCount }

    /// The input's fraction bits: the largest `f ≤ min(30, A − 2)` with
    /// `peak · 2^(f + h) < 2^(A−1)` (`A` activation bits, `h` headroom bits), else 0.
    static func inputFractionBits(peak: Double, activationBits a: Int, headroomBits h: Int) -> Int {
        let limit = Double(sign: .plus, exponent: a - 1, significand: 1)
        var f = min(30, a - 2)
        while f > 0 && peak * Double(sign: .plus, exponent: f + h, significand: 1) >= limit { f -= 1 }
        return f
    }

    /// A linear output's fraction bits from its accumulator scale `F` and a peak of `bits`
    /// bits (`|z| < 2^bits`): `clamp(F + (A − 1) − h − bits, 0, min(F, 30))`, so the peak
    /// times `2^h` rescaled by `2^(f − F)` fits `A`-bit activations.
    static func outputFractionBits(accumulator f: Int, peakBits bits: Int, activationBits a: Int, headroomBits h: Int) -> Int {
        max(0, min(f, 30, f + (a - 1) - h - bits))
    }
}

extension ONNXImporter {
    /// Parses, checks and quantises a model with the scales `options` give (see `Calibration`).
    public static func importModel(_ bytes: [UInt8], options: QuantisationOptions) throws(InferenceError) -> QuantizedModel {
        try importModelReporting(bytes, options: options).model
    }

    /// `importModel(_:options:)` with what registration reports beside the scales: for each
    /// tree-ensemble step, the thresholds quantisation moved across a calibration value
    /// (docs/PROTOCOL.md, "Moved thresholds").
    public static func importModelReporting(_ bytes: [UInt8], options: QuantisationOptions) throws(InferenceError) -> ModelImport {
        try importReporting(bytes, options: options).result
    }

    /// `importModelReporting`, also giving each tree-ensemble step's import (for
    /// `importTreeEnsemble`).
    static func importReporting(_ bytes: [UInt8], options: QuantisationOptions) throws(InferenceError)
        -> (result: ModelImport, trees: [TreeModelImport]) {
        try options.validate()
        return try importReporting(parse(bytes), options: options)
    }

    static func importReporting(_ proto: Onnx_ModelProto, options: QuantisationOptions) throws(InferenceError)
        -> (result: ModelImport, trees: [TreeModelImport]) {
        let (model, builder) = try calibrated(proto, options: options)
        var inputs: [[Int64]] = []
        for floats in options.calibration { inputs.append(try model.quantizeInput(floats: floats, shape: model.spec.inputShape)) }
        var treeInputs: [[[Int64]]] = []
        if !builder.treeChecks.isEmpty {
            for x in inputs { treeInputs.append(try model.run(x).treeInputs) }
        }
        var reports: [TreeThresholdReport] = []
        var trees: [TreeModelImport] = []
        for (e, check) in builder.treeChecks.enumerated() {
            var report = TreeThresholdReport(step: check.name, checked: false, calibrationInputs: 0, movedCount: 0, moved: [])
            if let real = check.real {
                let integer = treeInputs.map { e < $0.count ? $0[e] : [] }
                let (count, moved) = check.imported.movedThresholds(real: real, integer: integer, listed: TreeThresholdReport.listed)
                report = TreeThresholdReport(step: check.name, checked: true, calibrationInputs: real.count, movedCount: count, moved: moved)
            }
            reports.append(report)
            trees.append(check.imported.reporting(report))
        }
        return (ModelImport(model: model, treeThresholds: reports), trees)
    }

    /// The model with the scales `options` give, and the builder of its last import.
    private static func calibrated(_ proto: Onnx_ModelProto, options: QuantisationOptions) throws(InferenceError)
        -> (model: QuantizedModel, builder: GraphBuilder) {
        let a = options.activationBits, wf = QuantisationOptions.weightFractionBits
        if case .fixed(let f) = options.fractionBits {
            return try importGraph(proto, config: QuantizationConfig(activationFractionBits: f, weightFractionBits: wf, activationBits: a),
                                   plan: nil, calibration: options.calibration)
        }
        let h = QuantisationOptions.headroomBits
        let calibrated = !options.calibration.isEmpty
        let peak = options.calibration.reduce(0.0) { m, input in input.reduce(m) { max($0, $1.magnitude) } }
        // The steps a plan does not name (non-linear steps, products of two tensors) keep the
        // default scale, which is also the input's without calibration.
        let standard = min(QuantizationConfig.default.activationFractionBits, a - 2)
        let fin = calibrated ? Calibration.inputFractionBits(peak: peak, activationBits: a, headroomBits: h) : standard
        let config = try QuantizationConfig(activationFractionBits: standard, weightFractionBits: wf, activationBits: a)
        var plan = ScalePlan(inputFractionBits: fin, layerFractionBits: [])
        var (model, builder) = try importGraph(proto, config: config, plan: plan, calibration: options.calibration)
        // Features in their own units: each feature its own scale, when the graph allows it.
        let spec = model.spec
        if options.inputScales == .perFeature {
            guard calibrated, !spec.integerInput, spec.inputShape.count == 2,
                  Self.featureColumns(nodes: spec.nodes, shapes: spec.tensors.map(\.shape), kinds: spec.layers.map(\.kind)) != nil else {
                throw .invalidQuantization(detail: "per-feature input scales need a float input [N, features] read only by linear layers over its features (a Scaler, a dense layer, a column selection before them)")
            }
            let width = spec.inputShape[1]
            var peaks = [Double](repeating: 0, count: width)
            for input in options.calibration where input.count == width {
                for (j, v) in input.enumerated() { peaks[j] = max(peaks[j], v.magnitude) }
            }
            // A feature the calibration never saw away from 0 keeps the uniform scale.
            peaks = peaks.map { $0 > 0 ? $0 : peak }
            let scales = Self.featureFractionBits(peaks: peaks, activationBits: a, headroomBits: h)
            plan = ScalePlan(inputFractionBits: scales.input, layerFractionBits: [], featureFractionBits: scales.features)
            (model, builder) = try importGraph(proto, config: config, plan: plan, calibration: options.calibration)
        }
        var inputs: [[Int64]] = []
        for (i, floats) in options.calibration.enumerated() {
            guard floats.count == model.spec.inputElements else {
                throw .invalidQuantization(detail: "calibration input \(i) has \(floats.count) values; the model's input \(model.spec.inputShape) has \(model.spec.inputElements)")
            }
            inputs.append(try model.quantizeInput(floats: floats, shape: model.spec.inputShape))
        }
        // Layer by layer: layer k's accumulator depends only on the layers before it, whose
        // scales are final when it is calibrated.
        while plan.layerFractionBits.count < model.layers.count {
            let k = plan.layerFractionBits.count
            guard let node = model.spec.nodes.firstIndex(where: { if case .linear(k, _) = $0.op { true } else { false } }),
                  let source = model.spec.nodes[node].inputs.first else {
                throw .invalidQuantization(detail: "linear layer \(k) has no step in the graph")
            }
            let accumulator = model.spec.tensors[source].fractionBits + wf
            var f = Calibration.outputFractionBits(accumulator: accumulator, peakBits: model.spec.layers[k].accumulatorBits,
                                                   activationBits: a, headroomBits: 0)
            if calibrated {
                var observed: UInt64 = 0
                for x in inputs {
                    for z in try model.run(x).layers[k].preActivation { observed = max(observed, z.magnitude) }
                }
                f = max(f, Calibration.outputFractionBits(accumulator: accumulator, peakBits: Calibration.bitLength(observed),
                                                          activationBits: a, headroomBits: h))
            }
            plan.layerFractionBits.append(f)
            (model, builder) = try importGraph(proto, config: config, plan: plan, calibration: options.calibration)
        }
        return (model, builder)
    }

    /// Imports a model with the scales of `spec`, a description it was registered with (from a
    /// commitment): the same ONNX bytes give the same model, digest included.
    public static func importModel(_ bytes: [UInt8], matching spec: ModelSpec) throws(InferenceError) -> QuantizedModel {
        try importModel(parse(bytes), config: spec.config, plan: ScalePlan(spec: spec))
    }
}
