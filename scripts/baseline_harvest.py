#!/usr/bin/env python3
"""Python baseline of the Faces Harvest stage, the reference point for `make bench`.

A straightforward OpenCV + onnxruntime implementation of the harvest with the default
configuration (uniform sampling only): it reads tracks.jsonl and detections.jsonl, gates and
samples each track's detections, decodes EVERY frame of the episode with
cv2.VideoCapture.read() (which decodes and converts each frame to BGR), aligns the planned
faces to the ArcFace 112x112 template, rejects blurry / low-quality crops, embeds the rest with
onnxruntime on the CPU in batches and writes faces.jsonl + faces.npy.

It is meant to be honest, not tuned: no threads of its own, no frame skipping, no seeking.
The last line on stdout is one JSON object with the counts and timings:
  {"faces", "frames", "wall_s", "decode_s", "crop_s", "embed_s", "peak_rss_mb"}
wall_s is measured from the start of the script, before cv2 / onnxruntime are imported.
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections import defaultdict  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
     [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float32)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def uniform_sample(dets, interval, cap):
    """Keep one detection at least `interval` frames after the last kept; thin evenly to `cap`."""
    spaced = []
    for det in sorted(dets, key=lambda d: d["frame_idx"]):
        if spaced and det["frame_idx"] - spaced[-1]["frame_idx"] < interval:
            continue
        spaced.append(det)
    n = len(spaced)
    if cap <= 0:
        return []
    if n <= cap:
        return spaced
    if cap == 1:
        return [spaced[(n - 1) // 2]]
    # round half up (positions are non-negative), as Swift's .rounded() does
    keep = {int(i * (n - 1) / (cap - 1) + 0.5) for i in range(cap)}
    return [d for i, d in enumerate(spaced) if i in keep]


def plan_faces(detections, track_ids, width, height, args):
    """Pre-gates (size, confidence) then uniform sampling. Returns {frame_idx: [face, ...]}."""
    by_track = defaultdict(list)
    for det in detections:
        if det.get("track_id") in track_ids:
            by_track[det["track_id"]].append(det)
    plan = defaultdict(list)
    for track_id in sorted(by_track):
        gated = []
        for det in by_track[track_id]:
            x1, y1, x2, y2 = (min(1.0, max(0.0, v)) for v in det["bbox"])
            short = min((x2 - x1) * width, (y2 - y1) * height)
            if short < args.min_face_size or det["conf"] < args.min_confidence:
                continue
            # No pose gate: the reference system never had one (pose_score counts as 1.0 below).
            gated.append(dict(det, bbox=[x1, y1, x2, y2], short=short))
        for det in uniform_sample(gated, args.sample_interval, args.max_crops_per_track):
            plan[det["frame_idx"]].append(det)
    return plan


def crop_and_score(frame, det, width, height, args):
    """Aligned 112x112 BGR crop and its quality, or None if rejected."""
    lm = np.asarray(det["landmarks"], dtype=np.float32).reshape(5, 2) * [width, height]
    M, _ = cv2.estimateAffinePartial2D(lm.astype(np.float32), ARCFACE_TEMPLATE_112,
                                       method=cv2.LMEDS)
    if M is None:
        return None
    crop = cv2.warpAffine(frame, M, (112, 112), flags=cv2.INTER_LINEAR, borderValue=0)
    var = cv2.Laplacian(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()
    if var < args.max_blur:
        return None
    quality = (0.4 * det["conf"] + 0.3 * min(1.0, det["short"] / 112.0)
               + 0.2 * min(1.0, var / (2.0 * args.max_blur)) + 0.1 * 1.0)
    if quality < args.min_quality:
        return None
    return crop, quality


def load_session(model_path, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    return ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])


def embed(sess, crops, model, args):
    in_name = sess.get_inputs()[0].name
    mean = np.asarray(model["mean"], dtype=np.float32)
    std = np.asarray(model["std"], dtype=np.float32)
    out = []
    for start in range(0, len(crops), args.batch_size):
        batch = np.stack(crops[start:start + args.batch_size]).astype(np.float32)
        if model["colour_order"] == "RGB":
            batch = batch[..., ::-1]
        batch = ((batch - mean) / std).transpose(0, 3, 1, 2)
        emb = sess.run(None, {in_name: np.ascontiguousarray(batch)})[0].reshape(len(batch), -1)
        out.append(emb / np.linalg.norm(emb, axis=1, keepdims=True))
    width = model.get("output_width", 0)
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, width), np.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-root", required=True)
    p.add_argument("--ep-id", required=True)
    p.add_argument("--manifest", required=True, help="model manifest.json")
    p.add_argument("--model", default="sface")
    p.add_argument("--out", help="output directory (default: a new temp dir)")
    p.add_argument("--sample-interval", type=int, default=24)
    p.add_argument("--max-crops-per-track", type=int, default=50)
    p.add_argument("--min-quality", type=float, default=0.7)
    p.add_argument("--min-confidence", type=float, default=0.8)
    p.add_argument("--min-face-size", type=float, default=64)
    p.add_argument("--max-blur", type=float, default=100)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--inputs", help="folder of detections.jsonl/tracks.jsonl (default manifests/{ep_id})")
    p.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads, 0 = auto")
    args = p.parse_args()

    with open(args.manifest) as f:
        model = next(m for m in json.load(f)["models"] if m["name"] == args.model)
    model_path = os.path.join(os.path.dirname(os.path.abspath(args.manifest)), model["file"])
    manifests = args.inputs or os.path.join(args.data_root, "manifests", args.ep_id)
    video = os.path.join(args.data_root, "videos", args.ep_id, "episode.mp4")
    out_dir = args.out or tempfile.mkdtemp(prefix="baseline-harvest-")
    os.makedirs(out_dir, exist_ok=True)

    track_ids = {t["track_id"] for t in read_jsonl(os.path.join(manifests, "tracks.jsonl"))}
    detections = read_jsonl(os.path.join(manifests, "detections.jsonl"))

    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        raise SystemExit(f"cannot open {video}")
    width = cap.get(cv2.CAP_PROP_FRAME_WIDTH)
    height = cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    plan = plan_faces(detections, track_ids, width, height, args)
    sess = load_session(model_path, args.threads)  # load time counts in wall_s only

    faces, crops = [], []
    decode_s = crop_s = 0.0
    frame_idx = 0
    while True:
        t = time.perf_counter()
        ok, frame = cap.read()
        decode_s += time.perf_counter() - t
        if not ok:
            break
        t = time.perf_counter()
        for det in plan.get(frame_idx, ()):  # already in track_id order
            result = crop_and_score(frame, det, width, height, args)
            if result is not None:
                crops.append(result[0])
                faces.append((det, result[1]))
        crop_s += time.perf_counter() - t
        frame_idx += 1
    cap.release()

    t = time.perf_counter()
    embeddings = embed(sess, crops, model, args)
    embed_s = time.perf_counter() - t

    with open(os.path.join(out_dir, "faces.jsonl"), "w") as f:
        for i, ((det, quality), emb) in enumerate(zip(faces, embeddings)):
            f.write(json.dumps({
                "face_id": f"face-{i + 1:05d}", "track_id": det["track_id"],
                "frame_idx": det["frame_idx"], "bbox": det["bbox"],
                "landmarks": det["landmarks"], "embedding": emb.tolist(),
                "quality_score": quality, "crop_path": ""}) + "\n")
    np.save(os.path.join(out_dir, "faces.npy"), embeddings)

    print(f"[baseline] wrote {len(faces)} faces to {out_dir}", file=sys.stderr)
    print(json.dumps({
        "faces": len(faces), "frames": frame_idx,
        "wall_s": round(time.perf_counter() - T_START, 4), "decode_s": round(decode_s, 4),
        "crop_s": round(crop_s, 4), "embed_s": round(embed_s, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
