/// The geometry of a 2-D convolution over one CHW image (batch 1, group 1; a 1-D convolution
/// is the case `inputHeight = kernelHeight = 1`, a grouped one is expanded by the importer
/// into a block-diagonal kernel).
///
/// Only the primary fields are stored in the canonical encoding; the output size and the
/// im2col dimensions are derived here, so a decoded description can never disagree with itself.
public struct ConvolutionGeometry: Sendable, Equatable, Hashable {
    /// Channels of the input activation (`C`).
    public let inputChannels: Int
    /// Height of the input activation.
    public let inputHeight: Int
    /// Width of the input activation.
    public let inputWidth: Int
    /// Kernel height (`kh`).
    public let kernelHeight: Int
    /// Kernel width (`kw`).
    public let kernelWidth: Int
    /// Vertical stride.
    public let strideHeight: Int
    /// Horizontal stride.
    public let strideWidth: Int
    /// Zero rows added above the input.
    public let padTop: Int
    /// Zero columns added left of the input.
    public let padLeft: Int
    /// Zero rows added below the input.
    public let padBottom: Int
    /// Zero columns added right of the input.
    public let padRight: Int
    /// Vertical spacing of the kernel taps (1: adjacent rows).
    public let dilationHeight: Int
    /// Horizontal spacing of the kernel taps.
    public let dilationWidth: Int
    /// Height of the output: `⌊(H + padTop + padBottom − ((kh − 1)·dh + 1)) / strideHeight⌋ + 1`.
    public let outputHeight: Int
    /// Width of the output: `⌊(W + padLeft + padRight − ((kw − 1)·dw + 1)) / strideWidth⌋ + 1`.
    public let outputWidth: Int

    /// Validates the geometry and derives the output size.
    public init(inputChannels: Int, inputHeight: Int, inputWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int,
                padTop: Int, padLeft: Int, padBottom: Int, padRight: Int,
                dilationHeight: Int = 1, dilationWidth: Int = 1) throws(InferenceError) {
        let dims = [inputChannels, inputHeight, inputWidth, kernelHeight, kernelWidth, strideHeight, strideWidth,
                    dilationHeight, dilationWidth]
        let pads = [padTop, padLeft, padBottom, padRight]
        guard dims.allSatisfy({ $0 >= 1 && $0 <= LayerGeometryLimits.dimensionMax }),
              pads.allSatisfy({ $0 >= 0 && $0 < LayerGeometryLimits.dimensionMax }) else {
            throw .shapeMismatch(detail: "convolution dimensions \(dims) pads \(pads) out of range")
        }
        let spanHeight = (kernelHeight - 1) * dilationHeight + 1
        let spanWidth = (kernelWidth - 1) * dilationWidth + 1
        guard padTop < spanHeight, padBottom < spanHeight, padLeft < spanWidth, padRight < spanWidth else {
            throw .shapeMismatch(detail: "convolution pads \(pads) must be smaller than the (dilated) kernel")
        }
        let paddedHeight = inputHeight + padTop + padBottom
        let paddedWidth = inputWidth + padLeft + padRight
        guard paddedHeight >= spanHeight, paddedWidth >= spanWidth else {
            throw .shapeMismatch(detail: "convolution kernel larger than the padded input")
        }
        self.inputChannels = inputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padTop = padTop
        self.padLeft = padLeft
        self.padBottom = padBottom
        self.padRight = padRight
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
        self.outputHeight = (paddedHeight - spanHeight) / strideHeight + 1
        self.outputWidth = (paddedWidth - spanWidth) / strideWidth + 1
        for (name, n) in [("input", inputElements), ("im2col", inner * positions)]
        where n > InferenceLimits.tensorElementsMax {
            throw .tensorTooLarge(name: "convolution \(name)", elements: n, limit: InferenceLimits.tensorElementsMax)
        }
    }

    /// Elements of the input activation: `C · H · W`.
    public var inputElements: Int { inputChannels * inputHeight * inputWidth }
    /// Rows of the im2col matrix, which is the inner dimension of the product: `C · kh · kw`.
    public var inner: Int { inputChannels * kernelHeight * kernelWidth }
    /// Columns of the im2col matrix, one per output pixel: `outH · outW`.
    public var positions: Int { outputHeight * outputWidth }
}

/// The geometry of a 2-D max or average pooling over one CHW image (no padding, floor mode).
public struct PoolGeometry: Sendable, Equatable, Hashable {
    /// Channels, unchanged by pooling.
    public let channels: Int
    /// Height of the input activation.
    public let inputHeight: Int
    /// Width of the input activation.
    public let inputWidth: Int
    /// Window height.
    public let kernelHeight: Int
    /// Window width.
    public let kernelWidth: Int
    /// Vertical stride.
    public let strideHeight: Int
    /// Horizontal stride.
    public let strideWidth: Int
    /// Height of the output: `⌊(H − kh) / strideHeight⌋ + 1`.
    public let outputHeight: Int
    /// Width of the output: `⌊(W − kw) / strideWidth⌋ + 1`.
    public let outputWidth: Int

    /// Validates the geometry and derives the output size.
    public init(channels: Int, inputHeight: Int, inputWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int) throws(InferenceError) {
        let dims = [channels, inputHeight, inputWidth, kernelHeight, kernelWidth, strideHeight, strideWidth]
        guard dims.allSatisfy({ $0 >= 1 && $0 <= LayerGeometryLimits.dimensionMax }),
              kernelHeight <= inputHeight, kernelWidth <= inputWidth else {
            throw .shapeMismatch(detail: "pooling dimensions \(dims) out of range")
        }
        self.channels = channels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.outputHeight = (inputHeight - kernelHeight) / strideHeight + 1
        self.outputWidth = (inputWidth - kernelWidth) / strideWidth + 1
        guard inputElements <= InferenceLimits.tensorElementsMax else {
            throw .tensorTooLarge(name: "pool input", elements: inputElements, limit: InferenceLimits.tensorElementsMax)
        }
    }

    /// Elements of the input activation.
    public var inputElements: Int { channels * inputHeight * inputWidth }
    /// Elements of the output activation.
    public var outputElements: Int { channels * outputHeight * outputWidth }
    /// Shape of the output activation, `[C, outH, outW]`.
    public var outputShape: [Int] { [channels, outputHeight, outputWidth] }
}

/// Bounds on single dimensions, so products of a few dimensions never overflow `Int`.
enum LayerGeometryLimits {
    /// Largest single dimension (channels, height, width, kernel, stride), in elements.
    static let dimensionMax = 65_536
}
