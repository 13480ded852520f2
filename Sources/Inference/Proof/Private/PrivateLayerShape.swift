import ZKProof

/// The shape of one layer's committed witness in a private proof, derived by prover and
/// verifier alike from the public `LayerSpec` and the batch size.
///
/// Each pre-activation `Z[i, q]` (row `i`, column `q = p·positions + t` for item `p` and
/// position `t`: output pixel of a convolution, 0 for a dense layer) is one *entry*
/// `e = i·Q' + q` of the layer's bit table (`Q'` = the `items·positions` columns rounded up to
/// a power of two, `R'` the same for the rows; `E' = R'·Q'` entries). An entry's columns hold,
/// least significant bit first:
///
///     R (s bits) | A (d bits) | C (d bits, only when D + 1 is not a power of two) | P (w bits) | N (w bits)
///
/// with `D = hi − lo`, `d = bitlen(D)`, and the integers they spell satisfying
///
///     Z + 2^(s−1) = 2^s·Q + R,   Q = lo + A + P − N,   A + C = D,   P·(D − A) = 0,   N·A = 0
///
/// (no `2^(s−1)` when `s = 0`). `a = lo + A` is then `clamp(roundShift(Z, s), lo, hi)`; see
/// docs/PROTOCOL.md "Private proofs (protocol v2)" for the argument. Padding entries are all zero.
/// Element `n` of an item's output activation (row-major `rows × positions`, the layout the
/// next layer and any reshape between read) is entry `entry(n, item)`.
struct PrivateLayerShape: Sendable, Equatable {
    /// Rows of `W` (output features or channels) and columns of `W` (input features, `C·kh·kw`).
    let rows: Int, inner: Int
    /// Items of the batch, positions per item (output pixels; 1 for a dense layer), and
    /// `columns = items·positions`.
    let items: Int, positions: Int, columns: Int
    /// `R'` and `Q'`: rows and columns rounded up to powers of two.
    let paddedRows: Int, paddedColumns: Int
    /// Which element of the layer's input each cell of `X` reads: `reads[j·positions + t]`,
    /// −1 for a convolution's zero padding (the im2col map; the identity for a dense layer).
    let reads: [Int]
    /// Elements of one item's input tensor.
    let inputElements: Int
    /// The rescale shift and the clamp.
    let shift: Int, lo: Int64, hi: Int64
    /// Bits of `A` (and of `C` when present), and of `P` and `N`.
    let clampBits: Int, complementBits: Int, overflowBits: Int
    /// Columns of the bit table: the groups' bits rounded up to a power of two.
    let columnCount: Int
    /// Columns of the weight table `[W | b]`: `inner + 1` rounded up to a power of two.
    let weightColumns: Int
    /// The max pool between the previous table and this layer, whose output table the layer
    /// reads in place of the previous one (nil: the layer reads the previous table).
    var pool: PrivatePoolShape? = nil

    /// Derives the shape; nil when the layer is not a dense or convolution layer the private
    /// mode proves, or its table would be over `PrivateProofLimits.tableEntriesMax`.
    init?(_ layer: LayerSpec, items: Int) {
        guard layer.prepare.isEmpty, items >= 1, items <= PrivateProofLimits.itemsMax,
              let reads = PrivateLayerShape.reads(layer) else { return nil }
        let act = layer.activation
        // The bounds first: a decoded spec may hold any Int64, and `hi − lo` must not overflow.
        guard act.lo > -(1 << 40), act.hi < (1 << 40), act.lo <= act.hi else { return nil }
        rows = layer.rows
        inner = layer.inner
        self.items = items
        positions = layer.positions
        columns = items * layer.positions
        self.reads = reads
        inputElements = layer.inputElements
        paddedRows = 1 << Multilinear.variableCount(rows)
        paddedColumns = 1 << Multilinear.variableCount(columns)
        guard paddedRows * paddedColumns <= PrivateProofLimits.tableEntriesMax else { return nil }
        shift = act.shift
        lo = act.lo
        hi = act.hi
        let d = act.hi - act.lo
        clampBits = d == 0 ? 0 : Int64.bitWidth - d.leadingZeroBitCount
        complementBits = (d + 1) & d == 0 ? 0 : clampBits
        // |Z| < 2^B gives |Q| ≤ 2^max(B−s, 0) + 1, so P, N ≤ 2^max(B−s, 0) + 1 + max(|lo|, |hi|).
        let edge = max(-act.lo, act.hi)
        let edgeBits = edge == 0 ? 0 : Int64.bitWidth - edge.leadingZeroBitCount
        overflowBits = max(layer.accumulatorBits - act.shift, 0) + 2 + edgeBits
        let used = shift + clampBits + complementBits + 2 * overflowBits
        columnCount = 1 << Multilinear.variableCount(used)
        weightColumns = 1 << Multilinear.variableCount(inner + 1)
        guard columnCount <= Generators.countMax, weightColumns <= Generators.countMax else { return nil }
    }

    /// The shape of a hidden input's table (docs/PROTOCOL.md, "Hidden input"): entry
    /// `e = n·P' + p` is `x_p[n]` (`rows` = the input's elements), its columns hold
    /// `A = x − lo` (`d` bits) and, when `D + 1` is not a power of two, `C = D − A`, with
    /// `[lo, hi]` the model's input range; no `R`, `P` or `N`. Nil when the spec is not
    /// privately provable or the range is too wide.
    init?(input spec: ModelSpec, items: Int) {
        guard !spec.layers.isEmpty else { return nil }
        let range = spec.inputRange
        self.init(values: spec.inputElements, positions: 1, items: items, lo: range.lowerBound, hi: range.upperBound,
                  complement: true)
    }

    /// The shape of a table of values in `[lo, hi]` (a hidden input, a max pool's output or
    /// its differences): `rows × positions` elements per item laid out as a layer's, each entry
    /// holding `A = v − lo` (`d` bits), `C = D − A` when `complement` and `D + 1` is not a power
    /// of two, then `extraColumns` more columns; no `R`, `P` or `N`.
    init?(values rows: Int, positions: Int, items: Int, lo: Int64, hi: Int64, complement: Bool, extraColumns: Int = 0) {
        guard rows >= 1, positions >= 1, items >= 1, items <= PrivateProofLimits.itemsMax,
              lo > -(1 << 40), hi < (1 << 40), lo <= hi else { return nil }
        self.rows = rows
        inner = 0
        self.items = items
        self.positions = positions
        columns = items * positions
        reads = []
        inputElements = 0
        paddedRows = 1 << Multilinear.variableCount(rows)
        paddedColumns = 1 << Multilinear.variableCount(columns)
        guard paddedRows * paddedColumns <= PrivateProofLimits.tableEntriesMax else { return nil }
        shift = 0
        self.lo = lo
        self.hi = hi
        let d = hi - lo
        clampBits = d == 0 ? 0 : Int64.bitWidth - d.leadingZeroBitCount
        complementBits = !complement || (d + 1) & d == 0 ? 0 : clampBits
        overflowBits = 0
        columnCount = 1 << Multilinear.variableCount(max(clampBits + complementBits + extraColumns, 1))
        weightColumns = 1
        guard columnCount <= Generators.countMax else { return nil }
    }

    /// The table of values `x` (`items` items of `rows·positions` elements, item-major as
    /// `prove` takes an input). Nil if a value is outside `[lo, hi]` or the count is wrong.
    func inputTable(_ x: [Int64]) -> [Int64]? {
        let elements = rows * positions
        guard x.count == elements * items else { return nil }
        var table = [Int64](repeating: 0, count: entries * columnCount)
        for n in 0..<elements {
            for p in 0..<items {
                let v = x[p * elements + n]
                guard v >= lo, v <= hi else { return nil }
                let a = v - lo, c = span - a
                let row = entry(n, item: p) * columnCount
                for b in 0..<clampBits { table[row + clampStart + b] = (a >> Int64(b)) & 1 }
                for b in 0..<complementBits { table[row + complementStart + b] = (c >> Int64(b)) & 1 }
            }
        }
        return table
    }

    /// `E' = R'·Q'`, the committed rows of the bit table.
    var entries: Int { paddedRows * paddedColumns }

    /// The entry holding element `n` of item `item`'s output activation (`rows × positions`).
    func entry(_ n: Int, item: Int) -> Int {
        (n / positions) * paddedColumns + item * positions + n % positions
    }

    /// What each cell of a layer's `X` reads (see `reads`); nil for a kind with no private proof.
    /// A convolution's map is the im2col of the element indices, so it is exactly the engine's.
    static func reads(_ layer: LayerSpec) -> [Int]? {
        switch layer.kind {
        case .dense: return Array(0..<layer.inner)
        case .convolution(let g):
            // Indices shifted by one, so the padding's 0 becomes −1.
            return IntegerSemantics.im2col((1...Int64(g.inputElements)).map { $0 }, g).map { Int($0) - 1 }
        case .tokens, .elementwise, .oneHot: return nil
        }
    }
    /// `D = hi − lo`.
    var span: Int64 { hi - lo }
    /// First column of each group.
    var clampStart: Int { shift }
    var complementStart: Int { shift + clampBits }
    var positiveStart: Int { shift + clampBits + complementBits }
    var negativeStart: Int { shift + clampBits + complementBits + overflowBits }

    /// The public column vector of one group: `2^j·scale` on the group's `j`-th column.
    func groupVector(start: Int, bits: Int, scale: Scalar = .one) -> [Scalar] {
        var v = [Scalar](repeating: .zero, count: columnCount)
        var power = scale
        for j in 0..<bits {
            v[start + j] = power
            power = power + power
        }
        return v
    }

    /// `A`'s column vector.
    var clampVector: [Scalar] { groupVector(start: clampStart, bits: clampBits) }
    /// `A + C`'s column vector (present only with complement bits).
    var spanVector: [Scalar] {
        zip(clampVector, groupVector(start: complementStart, bits: complementBits)).map { $0 + $1 }
    }
    /// `P`'s and `N`'s column vectors.
    var positiveVector: [Scalar] { groupVector(start: positiveStart, bits: overflowBits) }
    var negativeVector: [Scalar] { groupVector(start: negativeStart, bits: overflowBits) }

    /// `Z − z₀` of an entry as a column vector: `R + 2^s·(A + P − N)`.
    var preActivationVector: [Scalar] {
        let s = PrivateLayerShape.power(shift)
        var v = groupVector(start: 0, bits: shift)
        for (j, x) in groupVector(start: clampStart, bits: clampBits, scale: s).enumerated() { v[j] += x }
        for (j, x) in groupVector(start: positiveStart, bits: overflowBits, scale: s).enumerated() { v[j] += x }
        for (j, x) in groupVector(start: negativeStart, bits: overflowBits, scale: s).enumerated() { v[j] -= x }
        return v
    }

    /// `z₀ = 2^s·lo − 2^(s−1)` (no half when `s = 0`): `Z` of a real entry is `z₀` plus its bits' value.
    var preActivationOffset: Scalar {
        let base = PrivateLayerShape.power(shift) * Scalar(lo)
        return shift == 0 ? base : base - PrivateLayerShape.power(shift - 1)
    }

    /// `2^k` in the field.
    static func power(_ k: Int) -> Scalar {
        var p = Scalar.one
        for _ in 0..<k { p = p + p }
        return p
    }

    /// `Σ_{i<rows} L_i` for an `eq` table over the padded rows: the extension of the real rows' indicator.
    static func prefixSum(_ table: [Scalar], _ count: Int) -> Scalar {
        table.prefix(count).reduce(Scalar.zero, +)
    }

    /// The pre-activation matrix `Z` (`rows × columns`, row-major) of layer `k` over a batch's traces.
    func preActivations(_ traces: [InferenceTrace], layer k: Int) -> [Int64] {
        var z = [Int64](repeating: 0, count: rows * columns)
        for (p, trace) in traces.enumerated() where p < items {
            for (n, v) in trace.layers[k].preActivation.enumerated() where n < rows * positions {
                z[(n / positions) * columns + p * positions + n % positions] = v
            }
        }
        return z
    }

    /// The bit table of a pre-activation matrix `z` (`rows × columns`, row-major). Nil if a value
    /// does not fit the layer's bound (never for an admissible run).
    func bitTable(_ z: [Int64]) -> [Int64]? {
        guard z.count == rows * columns else { return nil }
        var table = [Int64](repeating: 0, count: entries * columnCount)
        for i in 0..<rows {
            for p in 0..<columns {
                let v = z[i * columns + p]
                let q = IntegerSemantics.roundShift(v, shift)
                let (scaled, o1) = q.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
                guard !o1 else { return nil }
                let r = v - scaled + (shift == 0 ? 0 : Int64(1) << Int64(shift - 1))
                let a = IntegerSemantics.clamp(q, lo, hi)
                let fields: [(Int, Int, Int64)] = [
                    (0, shift, r), (clampStart, clampBits, a - lo), (complementStart, complementBits, span - (a - lo)),
                    (positiveStart, overflowBits, max(q - hi, 0)), (negativeStart, overflowBits, max(lo - q, 0)),
                ]
                let row = (i * paddedColumns + p) * columnCount
                // Without complement bits `D + 1` is a power of two and `A < 2^d` is the whole range check.
                for (n, (start, bits, value)) in fields.enumerated() where n != 2 || complementBits > 0 {
                    guard value >= 0, bits >= 63 || value >> Int64(bits) == 0 else { return nil }
                    for j in 0..<min(bits, 63) { table[row + start + j] = (value >> Int64(j)) & 1 }
                }
            }
        }
        return table
    }
}

extension PrivateLayerShape {
    /// The integer each entry's group spells (length `entries`), as field elements.
    func groupValues(_ table: [Int64], start: Int, bits: Int) -> [Scalar] {
        (0..<entries).map { e in
            var value = Scalar.zero, power = Scalar.one
            for j in 0..<bits {
                if table[e * columnCount + start + j] != 0 { value += power * Scalar(table[e * columnCount + start + j]) }
                power = power + power
            }
            return value
        }
    }
}
