#!/usr/bin/env python3
"""Writes the ONNX conformance (node) test cases of chosen operators as files an importer's
tests can read without Python.

    python3 scripts/onnx_conformance.py OUT Conv Relu Gemm [--weights-as-initializers] [--verify]

The cases come from the `onnx` package's own case generators
(onnx.backend.test.case.node.collect_testcases), run here, so they match the pinned onnx
version exactly; only `onnx` and `numpy` are needed. Each case whose graph is one node of a
requested operator is written as

    OUT/<case>/model.onnx   the case's model (one node)
    OUT/<case>/case.json    {"case", "op_type", "opset", "ir_version", "rtol", "atol",
                             "inputs": [tensor], "initializers": [tensor], "outputs": [tensor]}

with tensor = {"name", "shape", "dtype", "values" (flat, C order), "role"}: dtype is ONNX's
element type in lower case with the width spelled out (float32, float64, int64, bool,
float16, bfloat16, float8e4m3fn, string, ...); values are JSON numbers, booleans or strings,
and non-finite floats are the strings "NaN", "Infinity" and "-Infinity". rtol and atol are
the tolerances the onnx backend tests use for the case.

With --weights-as-initializers, the inputs that an exported model would hold as constants are
moved into the graph's initializers (and out of its inputs): weights (Conv's W and B, Gemm's
B and C, MatMul's B, the scales, biases, means and variances of normalisations, recurrent
weights, PRelu's slope) and shape-like parameters (Reshape's shape, Slice's starts/ends/axes/
steps, Pad's pads, Clip's bounds, reduction axes, ...). case.json lists them under
"initializers" (role "weight" or "parameter"), with their values for reference; "inputs" keeps
only what is fed at run time. --verify runs every written model through onnx's reference
evaluator and compares with the expected outputs, to check the files themselves.

OUT/index.json lists the written cases and the skipped ones with the reason. A summary per
operator is printed. Exit status 0 unless an argument is wrong or --verify finds a mismatch.
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import pkgutil
import re
import shutil
import sys
import time
import warnings
from collections import defaultdict

import numpy as np
import onnx
from onnx import numpy_helper

# Inputs an exported model holds as constants, by operator: index -> role.
_W, _P = "weight", "parameter"
_REDUCE = {1: _P}
CONSTANT_INPUTS: dict[str, dict[int, str]] = {
    "Conv": {1: _W, 2: _W},
    "ConvTranspose": {1: _W, 2: _W},
    "ConvInteger": {1: _W, 3: _W},
    "Gemm": {1: _W, 2: _W},
    "MatMul": {1: _W},
    "MatMulInteger": {1: _W, 3: _W},
    "BatchNormalization": {1: _W, 2: _W, 3: _W, 4: _W},
    "InstanceNormalization": {1: _W, 2: _W},
    "LayerNormalization": {1: _W, 2: _W},
    "GroupNormalization": {1: _W, 2: _W},
    "RMSNormalization": {1: _W},
    "LSTM": {1: _W, 2: _W, 3: _W},
    "GRU": {1: _W, 2: _W, 3: _W},
    "RNN": {1: _W, 2: _W, 3: _W},
    "PRelu": {1: _W},
    "QuantizeLinear": {1: _W, 2: _W},
    "DequantizeLinear": {1: _W, 2: _W},
    "Reshape": {1: _P},
    "Expand": {1: _P},
    "Tile": {1: _P},
    "Slice": {1: _P, 2: _P, 3: _P, 4: _P},
    "Pad": {1: _P, 2: _P, 3: _P},
    "Clip": {1: _P, 2: _P},
    "Resize": {1: _P, 2: _P, 3: _P},
    "Upsample": {1: _P},
    "Squeeze": {1: _P},
    "Unsqueeze": {1: _P},
    "Split": {1: _P},
    "TopK": {1: _P},
    "OneHot": {1: _P, 2: _P},
    "CumSum": {1: _P},
    "Trilu": {1: _P},
    "Gather": {1: _P},
    "GatherElements": {1: _P},
    "Dropout": {1: _P, 2: _P},
    "Pow": {1: _P},
    "CenterCropPad": {1: _P},
    "Col2Im": {1: _P, 2: _P},
    **{op: _REDUCE for op in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                              "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")},
}

ELEMENTS_MAX = 1_000_000    # tensor elements per case; a bigger case is skipped, not written


def dtype_name(elem_type: int) -> str:
    name = onnx.TensorProto.DataType.Name(elem_type).lower()
    return {"float": "float32", "double": "float64"}.get(name, name)


def as_array(value) -> np.ndarray:
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def json_values(array: np.ndarray, dtype: str) -> list:
    flat = array.reshape(-1)
    if dtype == "string":
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in flat.tolist()]
    if dtype == "bool":
        return [bool(v) for v in flat.tolist()]
    if dtype.startswith(("float", "bfloat", "complex")):
        out = []
        for v in flat.astype(np.float64).tolist():
            if math.isnan(v):
                out.append("NaN")
            elif math.isinf(v):
                out.append("Infinity" if v > 0 else "-Infinity")
            else:
                out.append(v)
        return out
    return [int(v) for v in flat.astype(np.int64).tolist()]


class Skip(Exception):
    """A case this script does not write, with the reason."""


def tensor_entry(value, value_info: onnx.ValueInfoProto, role: str) -> dict:
    if value is None or isinstance(value, list):
        raise Skip(f"{value_info.name!r} is a {'sequence' if isinstance(value, list) else 'missing optional'} value")
    if not value_info.type.HasField("tensor_type"):
        raise Skip(f"{value_info.name!r} is not a tensor ({value_info.type.WhichOneof('value')})")
    elem = value.data_type if isinstance(value, onnx.TensorProto) else value_info.type.tensor_type.elem_type
    dtype = dtype_name(elem)
    if dtype.startswith("complex"):
        raise Skip(f"{value_info.name!r} is {dtype}")
    array = as_array(value)
    if array.size > ELEMENTS_MAX:
        raise Skip(f"{value_info.name!r} has {array.size} elements (more than {ELEMENTS_MAX})")
    return {"name": value_info.name, "shape": list(array.shape), "dtype": dtype,
            "values": json_values(array, dtype), "role": role}


def to_initializer(value, name: str) -> onnx.TensorProto:
    if isinstance(value, onnx.TensorProto):
        tensor = onnx.TensorProto()
        tensor.CopyFrom(value)
        tensor.name = name
        return tensor
    return numpy_helper.from_array(np.asarray(value), name)


def prepare(case, op_type: str, move_constants: bool):
    """The case's model (weights moved into initializers if asked) and its case.json."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    graph = model.graph
    node = graph.node[0]
    if len(case.data_sets) != 1:
        raise Skip(f"{len(case.data_sets)} data sets")
    inputs, outputs = case.data_sets[0]
    present = [name for name in node.input if name]
    moved = {}
    if move_constants:
        roles = CONSTANT_INPUTS.get(op_type, {})
        for index, name in enumerate(node.input):
            if name and index in roles:
                moved[name] = roles[index]
    graph_inputs = {vi.name: vi for vi in graph.input}
    entries_in, entries_init = [], []
    for name, value in zip(present, inputs):
        vi = graph_inputs.get(name)
        if vi is None:
            raise Skip(f"input {name!r} has no value info")
        if name in moved:
            entries_init.append(tensor_entry(value, vi, moved[name]))
            graph.initializer.append(to_initializer(value, name))
        else:
            entries_in.append(tensor_entry(value, vi, "input"))
    if moved and model.ir_version >= 4:
        keep = [vi for vi in graph.input if vi.name not in moved]
        del graph.input[:]
        graph.input.extend(keep)
    graph_outputs = {vi.name: vi for vi in graph.output}
    entries_out = [tensor_entry(value, graph_outputs[name], "output")
                   for name, value in zip([n for n in node.output if n], outputs)]
    onnx.checker.check_model(model)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    doc = {"case": case.name, "op_type": op_type, "opset": opset, "ir_version": model.ir_version,
           "rtol": case.rtol, "atol": case.atol,
           "inputs": entries_in, "initializers": entries_init, "outputs": entries_out}
    return model, doc


_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def from_json(t: dict, elem_type: int) -> np.ndarray:
    """A case.json tensor back as an array of the model's element type."""
    if t["dtype"] == "string":
        return np.array(t["values"], dtype=object).reshape(t["shape"])
    values = [_NON_FINITE.get(v, v) if isinstance(v, str) else v for v in t["values"]]
    return np.array(values, dtype=onnx.helper.tensor_dtype_to_np_dtype(elem_type)).reshape(t["shape"])


def verify(model: onnx.ModelProto, doc: dict) -> str | None:
    """None when onnx's reference evaluator reproduces the expected outputs, else why not."""
    from onnx.reference import ReferenceEvaluator

    types = {vi.name: vi.type.tensor_type.elem_type for vi in model.graph.input}
    feeds = {t["name"]: from_json(t, types[t["name"]]) for t in doc["inputs"]}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            got = ReferenceEvaluator(model).run(None, feeds)
    except Exception as error:  # noqa: BLE001 -- a reference failure is reported, not raised
        return f"reference evaluator failed: {type(error).__name__}: {error}"
    for t, value in zip(doc["outputs"], got):
        value = np.asarray(value)
        if list(value.shape) != t["shape"]:
            return f"{t['name']}: shape {list(value.shape)} != {t['shape']}"
        if not t["dtype"].startswith(("float", "bfloat")):
            if json_values(value, t["dtype"]) != t["values"]:
                return f"{t['name']}: values differ"
            continue
        want = np.array([_NON_FINITE.get(v, v) if isinstance(v, str) else v for v in t["values"]], dtype=np.float64)
        have = value.astype(np.float64).reshape(-1)
        if not np.allclose(have, want, rtol=max(doc["rtol"], 1e-3), atol=max(doc["atol"], 1e-5), equal_nan=True):
            return f"{t['name']}: max |diff| {np.nanmax(np.abs(have - want)):.3g}"
    return None


def _module_names(op: str) -> set[str]:
    """The names onnx gives the generator module of an operator: conv, batch_normalization,
    and_ (a Python keyword), rangeop."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", op).lower()
    return {op.lower(), snake, op.lower() + "_", snake + "_", op.lower() + "op"}


def collect(ops: list[str], all_modules: bool) -> list:
    """The onnx package's node test cases, generated now.

    collect_testcases() runs every generator (about 1,900 cases, most of a minute). The
    generators are modules named after their operator that add their cases when imported, so
    unless all_modules is set only those modules are imported; an operator whose module
    cannot be named that way makes it fall back to the whole collection."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # The generators compute expected outputs with numpy, some on purpose through overflow
        # or division by zero: those warnings are theirs, not the cases'.
        warnings.simplefilter("ignore")
        import onnx.backend.test.case.node as node_cases

        available = {name for _, name, is_package in pkgutil.iter_modules(node_cases.__path__) if not is_package}
        chosen = set()
        for op in ops:
            found = available & _module_names(op)
            chosen |= found
            all_modules = all_modules or not found
        if all_modules or not isinstance(getattr(node_cases, "_NodeTestCases", None), list):
            return list(node_cases.collect_testcases(None))
        for name in sorted(chosen):
            importlib.import_module(f"{node_cases.__name__}.{name}")
        return list(node_cases._NodeTestCases)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="folder to write the cases into (created; cases of the same name are replaced)")
    parser.add_argument("ops", nargs="+", help="operator names (op_type), separated by spaces or commas")
    parser.add_argument("--weights-as-initializers", action="store_true",
                        help="move weight and shape-like parameter inputs into initializers")
    parser.add_argument("--max-opset", type=int, default=None, help="skip cases whose model uses a newer opset")
    parser.add_argument("--all-modules", action="store_true",
                        help="run every case generator, not only the modules named after the operators")
    parser.add_argument("--verify", action="store_true",
                        help="check every written model with onnx's reference evaluator")
    args = parser.parse_args(argv)
    ops = list(dict.fromkeys(op for arg in args.ops for op in arg.split(",") if op))
    unknown = [op for op in ops if not onnx.defs.has(op)]
    if unknown:
        parser.error(f"not ONNX operators (op_type, case-sensitive): {', '.join(unknown)}")

    started = time.monotonic()
    cases = collect(ops, args.all_modules)
    collected = time.monotonic() - started

    os.makedirs(args.out, exist_ok=True)
    written = defaultdict(list)
    skipped = defaultdict(list)
    failed = []
    for case in cases:
        graph = case.model.graph
        if len(graph.node) != 1 or "_expanded" in case.name:
            continue                     # a function's expansion: it tests the body's operators
        node = graph.node[0]
        if node.domain not in ("", "ai.onnx") or node.op_type not in ops:
            continue
        try:
            model, doc = prepare(case, node.op_type, args.weights_as_initializers)
            if args.max_opset is not None and doc["opset"] is not None and doc["opset"] > args.max_opset:
                raise Skip(f"opset {doc['opset']} > {args.max_opset}")
        except Skip as why:
            skipped[node.op_type].append({"case": case.name, "reason": str(why)})
            continue
        if args.verify:
            problem = verify(model, doc)
            if problem is not None:
                failed.append((case.name, problem))
        folder = os.path.join(args.out, case.name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        onnx.save(model, os.path.join(folder, "model.onnx"))
        with open(os.path.join(folder, "case.json"), "w") as f:
            json.dump(doc, f, allow_nan=False, separators=(",", ":"))
        written[node.op_type].append({"case": case.name, "opset": doc["opset"],
                                      "initializers": [t["name"] for t in doc["initializers"]]})

    index = {"onnx": onnx.__version__, "weights_as_initializers": args.weights_as_initializers,
             "max_opset": args.max_opset, "ops": ops,
             "cases": [dict(c, op_type=op) for op in ops for c in written.get(op, [])],
             "skipped": [dict(c, op_type=op) for op in ops for c in skipped.get(op, [])]}
    with open(os.path.join(args.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")

    print(f"onnx {onnx.__version__}: {len(cases)} node cases generated in {collected:.1f} s")
    width = max(len(op) for op in ops)
    for op in ops:
        line = f"  {op:<{width}}  {len(written.get(op, [])):3d} written"
        if skipped.get(op):
            line += f", {len(skipped[op])} skipped"
        if not written.get(op) and not skipped.get(op):
            line += "  (no case in this onnx version)"
        print(line)
        for s in skipped.get(op, []):
            print(f"      skipped {s['case']}: {s['reason']}")
    total = sum(len(v) for v in written.values())
    print(f"{total} cases written to {args.out}")
    if args.verify:
        for name, problem in failed:
            print(f"  MISMATCH {name}: {problem}")
        print(f"verified {total} cases with onnx's reference evaluator: {total - len(failed)} agree, {len(failed)} differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
