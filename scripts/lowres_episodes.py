#!/usr/bin/env python3
"""Low-resolution development episodes re-encoded from ones `make setup` already built.

Real broadcast footage often reaches us as 720x400 or 640x360 proxies, where most faces are
under 64 px. These episodes put the existing material at those sizes:

  sample-s01e02-720x400, sample-s01e02-640x360
      sample-s01e02's video scaled (ffmpeg `scale=W:H:flags=bicubic`, a plain per-axis scale to
      exactly that size; 1280x720 -> 720x400 changes the aspect ratio by 1.2 %), with its ground
      truth: every file of ground_truth/sample-s01e02/ with the pixel fields rescaled (bbox_px,
      landmarks_px, bait boxes, shots.json's face_heights_px, width and height) and ep_id
      rewritten. A pixel coordinate x (pixel centres at integers, as the generator's warps use)
      maps to (x + 0.5) * W / 1280 - 0.5, as swscale maps pixel centres; the normalised
      bbox/landmarks are unchanged by a per-axis scale and kept as they are.
  dense-s01e01-720x400 (with --dense, once the dense episode is built)
      the dense bench episode scaled the same way: 46 people, crowds of 9-22 px faces, the
      crowded low-resolution proxy real footage often is.
  clip-bikes-720x400
      the real clip clip-bikes (640x272) letterboxed: scaled to 720x306 (aspect kept) and padded
      with black to 720x400 (46 px above, 48 below: yuv420p wants even offsets). No ground truth.

Every output is H.264 exactly as the generated episodes (episode_builder.X264_OUTPUT: libx264,
3 B-frames, yuv420p, single-threaded, bit-exact), with the source's frames and frame rate (25 fps,
checked), so two builds are byte-identical.

Usage: lowres_episodes.py --data-root DATA [--dense]
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from episode_builder import X264_OUTPUT, check_ep_id, jsonl, pretty, read_jsonl, write_atomic  # noqa: E402

SOURCE_SIZE = (1280, 720)
# Each scaled episode: (source episode, size); the sources are 1280x720.
SCALED = {"sample-s01e02-720x400": ("sample-s01e02", (720, 400)),
          "sample-s01e02-640x360": ("sample-s01e02", (640, 360))}
DENSE_SCALED = {"dense-s01e01-720x400": ("dense-s01e01", (720, 400))}
BIKES_EP, BIKES_OUT = "clip-bikes", "clip-bikes-720x400"
# clip-bikes is 640x272: 720 wide keeps the aspect at 720x306; pad to 400 with even offsets.
BIKES_FILTER = "scale=720:306:flags=bicubic,pad=720:400:0:46:black"


def probe(video):
    """(width, height, frame rate, frame count) of the first video stream."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                          "-show_entries", "stream=width,height,r_frame_rate,nb_read_frames",
                          "-of", "json", video], check=True, capture_output=True, text=True).stdout
    stream = json.loads(out)["streams"][0]
    return stream["width"], stream["height"], stream["r_frame_rate"], int(stream["nb_read_frames"])


def reencode(source, target, video_filter, size):
    """`source` through `video_filter` into `target` (H.264 as every generated episode); the
    output must have `size` and the source's frame rate and frame count."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = f"{target}.tmp-{os.getpid()}.mp4"
    try:
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1",
                        "-i", source, "-filter_threads", "1", "-vf", video_filter, "-an", *X264_OUTPUT,
                        temporary], check=True)
        width, height, rate, frames = probe(temporary)
        _, _, source_rate, source_frames = probe(source)
        if (width, height) != size or rate != source_rate or frames != source_frames:
            raise SystemExit(f"{target}: {width}x{height} {rate} fps {frames} frames, expected "
                             f"{size[0]}x{size[1]} {source_rate} fps {source_frames} frames")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return frames


def rescale(value, sx, sy, ep_id):
    """`value` (parsed JSON) with pixel fields mapped by the scale (sx, sy) and ep_id rewritten."""
    def x(v):
        return round((v + 0.5) * sx - 0.5, 3)

    def y(v):
        return round((v + 0.5) * sy - 0.5, 3)

    if isinstance(value, list):
        return [rescale(v, sx, sy, ep_id) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in ("bbox_px", "landmarks_px"):
            out[key] = [x(v) if i % 2 == 0 else y(v) for i, v in enumerate(item)]
        elif key == "face_heights_px":
            out[key] = [round(v * sy, 1) for v in item]
        elif key == "ep_id":
            out[key] = ep_id
        else:
            out[key] = rescale(item, sx, sy, ep_id)
    return out


def scaled_truth(data_root, source_ep, ep_id, size):
    """ground_truth/{ep_id}/ from `source_ep`'s, every file with its pixel fields rescaled."""
    source = os.path.join(data_root, "ground_truth", source_ep)
    sx, sy = size[0] / SOURCE_SIZE[0], size[1] / SOURCE_SIZE[1]
    target = os.path.join(data_root, "ground_truth", ep_id)
    written = []
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if name.endswith(".jsonl"):
            text = jsonl(rescale(read_jsonl(path), sx, sy, ep_id))
        elif name.endswith(".json"):
            with open(path) as handle:
                value = rescale(json.load(handle), sx, sy, ep_id)
            if name == "shots.json":
                if (value["width"], value["height"]) != SOURCE_SIZE:
                    raise SystemExit(f"{path}: not {SOURCE_SIZE[0]}x{SOURCE_SIZE[1]}")
                value["width"], value["height"] = size
                value["derived_from"] = {
                    "ep_id": source_ep, "width": SOURCE_SIZE[0], "height": SOURCE_SIZE[1],
                    "video_filter": f"scale={size[0]}:{size[1]}:flags=bicubic",
                    "pixel_map": f"x' = (x + 0.5) * {size[0]}/{SOURCE_SIZE[0]} - 0.5, "
                                 f"y' = (y + 0.5) * {size[1]}/{SOURCE_SIZE[1]} - 0.5",
                    "note": "normalised boxes and landmarks are the source's; the bait's "
                            "yunet_score_first_frame and fires were measured on the source",
                }
            text = pretty(value)
        else:
            continue
        write_atomic(os.path.join(target, name), text)
        written.append(name)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--dense", action="store_true",
                        help="build only the dense episode's re-encode (it is built later at set-up)")
    args = parser.parse_args()
    for ep_id in (*SCALED, *DENSE_SCALED, BIKES_OUT):
        check_ep_id(ep_id)
    videos = os.path.join(args.data_root, "videos")

    for ep_id, (source_ep, size) in (DENSE_SCALED if args.dense else SCALED).items():
        started = time.time()
        frames = reencode(os.path.join(videos, source_ep, "episode.mp4"),
                          os.path.join(videos, ep_id, "episode.mp4"),
                          f"scale={size[0]}:{size[1]}:flags=bicubic", size)
        files = scaled_truth(args.data_root, source_ep, ep_id, size)
        print(f"low-res episode {ep_id}: {frames} frames at {size[0]}x{size[1]} from {source_ep}, "
              f"ground truth {', '.join(files)}, {time.time() - started:.1f}s")
    if args.dense:
        return
    started = time.time()
    frames = reencode(os.path.join(videos, BIKES_EP, "episode.mp4"),
                      os.path.join(videos, BIKES_OUT, "episode.mp4"), BIKES_FILTER, (720, 400))
    print(f"low-res episode {BIKES_OUT}: {frames} frames, {BIKES_EP} letterboxed to 720x400, "
          f"{time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
