/// A value of the ONNX graph while it is imported: a constant (folded at import) or a tensor
/// of the model graph.
enum ImportedValue {
    /// Known at import: initializers, `Constant` nodes and everything computed from them.
    case constant(ONNXTensor)
    /// Computed by the model graph: tensor `id` of the spec being built.
    case tensor(Int)
}

/// Builds a model graph from ONNX nodes: tracks every ONNX value by name, the model nodes
/// and the linear layers' real-valued parameters, and knows how many ONNX nodes read each
/// value (a linear layer's output read only by an `Add` or a `Relu` can absorb it).
struct GraphBuilder {
    /// Quantisation parameters.
    let config: QuantizationConfig
    /// Values by ONNX name.
    var values: [String: ImportedValue] = [:]
    /// Every model tensor so far: the input, then one per node.
    var tensors: [TensorInfo]
    /// The model nodes so far.
    var nodes: [GraphNode] = []
    /// The linear layers' parameters, real-valued until the end.
    var layers: [FloatLayer] = []
    /// How many ONNX node inputs and graph outputs read each name.
    let readers: [String: Int]
    /// Whether the model input is integer token ids (read only by embedding lookups).
    var integerInput = false
    /// The scales chosen for the linear layers' outputs (see `Calibration`); without one,
    /// every linear output is at the activation scale.
    var plan: ScalePlan?
    /// ONNX values that are a classifier's label, `classes[argmax(scores)]` (see `GraphBuilder+Labels`).
    var labelValues: [String: LabelValue] = [:]
    /// Model tensors cast to an integer type, which only `OneHotEncoder` may read (see `GraphBuilder+ML`).
    var integerCasts: Set<String> = []
    /// The committed tables of the tree-ensemble steps, in node order.
    var trees: [TreeEnsemble] = []
    /// The calibration items as float values, by ONNX name, where the float graph is followed
    /// (see `GraphBuilder+Real`).
    var realValues: [String: [[Double]]] = [:]
    /// Each tree-ensemble step's import and its input's float values (nil when not followed),
    /// in node order.
    var treeChecks: [(name: String, imported: TreeModelImport, real: [[Double]]?)] = []

    init(config: QuantizationConfig, input: TensorInfo, inputName: String, initializers: [String: ONNXTensor],
         readers: [String: Int]) {
        self.config = config
        self.tensors = [input]
        self.readers = readers
        for (name, tensor) in initializers { values[name] = .constant(tensor) }
        values[inputName] = .tensor(0)
    }

    /// The default activation range.
    var activationRange: (lo: Int64, hi: Int64) { (config.activationMin, config.activationMax) }

    /// Appends a node and returns its output tensor id, validating it through shape inference.
    mutating func add(_ op: GraphOperator, inputs: [Int], name: String) throws(InferenceError) -> Int {
        guard nodes.count < InferenceLimits.graphNodeCountMax else {
            throw .unsupportedGraph(node: name, detail: "the model needs more than \(InferenceLimits.graphNodeCountMax) steps")
        }
        let info: TensorInfo
        if case .linear(let k, let shape) = op {
            // Layers are built at the end; their output follows from the shape and clamp here.
            let layer = layers[k]
            let f = plan.map { $0.outputFractionBits(layer: k) } ?? config.activationFractionBits
            info = try TensorInfo(shape: shape, fractionBits: f, lo: layer.lo, hi: layer.hi, name: name)
        } else {
            info = try op.infer(inputs.map { tensors[$0] }, layers: [], config: config, node: name)
        }
        nodes.append(GraphNode(op: op, inputs: inputs, name: name))
        tensors.append(info)
        return tensors.count - 1
    }

    /// Replaces the clamp of the tensor a linear node wrote (when nothing else reads it yet).
    mutating func narrowLinear(_ tensor: Int, lo: Int64, hi: Int64) {
        guard tensor >= 1, case .linear(let k, _) = nodes[tensor - 1].op else { return }
        layers[k].lo = max(layers[k].lo, lo)
        layers[k].hi = min(layers[k].hi, hi)
        layers[k].acceptsBias = false
        let old = tensors[tensor]
        if let info = try? TensorInfo(shape: old.shape, fractionBits: old.fractionBits, lo: layers[k].lo, hi: layers[k].hi) {
            tensors[tensor] = info
        }
    }

    /// The linear layer that wrote `tensor`, if any, and only when `name` (that tensor's ONNX
    /// name) has a single reader: then a following bias, BatchNorm or clamp may be folded into it.
    func foldableLinear(_ tensor: Int, name: String) -> Int? {
        guard tensor >= 1, tensor == tensors.count - 1, readers[name, default: 0] == 1,
              case .linear(let k, _) = nodes[tensor - 1].op else { return nil }
        return k
    }
}

/// A linear layer as read from ONNX: geometry final, weights still real numbers.
struct FloatLayer {
    /// Dense, per-token or convolution.
    var kind: LayerSpec.Kind
    /// Rows of `W`.
    var rows: Int
    /// Columns of `W`.
    var inner: Int
    /// `rows × inner`, row-major, real values (alpha and transposes already applied).
    var weights: [Double]
    /// One per row, real values (beta applied).
    var bias: [Double]
    /// Clamp range of the activation, in quantised units.
    var lo: Int64
    var hi: Int64
    /// True until an activation follows, while an `Add` may still be its bias.
    var acceptsBias: Bool
    /// The ONNX node, for errors.
    var node: String
}
