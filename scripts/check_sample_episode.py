#!/usr/bin/env python3
"""Check a sample episode against its ground truth with YuNet run as the pipeline runs it.

Decodes data/videos/{ep}/episode.mp4 (ffmpeg), runs YuNet on every Nth frame exactly as the
detect-track stage does (frame scaled into the top-left of a black 640x640 input, score
threshold 0.5, NMS 0.3), and matches detections to ground_truth.jsonl faces at IoU >= 0.5.
Works at any frame size (shots.json's width and height). Prints the share of face frames whose
box reaches 64 px (the harvest's min_face_size gate measures the short side of the box clamped
to the frame), recall of fully visible faces per difficulty (when the ground truth has
`difficulty`), per shot, per face height and by the gate, recall of faces cut by the frame's edge
but at least half visible (matched against the clamped box), the median landmark error (mean of
the five points, in % of the face box's sqrt(width x height)), and every detection that matches
no face: on a bait patch (bait.jsonl), centred on a face but placed too loosely (IoU < 0.5), or
elsewhere. With --sheet, writes a PNG contact sheet of the first frame of each shot with ground
truth (green), detections (red, with scores) and bait (blue).

Usage: check_sample_episode.py --data-root DATA --ep-id ID --detector YUNET.onnx [--every 5]
                               [--json OUT.json] [--sheet OUT.png]
"""
import argparse
import collections
import json
import os
import subprocess
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episode_builder import iou, read_jsonl  # noqa: E402
from sample_episode_s01e02 import pipeline_detect, pipeline_detector  # noqa: E402


def frames(video, width, height):
    process = subprocess.Popen(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", video,
                                "-f", "rawvideo", "-pix_fmt", "bgr24", "-"], stdout=subprocess.PIPE)
    size = width * height * 3
    index = 0
    while True:
        data = process.stdout.read(size)
        if len(data) < size:
            break
        yield index, np.frombuffer(data, np.uint8).reshape(height, width, 3)
        index += 1
    process.wait()


def height_bucket(height):
    """The face-box height range a face falls in, for recall by size."""
    edges = (0, 20, 25, 30, 35, 40, 50, 64, 110)
    for low, high in zip(edges, edges[1:]):
        if height < high:
            return f"{low:3d}-{high - 1:3d} px"
    return f"{edges[-1]:3d}+     px"


def gate_side(face, width, height):
    """The short side in px of the face's box clamped to the frame: what the harvest's
    min_face_size (64) gate measures."""
    x1, y1, x2, y2 = face["bbox"]
    return min((x2 - x1) * width, (y2 - y1) * height)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--ep-id", required=True)
    parser.add_argument("--detector", required=True)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--json")
    parser.add_argument("--sheet")
    args = parser.parse_args()
    cv2.setNumThreads(1)

    truth_dir = os.path.join(args.data_root, "ground_truth", args.ep_id)
    with open(os.path.join(truth_dir, "shots.json")) as handle:
        shots = json.load(handle)
    width, height = shots["width"], shots["height"]
    faces = collections.defaultdict(list)
    for row in read_jsonl(os.path.join(truth_dir, "ground_truth.jsonl")):
        faces[row["frame_idx"]].append(row)
    face_rows = [row for frame in faces.values() for row in frame]
    heights = np.array([r["bbox_px"][3] - r["bbox_px"][1] for r in face_rows])
    short_sides = np.array([gate_side(r, width, height) for r in face_rows])
    sizes = {
        "face_frames": len(face_rows), "frames": shots.get("num_frames"),
        "faces_per_frame": round(len(face_rows) / shots["num_frames"], 3) if shots.get("num_frames") else None,
        "height_percentiles_px": {str(p): round(float(np.percentile(heights, p)), 1) for p in (5, 25, 50, 75, 95)},
        "share_height_ge_64": round(float(np.mean(heights >= 64)), 4),
        "share_gate_short_side_ge_64": round(float(np.mean(short_sides >= 64)), 4),
    }
    baits = collections.defaultdict(list)
    bait_path = os.path.join(truth_dir, "bait.jsonl")
    for row in read_jsonl(bait_path) if os.path.exists(bait_path) else []:
        baits[row["frame_idx"]].append(row)
    shot_starts = {s["start_frame"] for s in shots["shots"]}
    detector = pipeline_detector(args.detector, args.threshold)

    found = collections.Counter()
    total = collections.Counter()
    landmark_errors = collections.defaultdict(list)
    bait_hits = collections.defaultdict(list)
    bait_seen = collections.Counter()
    others = []
    loose = 0
    tiles = []
    video = os.path.join(args.data_root, "videos", args.ep_id, "episode.mp4")
    for index, frame in frames(video, width, height):
        keep_tile = args.sheet and index in shot_starts
        if index % args.every and not keep_tile:
            continue
        detections = pipeline_detect(detector, frame)
        if index % args.every == 0:
            truth = [f for f in faces[index] if f["visible_fraction"] >= 0.999]
            used = set()
            for face in truth:
                x1, y1, x2, y2 = face["bbox_px"]
                gate = f"gate: short side {'>=' if gate_side(face, width, height) >= 64 else '<'} 64 px"
                keys = ["all", f"height {height_bucket(y2 - y1)}", f"shot {face['shot']:02d}", gate,
                        f"track {face['track_id']} ({face['identity']}, {face.get('photo', '')})"]
                if "difficulty" in face:
                    keys.append(f"difficulty {face['difficulty']}")
                candidates = [(iou(face["bbox_px"], d[0]), n) for n, d in enumerate(detections) if n not in used]
                best = max(candidates, default=(0.0, -1))
                for key in keys:
                    total[key] += 1
                if best[0] >= 0.5:
                    used.add(best[1])
                    size = np.sqrt((x2 - x1) * (y2 - y1))
                    points = np.array(face["landmarks_px"]).reshape(5, 2)
                    error = float(np.linalg.norm(detections[best[1]][2] - points, axis=1).mean() / size)
                    for key in keys:
                        found[key] += 1
                        landmark_errors[key].append(error)
            # Faces cut by the frame's edge, at least half visible: against the clamped box.
            for face in faces[index]:
                if not 0.5 <= face["visible_fraction"] < 0.999:
                    continue
                clamped = [v * (width if i % 2 == 0 else height) for i, v in enumerate(face["bbox"])]
                candidates = [(iou(clamped, d[0]), n) for n, d in enumerate(detections) if n not in used]
                best = max(candidates, default=(0.0, -1))
                key = "partly visible (>= 1/2)"
                total[key] += 1
                if best[0] >= 0.5:
                    used.add(best[1])
                    found[key] += 1
            for n, (box, score, _) in enumerate(detections):
                if n in used:
                    continue
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                hit = [b for b in baits[index] if b["bbox_px"][0] <= cx <= b["bbox_px"][2]
                       and b["bbox_px"][1] <= cy <= b["bbox_px"][3]]
                if hit:
                    bait_hits[hit[0]["bait_id"]].append(score)
                elif any(f["bbox_px"][0] <= cx <= f["bbox_px"][2] and f["bbox_px"][1] <= cy <= f["bbox_px"][3]
                         for f in faces[index]):
                    loose += 1
                else:
                    others.append({"frame_idx": index, "bbox_px": [round(float(v), 1) for v in box],
                                   "score": round(score, 3)})
            for bait in baits[index]:
                bait_seen[bait["bait_id"]] += 1
        if keep_tile:
            tile = frame.copy()
            for face in faces[index]:
                x1, y1, x2, y2 = (int(round(v)) for v in face["bbox_px"])
                cv2.rectangle(tile, (x1, y1), (x2, y2), (0, 255, 0), 2)
                points = np.array(face["landmarks_px"]).reshape(5, 2)
                for x, y in points:
                    cv2.circle(tile, (int(round(x)), int(round(y))), 2, (0, 255, 0), -1)
            for bait in baits[index]:
                x1, y1, x2, y2 = (int(round(v)) for v in bait["bbox_px"])
                cv2.rectangle(tile, (x1, y1), (x2, y2), (255, 128, 0), 2)
            for box, score, _ in detections:
                x1, y1, x2, y2 = (int(round(v)) for v in box)
                cv2.rectangle(tile, (x1, y1), (x2, y2), (0, 0, 255), 1)
                cv2.putText(tile, f"{score:.2f}", (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 255), 1)
            cv2.putText(tile, f"frame {index}", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
            tiles.append(tile)

    report = {
        "ep_id": args.ep_id, "every": args.every, "threshold": args.threshold, "sizes": sizes,
        "recall": {k: {"found": found[k], "total": total[k], "recall": round(found[k] / total[k], 4),
                       "median_landmark_error_pct": round(100 * float(np.median(landmark_errors[k])), 2)
                       if landmark_errors[k] else None}
                   for k in sorted(total)},
        "bait": {b: {"fired_frames": len(bait_hits[b]), "frames": bait_seen[b],
                     "max_score": round(max(bait_hits[b], default=0.0), 3)} for b in sorted(bait_seen)},
        "loose_face_detections": loose,
        "other_false_positives": others,
    }
    print(f"face frames {sizes['face_frames']} ({sizes['faces_per_frame']} per frame); box height percentiles "
          f"{sizes['height_percentiles_px']}; height >= 64 px: {sizes['share_height_ge_64']:.1%}; "
          f"clamped short side >= 64 px (the harvest's gate): {sizes['share_gate_short_side_ge_64']:.1%}")
    print(f"{'faces (fully visible)':26s} found/total recall  median landmark error")
    for key in sorted(k for k in total if not k.startswith("track ") or found[k] < total[k]):
        error = report["recall"][key]["median_landmark_error_pct"]
        print(f"{key:26s} {found[key]:4d}/{total[key]:<4d} {found[key] / total[key]:.3f}   "
              + (f"{error:.1f}%" if error is not None else "-"))
    for bait, row in report["bait"].items():
        print(f"{bait}: fired on {row['fired_frames']}/{row['frames']} sampled frames, max {row['max_score']}")
    print(f"unmatched detections centred on a face (IoU < 0.5): {loose}")
    print(f"other unmatched detections: {len(others)}")
    for row in others[:20]:
        print("  ", row)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2, sort_keys=True)
    if args.sheet and tiles:
        size = (640, int(round(640 * height / width)))
        small = [cv2.resize(t, size, interpolation=cv2.INTER_AREA) for t in tiles]
        while len(small) % 4:
            small.append(np.zeros_like(small[0]))
        rows = [np.hstack(small[i:i + 4]) for i in range(0, len(small), 4)]
        cv2.imwrite(args.sheet, np.vstack(rows))


if __name__ == "__main__":
    main()
