#!/usr/bin/env python3
"""Calibrate the track-level cluster threshold of an embedder on episodes with ground truth.

For each episode it reads the pipeline's tracks (detections.jsonl with track_id), labels every
track with the ground-truth identity its detections overlap most (IoU >= 0.5), reads the pooled
track embeddings (embeds/{ep}/track_embeddings.npy + .jsonl, written by `episode-run --cluster`),
and prints the cosine similarities of same-identity and different-identity track pairs. The
threshold is the midpoint of the gap between the highest different-identity similarity and the
lowest same-identity similarity (docs/identities.md records the result).

    scripts/calibrate_cluster_threshold.py --data-root data sample-s01e01 [more episodes]
"""
import argparse
import collections
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episode_builder import iou, read_jsonl as rows  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-root", default="data")
    p.add_argument("episodes", nargs="+")
    args = p.parse_args()
    same, different = [], []
    for ep in args.episodes:
        truth = collections.defaultdict(list)
        for r in rows(os.path.join(args.data_root, "ground_truth", ep, "ground_truth.jsonl")):
            truth[r["frame_idx"]].append(r)
        votes = collections.defaultdict(collections.Counter)
        for d in rows(os.path.join(args.data_root, "manifests", ep, "detections.jsonl")):
            if not d.get("track_id"):
                continue
            best = max(truth.get(d["frame_idx"], []), key=lambda t: iou(t["bbox"], d["bbox"]), default=None)
            if best is not None and iou(best["bbox"], d["bbox"]) >= 0.5:
                votes[d["track_id"]][best["identity"]] += 1
        index = rows(os.path.join(args.data_root, "embeds", ep, "track_embeddings.jsonl"))
        vectors = np.load(os.path.join(args.data_root, "embeds", ep, "track_embeddings.npy"))
        label = [votes[r["track_id"]].most_common(1)[0][0] if votes[r["track_id"]] else None for r in index]
        sims = vectors @ vectors.T
        for i in range(len(index)):
            for j in range(i + 1, len(index)):
                if label[i] is None or label[j] is None:
                    continue
                (same if label[i] == label[j] else different).append(float(sims[i, j]))
    same.sort()
    different.sort()
    print(f"same-identity pairs: {len(same)}, similarity min {same[0]:.3f}, median {same[len(same) // 2]:.3f}")
    print(f"different-identity pairs: {len(different)}, similarity max {different[-1]:.3f}, "
          f"median {different[len(different) // 2]:.3f}")
    gap = (different[-1], same[0])
    print(f"gap {gap[0]:.3f} .. {gap[1]:.3f}: threshold (midpoint) {(gap[0] + gap[1]) / 2:.3f}"
          if gap[1] > gap[0] else "no gap: identities overlap at track level")


if __name__ == "__main__":
    main()
