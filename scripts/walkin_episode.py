#!/usr/bin/env python3
"""Build the deterministic development episode walkin-s01e01: people walking in and out of a
720x400 frame, mostly with small faces, as in real broadcast proxies.

Real footage often arrives as 720x400 proxies in which most faces are under 64 px, three or
more people share the frame, people walk in and out, and faces are cut by the frame's edge. This
episode has that, with exact ground truth. It is drawn from the labelled photos sample-s01e02
uses (its photo table, SHA-256 pins, YuNet stills and head-and-shoulders cut-outs are imported
from sample_episode_s01e02.py): bald_guys.jpg's four actors (diesel, statham, willis, johnson)
and facetorch's woman. The johns chips are too tight to be drawn small and are not used.

Twelve shots joined by hard cuts, each on its own synthetic background. In each shot people
enter from the left or right edge and cross, or stop and stand, at walking speed (120-240 px/s:
the frame's width in 3-6 s), with a slight bob and roll while walking and a slower sway while
standing; some stand at the start of the shot, a few stand half out of the frame for seconds.
Most faces are 20-60 px tall, in three "lanes" by depth (far 20-26 px, middle 34-42, near
46-58); four shots hold faces of 92-106 px (short side 64-77 px), which the harvest's 64 px gate accepts. Every person
is a cut-out moved by a known similarity transform, so the ground truth is exact; the generator
refuses a shot in which a person drawn later covers the face box of one drawn earlier, or in
which a person appears or vanishes inside the frame instead of at its edge.

One ground-truth track is one (shot, person) trajectory: a run of frames in which some of the
face box is inside the frame. A person who leaves the frame and comes back in the same shot is
two tracks.

Writes, under DATA/ (formats as sample-s01e02, see docs/sample_episode.md):
  videos/{ep}/episode.mp4                    H.264, 25 fps, 720x400, B-frames, bit-exact
  ground_truth/{ep}/ground_truth.jsonl       per frame and face with some of its box in frame
  ground_truth/{ep}/shots.json               shots, people, motions, trajectories, photos
  ground_truth/{ep}/identities_truth.json    track_id -> identity
  ground_truth/{ep}/detections.jsonl         oracle det_v1 rows (faces at least half visible)
  ground_truth/{ep}/tracks.jsonl             oracle track_v1 rows, one per trajectory

Usage: walkin_episode.py --dlib-examples DIR --facetorch DIR --detector YUNET.onnx
                         --data-root DATA [--ep-id walkin-s01e01]
"""
import argparse
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episode_builder import (FPS, Encoder, affine, apply, background, check_ep_id, composite,  # noqa: E402
                             detection_row, face_truth, track_row, visible_runs, write_ground_truth)
from sample_episode_s01e02 import (BALD_GUYS, IDENTITIES, PHOTOS, SOURCES, TEST3, compose,  # noqa: E402
                                   load_still, read_source, sprite)

WIDTH, HEIGHT = 720, 400
SMALL_PX = 40          # difficulty `small` below this box height (as sample-s01e02's small faces)
GATE_PX = 64           # the harvest's min_face_size: the short side of the clamped box


OUT = 1.5  # "left"/"right": the face centre this many face heights outside the frame, where
           # no part of the head-and-shoulders cut-out is left inside it


def walk(x, speed):
    """Walk (face centre) to x ("left"/"right": out of the frame on that side) at `speed` px/s."""
    return ("walk", x, float(speed))


def wait(seconds=None):
    """Stand still for `seconds` (None: to the end of the shot)."""
    return ("wait", seconds, None)


def person(photo, y, h, x, moves, start=0.0):
    """A person in a shot: face centre at (x, y) at `start` seconds (x "left"/"right": entering
    from outside the frame on that side), face-box height h px, then `moves`. Before `start`
    and after the last move the person is not drawn: someone who enters after the shot starts,
    or leaves before it ends, must do so outside the frame."""
    def resolve(x):
        return {"left": -OUT * h, "right": WIDTH + OUT * h}.get(x, x)

    moves = [(kind, resolve(a), b) for kind, a, b in moves]
    return {"photo": photo, "y": float(y), "h": float(h), "x": float(resolve(x)), "moves": moves,
            "start": float(start)}


# Each shot: (frames, people in drawing order: far first). Lanes by depth: far (y ~40-112, faces
# 20-26 px), middle (y ~190-230, 34-42 px), near (y ~300, 46-58 px); a large shot has two faces of
# 92-106 px at y ~200 and one far face above them. People in different lanes never touch
# another's face box, so they cross freely; in one lane they keep their distance.
SHOTS = [
    (125, [  # 0: a street: two cross, one walks in and stops beside a woman who stands there
        person("diesel_a", 108, 22, "left", [walk("right", 150)]),
        person("statham_b", 196, 36, "right", [walk("left", 180)], start=0.4),
        person("woman_r1c1", 300, 50, 170, [wait()]),
        person("johnson_b", 304, 52, "right", [walk(360, 200), wait()]),
    ]),
    (100, [  # 1: large: willis walks in and stops, diesel stands then walks out right
        person("statham_e", 48, 22, "right", [walk("left", 130)], start=0.3),
        person("diesel_c", 195, 96, 520, [wait(2.4), walk("right", 160)]),
        person("willis_b", 190, 100, "left", [walk(220, 200), wait()]),
    ]),
    (125, [  # 2: johnson stands half out of the left edge for the whole shot
        person("willis_d", 112, 24, "right", [walk("left", 160)]),
        person("woman_r1c2", 190, 38, "left", [walk("right", 140)], start=0.6),
        person("johnson_a", 300, 58, 4, [wait()]),
        person("diesel_a", 296, 54, 430, [wait(3.0), walk("right", 200)]),
    ]),
    (115, [  # 3: statham walks out right and comes back (two tracks)
        person("woman_r3c2", 110, 26, 120, [walk(700, 120)]),
        person("statham_d", 200, 42, 80, [walk("right", 220), wait(0.6), walk(560, 200), wait()]),
        person("johnson_e", 300, 50, 240, [wait()]),
        person("willis_a", 305, 52, 480, [wait()]),
    ]),
    (100, [  # 4: large: the woman stands, statham walks in and stops
        person("diesel_c", 48, 20, "left", [walk("right", 140)]),
        person("woman_r1c1", 200, 104, 200, [wait()]),
        person("statham_b", 205, 98, "right", [walk(520, 200), wait()], start=0.2),
    ]),
    (125, [  # 5: a small crowd: three walk right in the far lane, two walk left in the middle one
        person("willis_d", 110, 22, 300, [walk("right", 150)]),
        person("johnson_b", 112, 24, 80, [walk("right", 150)]),
        person("woman_r1c2", 108, 24, "left", [walk("right", 150)], start=0.8),
        person("diesel_c", 200, 34, 600, [walk("left", 180)]),
        person("statham_e", 204, 36, "right", [walk("left", 180)], start=1.2),
    ]),
    (100, [  # 6: willis stands half out of the right edge, then steps in
        person("johnson_a", 100, 26, "right", [walk("left", 170)], start=0.5),
        person("woman_r3c2", 230, 40, 200, [wait()]),
        person("willis_f", 210, 66, 716, [wait(2.0), walk(560, 120), wait()]),
    ]),
    (125, [  # 7: two stand far away, two walk through the near lane, one the middle lane
        person("willis_b", 110, 26, 360, [wait()]),
        person("woman_r1c1", 112, 24, 560, [wait()]),
        person("statham_b", 200, 38, "right", [walk("left", 200)]),
        person("diesel_d", 300, 56, "left", [walk("right", 240)]),
        person("johnson_e", 304, 50, "left", [walk("right", 240)], start=1.6),
    ]),
    (100, [  # 8: large: johnson (turned) walks in and stops beside willis
        person("woman_r3c2", 46, 26, 600, [walk("left", 130)]),
        person("willis_a", 200, 104, 520, [wait()]),
        person("johnson_f", 200, 92, "left", [walk(230, 160), wait()]),
    ]),
    (125, [  # 9: diesel walks out right and comes back (two tracks); the woman crosses near
        person("diesel_a", 110, 26, 500, [walk("right", 160), wait(1.0), walk(300, 160)]),
        person("johnson_b", 196, 40, "left", [walk(150, 170), wait()], start=0.4),
        person("statham_e", 195, 34, 400, [wait()]),
        person("woman_r1c2", 300, 48, "right", [walk("left", 180)]),
    ]),
    (112, [  # 10: large: the woman laughs, diesel walks in and stops
        person("johnson_b", 50, 22, "left", [walk("right", 150)]),
        person("woman_r5c2", 205, 106, 220, [wait()]),
        person("diesel_a", 200, 100, "right", [walk(520, 200), wait()]),
    ]),
    (138, [  # 11: diesel stands half out of the left edge; others walk in and stop or cross
        person("statham_b", 100, 22, 120, [wait()]),
        person("willis_d", 104, 24, "right", [walk(320, 150), wait()], start=0.5),
        person("woman_r1c1", 195, 36, "left", [walk("right", 170)]),
        person("diesel_c", 300, 52, 6, [wait()]),
        person("johnson_a", 300, 56, "right", [walk(500, 200), wait()], start=1.0),
    ]),
]


class Walker:
    """One person's motion in a shot: where the face centre is at time t (None: not drawn), its
    speed, and the photo-to-frame transform with a walking bob and roll or a standing sway."""

    def __init__(self, spec, duration, rng):
        self.spec = spec
        self.legs = []  # (t0, t1, x0, x1)
        t, x = spec["start"], spec["x"]
        for kind, a, b in spec["moves"]:
            if kind == "walk":
                t1 = t + abs(a - x) / b
                self.legs.append((t, t1, x, a))
                t, x = t1, a
            else:
                t1 = duration if a is None else t + a
                self.legs.append((t, t1, x, x))
                t = t1
        self.end = t
        self.phase = rng.uniform(0, 2 * np.pi, 3)

    def position(self, t):
        """(x, speed in px/s) at t, or None before the start or after the last move."""
        if t < self.legs[0][0] or t > self.end:
            return None
        for t0, t1, x0, x1 in self.legs:
            if t <= t1:
                fraction = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
                return x0 + (x1 - x0) * fraction, abs(x1 - x0) / (t1 - t0) if t1 > t0 else 0.0
        return self.legs[-1][3], 0.0

    def gait(self, t):
        """How much the person is walking at t (0 standing, 1 walking), eased over +-0.2 s so the
        bob and roll do not jump when they stop or start."""
        samples = [self.position(t + dt) for dt in np.linspace(-0.2, 0.2, 9)]
        return float(np.mean([p is not None and p[1] > 0 for p in samples]))

    def matrix(self, still, t):
        x, _ = self.position(t)
        h = self.spec["h"]
        g = self.gait(t)
        bob = g * 0.04 * h * np.sin(2 * np.pi * 2.0 * t + self.phase[0])
        roll = g * 1.5 * np.sin(2 * np.pi * 1.0 * t + self.phase[1]) + (1 - g) * 0.8 * np.sin(
            2 * np.pi * 0.25 * t + self.phase[2])
        box = still["box"]
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        return affine(h / (box[3] - box[1]), roll, centre, (x, self.spec["y"] + bob))

    def describe(self, duration):
        """The motion in words, for shots.json."""
        words = []
        first = self.legs[0]
        inside = 0 <= first[2] <= WIDTH
        words.append(f"in frame at x={first[2]:.0f} at the start" if inside and first[0] == 0 else
                     f"enters from the {'left' if first[2] < 0 else 'right'} at {first[0]:.1f} s")
        for t0, t1, x0, x1 in self.legs:
            if t0 >= duration:
                break
            if x1 != x0:
                words.append(f"walks {'right' if x1 > x0 else 'left'} at {abs(x1 - x0) / (t1 - t0):.0f} px/s"
                             + (" until the shot ends" if t1 > duration else f" to x={x1:.0f}" if 0 <= x1 <= WIDTH
                                else f", out of the frame on the {'right' if x1 > WIDTH else 'left'} at {t1:.1f} s"))
            elif t1 >= duration:
                words.append("stands to the end")
            else:
                words.append(f"stands {t1 - t0:.1f} s")
        return "; ".join(words)


def support(sprite_alpha):
    """The (x1, y1, x2, y2) box, in sprite pixels, of where the cut-out is drawn at all."""
    ys, xs = np.nonzero(sprite_alpha[..., 0] > 0.01)
    return np.array([[xs.min() - 1, ys.min() - 1], [xs.max() + 1, ys.min() - 1],
                     [xs.min() - 1, ys.max() + 1], [xs.max() + 1, ys.max() + 1]], np.float64)


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class Shot:
    """One shot's geometry (every frame's transforms, ground truth and checks) and drawing."""

    def __init__(self, index, spec, stills, base, seed):
        self.index = index
        self.frames, self.people = spec
        self.base = base
        duration = self.frames / FPS
        rng = np.random.default_rng([seed, 11, index])
        self.walkers = [Walker(p, duration, rng) for p in self.people]
        self.sprites, self.supports = [], []
        for p in self.people:
            still = stills[p["photo"]]
            if still["bust"] is None:
                raise SystemExit(f"shot {index}: {p['photo']} is a face chip, too tight to be drawn small")
            pixels, alpha, to_photo = sprite(still["bust"], p["h"] / (still["box"][3] - still["box"][1]))
            self.sprites.append((pixels, alpha, to_photo))
            self.supports.append(support(alpha))
        # Per frame: for each person, None or (photo-to-frame matrix, face truth, speed).
        self.placed = []
        frame_box = (0, 0, WIDTH, HEIGHT)
        for local in range(self.frames):
            t = local / FPS
            row = []
            for walker, p, (_, _, to_photo), corners in zip(self.walkers, self.people, self.sprites, self.supports):
                where = walker.position(t)
                if where is None:
                    row.append(None)
                    continue
                matrix = walker.matrix(stills[p["photo"]], t)
                reach = apply(compose(matrix, to_photo), corners)
                row.append((matrix, face_truth(stills[p["photo"]], matrix, WIDTH, HEIGHT), where[1],
                            (*reach.min(axis=0), *reach.max(axis=0))))
            self.placed.append(row)
            for n, entry in enumerate(row):
                if entry is None:
                    continue
                drawn = entry[3]
                for m in range(n):  # n is drawn after m: it must not cover m's face
                    if row[m] is None:
                        continue
                    x1, y1, x2, y2 = row[m][1]["bbox_px"]
                    face = (max(0, x1) - 2, max(0, y1) - 2, min(WIDTH, x2) + 2, min(HEIGHT, y2) + 2)
                    if face[0] < face[2] and face[1] < face[3] and overlaps(drawn, face):
                        raise SystemExit(f"shot {index} frame {local}: {self.people[n]['photo']} covers "
                                         f"the face of {self.people[m]['photo']}")
                appears = local == 0 or self.placed[local - 1][n] is None
                vanishes = local == self.frames - 1 or walker_gone(self.walkers[n], (local + 1) / FPS)
                if ((appears and local > 0) or (vanishes and local < self.frames - 1)) and overlaps(drawn, frame_box):
                    raise SystemExit(f"shot {index} frame {local}: {self.people[n]['photo']} "
                                     f"{'appears' if appears else 'vanishes'} inside the frame")

    def trajectories(self):
        """Runs of frames in which some of a person's face box is in the frame (`visible_runs`)."""
        return visible_runs(self.placed, self.frames, len(self.people))

    def render(self, local):
        canvas = self.base.copy()
        for entry, (pixels, alpha, to_photo) in zip(self.placed[local], self.sprites):
            if entry is not None:
                canvas = composite(canvas, pixels, alpha, np.zeros(2), compose(entry[0], to_photo), roi=True)
        return canvas


def walker_gone(walker, t):
    return walker.position(t) is None


def difficulty(truth, speed):
    """The face's main hardship in that frame: cut by the frame's edge, small, walking, or clear
    (at least SMALL_PX tall, fully in frame, standing)."""
    if truth["visible_fraction"] < 1.0:
        return "edge"
    if truth["bbox_px"][3] - truth["bbox_px"][1] < SMALL_PX:
        return "small"
    return "walking" if speed > 0 else "clear"


def gate_side(truth):
    """The short side of the face box clamped to the frame, in px (what the harvest's
    min_face_size gate measures)."""
    x1, y1, x2, y2 = truth["bbox"]
    return min((x2 - x1) * WIDTH, (y2 - y1) * HEIGHT)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dlib-examples", required=True, help="libdlib19.1's usr/share/doc/libdlib19.1/examples")
    parser.add_argument("--facetorch", required=True, help="the unpacked facetorch-0.6.2 sdist")
    parser.add_argument("--detector", required=True)
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--ep-id", default="walkin-s01e01")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    check_ep_id(args.ep_id)
    started = time.time()
    cv2.setNumThreads(1)

    roots = {"dlib": args.dlib_examples, "facetorch": args.facetorch}
    sources = {path: read_source(roots, (root, path)) for root, path in (("dlib", BALD_GUYS), ("facetorch", TEST3))}
    assert all(key in SOURCES for key in (("dlib", BALD_GUYS), ("facetorch", TEST3)))
    used = sorted({p["photo"] for _, people in SHOTS for p in people})
    detector = cv2.FaceDetectorYN.create(args.detector, "", (320, 320), 0.7, 0.3, 5000)
    stills = {name: load_still(detector, sources, name) for name in used}
    rng = np.random.default_rng(args.seed)
    backgrounds = [background(i, rng, WIDTH, HEIGHT) for i in range(len(SHOTS))]
    shots = [Shot(i, spec, stills, backgrounds[i], args.seed) for i, spec in enumerate(SHOTS)]

    # Tracks: one per trajectory, numbered in order of appearance.
    track_of = {}  # (shot, person, local frame) -> track id
    trajectories, track_identity = {}, {}
    frame_idx = 0
    for shot in shots:
        for n, first, last in shot.trajectories():
            track_id = f"track-{len(trajectories) + 1:05d}"
            photo = shot.people[n]["photo"]
            entries = [shot.placed[local][n] for local in range(first, last + 1)]
            if max(e[1]["visible_fraction"] for e in entries) < 0.5:
                raise SystemExit(f"shot {shot.index}: {photo}'s trajectory from frame {first} is never half visible")
            heights = [e[1]["bbox_px"][3] - e[1]["bbox_px"][1] for e in entries]
            trajectories[track_id] = {
                "shot": shot.index, "identity": PHOTOS[photo][0], "photo": photo,
                "frame_span": [frame_idx + first, frame_idx + last],
                "face_height_px": [round(min(heights), 1), round(max(heights), 1)],
                "min_visible_fraction": min(e[1]["visible_fraction"] for e in entries),
            }
            track_identity[track_id] = PHOTOS[photo][0]
            for local in range(first, last + 1):
                track_of[shot.index, n, local] = track_id
        frame_idx += shot.frames

    encoder = Encoder(os.path.join(args.data_root, "videos", args.ep_id, "episode.mp4"), WIDTH, HEIGHT)
    truth_lines, detection_rows, shot_rows = [], [], []
    frame_idx = 0
    for shot in shots:
        for local in range(shot.frames):
            ts = round(frame_idx / FPS, 6)
            for n, entry in enumerate(shot.placed[local]):
                if entry is None or entry[1]["visible_fraction"] <= 0:
                    continue
                _, truth, speed, _ = entry
                photo = shot.people[n]["photo"]
                track_id = track_of[shot.index, n, local]
                truth_lines.append({
                    "frame_idx": frame_idx, "ts_s": ts, "shot": shot.index, "identity": PHOTOS[photo][0],
                    "photo": photo, "track_id": track_id, "difficulty": difficulty(truth, speed),
                    "yaw_deg": round(stills[photo]["yaw"], 1), **truth,
                })
                if truth["visible_fraction"] >= 0.5:
                    detection_rows.append(detection_row(args.ep_id, frame_idx, track_id, truth))
            encoder.write(shot.render(local))
            frame_idx += 1
        shot_rows.append({
            "shot": shot.index, "start_frame": frame_idx - shot.frames, "end_frame": frame_idx - 1,
            "people": [PHOTOS[p["photo"]][0] for p in shot.people], "photos": [p["photo"] for p in shot.people],
            "face_heights_px": [p["h"] for p in shot.people],
            "motions": [w.describe(shot.frames / FPS) for w in shot.walkers],
            "tracks": sorted({t for (s, _, _), t in track_of.items() if s == shot.index}),
        })
    encoder.close()

    detection_rows.sort(key=lambda r: (r["frame_idx"], r["track_id"]))
    tracks = [track_row(args.ep_id, track_id, detection_rows) for track_id in trajectories]
    identities = sorted({PHOTOS[p][0] for p in used})
    photos = {}
    for name in used:
        identity, path, cut, note = PHOTOS[name]
        photos[name] = {"identity": identity, "source": "libdlib19.1" if path == BALD_GUYS else "facetorch-0.6.2",
                        "path": path, "cut": {cut[0]: list(cut[1])}, "note": note,
                        "yaw_deg": round(stills[name]["yaw"], 1)}
    total_frames = sum(s.frames for s in shots)
    write_ground_truth(args.data_root, args.ep_id, truth_lines, detection_rows, tracks, {
        "fps": FPS, "width": WIDTH, "height": HEIGHT, "num_frames": total_frames, "shots": shot_rows,
        "trajectories": trajectories, "identities": identities,
        "identity_sources": {i: IDENTITIES[i] for i in identities},
        "photos_by_identity": {i: sorted(p for p in photos if photos[p]["identity"] == i) for i in identities},
        "photos": photos,
    }, track_identity)
    heights = np.array([r["bbox_px"][3] - r["bbox_px"][1] for r in truth_lines])
    gate = np.array([gate_side(r) for r in truth_lines])
    print(f"walk-in episode {args.ep_id}: {total_frames} frames ({total_frames / FPS:.1f} s) at {WIDTH}x{HEIGHT}, "
          f"{len(shots)} shots, {len(tracks)} tracks, {len(identities)} identities; faces per frame "
          f"{len(truth_lines) / total_frames:.2f} (at least half visible {len(detection_rows) / total_frames:.2f}); "
          f"face height median {np.median(heights):.0f} px, {np.mean(heights < GATE_PX):.0%} under {GATE_PX} px, "
          f"{np.mean(gate >= GATE_PX):.0%} with the clamped box's short side >= {GATE_PX} px; "
          f"{time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
