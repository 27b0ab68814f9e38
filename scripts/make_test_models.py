#!/usr/bin/env python3
"""Generate small ONNX models for tests of the embedding path (not for real recognition).

  arcface_like_512.onnx  N×3×112×112 → N×512: an ArcFace-shaped embedder (strided conv, ReLU,
                         flatten, dense) with fixed random weights, so the 512-d code path runs.
  not_a_vector.onnx      N×3×112×112 → N×8×14×14: a model whose output is not an embedding
                         vector; the pipeline must refuse it.
Writes OUT/manifest.json (model_manifest_v1) listing both, with their SHA-256.
"""
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build(vector_output):
    rng = np.random.default_rng(1234)
    conv_weight = rng.normal(0, 0.05, size=(8, 3, 8, 8)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["data", "conv_w"], ["conv"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Relu", ["conv"], ["features"]),
    ]
    initializers = [numpy_helper.from_array(conv_weight, "conv_w")]
    if vector_output:
        dense = rng.normal(0, 0.02, size=(8 * 14 * 14, 512)).astype(np.float32)
        bias = rng.normal(0, 0.01, size=(512,)).astype(np.float32)
        nodes += [
            helper.make_node("Flatten", ["features"], ["flat"], axis=1),
            helper.make_node("Gemm", ["flat", "dense_w", "dense_b"], ["embedding"]),
        ]
        initializers += [numpy_helper.from_array(dense, "dense_w"), numpy_helper.from_array(bias, "dense_b")]
        output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 512])
    else:
        nodes.append(helper.make_node("Identity", ["features"], ["embedding"]))
        output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 8, 14, 14])
    graph = helper.make_graph(
        nodes, "test_embedder",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["N", 3, 112, 112])], [output],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    entries = []
    for name, vector in (("arcface_like_512", True), ("not_a_vector", False)):
        path = os.path.join(out, f"{name}.onnx")
        onnx.save(build(vector), path + ".tmp")
        os.replace(path + ".tmp", path)
        entries.append({
            "name": name, "role": "embedder", "family": "arcface", "file": f"{name}.onnx",
            "sha256": sha256(path), "input_width": 112, "input_height": 112, "colour_order": "RGB",
            "mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5], "output_width": 512,
            "identity_threshold": 0.58, "licence": "generated test model (no real weights)",
            "source": "scripts/make_test_models.py",
        })
    manifest = os.path.join(out, "manifest.json")
    with open(manifest + ".tmp", "w") as handle:
        json.dump({"schema_version": "model_manifest_v1", "models": entries}, handle, indent=2)
        handle.write("\n")
    os.replace(manifest + ".tmp", manifest)
    print(f"wrote test models to {out}")


if __name__ == "__main__":
    main()
