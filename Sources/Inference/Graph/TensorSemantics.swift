/// The integer meaning of the graph's data-movement and element-wise steps, implemented once
/// (engine = prover = verifier). Values are flat, row-major; shapes are checked by
/// `TensorInfo.infer` before any of these run, so the preconditions here hold for every
/// spec that decoded, whatever a proof contains (the values, never the shapes, come from it).
enum TensorSemantics {
    /// Row-major strides of a shape.
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in shape.indices.reversed() {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// Advances a row-major multi-index over `shape` by one, the last axis fastest.
    static func advance(_ index: inout [Int], in shape: [Int]) {
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            if index[axis] < shape[axis] { return }
            index[axis] = 0
            axis -= 1
        }
    }

    /// The ONNX (numpy) broadcast of two shapes, or nil when they do not broadcast.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a
        let pb = [Int](repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for (x, y) in zip(pa, pb) {
            if x == y || y == 1 { out.append(x) } else if x == 1 { out.append(y) } else { return nil }
        }
        return out
    }

    /// For each element of `outShape`, the index of the element of `shape` it reads under
    /// broadcasting (`shape` right-aligned, length-1 axes repeated).
    static func broadcastIndices(from shape: [Int], to outShape: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: outShape.count - shape.count) + shape
        let inStrides = strides(padded)
        let count = outShape.reduce(1, *)
        var out = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: outShape.count)
        for flat in 0..<count {
            var source = 0
            for axis in outShape.indices where padded[axis] != 1 { source += index[axis] * inStrides[axis] }
            out[flat] = source
            advance(&index, in: outShape)
        }
        return out
    }

    /// `v · 2^(to − from)`: rounded half up when it shrinks, exact (saturating at the `Int64`
    /// range, which no clamped activation comes near) when it grows.
    static func rescale(_ v: Int64, from: Int, to: Int) -> Int64 {
        if from == to { return v }
        if from > to { return IntegerSemantics.roundShift(v, min(from - to, 62)) }
        let (p, overflow) = v.multipliedReportingOverflow(by: Int64(1) << Int64(min(to - from, 62)))
        return overflow ? (v < 0 ? .min : .max) : p
    }

    /// One element-wise result, before the output clamp. `a` at `fa`, `b` at `fb`, result at `fo`.
    static func binary(_ kind: BinaryOperation.Kind, _ a: Int64, _ fa: Int, _ b: Int64, _ fb: Int,
                       _ fo: Int, lo: Int64, hi: Int64) -> Int64 {
        let r: Int64
        switch kind {
        case .add, .sub, .max, .min:
            let f = max(fa, fb)
            let x = rescale(a, from: fa, to: f), y = rescale(b, from: fb, to: f)
            switch kind {
            case .add: r = rescale(x &+ y, from: f, to: fo)
            case .sub: r = rescale(x &- y, from: f, to: fo)
            case .max: r = rescale(Swift.max(x, y), from: f, to: fo)
            default: r = rescale(Swift.min(x, y), from: f, to: fo)
            }
        case .mul:
            let (p, overflow) = a.multipliedReportingOverflow(by: b)
            r = overflow ? ((a < 0) != (b < 0) ? .min : .max) : rescale(p, from: fa + fb, to: fo)
        case .div:
            // a/b at fo: ⌊(a · 2^(fo + fb − fa) + ⌊|b|/2⌋·sign) / b⌋ as round half up of the
            // exact quotient; b = 0 saturates.
            if b == 0 { return a < 0 ? lo : hi }
            let shift = fo + fb - fa
            let numerator = shift >= 0 ? rescale(a, from: 0, to: shift) : IntegerSemantics.roundShift(a, min(-shift, 62))
            let (n, d) = b < 0 ? (numerator == .min ? Int64.max : -numerator, -b) : (numerator, b)
            r = IntegerSemantics.divideRoundingHalfUp(n, d)
        }
        return IntegerSemantics.clamp(r, lo, hi)
    }

    /// `values` (of `shape`) with its axes permuted: output axis `i` is input axis `perm[i]`.
    static func transpose(_ values: [Int64], shape: [Int], permutation perm: [Int]) -> [Int64] {
        let inStrides = strides(shape)
        let outShape = perm.map { shape[$0] }
        var out = [Int64](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: outShape.count)
        for flat in 0..<values.count {
            var source = 0
            for axis in outShape.indices { source += index[axis] * inStrides[perm[axis]] }
            out[flat] = values[source]
            advance(&index, in: outShape)
        }
        return out
    }

    /// Joins tensors along `axis` (shapes equal elsewhere).
    static func concat(_ parts: [[Int64]], shapes: [[Int]], axis: Int) -> [Int64] {
        guard let first = shapes.first else { return [] }
        let outer = first[..<axis].reduce(1, *)
        var out: [Int64] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for o in 0..<outer {
            for (part, shape) in zip(parts, shapes) {
                let block = shape[axis...].reduce(1, *)
                out.append(contentsOf: part[(o * block)..<((o + 1) * block)])
            }
        }
        return out
    }

    /// The strided window `starts[i] + k·steps[i]`, `k < counts[i]`, on every axis.
    static func slice(_ values: [Int64], shape: [Int], starts: [Int], counts: [Int], steps: [Int]) -> [Int64] {
        let inStrides = strides(shape)
        let total = counts.reduce(1, *)
        var out = [Int64](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: counts.count)
        for flat in 0..<total {
            var source = 0
            for axis in counts.indices { source += (starts[axis] + index[axis] * steps[axis]) * inStrides[axis] }
            out[flat] = values[source]
            advance(&index, in: counts)
        }
        return out
    }

    /// Constant padding.
    static func pad(_ values: [Int64], shape: [Int], begins: [Int], ends: [Int], value: Int64) -> [Int64] {
        let outShape = shape.indices.map { shape[$0] + begins[$0] + ends[$0] }
        let outStrides = strides(outShape)
        var out = [Int64](repeating: value, count: outShape.reduce(1, *))
        var index = [Int](repeating: 0, count: shape.count)
        for flat in 0..<values.count {
            var target = 0
            for axis in shape.indices { target += (index[axis] + begins[axis]) * outStrides[axis] }
            out[target] = values[flat]
            advance(&index, in: shape)
        }
        return out
    }

    /// Entries at `indices` along `axis`.
    static func gather(_ values: [Int64], shape: [Int], axis: Int, indices: [Int]) -> [Int64] {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let length = shape[axis]
        var out: [Int64] = []
        out.reserveCapacity(outer * indices.count * inner)
        for o in 0..<outer {
            for i in indices {
                let base = (o * length + i) * inner
                out.append(contentsOf: values[base..<(base + inner)])
            }
        }
        return out
    }

    /// Pooling of a `[C, H, W]` block (`shape` = `[1, C, H, W]` or `[1, C, L]` as `H = 1`).
    static func pool(_ values: [Int64], channels: Int, height: Int, width: Int, spec p: PoolSpec,
                     outputHeight: Int, outputWidth: Int) -> [Int64] {
        let window = p.kernel[0] * p.kernel[1]
        let members = poolMembers(channels: channels, height: height, width: width, spec: p,
                                  outputHeight: outputHeight, outputWidth: outputWidth)
        var out: [Int64] = []
        out.reserveCapacity(channels * outputHeight * outputWidth)
        for o in 0..<(channels * outputHeight * outputWidth) {
            var best = Int64.min, sum: Int64 = 0, count: Int64 = 0, padded: Int64 = 0
            for n in members[(o * window)..<((o + 1) * window)] {
                if n >= poolPadding { padded += 1 }
                guard n >= 0 else { continue }
                best = max(best, values[n])
                sum &+= values[n]
                count += 1
            }
            if p.isMax {
                out.append(count == 0 ? 0 : best)
            } else {
                let divisor = p.countIncludePad ? padded : count
                out.append(divisor == 0 ? 0 : IntegerSemantics.divideRoundingHalfUp(sum, divisor))
            }
        }
        return out
    }

    /// A window tap in the declared padding.
    static let poolPadding = -1
    /// A window tap past the declared padding (ceil mode's last window).
    static let poolBeyondPadding = -2

    /// The taps of every pooling window, `kh·kw` per output element in output order (row-major
    /// over the kernel): the flat index of the input element it reads, `poolPadding` or
    /// `poolBeyondPadding`. The engine pools through it and the private proof reads the same map.
    static func poolMembers(channels: Int, height: Int, width: Int, spec p: PoolSpec,
                            outputHeight: Int, outputWidth: Int) -> [Int] {
        let (kh, kw) = (p.kernel[0], p.kernel[1])
        var members: [Int] = []
        members.reserveCapacity(channels * outputHeight * outputWidth * kh * kw)
        for c in 0..<channels {
            for y in 0..<outputHeight {
                for x in 0..<outputWidth {
                    for i in 0..<kh {
                        let iy = y * p.strides[0] - p.pads[0] + i * p.dilations[0]
                        for j in 0..<kw {
                            let ix = x * p.strides[1] - p.pads[1] + j * p.dilations[1]
                            if iy >= 0 && iy < height && ix >= 0 && ix < width {
                                members.append((c * height + iy) * width + ix)
                            } else if iy >= -p.pads[0] && iy < height + p.pads[2] && ix >= -p.pads[1] && ix < width + p.pads[3] {
                                members.append(poolPadding)
                            } else {
                                members.append(poolBeyondPadding)
                            }
                        }
                    }
                }
            }
        }
        return members
    }

    /// A reduction over `axes` (ascending) of `values` (of `shape`); the result in row-major
    /// order of the kept axes.
    static func reduce(_ values: [Int64], shape: [Int], axes: [Int], kind: ReduceSpec.Kind,
                       lo: Int64, hi: Int64) -> [Int64] {
        let kept = shape.indices.filter { !axes.contains($0) }
        let keptShape = kept.map { shape[$0] }
        let keptStrides = strides(keptShape)
        let outCount = keptShape.reduce(1, *)
        let reducedCount = Int64(axes.reduce(1) { $0 * shape[$1] })
        if kind.isIndex { return argExtreme(values, shape: shape, axis: axes[0], kind: kind) }
        var acc = [Int64](repeating: kind == .max ? .min : (kind == .min ? .max : 0), count: outCount)
        var index = [Int](repeating: 0, count: shape.count)
        for flat in 0..<values.count {
            var target = 0
            for (k, axis) in kept.enumerated() { target += index[axis] * keptStrides[k] }
            let v = values[flat]
            switch kind {
            case .sum, .mean: acc[target] &+= v
            case .max: acc[target] = max(acc[target], v)
            case .min: acc[target] = min(acc[target], v)
            case .argMax, .argMin, .argMaxLast, .argMinLast: break
            }
            advance(&index, in: shape)
        }
        if kind == .mean, reducedCount > 0 {
            for i in acc.indices { acc[i] = IntegerSemantics.divideRoundingHalfUp(acc[i], reducedCount) }
        }
        return acc.map { IntegerSemantics.clamp($0, lo, hi) }
    }

    /// The index along `axis` of the first (or last) largest (or smallest) value, for every
    /// position of the other axes, in row-major order of those.
    static func argExtreme(_ values: [Int64], shape: [Int], axis: Int, kind: ReduceSpec.Kind) -> [Int64] {
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        let wantMax = kind == .argMax || kind == .argMaxLast, last = kind == .argMaxLast || kind == .argMinLast
        var out = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = 0, bestValue = values[o * length * inner + i]
                for j in 1..<max(length, 1) {
                    let v = values[(o * length + j) * inner + i]
                    let better = wantMax ? (last ? v >= bestValue : v > bestValue) : (last ? v <= bestValue : v < bestValue)
                    if better { best = j; bestValue = v }
                }
                out[o * inner + i] = Int64(best)
            }
        }
        return out
    }

    /// `A · B` batched over leading dimensions: `A` is `batchA × m × k`, `B` is `batchB × k × n`
    /// with `batchB` equal to `batchA` or 1 (and the other way round). Wrapping arithmetic: the
    /// caller's bound check keeps honest values far inside `Int64`.
    static func matMul(_ a: [Int64], _ b: [Int64], batch: Int, batchA: Int, batchB: Int,
                       m: Int, k: Int, n: Int) -> [Int64] {
        var z = [Int64](repeating: 0, count: batch * m * n)
        for t in 0..<batch {
            let aBase = (batchA == 1 ? 0 : t) * m * k, bBase = (batchB == 1 ? 0 : t) * k * n
            for i in 0..<m {
                for j in 0..<k {
                    let av = a[aBase + i * k + j]
                    if av == 0 { continue }
                    for c in 0..<n { z[(t * m + i) * n + c] &+= av &* b[bBase + j * n + c] }
                }
            }
        }
        return z
    }
}
