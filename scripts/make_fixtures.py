#!/usr/bin/env python3
"""Trains the digits fixtures and exports them as ONNX, with a test-set sample.

Run once (the outputs are committed):  python3 scripts/make_fixtures.py
Needs: numpy, scikit-learn, onnx, onnxruntime (pip install scikit-learn onnx onnxruntime).

Writes to Tests/InferenceTests/Fixtures/:
  mlp_small.onnx   64 -> 32 -> 10 MLP (scikit-learn MLPClassifier), Gemm transB=1, trailing Softmax
  cnn_max.onnx     1x1x8x8 -> Conv 3x3 (8, pad 1) -> Relu -> MaxPool 2x2 -> Flatten -> Gemm (numpy-trained)
  cnn_avg.onnx     same shape with AveragePool 2x2 (numpy-trained)
  ops_cover.onnx   untrained: Reshape, Conv stride 2 with asymmetric pads, Clip, AveragePool, Flatten,
                   Identity, MatMul, Add — exercises every supported operator against onnxruntime
  digits_sample.json  the first SAMPLE_SIZE test digits: pixels (integers 0..16; the model input is
                   pixel / 16), labels, and per model onnxruntime's float outputs and their argmax
and to models/ (the product's own files, built into the binary):
  digits-mlp-large.onnx  the demo's model ("mlp_large" in the tests): 64 -> 256 -> 256 -> 10 MLP
                   (scikit-learn), MatMul + Add, plain Gemm last
  digits-sample.json     the same test digits (pixels and labels only), which the demo posts
  digits-mlp.onnx        a copy of mlp_small.onnx, with digits-input.json, for the CLI examples

Everything is seeded, so a rerun reproduces the same files (up to onnxruntime float noise).
"""
import json
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "InferenceTests", "Fixtures")
MODELS = os.path.join(ROOT, "models")
SAMPLE_SIZE = 300
OPSET = 13
SEED = 7


def data():
    digits = load_digits()
    x = digits.data.astype(np.float32) / 16.0
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)


def save(model, name, folder=None):
    model.opset_import[0].version = OPSET
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(folder or OUT, exist_ok=True)
    path = os.path.join(folder or OUT, name)
    onnx.save(model, path)
    return path


def init(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def mlp_small(xtr, ytr):
    clf = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=600, random_state=SEED)
    clf.fit(xtr, ytr)
    w1, w2 = clf.coefs_
    b1, b2 = clf.intercepts_
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "B1"], ["h1"], name="fc1", transB=1),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("Gemm", ["a1", "W2", "B2"], ["logits"], name="fc2", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "digits_mlp_small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 10])],
        [init("W1", w1.T), init("B1", b1), init("W2", w2.T), init("B2", b2)])
    return save(helper.make_model(graph, producer_name="proofmarket-fixtures"), "mlp_small.onnx")


def mlp_large(xtr, ytr):
    clf = MLPClassifier(hidden_layer_sizes=(256, 256), activation="relu", max_iter=400, random_state=SEED)
    clf.fit(xtr, ytr)
    (w1, w2, w3), (b1, b2, b3) = clf.coefs_, clf.intercepts_
    nodes = [
        helper.make_node("MatMul", ["x", "W1"], ["m1"], name="matmul1"),
        helper.make_node("Add", ["m1", "B1"], ["h1"], name="add1"),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("MatMul", ["a1", "W2"], ["m2"], name="matmul2"),
        helper.make_node("Add", ["m2", "B2"], ["h2"], name="add2"),
        helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
        helper.make_node("Gemm", ["a2", "W3", "B3"], ["logits"], name="fc3"),
    ]
    graph = helper.make_graph(
        nodes, "digits_mlp_large",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [init("W1", w1), init("B1", b1), init("W2", w2), init("B2", b2), init("W3", w3), init("B3", b3)])
    # The demo's model, a product file built into the binary (the tests read it from there).
    return save(helper.make_model(graph, producer_name="proofmarket-fixtures"), "digits-mlp-large.onnx", MODELS)


# --- a small CNN trained in numpy --------------------------------------------------------------

def im2col(x, k=3, pad=1):
    """x: (N, C, H, W) -> (N, C*k*k, H*W) for stride 1 and 'same' padding."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, c, k, k, h, w), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i:i + h, j:j + w]
    return cols.reshape(n, c * k * k, h * w)


def cnn_train(xtr, ytr, pool, channels=8, epochs=40, lr=0.01):
    rng = np.random.default_rng(SEED)
    n = len(xtr)
    x = xtr.reshape(n, 1, 8, 8)
    cols = im2col(x)                                       # (n, 9, 64)
    wc = rng.normal(0, np.sqrt(2 / 9), (channels, 9)).astype(np.float32)
    bc = np.zeros(channels, np.float32)
    feat = channels * 16
    wf = rng.normal(0, np.sqrt(2 / feat), (10, feat)).astype(np.float32)
    bf = np.zeros(10, np.float32)
    params = [wc, bc, wf, bf]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, 32):
            idx = order[start:start + 32]
            b = len(idx)
            c = cols[idx]                                  # (b, 9, 64)
            z = np.einsum("ok,bkp->bop", wc, c) + bc[None, :, None]   # (b, C, 64)
            a = np.maximum(z, 0).reshape(b, channels, 4, 2, 4, 2)
            if pool == "max":
                p = a.max(axis=(3, 5))
                mask = (a == p[:, :, :, None, :, None])
            else:
                p = a.mean(axis=(3, 5))
            f = p.reshape(b, feat)
            logits = f @ wf.T + bf
            logits -= logits.max(axis=1, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=1, keepdims=True)
            d = prob
            d[np.arange(b), ytr[idx]] -= 1
            d /= b
            gwf = d.T @ f
            gbf = d.sum(axis=0)
            df = (d @ wf).reshape(b, channels, 4, 1, 4, 1)
            if pool == "max":
                da = mask * df
            else:
                da = np.broadcast_to(df / 4, a.shape)
            dz = da.reshape(b, channels, 64) * (z > 0)
            gwc = np.einsum("bop,bkp->ok", dz, c)
            gbc = dz.sum(axis=(0, 2))
            step += 1
            for i, g in enumerate([gwc, gbc, gwf, gbf]):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                mh = m[i] / (1 - 0.9 ** step)
                vh = v[i] / (1 - 0.999 ** step)
                params[i] -= (lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
    return wc, bc, wf, bf


def cnn(xtr, ytr, pool):
    wc, bc, wf, bf = cnn_train(xtr, ytr, pool)
    pool_op = "MaxPool" if pool == "max" else "AveragePool"
    nodes = [
        helper.make_node("Conv", ["x", "Wc", "Bc"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node(pool_op, ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["p1"], ["f1"], name="flatten", axis=1),
        helper.make_node("Gemm", ["f1", "Wf", "Bf"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, f"digits_cnn_{pool}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [init("Wc", wc.reshape(8, 1, 3, 3)), init("Bc", bc), init("Wf", wf), init("Bf", bf)])
    return save(helper.make_model(graph, producer_name="proofmarket-fixtures"), f"cnn_{pool}.onnx")


def ops_cover():
    """Untrained; every supported operator once, weights stored as float_data and raw_data."""
    rng = np.random.default_rng(SEED + 1)
    wc = rng.normal(0, 0.4, (4, 1, 3, 3)).astype(np.float32)
    bc = rng.normal(0, 0.1, 4).astype(np.float32)
    wm = rng.normal(0, 0.3, (64, 10)).astype(np.float32)
    bm = rng.normal(0, 0.1, 10).astype(np.float32)
    wc_float = helper.make_tensor("Wc", TensorProto.FLOAT, wc.shape, wc.flatten().tolist())  # float_data
    nodes = [
        helper.make_node("Identity", ["x"], ["x1"], name="identity_in"),
        helper.make_node("Reshape", ["x1", "shape"], ["img"], name="reshape"),
        helper.make_node("Conv", ["img", "Wc", "Bc"], ["c1"], name="conv_s2",
                         kernel_shape=[3, 3], pads=[1, 1, 2, 2], strides=[2, 2]),
        helper.make_node("Clip", ["c1", "clip_lo", "clip_hi"], ["k1"], name="clip"),
        helper.make_node("AveragePool", ["k1"], ["p1"], name="avgpool", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Flatten", ["p1"], ["f1"], name="flatten", axis=1),
        helper.make_node("MatMul", ["f1", "Wm"], ["m1"], name="matmul"),
        helper.make_node("Add", ["m1", "Bm"], ["y"], name="add"),
        helper.make_node("Identity", ["y"], ["out"], name="identity_out"),
    ]
    graph = helper.make_graph(
        nodes, "ops_cover",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(np.array([1, 1, 8, 8], dtype=np.int64), "shape"),
         wc_float, init("Bc", bc), init("clip_lo", 0.0), init("clip_hi", 1.5), init("Wm", wm), init("Bm", bm)])
    return save(helper.make_model(graph, producer_name="proofmarket-fixtures"), "ops_cover.onnx")


def main():
    os.makedirs(OUT, exist_ok=True)
    xtr, xte, ytr, yte = data()
    paths = {
        "mlp_small": mlp_small(xtr, ytr),
        "mlp_large": mlp_large(xtr, ytr),
        "cnn_max": cnn(xtr, ytr, "max"),
        "cnn_avg": cnn(xtr, ytr, "avg"),
        "ops_cover": ops_cover(),
    }
    xs, ys = xte[:SAMPLE_SIZE], yte[:SAMPLE_SIZE]
    sample = {
        "description": "digits test-set sample; model input = pixels / 16, shape per model's input",
        "pixelScale": 1 / 16,
        "pixels": [[int(round(p * 16)) for p in row] for row in xs],
        "labels": [int(v) for v in ys],
        "models": {},
    }
    for name, path in paths.items():
        sess = ort.InferenceSession(path)
        inp = sess.get_inputs()[0]
        shape = [1, 64] if inp.shape == [1, 64] else [1, 1, 8, 8]
        outs = [sess.run(None, {inp.name: row.reshape(shape)})[0].reshape(-1) for row in xs]
        argmax = [int(np.argmax(o)) for o in outs]
        accuracy = float(np.mean(np.array(argmax) == ys))
        sample["models"][name] = {
            "file": os.path.basename(path),
            "inputShape": shape,
            "floatAccuracy": round(accuracy, 4),
            "outputs": [[float(f"{v:.6g}") for v in o] for o in outs],
            "argmax": argmax,
        }
        print(f"{name:10s} {os.path.getsize(path):7d} bytes  float accuracy on sample {accuracy:.4f}")
    with open(os.path.join(OUT, "digits_sample.json"), "w") as f:
        json.dump(sample, f, separators=(",", ":"))

    os.makedirs(MODELS, exist_ok=True)
    demo = {"description": "digits test-set sample for the demo: pixels (integers 0..16; the model input is "
            "pixel * pixelScale) and true labels", "pixelScale": sample["pixelScale"],
            "pixels": sample["pixels"], "labels": sample["labels"]}
    with open(os.path.join(MODELS, "digits-sample.json"), "w") as f:
        json.dump(demo, f, separators=(",", ":"))
    shutil.copy(paths["mlp_small"], os.path.join(MODELS, "digits-mlp.onnx"))
    with open(os.path.join(MODELS, "digits-input.json"), "w") as f:
        json.dump({"shape": [1, 64], "values": [float(p) for p in xs[0]]}, f)
        f.write("\n")
    print(f"example input label: {int(ys[0])}")


if __name__ == "__main__":
    main()
