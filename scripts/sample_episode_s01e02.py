#!/usr/bin/env python3
"""Build the harder deterministic development episode sample-s01e02 from real, labelled photos.

Sources (unpacked by `make setup`; every file is checked against its SHA-256 below):
  - Debian bookworm `libdlib19.1` 19.24+dfsg-1, /usr/share/doc/libdlib19.1/examples/:
      faces/bald_guys.jpg  a collage of photos of four actors (dlib's face-clustering example:
                           "4 people"); each photo used is cut from it by its rectangle below
      johns/John_Salley/*, johns/John_Simm/*  150x150 face chips of two people
  - PyPI `facetorch==0.6.2` sdist, data/input/test3.jpg: a 5x5 grid of one woman's
    expressions; each cell used is cut out.

Sixteen shots joined by hard cuts: clear close-ups, wide shots with small faces (26-40 px),
faces turned 30-45 degrees (real photos with that pose), expressions, dark shots (gamma, gain
and sensor noise), blurred shots (Gaussian or motion blur) and several people per shot; drawn
non-face bait (framed paintings, lamps, a wall socket) hangs in the background of some shots.
Every person is a feathered cut-out of a photo moved by a known similarity transform, so the
ground truth is exact: YuNet runs once on each still and its box and landmarks are mapped into
the frame.

Writes, under DATA/ (formats as sample-s01e01, see docs/sample_episode.md):
  videos/{ep}/episode.mp4                    H.264, 25 fps, 1280x720, B-frames, bit-exact
  ground_truth/{ep}/ground_truth.jsonl       per (frame, face), plus difficulty and yaw_deg
  ground_truth/{ep}/bait.jsonl               per (frame, bait patch)
  ground_truth/{ep}/shots.json               shots, difficulties, effects, bait, photos
  ground_truth/{ep}/identities_truth.json    track_id -> identity
  ground_truth/{ep}/detections.jsonl         oracle det_v1 rows with track_id
  ground_truth/{ep}/tracks.jsonl             oracle track_v1 rows, one per (shot, person)

Usage: sample_episode_s01e02.py --dlib-examples DIR --facetorch DIR --detector YUNET.onnx
                                --data-root DATA --ep-id ID
       sample_episode_s01e02.py ... --search-bait N   (development: YuNet's score on the first
                                                       N seeds of every bait slot, nothing written)
"""
import argparse
import hashlib
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episode_builder import (FPS, HEIGHT, WIDTH, Encoder, apply, background, check_ep_id,  # noqa: E402
                             composite, cutout, detect_still, detection_row, face_truth, image_ordered,
                             jsonl, normalised_box, placement, track_row, write_ground_truth)

# Source files and their SHA-256.
BALD_GUYS = "faces/bald_guys.jpg"
TEST3 = "data/input/test3.jpg"
SOURCES = {
    ("dlib", BALD_GUYS): "e0c40697dbd9a07684274f71760bc5161468e926ba75ff90d48b168019402e8b",
    ("dlib", "johns/John_Salley/000179_02159509.jpg"): "0746dd3800035ee47842520e89da30d6890a89bcc737b510de42d307ce324f92",
    ("dlib", "johns/John_Salley/000183_02159543.jpg"): "34ad490007419a2ffa8c59dbbb7b5d7fb7f6b8592ee61c4935b95502ecee5a83",
    ("dlib", "johns/John_Salley/000190_02159501.jpg"): "46061ccf5f1182c2ddf38e15b97eaaa1e1b680bd8b77167e81c23222385ab1c9",
    ("dlib", "johns/John_Salley/000194_02159572.jpg"): "f31c9b54e688dd40b93dbd03143dced5ef9b910f7bc31480a57df92bc43b5826",
    ("dlib", "johns/John_Simm/000300_00470148.jpg"): "21e8a27203f7ab27f58f62f81cb61beb4269ba797c03bbd8d7949aab3c5f8f34",
    ("dlib", "johns/John_Simm/000305_00470162.jpg"): "1d35bc715aff1d1e2507e1f2daf10b9fe630f48b5f7f48ab6c062adc8b2e53cc",
    ("dlib", "johns/John_Simm/000306_00470222.jpg"): "ee3b7d8c944ce27289d42d716d692bee6a91b82f23db1dc3b219b276472dca5f",
    ("dlib", "johns/John_Simm/000310_00470421.jpg"): "b9a98269a8deb8f66c88d2dd1a067d869d3e6fe1a7c12eb0863af8edd07a0b89",
    ("facetorch", TEST3): "9134f569e5e37b6dec505ae30d4f4a898cd12602f563c4f3a3a1025255cf7abb",
}

# The photos: name -> (identity, source, how it is cut, pose/expression note). Rectangles in
# bald_guys.jpg are (x1, y1, x2, y2), each one photo of the collage (no neighbour's face in it);
# test3 cells are (row, column) from 1. The yaw notes are by eye; yaw_deg in the ground truth is
# the pipeline's own five-landmark estimate (FaceQuality.HeadPoseEstimator) on the still.
PHOTOS = {
    "diesel_a": ("diesel", BALD_GUYS, ("rect", (0, 0, 292, 296)), "frontal"),
    "diesel_b": ("diesel", BALD_GUYS, ("rect", (497, 0, 829, 334)), "turned ~30 deg toward image left"),
    "diesel_c": ("diesel", BALD_GUYS, ("rect", (497, 336, 819, 668)), "frontal, smiling"),
    "diesel_d": ("diesel", BALD_GUYS, ("rect", (0, 1191, 294, 1545)), "turned ~40 deg toward image left"),
    "statham_b": ("statham", BALD_GUYS, ("rect", (292, 672, 724, 1138)), "frontal"),
    "statham_d": ("statham", BALD_GUYS, ("rect", (282, 378, 497, 670)), "slightly turned, smiling"),
    "statham_e": ("statham", BALD_GUYS, ("rect", (33, 597, 281, 902)), "frontal, frowning"),
    "willis_a": ("willis", BALD_GUYS, ("rect", (727, 728, 1000, 1128)), "frontal"),
    "willis_b": ("willis", BALD_GUYS, ("rect", (1001, 651, 1327, 1008)), "frontal, smiling"),
    "willis_d": ("willis", BALD_GUYS, ("rect", (1001, 1010, 1327, 1254)), "frontal"),
    "willis_e": ("willis", BALD_GUYS, ("rect", (296, 1141, 688, 1545)), "eyes to image left, phone at the ear"),
    "willis_f": ("willis", BALD_GUYS, ("rect", (690, 1130, 995, 1545)), "turned ~20 deg toward image right"),
    "johnson_a": ("johnson", BALD_GUYS, ("rect", (1108, 0, 1775, 650)), "frontal, smiling"),
    "johnson_b": ("johnson", BALD_GUYS, ("rect", (1777, 377, 1984, 648)), "frontal, smiling"),
    "johnson_d": ("johnson", BALD_GUYS, ("rect", (1000, 1256, 1350, 1545)), "frontal, smiling"),
    "johnson_e": ("johnson", BALD_GUYS, ("rect", (1350, 1256, 1684, 1545)), "frontal, younger, with hair"),
    "johnson_f": ("johnson", BALD_GUYS, ("rect", (1685, 1256, 1986, 1545)), "turned ~45 deg toward image right"),
    "salley_000179": ("salley", "johns/John_Salley/000179_02159509.jpg", ("chip",), "frontal, smiling"),
    "salley_000183": ("salley", "johns/John_Salley/000183_02159543.jpg", ("chip",), "frontal, smiling"),
    "salley_000190": ("salley", "johns/John_Salley/000190_02159501.jpg", ("chip",), "frontal, smiling"),
    "salley_000194": ("salley", "johns/John_Salley/000194_02159572.jpg", ("chip",), "frontal, smiling"),
    "simm_000300": ("simm", "johns/John_Simm/000300_00470148.jpg", ("chip",), "frontal, smiling"),
    "simm_000305": ("simm", "johns/John_Simm/000305_00470162.jpg", ("chip",), "frontal, smiling"),
    "simm_000306": ("simm", "johns/John_Simm/000306_00470222.jpg", ("chip",), "turned ~20 deg toward image right"),
    "simm_000310": ("simm", "johns/John_Simm/000310_00470421.jpg", ("chip",), "frontal"),
    "woman_r1c1": ("woman", TEST3, ("cell", (1, 1)), "neutral"),
    "woman_r1c2": ("woman", TEST3, ("cell", (1, 2)), "smiling"),
    "woman_r2c3": ("woman", TEST3, ("cell", (2, 3)), "screaming, eyes shut"),
    "woman_r3c2": ("woman", TEST3, ("cell", (3, 2)), "surprised, eyes wide"),
    "woman_r5c2": ("woman", TEST3, ("cell", (5, 2)), "laughing, one eye shut"),
}
# The source package of each identity, for shots.json.
IDENTITIES = {
    "diesel": "Vin Diesel (libdlib19.1 examples/faces/bald_guys.jpg)",
    "statham": "Jason Statham (libdlib19.1 examples/faces/bald_guys.jpg)",
    "willis": "Bruce Willis (libdlib19.1 examples/faces/bald_guys.jpg)",
    "johnson": "Dwayne Johnson (libdlib19.1 examples/faces/bald_guys.jpg)",
    "salley": "John Salley (libdlib19.1 examples/johns/John_Salley)",
    "simm": "John Simm (libdlib19.1 examples/johns/John_Simm)",
    "woman": "the woman of facetorch 0.6.2 data/input/test3.jpg (unnamed there)",
}
# test3.jpg's 5x5 grid: cell (x1, x2) columns and (y1, y2) rows between the white separators.
TEST3_COLUMNS = [(16, 392), (396, 769), (774, 1147), (1152, 1524), (1529, 1904)]
TEST3_ROWS = [(16, 392), (396, 769), (774, 1147), (1151, 1525), (1529, 1904)]

# Each shot: frames, effect, bait, and per person (photo, difficulty, face-box height at the
# start in px, start centre, end centre, zoom over the shot, roll in degrees). Difficulty is the
# face's main hardship: clear (>= 110 px, frontal, sharp, lit), small (< 40 px), turned (yaw by
# eye >= 30 deg), expression, dark, blurred. Effects apply to the whole frame: ("dark", gamma,
# gain, noise sigma), ("gaussian", sigma), ("motion", length px: horizontal). Bait: (kind, seed,
# x, y, width) in background pixels; the background pans with the shot, so does the bait.
SHOTS = [
    (50, None, [], [
        ("diesel_a", "clear", 200, (640, 340), (652, 350), 1.08, 2)]),
    (60, None, [("painting", 105, 150, 70, 110), ("lamp", 5, 1130, 90, 70)], [
        ("diesel_a", "small", 34, (240, 430), (254, 431), 1.04, 0),
        ("statham_b", "small", 38, (500, 450), (513, 450), 1.04, 0),
        ("johnson_d", "small", 28, (770, 440), (782, 441), 1.04, 0),
        ("woman_r1c1", "small", 40, (1030, 430), (1042, 432), 1.04, 0)]),
    (45, None, [], [
        ("woman_r1c1", "clear", 210, (640, 350), (630, 345), 1.06, -2)]),
    (50, None, [("lamp", 22, 600, 80, 80)], [
        ("johnson_f", "turned", 170, (330, 380), (350, 380), 1.05, 2),
        ("diesel_b", "turned", 165, (930, 370), (910, 372), 1.05, -2)]),
    (45, None, [], [
        ("willis_b", "clear", 175, (380, 350), (400, 352), 1.05, 2),
        ("johnson_d", "clear", 175, (900, 345), (880, 350), 1.05, -2)]),
    (50, ("dark", 1.8, 0.42, 2.0), [], [
        ("statham_b", "dark", 150, (400, 360), (420, 362), 1.05, 0),
        ("salley_000183", "dark", 130, (880, 350), (860, 352), 1.05, 3)]),
    (45, None, [("painting", 6, 590, 60, 100)], [
        ("woman_r5c2", "expression", 190, (340, 380), (350, 378), 1.06, 3),
        ("simm_000306", "clear", 150, (930, 390), (920, 390), 1.06, 0)]),
    (50, ("motion", 21), [], [
        ("willis_a", "blurred", 150, (230, 360), (265, 360), 1.0, 0),
        ("woman_r3c2", "blurred", 150, (640, 370), (675, 370), 1.0, 0),
        ("simm_000300", "blurred", 140, (1010, 360), (1045, 360), 1.0, 0)]),
    (45, None, [("painting", 3, 560, 60, 110)], [
        ("statham_d", "clear", 185, (330, 380), (345, 380), 1.05, -2),
        ("salley_000179", "clear", 150, (960, 390), (950, 392), 1.05, 2)]),
    (60, None, [("lamp", 9, 110, 120, 60), ("socket", 0, 660, 300, 40), ("painting", 8, 1000, 60, 120)], [
        ("willis_d", "small", 26, (300, 470), (312, 470), 1.04, 0),
        ("johnson_b", "small", 34, (520, 450), (532, 451), 1.04, 0),
        ("woman_r1c2", "small", 40, (800, 470), (812, 469), 1.04, 0),
        ("diesel_c", "small", 36, (1060, 455), (1072, 455), 1.04, 0)]),
    (40, None, [], [
        ("simm_000310", "clear", 170, (640, 350), (648, 354), 1.08, 1)]),
    (50, None, [("painting", 2, 580, 70, 90)], [
        ("diesel_d", "turned", 160, (950, 380), (930, 380), 1.05, -2),
        ("willis_f", "clear", 160, (330, 380), (350, 380), 1.05, 2)]),
    (50, ("dark", 1.7, 0.45, 2.0), [("lamp", 6, 620, 110, 60)], [
        ("johnson_a", "dark", 160, (360, 370), (380, 372), 1.05, 0),
        ("simm_000305", "dark", 130, (930, 370), (915, 372), 1.05, -2)]),
    (50, ("gaussian", 3.0), [], [
        ("diesel_c", "blurred", 120, (260, 380), (275, 380), 1.04, 0),
        ("statham_e", "blurred", 120, (640, 370), (652, 372), 1.04, 0),
        ("salley_000194", "blurred", 110, (1010, 380), (1020, 380), 1.04, 0)]),
    (45, None, [], [
        ("woman_r2c3", "expression", 200, (250, 360), (262, 360), 1.05, -2),
        ("johnson_e", "clear", 150, (660, 380), (652, 380), 1.05, 2),
        ("salley_000190", "clear", 130, (1040, 370), (1030, 372), 1.05, 0)]),
    (55, None, [("lamp", 7, 640, 100, 70), ("painting", 72, 1060, 70, 100)], [
        ("statham_e", "small", 38, (230, 430), (244, 432), 1.04, 0),
        ("willis_e", "small", 40, (480, 450), (492, 450), 1.04, 0),
        ("woman_r1c1", "small", 36, (780, 440), (792, 441), 1.04, 0),
        ("diesel_c", "small", 28, (1000, 430), (1012, 430), 1.04, 0)]),
]

BAIT_KINDS = ("painting", "lamp", "socket")
ARCFACE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                        [41.5493, 92.3655], [70.7299, 92.2041]])


def head_pose_yaw(landmarks):
    """Yaw in degrees (positive: turned toward the image's right) from five landmarks, exactly
    as FaceQuality.HeadPoseEstimator computes it (scaled-orthographic fit of the ArcFace
    template lifted into depth)."""
    interocular = ARCFACE_112[1, 0] - ARCFACE_112[0, 0]
    depth = np.array([0, 0, 0.41, 0.03, 0.03]) * interocular
    model = np.c_[ARCFACE_112, depth]
    model = model - model.mean(axis=0)
    image = np.asarray(landmarks, dtype=np.float64) - np.mean(landmarks, axis=0)
    projection = np.linalg.solve(model.T @ model, model.T @ image).T
    r1 = projection[0] / np.linalg.norm(projection[0])
    r2 = projection[1] - projection[1].dot(r1) * r1
    r2 = r2 / np.linalg.norm(r2)
    r3 = np.cross(r1, r2)
    return float(np.degrees(np.arctan2(-r3[0], r3[2])))


def read_source(roots, key, pins=None):
    """The image at `key` (root, path) under `roots`, checked against its SHA-256 in `pins`
    (default: this episode's SOURCES)."""
    root, path = key
    full = os.path.join(roots[root], path)
    with open(full, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != (SOURCES if pins is None else pins)[key]:
        raise SystemExit(f"{full}: SHA-256 differs from the pinned one")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot decode {full}")
    return image


def load_still(detector, sources, name):
    """The cut-out and YuNet face of one photo. A 150x150 johns chip is filled by its face, so
    YuNet looks at it upscaled twice with a replicated border; the box and landmarks come back
    into chip pixels and the cut-out is the chip itself."""
    _, source, cut, _ = PHOTOS[name]
    image = sources[source]
    if cut[0] == "rect":
        x1, y1, x2, y2 = cut[1]
        image = image[y1:y2, x1:x2]
    elif cut[0] == "cell":
        (top, bottom), (left, right) = TEST3_ROWS[cut[1][0] - 1], TEST3_COLUMNS[cut[1][1] - 1]
        image = image[top:bottom, left:right]
    image = np.ascontiguousarray(image)
    if cut[0] == "chip":
        pad = image.shape[0] // 2
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        padded = cv2.resize(padded, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        box, landmarks = detect_still(detector, padded)
        # Upscaled pixel centre u maps to (u + 0.5) / 2 - 0.5 in the padded chip.
        box = (box + 0.5) / 2 - 0.5 - pad
        landmarks = (landmarks + 0.5) / 2 - 0.5 - pad
    else:
        box, landmarks = detect_still(detector, image)
    pixels, alpha, offset = cutout(image, box)
    return {"box": box, "landmarks": landmarks, "pixels": pixels, "alpha": alpha, "offset": offset,
            "yaw": head_pose_yaw(landmarks), "bust": None if cut[0] == "chip" else bust_cutout(image, box)}


def bust_cutout(image, box):
    """A head-and-shoulders cut-out for small faces: 1.6 face widths either side of the face,
    1.2 face heights above its centre and 2.4 below, a feathered ellipse also faded at the
    photo's edges. At 35-45 px YuNet needs this context (hair, neck, shoulders, the photo's
    own background): with the tight cut-out most such faces are missed."""
    x1, y1, x2, y2 = box
    cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    left, right = int(max(0, cx - 1.6 * w)), int(min(image.shape[1], cx + 1.6 * w))
    top, bottom = int(max(0, cy - 1.2 * h)), int(min(image.shape[0], cy + 2.4 * h))
    pixels = image[top:bottom, left:right].astype(np.float32)
    rows, columns = pixels.shape[:2]
    yy, xx = np.mgrid[0:rows, 0:columns].astype(np.float32)
    ellipse = ((xx - (cx - left)) / (1.6 * w)) ** 2 + ((yy - (cy + 0.6 * h - top)) / (1.8 * h)) ** 2
    edge = np.minimum(np.minimum(xx + 0.5, columns - 0.5 - xx), np.minimum(yy + 0.5, rows - 0.5 - yy)) / 3.0
    alpha = np.minimum(np.clip((1.0 - ellipse) / 0.25, 0.0, 1.0), np.clip(edge, 0.0, 1.0))
    return pixels, alpha[..., None], np.array([left, top], dtype=np.float64)


def sprite(cut, scale):
    """A cut-out (pixels, alpha, offset) for a face drawn at `scale` (frame px per photo px) or
    larger: when that shrinks it more than twofold it is first reduced with pixel-area averaging
    (as a lens and sensor would), so the final bilinear warp does not alias. Returns the pixels,
    alpha and the 2x3 map from sprite pixels to photo pixels."""
    pixels, alpha, (left, top) = cut
    to_photo = np.array([[1.0, 0.0, left], [0.0, 1.0, top]])
    if scale >= 0.5:
        return pixels, alpha, to_photo
    h, w = pixels.shape[:2]
    size = (max(2, int(round(w * 2 * scale))), max(2, int(round(h * 2 * scale))))
    fx, fy = size[0] / w, size[1] / h
    small = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    small_alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)[..., None]
    # Sprite pixel centre u covers cut-out pixels around (u + 0.5) / f - 0.5.
    to_photo = np.array([[1 / fx, 0.0, left + 0.5 / fx - 0.5], [0.0, 1 / fy, top + 0.5 / fy - 0.5]])
    return small, small_alpha, to_photo


def compose(outer, inner):
    """2x3 affine maps: outer after inner."""
    return np.hstack([outer[:, :2] @ inner[:, :2], (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]])


def bait_patch(kind, seed, width):
    """A deterministic non-face patch (BGR float, alpha) of `kind`: a framed painting (abstract
    blocks or circles, or a stylised oval with two dots above a line), a lamp (globe, drum or
    bell shade, warm light, sometimes two dark dots and a seam on the shade), or a wall socket
    (two slots above a round hole). None of them is a photo of a face."""
    rng = np.random.default_rng([20260, BAIT_KINDS.index(kind), seed])
    w = int(width)
    if kind == "painting":
        h = int(round(w * rng.uniform(1.0, 1.3)))
        img = np.empty((h, w, 3), np.float32)
        img[:] = rng.uniform(30, 160, 3)
        border = max(2, int(0.08 * min(w, h)))
        cw, ch = w - 2 * border, h - 2 * border
        canvas = np.empty((ch, cw, 3), np.float32)
        canvas[:] = rng.uniform(120, 240, 3)
        style = int(rng.integers(0, 3))
        if style == 0:
            cx, cy = cw / 2 + rng.uniform(-.1, .1) * cw, ch / 2 + rng.uniform(-.1, .1) * ch
            oval = rng.uniform(150, 230, 3)
            cv2.ellipse(canvas, (int(cx), int(cy)), (int(cw * rng.uniform(.28, .42)), int(ch * rng.uniform(.32, .45))),
                        0, 0, 360, oval.tolist(), -1)
            ex, ey = cw * rng.uniform(.1, .16), cy - ch * rng.uniform(.06, .14)
            r = max(1, int(cw * rng.uniform(.03, .06)))
            dark = rng.uniform(10, 70, 3).tolist()
            cv2.circle(canvas, (int(cx - ex), int(ey)), r, dark, -1)
            cv2.circle(canvas, (int(cx + ex), int(ey)), r, dark, -1)
            my, mw = cy + ch * rng.uniform(.12, .22), cw * rng.uniform(.08, .16)
            cv2.line(canvas, (int(cx - mw), int(my)), (int(cx + mw), int(my)), dark, max(1, int(r * .7)))
        elif style == 1:
            for _ in range(int(rng.integers(3, 8))):
                x0, y0 = rng.integers(0, cw), rng.integers(0, ch)
                x1, y1 = x0 + rng.integers(5, cw // 2 + 6), y0 + rng.integers(5, ch // 2 + 6)
                cv2.rectangle(canvas, (int(x0), int(y0)), (int(x1), int(y1)), rng.uniform(0, 255, 3).tolist(), -1)
        else:
            for _ in range(int(rng.integers(3, 9))):
                cv2.circle(canvas, (int(rng.integers(0, cw)), int(rng.integers(0, ch))),
                           int(rng.integers(3, max(4, cw // 4))), rng.uniform(0, 255, 3).tolist(), -1)
        img[border:h - border, border:w - border] = canvas
        alpha = np.ones((h, w), np.float32)
        detail = "painting: " + ("an oval with two dots above a line", "abstract blocks", "abstract circles")[style]
    elif kind == "lamp":
        h = int(round(w * rng.uniform(1.5, 1.9)))
        img = np.zeros((h, w, 3), np.float32)
        alpha = np.zeros((h, w), np.float32)
        shape = int(rng.integers(0, 3))
        shade_h = int(h * rng.uniform(.5, .62))
        warm = np.array([rng.uniform(90, 170), rng.uniform(150, 210), rng.uniform(200, 250)])
        if shape == 0:
            for target, value in ((img, warm.tolist()), (alpha, 1.0)):
                cv2.ellipse(target, (w // 2, shade_h // 2), (w // 2 - 1, shade_h // 2 - 1), 0, 0, 360, value, -1)
        elif shape == 1:
            top = int(w * rng.uniform(.7, .9))
            points = np.array([[(w - top) // 2, 0], [(w + top) // 2, 0], [w - 1, shade_h], [0, shade_h]], np.int32)
            cv2.fillConvexPoly(img, points, warm.tolist())
            cv2.fillConvexPoly(alpha, points, 1.0)
        else:
            for target, value in ((img, warm.tolist()), (alpha, 1.0)):
                cv2.ellipse(target, (w // 2, shade_h), (w // 2 - 1, shade_h - 1), 0, 180, 360, value, -1)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        glow = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - shade_h * .55) / (shade_h / 1.6)) ** 2
        img *= (1.15 - 0.35 * np.clip(glow, 0, 1))[..., None]
        decoration = int(rng.integers(0, 3))
        dark = (warm * rng.uniform(.15, .45)).tolist()
        if decoration >= 1:
            r = max(2, int(w * rng.uniform(.05, .1)))
            dy, dx = int(shade_h * rng.uniform(.3, .45)), int(w * rng.uniform(.13, .22))
            cv2.circle(img, (w // 2 - dx, dy), r, dark, -1)
            cv2.circle(img, (w // 2 + dx, dy), r, dark, -1)
        if decoration == 2:
            y2 = int(shade_h * rng.uniform(.68, .82))
            cv2.line(img, (int(w * rng.uniform(.3, .4)), y2), (int(w * rng.uniform(.6, .7)), y2), dark,
                     max(1, int(w * .04)))
        stem = rng.uniform(30, 100, 3).tolist()
        stem_w = max(2, int(w * .07))
        for target, value in ((img, stem), (alpha, 1.0)):
            cv2.rectangle(target, (w // 2 - stem_w // 2, shade_h), (w // 2 + stem_w // 2, h - int(h * .06)), value, -1)
            cv2.ellipse(target, (w // 2, h - int(h * .04)), (int(w * .32), max(2, int(h * .04))), 0, 0, 360, value, -1)
        detail = (f"lamp: {('globe', 'drum', 'bell')[shape]} shade, "
                  + ("plain", "two dark dots", "two dark dots above a seam")[decoration])
    else:
        h = int(round(w * rng.uniform(1.1, 1.3)))
        img = np.empty((h, w, 3), np.float32)
        plate = rng.uniform(170, 245, 3)
        img[:] = plate
        cv2.rectangle(img, (0, 0), (w - 1, h - 1), (plate * .8).tolist(), max(1, w // 20))
        dark = rng.uniform(10, 60, 3).tolist()
        sx, sy = int(w * rng.uniform(.15, .25)), int(h * rng.uniform(.3, .42))
        slot_w, slot_h = max(1, int(w * .07)), int(h * rng.uniform(.12, .2))
        cv2.rectangle(img, (w // 2 - sx - slot_w, sy - slot_h // 2), (w // 2 - sx + slot_w, sy + slot_h // 2), dark, -1)
        cv2.rectangle(img, (w // 2 + sx - slot_w, sy - slot_h // 2), (w // 2 + sx + slot_w, sy + slot_h // 2), dark, -1)
        cv2.circle(img, (w // 2, int(h * rng.uniform(.62, .75))), max(1, int(w * .08)), dark, -1)
        alpha = np.ones((h, w), np.float32)
        detail = "wall socket"
    img = cv2.GaussianBlur(img, (0, 0), 0.9)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 0.8)
    return np.clip(img, 0, 255), alpha[..., None], detail


def draw_bait(base, bait):
    """The shot's background with its bait drawn in, and each bait's box in background pixels."""
    base = base.copy()
    boxes = []
    for kind, seed, x, y, width in bait:
        img, alpha, detail = bait_patch(kind, seed, width)
        h, w = img.shape[:2]
        region = base[y:y + h, x:x + w]
        base[y:y + h, x:x + w] = region * (1 - alpha) + img * alpha
        boxes.append(((x, y, x + w, y + h), detail))
    return base, boxes


def apply_effect(canvas, effect, frame_idx, seed):
    """The whole frame darkened (gamma, gain, fresh sensor noise each frame), or blurred
    (Gaussian, or horizontal motion blur: a box filter `length` px wide)."""
    if effect is None:
        return canvas
    if effect[0] == "dark":
        _, gamma, gain, noise = effect
        dark = cv2.pow(np.clip(canvas, 0, 255) * np.float32(1 / 255), gamma) * np.float32(255 * gain)
        rng = np.random.default_rng([seed, 7, frame_idx])
        return dark + rng.standard_normal(size=canvas.shape, dtype=np.float32) * np.float32(noise)
    if effect[0] == "gaussian":
        return cv2.GaussianBlur(canvas, (0, 0), effect[1], borderType=cv2.BORDER_REFLECT)
    if effect[0] == "motion":
        return cv2.blur(canvas, (effect[1], 1), borderType=cv2.BORDER_REFLECT)
    raise SystemExit(f"unknown effect {effect!r}")


def effect_json(effect):
    if effect is None:
        return None
    names = {"dark": ("gamma", "gain", "noise_sigma"), "gaussian": ("sigma",), "motion": ("length_px",)}
    return {"kind": effect[0], **dict(zip(names[effect[0]], effect[1:]))}


def pipeline_detector(path, threshold):
    return cv2.FaceDetectorYN.create(path, "", (640, 640), threshold, 0.3, 5000)


def pipeline_detect(detector, frame):
    """YuNet as the pipeline runs it: the frame scaled (aspect kept, bilinear at pixel centres)
    into the top-left of a black 640x640 input; boxes, scores and five landmarks (ArcFace
    order) back in frame pixels."""
    scale = min(640 / frame.shape[1], 640 / frame.shape[0])
    size = (int(round(frame.shape[1] * scale)), int(round(frame.shape[0] * scale)))
    letterbox = np.zeros((640, 640, 3), np.uint8)
    letterbox[:size[1], :size[0]] = cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR)
    _, faces = detector.detect(letterbox)
    if faces is None:
        return []
    return [(np.array([f[0], f[1], f[0] + f[2], f[1] + f[3]]) / scale, float(f[-1]), image_ordered(f[4:14]) / scale)
            for f in faces]


def bait_score(detections, box):
    """YuNet's best score for a detection centred on the bait box."""
    x1, y1, x2, y2 = box
    scores = [s for b, s, _ in detections if x1 <= (b[0] + b[2]) / 2 <= x2 and y1 <= (b[1] + b[3]) / 2 <= y2]
    return max(scores, default=0.0)


class Shot:
    """One shot's drawing: background with bait, and each person's sprite and transform."""

    def __init__(self, index, spec, stills, base):
        self.index = index
        self.frames, self.effect, self.bait, self.people = spec
        self.base, self.bait_boxes = draw_bait(base, self.bait)
        self.sprites = []
        for photo, difficulty, face_height, _, _, zoom, _ in self.people:
            still = stills[photo]
            smallest = face_height * min(1.0, zoom) / (still["box"][3] - still["box"][1])
            cut = (still["pixels"], still["alpha"], still["offset"])
            if difficulty == "small":
                if still["bust"] is None:
                    raise SystemExit(f"shot {index}: {photo} is a face chip, too tight to be drawn small")
                cut = still["bust"]
            self.sprites.append(sprite(cut, smallest))
        for (photo, _, face_height, start, end, zoom, roll), (pixels, _, to_photo) in zip(self.people, self.sprites):
            h, w = pixels.shape[:2]
            for progress in (0.0, 1.0):
                matrix = compose(placement(stills[photo], face_height, start, end, zoom, roll, progress), to_photo)
                corners = apply(matrix, [[0, 0], [w, 0], [0, h], [w, h]])
                (px1, py1), (px2, py2) = corners.min(axis=0), corners.max(axis=0)
                for (x1, y1, x2, y2), _ in self.bait_boxes:
                    if x1 < px2 + 6 and px1 - 6 < x2 and y1 < py2 and py1 < y2:
                        raise SystemExit(f"shot {index}: bait at ({x1}, {y1}) overlaps {photo}")

    def render(self, local, stills, seed, frame_idx):
        """The frame at `local` in the shot (effect applied), its pan in px, and each person's
        photo-to-frame transform."""
        progress = local / max(1, self.frames - 1)
        pan = int(round(6 * progress))
        canvas = np.roll(self.base, pan, axis=1).copy()
        matrices = []
        for person, (pixels, alpha, to_photo) in zip(self.people, self.sprites):
            photo, _, face_height, start, end, zoom, roll = person
            matrix = placement(stills[photo], face_height, start, end, zoom, roll, progress)
            canvas = composite(canvas, pixels, alpha, np.zeros(2), compose(matrix, to_photo), roi=True)
            matrices.append(matrix)
        return apply_effect(canvas, self.effect, frame_idx, seed), pan, matrices


def search_bait(shots, stills, backgrounds, detector, seeds, threshold):
    """Development aid: for every bait slot, YuNet's score on the shot's first frame with the
    slot's patch drawn from each of the first `seeds` seeds (other bait left out)."""
    for index, spec in enumerate(shots):
        frames, effect, bait, people = spec
        for slot, (kind, chosen, x, y, width) in enumerate(bait):
            scores = []
            for seed in range(seeds):
                shot = Shot(index, (frames, effect, [(kind, seed, x, y, width)], people), stills, backgrounds[index])
                canvas, _, _ = shot.render(0, stills, 0, 0)
                frame = np.clip(canvas, 0, 255).astype(np.uint8)
                score = bait_score(pipeline_detect(detector, frame), shot.bait_boxes[0][0])
                scores.append(f"{seed}:{score:.2f}:{shot.bait_boxes[0][1]}")
            print(f"shot {index} slot {slot} {kind} at ({x},{y}) w{width} (seed {chosen} chosen):", "; ".join(scores))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dlib-examples", required=True, help="libdlib19.1's usr/share/doc/libdlib19.1/examples")
    parser.add_argument("--facetorch", required=True, help="the unpacked facetorch-0.6.2 sdist")
    parser.add_argument("--detector", required=True)
    parser.add_argument("--data-root")
    parser.add_argument("--ep-id", default="sample-s01e02")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--search-bait", type=int, default=0, metavar="N")
    args = parser.parse_args()
    check_ep_id(args.ep_id)
    if not args.search_bait and not args.data_root:
        raise SystemExit("--data-root is required")
    started = time.time()
    cv2.setNumThreads(1)

    roots = {"dlib": args.dlib_examples, "facetorch": args.facetorch}
    used = sorted({photo for _, _, _, people in SHOTS for photo, *_ in people})
    sources = {path: read_source(roots, (root, path)) for root, path in SOURCES}
    detector = cv2.FaceDetectorYN.create(args.detector, "", (320, 320), 0.7, 0.3, 5000)
    stills = {name: load_still(detector, sources, name) for name in used}
    rng = np.random.default_rng(args.seed)
    backgrounds = [background(i, rng) for i in range(len(SHOTS))]
    frame_detector = pipeline_detector(args.detector, 0.3)
    if args.search_bait:
        search_bait(SHOTS, stills, backgrounds, frame_detector, args.search_bait, 0.5)
        return

    total_frames = sum(spec[0] for spec in SHOTS)
    encoder = Encoder(os.path.join(args.data_root, "videos", args.ep_id, "episode.mp4"))
    truth_lines, detection_rows, bait_rows, tracks, shot_rows = [], [], [], [], []
    track_identity = {}
    frame_idx = 0
    for index, spec in enumerate(SHOTS):
        shot = Shot(index, spec, stills, backgrounds[index])
        track_ids = [f"track-{len(tracks) + n + 1:05d}" for n in range(len(shot.people))]
        bait_info = []
        for local in range(shot.frames):
            canvas, pan, matrices = shot.render(local, stills, args.seed, frame_idx)
            ts = round(frame_idx / FPS, 6)
            for track_id, person, matrix in zip(track_ids, shot.people, matrices):
                photo, difficulty = person[0], person[1]
                truth = face_truth(stills[photo], matrix)
                identity = PHOTOS[photo][0]
                track_identity[track_id] = identity
                truth_lines.append({
                    "frame_idx": frame_idx, "ts_s": ts, "shot": index, "identity": identity, "photo": photo,
                    "track_id": track_id, "difficulty": difficulty, "yaw_deg": round(stills[photo]["yaw"], 1),
                    **truth,
                })
                if truth["visible_fraction"] >= 0.5:
                    detection_rows.append(detection_row(args.ep_id, frame_idx, track_id, truth))
            for number, ((kind, *_), ((x1, y1, x2, y2), _)) in enumerate(zip(shot.bait, shot.bait_boxes)):
                box_px = [x1 + pan, y1, x2 + pan, y2]
                bbox, _ = normalised_box(*box_px)
                bait_rows.append({"frame_idx": frame_idx, "ts_s": ts, "shot": index,
                                  "bait_id": f"bait-{index:02d}-{number}", "kind": kind,
                                  "bbox_px": box_px, "bbox": bbox})
            if local == 0 and shot.bait:
                detections = pipeline_detect(frame_detector, np.clip(canvas, 0, 255).astype(np.uint8))
                for number, ((kind, seed, *_), (box, detail)) in enumerate(zip(shot.bait, shot.bait_boxes)):
                    score = bait_score(detections, box)
                    bait_info.append({"bait_id": f"bait-{index:02d}-{number}", "kind": kind, "seed": seed,
                                      "detail": detail, "bbox_px": list(box),
                                      "yunet_score_first_frame": round(score, 3), "fires": score >= 0.5})
            encoder.write(canvas)
            frame_idx += 1
        for track_id in track_ids:
            tracks.append(track_row(args.ep_id, track_id, detection_rows))
        shot_rows.append({
            "shot": index, "start_frame": frame_idx - shot.frames, "end_frame": frame_idx - 1,
            "people": [PHOTOS[p[0]][0] for p in shot.people], "photos": [p[0] for p in shot.people],
            "difficulties": [p[1] for p in shot.people], "tracks": track_ids,
            "face_heights_px": [p[2] for p in shot.people], "effect": effect_json(shot.effect), "bait": bait_info,
        })
    encoder.close()

    detection_rows.sort(key=lambda r: (r["frame_idx"], r["track_id"]))
    identities = sorted(IDENTITIES)
    photos = {
        name: {"identity": identity, "source": "libdlib19.1" if (("dlib", path) in SOURCES) else "facetorch-0.6.2",
               "path": path, "cut": {"rect": list(cut[1])} if cut[0] == "rect" else
               ({"cell": list(cut[1])} if cut[0] == "cell" else "whole chip"),
               "note": note, "yaw_deg": round(stills[name]["yaw"], 1)}
        for name, (identity, path, cut, note) in PHOTOS.items() if name in stills
    }
    write_ground_truth(args.data_root, args.ep_id, truth_lines, detection_rows, tracks, {
        "fps": FPS, "width": WIDTH, "height": HEIGHT, "num_frames": total_frames, "shots": shot_rows,
        "identities": identities, "identity_sources": IDENTITIES,
        "photos_by_identity": {i: sorted(p for p in photos if photos[p]["identity"] == i) for i in identities},
        "photos": photos,
    }, track_identity, extra={"bait.jsonl": jsonl(bait_rows)})
    fired = sum(b["fires"] for s in shot_rows for b in s["bait"])
    print(f"sample episode {args.ep_id}: {total_frames} frames, {len(SHOTS)} shots, {len(tracks)} tracks, "
          f"{len(detection_rows)} detections, {len(identities)} identities, "
          f"{sum(len(s['bait']) for s in shot_rows)} bait ({fired} fire), {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
