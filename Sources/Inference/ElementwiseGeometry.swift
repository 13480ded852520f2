/// How an element-wise affine layer `Z[c, p] = w[c]·X[c, p] + b[c]` sees its input tensor.
///
/// The parameters form a tensor of `parameterShape`, which broadcasts onto the activation's
/// `shape` without growing it (same rank; each parameter dimension is 1 or the activation's).
/// Row `c` of `X` and `Z` is parameter element `c` (row-major over `parameterShape`); column
/// `p` counts, row-major over the broadcast axes (those where the parameter dimension is 1),
/// the activation elements that parameter applies to. A per-channel scale of `[1, C, H, W]` has
/// `parameterShape [1, C, 1, 1]` (`C` rows, `H·W` positions); a positional embedding added to
/// `[1, T, D]` has `parameterShape [1, T, D]` (`T·D` rows, one position).
///
/// Only the two shapes are stored in the canonical encoding; the permutation between the
/// activation's row-major order and `X` is derived here.
public struct ElementwiseGeometry: Sendable, Equatable, Hashable {
    /// The activation's shape (batch dimension first, as in the graph).
    public let shape: [Int]
    /// The parameters' shape, of the same rank.
    public let parameterShape: [Int]

    /// Validates that `parameterShape` broadcasts onto `shape` without growing it.
    public init(shape: [Int], parameterShape: [Int]) throws(InferenceError) {
        guard !shape.isEmpty, shape.count <= InferenceLimits.rankMax, parameterShape.count == shape.count,
              shape.allSatisfy({ $0 >= 1 && $0 <= InferenceLimits.tensorElementsMax }),
              zip(shape, parameterShape).allSatisfy({ $1 == 1 || $1 == $0 }) else {
            throw .shapeMismatch(detail: "element-wise parameters of shape \(parameterShape) do not broadcast onto \(shape)")
        }
        var elements = 1
        for d in shape {
            elements *= d
            guard elements <= InferenceLimits.tensorElementsMax else {
                throw .tensorTooLarge(name: "element-wise layer", elements: elements, limit: InferenceLimits.tensorElementsMax)
            }
        }
        self.shape = shape
        self.parameterShape = parameterShape
    }

    /// Elements of the activation.
    public var elements: Int { shape.reduce(1, *) }
    /// `C`: parameter elements, the rows of `X` and `Z`.
    public var channels: Int { parameterShape.reduce(1, *) }
    /// `P`: how often each parameter repeats, the columns of `X` and `Z`.
    public var positions: Int { elements / channels }

    /// For each activation element `e` (row-major over `shape`), its place `c·P + p` in `X`.
    func placement() -> [Int] {
        let rank = shape.count
        var channelStride = [Int](repeating: 0, count: rank), positionStride = [Int](repeating: 0, count: rank)
        var c = 1, p = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            if parameterShape[axis] == shape[axis] && shape[axis] > 1 {
                channelStride[axis] = c
                c *= shape[axis]
            } else {
                positionStride[axis] = p
                p *= shape[axis]
            }
        }
        let positions = p
        var out = [Int](repeating: 0, count: elements)
        var index = [Int](repeating: 0, count: rank)
        for e in 0..<out.count {
            var channel = 0, position = 0
            for axis in 0..<rank {
                channel += index[axis] * channelStride[axis]
                position += index[axis] * positionStride[axis]
            }
            out[e] = channel * positions + position
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    /// `X` (`C × P`, row-major) from the activation (row-major over `shape`).
    func columns(_ a: [Int64]) -> [Int64] {
        let place = placement()
        var x = [Int64](repeating: 0, count: a.count)
        for (e, v) in a.enumerated() { x[place[e]] = v }
        return x
    }

    /// The activation layout (row-major over `shape`) of a `C × P` matrix.
    func activation(_ z: [Int64]) -> [Int64] {
        let place = placement()
        return place.map { z[$0] }
    }
}
