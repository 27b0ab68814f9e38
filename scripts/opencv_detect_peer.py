#!/usr/bin/env python3
"""OpenCV peer of our face detection, the reference point for `make bench` (issue 12 item 5).

Pinned: written for and measured with OpenCV 5.0.0 (opencv-python-headless==5.0.0.93 from
scripts/requirements.txt, i.e. the set-up venv .deps/venv). Another version prints a warning on
stderr and records itself in the JSON; its figures are then not comparable with the README's.

What it is: what an OpenCV user writes to find faces in every frame of a video, nothing tuned.
  - cv2.setNumThreads(2)                                   (the 2-core bench machine)
  - cv2.VideoCapture(video).read()                         decodes every frame to BGR
  - cv2.FaceDetectorYN.create(model, "", (W, H), score_threshold=0.5, nms_threshold=0.3,
    top_k=5000) with the same YuNet weights as episode-run (.deps/models/yunet.onnx, float32)
  - each frame cv2.resize'd to (W, H) and passed to detector.detect(), every frame (stride 1).
(W, H) = (640, 352) for 1280x720: --width wide, the frame's aspect, the height rounded down to a
multiple of 32 (YuNet's coarsest stride). The size is passed explicitly, never taken from the
ONNX file, so the peer works whether the model's H/W are fixed (640x640 today) or dynamic;
the model's declared input shape is recorded in the JSON for the record.

Timing: detector creation (model load) is timed apart as load_s and left out of the rest. One
untimed warm-up detect on the first frame, then every frame is read, resized and detected:
  wall_s   the whole loop: decode + resize + detect            -> fps
  detect_s resize + detect only (the frames' decode left out)   -> detect_fps
The last line on stdout is one JSON object:
  {"peer", "opencv", "opencv_pinned", "model", "model_sha256", "model_input", "input_size",
   "threads", "frames", "faces", "frames_with_faces", "load_s", "decode_s", "detect_s", "wall_s",
   "fps", "detect_fps"}
"""
import argparse
import hashlib
import json
import sys
import time

import cv2

OPENCV_PINNED = "5.0.0"


def model_input_shape(path):
    """The model's declared input shape ("?" for a dynamic dimension), or None without onnx."""
    try:
        import onnx
    except ImportError:
        return None
    graph = onnx.load(path, load_external_data=False).graph
    initialisers = {init.name for init in graph.initializer}
    for value in graph.input:
        if value.name in initialisers:
            continue
        dims = value.type.tensor_type.shape.dim
        return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in dims]
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", required=True)
    parser.add_argument("--model", default=".deps/models/yunet.onnx")
    parser.add_argument("--width", type=int, default=640, help="detector input width")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-frames", type=int, default=0, help="0: every frame")
    args = parser.parse_args()

    if cv2.__version__ != OPENCV_PINNED:
        print(f"opencv_detect_peer: WARNING: written for OpenCV {OPENCV_PINNED}, running on "
              f"{cv2.__version__}: figures are not comparable with the README's", file=sys.stderr)
    # OpenCV 5's new DNN engine warns that it ignores setPreferableTarget (FaceDetectorYN sets
    # the CPU target); nothing else is logged below ERROR on a clean run.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    cv2.setNumThreads(args.threads)

    with open(args.model, "rb") as handle:
        sha256 = hashlib.sha256(handle.read()).hexdigest()

    capture = cv2.VideoCapture(args.video)
    if not capture.isOpened():
        sys.exit(f"opencv_detect_peer: cannot open {args.video}")
    ok, frame = capture.read()
    if not ok:
        sys.exit(f"opencv_detect_peer: no frame in {args.video}")
    height, width = frame.shape[:2]
    size = (args.width, max(32, (args.width * height // width) // 32 * 32))

    started = time.perf_counter()
    detector = cv2.FaceDetectorYN.create(args.model, "", size, score_threshold=0.5,
                                         nms_threshold=0.3, top_k=5000)
    detector.detect(cv2.resize(frame, size))  # warm-up, untimed
    load_s = time.perf_counter() - started

    frames = faces = frames_with_faces = 0
    decode_s = detect_s = 0.0
    loop_started = time.perf_counter()
    while ok:
        t0 = time.perf_counter()
        _, found = detector.detect(cv2.resize(frame, size))
        detect_s += time.perf_counter() - t0
        frames += 1
        if found is not None and len(found):
            faces += len(found)
            frames_with_faces += 1
        if args.max_frames and frames >= args.max_frames:
            break
        t0 = time.perf_counter()
        ok, frame = capture.read()
        decode_s += time.perf_counter() - t0
    wall_s = time.perf_counter() - loop_started
    capture.release()

    print(json.dumps({
        "peer": "cv2.VideoCapture + cv2.resize + cv2.FaceDetectorYN (YuNet), every frame",
        "opencv": cv2.__version__, "opencv_pinned": OPENCV_PINNED,
        "model": args.model, "model_sha256": sha256, "model_input": model_input_shape(args.model),
        "input_size": list(size), "threads": args.threads,
        "frames": frames, "faces": faces, "frames_with_faces": frames_with_faces,
        "load_s": round(load_s, 3), "decode_s": round(decode_s, 3), "detect_s": round(detect_s, 3),
        "wall_s": round(wall_s, 3), "fps": round(frames / wall_s, 2),
        "detect_fps": round(frames / detect_s, 2),
    }))


if __name__ == "__main__":
    main()
