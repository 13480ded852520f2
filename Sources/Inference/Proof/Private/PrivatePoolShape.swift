import ZKProof

/// The committed witness of a max pool between two layers of a private proof
/// (docs/PROTOCOL.md, "Max pooling"), derived from the graph and the previous layer's shape.
///
/// Two tables: the *output* table holds each window's maximum `m` (`A = m − lo`, laid out as a
/// layer's activation, `C` channels × output pixels, so the next layer reads it like one), and
/// the *selection* table holds, per window and tap `u` (entry `w·K' + u`, `w` the output entry,
/// `K'` the window size rounded up to a power of two), the difference `δ = m − a_u` (`d` bits)
/// and a selector bit `S`. The checks `m − a_u − δ = 0` on every tap that reads the input,
/// `S·δ = 0`, and `Σ_u S = 1` per real window make `m` the window's largest value.
///
/// A class so a layer's shape can hold the pool whose output it reads (whose tables are shapes).
final class PrivatePoolShape: Sendable, Equatable {
    /// The maxima, one entry per output element and item.
    let output: PrivateLayerShape
    /// The differences and selectors, `K'` entries per output entry.
    let selection: PrivateLayerShape
    /// Taps per window (`kh·kw`).
    let window: Int
    /// `members[o·window + u]`: the input element tap `u` of output element `o` reads, negative
    /// for padding (`TensorSemantics.poolMembers`, the engine's own map).
    let members: [Int]

    /// Nil unless `spec` is a max pool over a `[1, C, H, W]` (or `[1, C, L]`) tensor of the
    /// previous layer's elements whose every window reads at least one element.
    init?(_ spec: PoolSpec, input: [Int], output shape: [Int], previous: PrivateLayerShape) {
        guard spec.isMax, input.count == 3 || input.count == 4, input.count == shape.count, input[0] == 1,
              spec.kernel.count == 2, spec.strides.count == 2, spec.dilations.count == 2, spec.pads.count == 4 else { return nil }
        let (h, w) = input.count == 4 ? (input[2], input[3]) : (1, input[2])
        let (oh, ow) = shape.count == 4 ? (shape[2], shape[3]) : (1, shape[2])
        let channels = input[1]
        // Bounded before the map is built: the selection table has at least this many entries.
        guard let taps = Self.product([channels, oh, ow, spec.kernel[0], spec.kernel[1], previous.items],
                                      max: PrivateProofLimits.tableEntriesMax), taps > 0,
              Self.product([channels, h, w], max: InferenceLimits.tensorElementsMax) == previous.rows * previous.positions,
              shape[1] == channels else { return nil }
        let window = spec.kernel[0] * spec.kernel[1]
        let members = TensorSemantics.poolMembers(channels: channels, height: h, width: w, spec: spec, outputHeight: oh, outputWidth: ow)
        guard window >= 1, members.count == channels * oh * ow * window,
              (0..<(channels * oh * ow)).allSatisfy({ o in members[(o * window)..<((o + 1) * window)].contains { $0 >= 0 } }),
              let out = PrivateLayerShape(values: channels, positions: oh * ow, items: previous.items, lo: previous.lo,
                                          hi: previous.hi, complement: false),
              let sel = PrivateLayerShape(values: out.entries, positions: window, items: 1, lo: 0, hi: previous.span,
                                          complement: false, extraColumns: 1) else { return nil }
        self.window = window
        self.members = members
        self.output = out
        selection = sel
    }

    /// The product of non-negative `factors`, nil if one is negative or it passes `max`.
    static func product(_ factors: [Int], max: Int) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (q, overflow) = p.multipliedReportingOverflow(by: f)
            guard !overflow, q <= max else { return nil }
            p = q
        }
        return p
    }

    static func == (a: PrivatePoolShape, b: PrivatePoolShape) -> Bool {
        a.output == b.output && a.selection == b.selection && a.members == b.members
    }

    /// Output elements per item.
    var outputElements: Int { output.rows * output.positions }
    /// The column of the selector bit, after `δ`'s bits.
    var selectorColumn: Int { selection.clampBits }
    /// The selector's column vector.
    var selectorVector: [Scalar] { selection.groupVector(start: selectorColumn, bits: 1) }
    /// The selection entry of tap `u` of output element `o` of item `p`.
    func selectionEntry(_ o: Int, item p: Int, tap u: Int) -> Int { output.entry(o, item: p) * selection.paddedColumns + u }

    /// Visits every tap that reads the input: `(output element, item, tap, input element)`.
    func forEachTap(_ body: (_ o: Int, _ item: Int, _ u: Int, _ n: Int) -> Void) {
        for o in 0..<outputElements {
            for u in 0..<window where members[o * window + u] >= 0 {
                for p in 0..<output.items { body(o, p, u, members[o * window + u]) }
            }
        }
    }

    /// The two tables from the previous layer's activation (`items` items of its elements,
    /// item-major): each window's maximum, and per tap its difference and the selector of the
    /// first tap that holds the maximum. Nil if a value is outside the previous range.
    func tables(_ activation: [Int64]) -> (output: [Int64], selection: [Int64])? {
        let inputs = activation.count / max(output.items, 1)
        var maxima = [Int64](repeating: 0, count: outputElements * output.items)
        for p in 0..<output.items {
            for o in 0..<outputElements {
                let taps = members[(o * window)..<((o + 1) * window)].filter { $0 >= 0 }
                maxima[p * outputElements + o] = taps.map { activation[p * inputs + $0] }.max() ?? output.lo
            }
        }
        guard let outputTable = output.inputTable(maxima) else { return nil }
        var table = [Int64](repeating: 0, count: selection.entries * selection.columnCount)
        var selected = Set<Int>()
        forEachTap { o, p, u, n in
            let m = maxima[p * outputElements + o], delta = m - activation[p * inputs + n]
            let row = selectionEntry(o, item: p, tap: u) * selection.columnCount
            for b in 0..<selection.clampBits { table[row + b] = (delta >> Int64(b)) & 1 }
            if delta == 0, selected.insert(p * outputElements + o).inserted { table[row + selectorColumn] = 1 }
        }
        return (outputTable, table)
    }
}
