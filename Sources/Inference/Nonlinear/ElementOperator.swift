/// One element-wise non-linear step with its scales and output clamp.
///
/// The input `v` stands for `x = v · 2^-fi`; the output `y` for `y · 2^-fo`. The result is
/// `clamp(F(v), lo, hi)` where `F` is the integer function of docs/PROTOCOL-nonlinear.md:
/// the round half up of `f(x) · 2^fo` for the exact functions, and for the others a value
/// within `1/2 + δ` of it, `δ` below `2^-14` units for ONNX's usual attributes and below one
/// unit always (the per-function bounds are in that document). `apply` is total: any
/// `Int64` gives a value in `[lo, hi]`, never a trap.
public struct ElementOperator: Sendable, Hashable {
    /// The function.
    public let function: ElementFunction
    /// Fraction bits of the input (`fi`).
    public let inputFractionBits: Int
    /// Fraction bits of the output (`fo`).
    public let outputFractionBits: Int
    /// Smallest output value.
    public let lo: Int64
    /// Largest output value.
    public let hi: Int64

    /// Largest fraction bits of an input or an output.
    public static let fractionBitsMax = 30
    /// Largest magnitude of `lo` and `hi` (2^40: every 32-bit activation range fits, and the
    /// kernels' relative error of 2^-55 stays far below one output unit).
    public static let outputMagnitudeMax: Int64 = 1 << 40

    /// Validates `0 ≤ fi, fo ≤ 30`, `lo ≤ hi`, `|lo|, |hi| ≤ 2^40`, and every attribute of
    /// magnitude below `ElementFunction.attributeMagnitudeLimit`.
    public init(_ function: ElementFunction, inputFractionBits: Int, outputFractionBits: Int,
                lo: Int64, hi: Int64) throws(InferenceError) {
        let fmax = Self.fractionBitsMax
        guard (0...fmax).contains(inputFractionBits), (0...fmax).contains(outputFractionBits) else {
            throw .invalidQuantization(detail: "\(function.name): fraction bits \(inputFractionBits) → \(outputFractionBits) outside 0…\(fmax)")
        }
        guard lo <= hi, lo.magnitude <= UInt64(Self.outputMagnitudeMax), hi.magnitude <= UInt64(Self.outputMagnitudeMax) else {
            throw .invalidQuantization(detail: "\(function.name): output range [\(lo), \(hi)] must be ordered and within ±2^40")
        }
        for a in function.attributes where a.magnitude >= UInt64(ElementFunction.attributeMagnitudeLimit) {
            throw .invalidQuantization(detail: "\(function.name): attribute \(a) (2^-24 units) has magnitude 128 or more")
        }
        self.function = function
        self.inputFractionBits = inputFractionBits
        self.outputFractionBits = outputFractionBits
        self.lo = lo
        self.hi = hi
    }

    /// The output for one input value. Safe on every `Int64`.
    public func apply(_ v: Int64) -> Int64 {
        clamped(unclamped(v))
    }

    /// `clamp(y, lo, hi)`.
    func clamped(_ y: Int64) -> Int64 {
        IntegerSemantics.clamp(y, lo, hi)
    }

    /// The outputs for a vector of inputs, element by element (direct evaluation; see
    /// `lookupTable` for the 16-bit table).
    public func apply(_ values: [Int64]) -> [Int64] {
        values.map { apply($0) }
    }
}
