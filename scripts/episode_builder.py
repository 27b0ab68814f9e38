"""Building blocks shared by the deterministic sample episodes.

`sample_episode.py` (sample-s01e01) and `sample_episode_s01e02.py` (the harder sample-s01e02)
draw every frame from real photos through known similarity transforms, so their ground truth is
exact. What they share lives here: finding the face on a still (YuNet), the feathered cut-out,
the face-free background, the transform that places a face, compositing, the per-face ground
truth geometry, the oracle det_v1/track_v1 rows, the bit-exact H.264 encoder and the atomic
writers of the ground-truth folder.
"""
import hashlib
import json
import os
import re
import subprocess

import cv2
import numpy as np

# The frame size of the 1280x720 samples. Every helper that needs a frame size takes it as an
# argument defaulting to these (composite reads it off the canvas), so an episode of another
# size (walkin-s01e01, 720x400) passes its own and the 1280x720 samples stay byte-identical.
WIDTH, HEIGHT, FPS = 1280, 720, 25

EP_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")


def check_ep_id(ep_id):
    if not EP_ID_PATTERN.match(ep_id) or ".." in ep_id:
        raise SystemExit(f"invalid ep_id {ep_id!r}")


def image_ordered(points):
    """Five YuNet points in the ArcFace order (image-left eye, image-right eye, nose,
    image-left mouth corner, image-right mouth corner)."""
    points = np.asarray(points, dtype=np.float64).reshape(5, 2)
    eyes = sorted(points[0:2].tolist())
    mouth = sorted(points[3:5].tolist())
    return np.array([eyes[0], eyes[1], points[2].tolist(), mouth[0], mouth[1]])


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
    return np.array([x, y, x + w, y + h]), image_ordered(best[4:14])


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


def make_still(detector, image):
    """Everything a shot needs of one photo: the YuNet face and the cut-out around it."""
    box, landmarks = detect_still(detector, image)
    pixels, alpha, offset = cutout(image, box)
    return {"box": box, "landmarks": landmarks, "pixels": pixels, "alpha": alpha, "offset": offset}


def background(shot_index, rng, width=WIDTH, height=HEIGHT):
    """A face-free background: a two-colour gradient, soft blobs and fine noise."""
    colours = rng.uniform(20, 200, size=(2, 3))
    ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    vertical = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    mix = 0.7 * ramp + 0.3 * vertical
    frame = colours[0] * (1 - mix) + colours[1] * mix
    field = rng.uniform(-40, 40, size=(9, 16, 3)).astype(np.float32)
    frame += cv2.resize(field, (width, height), interpolation=cv2.INTER_CUBIC)
    frame += rng.normal(0, 3, size=(height, width, 3)).astype(np.float32)
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


def placement(still, face_height, start, end, zoom, roll, progress):
    """The photo-to-frame transform of a face at `progress` (0..1) through its shot: the face
    box is `face_height` px tall at the start and `zoom` times that at the end, its centre moves
    from `start` to `end`, and it rolls linearly to `roll` degrees."""
    box = still["box"]
    scale = face_height / (box[3] - box[1]) * (1 + (zoom - 1) * progress)
    centre_to = (start[0] + (end[0] - start[0]) * progress, start[1] + (end[1] - start[1]) * progress)
    centre_from = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    return affine(scale, roll * progress, centre_from, centre_to)


def composite(canvas, pixels, alpha, offset, matrix, roi=False):
    """`canvas` with the cut-out (`pixels`, `alpha`, its pixel (0, 0) at photo pixel `offset`)
    drawn through `matrix` (photo to frame). With `roi`, only the frame rectangle the cut-out
    can reach is warped and blended (the same picture up to warp rounding, much faster for
    small faces); without it the whole frame is, as sample-s01e01 was built. The frame size is
    the canvas's."""
    height, width = canvas.shape[:2]
    local_matrix = matrix.copy()
    local_matrix[:, 2] += matrix[:, :2] @ offset
    if not roi:
        warped = cv2.warpAffine(pixels, local_matrix, (width, height), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        warped_alpha = cv2.warpAffine(alpha, local_matrix, (width, height), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
        return canvas * (1 - warped_alpha) + warped * warped_alpha
    h, w = pixels.shape[:2]
    corners = apply(local_matrix, [[-1, -1], [w, -1], [-1, h], [w, h]])
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 1
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 2
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 <= x0 or y1 <= y0:
        return canvas
    local_matrix[:, 2] -= (x0, y0)
    size = (int(x1 - x0), int(y1 - y0))
    warped = cv2.warpAffine(pixels, local_matrix, size, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    warped_alpha = cv2.warpAffine(alpha, local_matrix, size, flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if warped_alpha.ndim == 2:
        warped_alpha = warped_alpha[..., None]
    region = canvas[y0:y1, x0:x1]
    canvas[y0:y1, x0:x1] = region * (1 - warped_alpha) + warped * warped_alpha
    return canvas


def normalised_box(x1, y1, x2, y2, width=WIDTH, height=HEIGHT):
    """A pixel box clamped to the frame and normalised to 0..1, with the visible fraction."""
    area = (x2 - x1) * (y2 - y1)
    cx1, cy1, cx2, cy2 = max(0, x1), max(0, y1), min(width, x2), min(height, y2)
    visible = max(0.0, cx2 - cx1) * max(0.0, cy2 - cy1) / area if area > 0 else 0.0
    bbox = [round(cx1 / width, 6), round(cy1 / height, 6), round(cx2 / width, 6), round(cy2 / height, 6)]
    return bbox, visible


def face_truth(still, matrix, width=WIDTH, height=HEIGHT):
    """The ground truth of a placed face: unclamped pixel box, clamped normalised box, five
    landmarks (pixels and normalised, clamped), visible fraction."""
    box = still["box"]
    corners = apply(matrix, [[box[0], box[1]], [box[2], box[1]], [box[0], box[3]], [box[2], box[3]]])
    x1, y1 = corners.min(axis=0)
    x2, y2 = corners.max(axis=0)
    landmarks = apply(matrix, still["landmarks"])
    bbox, visible = normalised_box(x1, y1, x2, y2, width, height)
    norm_landmarks = [
        round(min(1.0, max(0.0, v / (width if i % 2 == 0 else height))), 6)
        for i, v in enumerate(landmarks.reshape(-1))
    ]
    return {
        "bbox_px": [round(float(v), 3) for v in (x1, y1, x2, y2)], "bbox": bbox,
        "landmarks_px": [round(float(v), 3) for v in landmarks.reshape(-1)],
        "landmarks": norm_landmarks, "visible_fraction": round(float(visible), 4),
    }


def conf_for(track_id, frame_idx):
    digest = hashlib.sha256(f"{track_id}:{frame_idx}".encode()).digest()
    return round(0.90 + 0.099 * int.from_bytes(digest[:4], "big") / 2**32, 4)


def detection_row(ep_id, frame_idx, track_id, truth):
    """The oracle det_v1 row (with track_id) of a ground-truth face."""
    return {
        "ep_id": ep_id, "frame_idx": frame_idx, "ts_s": round(frame_idx / FPS, 6),
        "bbox": truth["bbox"], "landmarks": truth["landmarks"], "conf": conf_for(track_id, frame_idx),
        "model_id": "ground_truth", "schema_version": "det_v1", "track_id": track_id,
    }


def visible_runs(placed, frames, people):
    """Runs of frames in which some of a person's face box is in the frame, from `placed[local][n]`
    (None, or a pair whose second item is the face's truth with `visible_fraction`): (person,
    first local frame, last local frame), in order of appearance."""
    runs = []
    for n in range(people):
        start = None
        for local in range(frames + 1):
            entry = placed[local][n] if local < frames else None
            visible = entry is not None and entry[1]["visible_fraction"] > 0
            if visible and start is None:
                start = local
            elif not visible and start is not None:
                runs.append((n, start, local - 1))
                start = None
    return sorted(runs, key=lambda run: (run[1], run[0]))


def track_row(ep_id, track_id, detection_rows):
    """The oracle track_v1 row of one (shot, person) from its detection rows."""
    rows = [r for r in detection_rows if r["track_id"] == track_id]
    return {
        "track_id": track_id, "ep_id": ep_id,
        "start_s": rows[0]["ts_s"], "end_s": rows[-1]["ts_s"],
        "frame_span": [rows[0]["frame_idx"], rows[-1]["frame_idx"]], "sample_thumbs": [],
        "stats": {"detections": len(rows),
                  "avg_conf": round(sum(r["conf"] for r in rows) / len(rows), 6)},
        "schema_version": "track_v1",
    }


def iou(a, b):
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def read_jsonl(path):
    """The rows of a JSONL file (blank lines skipped)."""
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


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


def jsonl(rows):
    return "".join(compact(r) + "\n" for r in rows)


def pretty(value):
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


# ffmpeg output options of every generated episode: H.264 (libx264, 3 B-frames, so decode order
# differs from presentation order), yuv420p, single-threaded x264 and bit-exact muxing, so two
# builds are byte-identical.
X264_OUTPUT = ["-c:v", "libx264", "-preset", "fast", "-crf", "20", "-g", "50", "-bf", "3",
               "-pix_fmt", "yuv420p", "-threads", "1", "-x264-params", "threads=1",
               "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
               "-movflags", "+faststart"]


class Encoder:
    """H.264 (libx264, B-frames), yuv420p, 25 fps, byte-identical across runs: single-threaded
    x264 and bit-exact muxing. Frames go in as float BGR; `close` moves the file into place."""

    def __init__(self, video, width=WIDTH, height=HEIGHT):
        self.video = video
        os.makedirs(os.path.dirname(video), exist_ok=True)
        self.temporary = f"{video}.tmp-{os.getpid()}.mp4"
        self.process = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
             "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(FPS), "-i", "-",
             *X264_OUTPUT, self.temporary],
            stdin=subprocess.PIPE)

    def write(self, canvas):
        self.process.stdin.write(np.clip(canvas, 0, 255).astype(np.uint8).tobytes())

    def close(self):
        self.process.stdin.close()
        if self.process.wait() != 0:
            os.unlink(self.temporary)
            raise SystemExit("ffmpeg failed to encode the sample episode")
        os.replace(self.temporary, self.video)


def write_ground_truth(data_root, ep_id, truth_lines, detection_rows, tracks, shots, track_identity,
                       extra=None):
    """The ground-truth folder: the oracle det_v1/track_v1 rows go beside the ground truth, never
    into manifests/ (the pipeline's own detect-track writes manifests/; tests feed the harvest
    these instead). `extra` maps more file names to their text."""
    truth = os.path.join(data_root, "ground_truth", ep_id)
    write_atomic(os.path.join(truth, "detections.jsonl"), jsonl(detection_rows))
    write_atomic(os.path.join(truth, "tracks.jsonl"), jsonl(tracks))
    write_atomic(os.path.join(truth, "ground_truth.jsonl"), jsonl(truth_lines))
    write_atomic(os.path.join(truth, "shots.json"), pretty(shots))
    write_atomic(os.path.join(truth, "identities_truth.json"), pretty(track_identity))
    for name, text in (extra or {}).items():
        write_atomic(os.path.join(truth, name), text)
