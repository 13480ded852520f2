/// Everything about one linear layer except its weights: what a verifier needs.
///
/// A layer reads the previous activation (or the model input), applies its `prepare` steps
/// (pooling, clamps), views the result as the columns of a matrix `X` (`inner × positions`:
/// the vector itself for a dense layer, the im2col matrix for a convolution), computes
/// `Z = W · X + b·1ᵀ` (`rows × positions`, row-major, which for a convolution is the NCHW
/// output) and then `a = activation(Z)` element-wise.
///
/// `columns(_:)` and `activate(_:)` are the non-linear half of that and are the functions the
/// verifier uses to recompute a trace; the linear half is what the proof checks.
public struct LayerSpec: Sendable, Equatable, Hashable {
    /// How the prepared input becomes the columns of `X`.
    public enum Kind: Sendable, Equatable, Hashable {
        /// A fully connected layer (Gemm, MatMul): `X` is the input as one column.
        case dense
        /// A 2-D convolution: `X` is the im2col matrix of the input.
        case convolution(ConvolutionGeometry)
        /// A fully connected layer applied to each of `count` vectors (the rows of a
        /// `[count, inner]` activation, e.g. the tokens of a sequence): `X` is the activation
        /// transposed (`inner × count`), and the output is `Z` transposed back (`count × rows`).
        case tokens(count: Int)
        /// An element-wise affine step `Z[c, p] = w[c]·X[c, p] + b[c]`: `X` is the activation
        /// rearranged as `C × P` (`ElementwiseGeometry`), `W` is a vector of `C` values (`rows`
        /// is `C`, `inner` is 1), and the output is `Z` rearranged back to the activation's shape.
        case elementwise(ElementwiseGeometry)
        /// An embedding lookup: the incoming activation holds `count` token ids in
        /// `0..<vocabulary`, and `X` is their one-hot matrix (`vocabulary × count`, the value
        /// `2^fractionBits` at `[id_t, t]`, 0 elsewhere), so `Z = W·X` holds column `id_t` of `W`
        /// (`rows × vocabulary`, the table transposed) for each token; the output is `Z`
        /// transposed back (`count × rows`), as for a per-token layer.
        case oneHot(vocabulary: Int, count: Int, fractionBits: Int)
    }

    /// Elements of the incoming activation, before `prepare`.
    public let inputElements: Int
    /// Non-linear steps applied to the incoming activation, in order.
    public let prepare: [ActivationStep]
    /// Dense, convolution, per-token, element-wise or embedding.
    public let kind: Kind
    /// Rows of `W`: output features, or output channels of a convolution.
    public let rows: Int
    /// Columns of `W`, rows of `X`: input features, or `C·kh·kw`; 1 for an element-wise layer
    /// (whose `X` has `rows` rows), the vocabulary for an embedding.
    public let inner: Int
    /// Columns of `X` and `Z`: 1 for dense, output pixels for a convolution, tokens, or how often
    /// an element-wise layer's parameters repeat.
    public let positions: Int
    /// Rescale and clamp applied to `Z`.
    public let activation: Activation
    /// Every admissible pre-activation satisfies `|z| < 2^accumulatorBits` (derived from the weights).
    public let accumulatorBits: Int

    /// Validates that the steps and the kind fit together and derives `inner` and `positions`.
    public init(inputElements: Int, prepare: [ActivationStep], kind: Kind, rows: Int,
                activation: Activation, accumulatorBits: Int) throws(InferenceError) {
        guard inputElements >= 1, inputElements <= InferenceLimits.tensorElementsMax else {
            throw .tensorTooLarge(name: "layer input", elements: inputElements, limit: InferenceLimits.tensorElementsMax)
        }
        var elements = inputElements
        for step in prepare {
            // Zero must stay inside every clamp: padding inserts it and the bound relies on it.
            if case .clamp(let lo, let hi) = step, !(lo <= 0 && 0 <= hi) {
                throw .invalidQuantization(detail: "clamp range [\(lo), \(hi)] must contain 0")
            }
            if let expected = step.inputElements, expected != elements {
                throw .shapeMismatch(detail: "pooling expects \(expected) elements, gets \(elements)")
            }
            elements = step.outputElements(from: elements)
        }
        switch kind {
        case .dense:
            inner = elements
            positions = 1
        case .convolution(let g):
            guard g.inputElements == elements else {
                throw .shapeMismatch(detail: "convolution expects \(g.inputElements) elements, gets \(elements)")
            }
            inner = g.inner
            positions = g.positions
        case .tokens(let count):
            guard count >= 1, elements % count == 0 else {
                throw .shapeMismatch(detail: "\(elements) elements are not \(count) vectors of one length")
            }
            inner = elements / count
            positions = count
        case .elementwise(let g):
            guard g.elements == elements, rows == g.channels else {
                throw .shapeMismatch(detail: "element-wise layer of \(g.channels) parameters over \(g.shape) gets \(elements) elements and \(rows) rows")
            }
            inner = 1
            positions = g.positions
        case .oneHot(let vocabulary, let count, let f):
            guard count == elements, vocabulary >= 1, vocabulary <= InferenceLimits.tensorElementsMax, (0...30).contains(f),
                  vocabulary * count <= InferenceLimits.tensorElementsMax else {
                throw .shapeMismatch(detail: "embedding of \(count) ids over \(vocabulary) rows (scale 2^-\(f)) gets \(elements) elements")
            }
            inner = vocabulary
            positions = count
        }
        guard rows >= 1, rows <= InferenceLimits.tensorElementsMax,
              rows * inner <= InferenceLimits.tensorElementsMax,
              rows * positions <= InferenceLimits.tensorElementsMax else {
            throw .tensorTooLarge(name: "layer weights or output", elements: rows * max(inner, positions),
                                  limit: InferenceLimits.tensorElementsMax)
        }
        guard accumulatorBits >= 0, accumulatorBits <= InferenceLimits.accumulatorBitsMax else {
            throw .accumulatorBoundTooLarge(layer: -1, bits: accumulatorBits, limit: InferenceLimits.accumulatorBitsMax)
        }
        self.inputElements = inputElements
        self.prepare = prepare
        self.kind = kind
        self.rows = rows
        self.activation = activation
        self.accumulatorBits = accumulatorBits
    }

    /// Elements of `Z` and of the output activation: `rows · positions`.
    public var outputElements: Int { rows * positions }

    /// Shape of the output activation: `[rows]` for dense, `[rows, outH, outW]` for a
    /// convolution, `[count, rows]` for a per-token layer.
    public var outputShape: [Int] {
        switch kind {
        case .dense: [rows]
        case .convolution(let g): [rows, g.outputHeight, g.outputWidth]
        case .tokens(let count), .oneHot(_, let count, _): [count, rows]
        case .elementwise(let g): g.shape.count > 1 ? Array(g.shape.dropFirst()) : g.shape
        }
    }

    /// Elements of `X`: `inner · positions`, or `rows · positions` for an element-wise layer.
    public var columnElements: Int {
        if case .elementwise = kind { return rows * positions }
        return inner * positions
    }

    /// The scale of `X` given the scale of the incoming activation: the same, except for an
    /// embedding, whose one-hot columns are at `2^-fractionBits`.
    public func columnFractionBits(incoming f: Int) -> Int {
        if case .oneHot(_, _, let own) = kind { return own }
        return f
    }

    /// The matrix `X` (`inner × positions`, or `rows × positions` for an element-wise layer,
    /// row-major) from the incoming activation.
    ///
    /// Throws `shapeMismatch` on a wrong length, so it is safe on untrusted trace data.
    public func columns(_ incoming: [Int64]) throws(InferenceError) -> [Int64] {
        guard incoming.count == inputElements else {
            throw .shapeMismatch(detail: "layer input has \(incoming.count) elements, expected \(inputElements)")
        }
        var a = incoming
        for step in prepare { a = step.apply(a) }
        switch kind {
        case .dense: return a
        case .convolution(let g): return IntegerSemantics.im2col(a, g)
        case .tokens(let count): return IntegerSemantics.transpose(a, rows: count, columns: a.count / count)
        case .elementwise(let g): return g.columns(a)
        case .oneHot(let vocabulary, let count, let f):
            // Ids outside the vocabulary (which no admissible input has) select no row.
            var x = [Int64](repeating: 0, count: vocabulary * count)
            for (t, id) in a.enumerated() where id >= 0 && id < Int64(vocabulary) { x[Int(id) * count + t] = Int64(1) << Int64(f) }
            return x
        }
    }

    /// The output activation from the pre-activation `Z` (`rows × positions`): the activation
    /// element by element, laid out as the output tensor (transposed back for a per-token layer).
    public func activate(_ z: [Int64]) -> [Int64] {
        let a = activation.apply(z)
        switch kind {
        case .tokens(let count), .oneHot(_, let count, _):
            if a.count == rows * count { return IntegerSemantics.transpose(a, rows: rows, columns: count) }
        case .elementwise(let g):
            if a.count == g.elements { return g.activation(a) }
        case .dense, .convolution: break
        }
        return a
    }

    /// The range of the prepared input columns given the range of the incoming activation.
    ///
    /// Zero padding adds the value 0, which every range here contains (see `Activation`).
    public func columnRange(incoming: ClosedRange<Int64>) -> ClosedRange<Int64> {
        var range = incoming
        for step in prepare { range = step.outputRange(range) }
        switch kind {
        // Zero padding, and for an element-wise layer the bias alone as a partial sum.
        case .convolution, .elementwise: range = min(range.lowerBound, 0)...max(range.upperBound, 0)
        case .oneHot(_, _, let f): range = 0...(Int64(1) << Int64(f))
        case .dense, .tokens: break
        }
        return range
    }
}
