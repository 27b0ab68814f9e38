#!/usr/bin/env bash
# make bench: Faces Harvest and detect-track timings on the sample episode, measured in one run,
# printed as ratios (the machine is shared and noisy; compare ratios, not seconds).
#   1. episode-run bench-harvest: decode-only, inference-only, end-to-end (one process, medians
#      of 3).
#   2. Peak memory of the harvest on the sample and on a 3x longer episode (separate processes,
#      medians of 3).
#   3. The Python baseline (OpenCV + onnxruntime, decodes and converts every frame) against our
#      end-to-end harvest on the same episode and model.
#   4. episode-run bench-detect-track: detector-only, tracker-only (scene cuts + ByteTrack) and
#      end-to-end detect-track frames/s (one process, medians of 3).
#   5. episode-run bench-cluster: clustering 5,000 synthetic 128-d tracks with each linkage.
#   6. scripts/load_bench.py: 200 polling clients against faceharvest-server during a harvest job.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.build/release/episode-run"
VPY="$ROOT/.deps/venv/bin/python"
DATA="${FACEHARVEST_DATA_ROOT:-$ROOT/data}"
EP="${EP_ID:-sample-s01e01}"
LONG_EP="sample-x3"
export FACEHARVEST_DEPS="$ROOT/.deps"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

if [ ! -f "$DATA/ground_truth/$LONG_EP/detections.jsonl" ]; then
  echo "[bench] building $LONG_EP (the sample played 3 times)" >&2
  "$VPY" scripts/sample_episode.py --photos .deps/photos --detector .deps/models/yunet.onnx \
    --data-root "$DATA" --ep-id "$LONG_EP" --repeat 3 2>/dev/null
fi

scratch_root() { # episode -> a data root with the video linked and fresh manifests
  local ep="$1" root="$SCRATCH/$1"
  mkdir -p "$root/videos/$ep" "$root/manifests/$ep"
  ln -sf "$DATA/videos/$ep/episode.mp4" "$root/videos/$ep/episode.mp4"
  cp "$DATA/ground_truth/$ep/detections.jsonl" "$DATA/ground_truth/$ep/tracks.jsonl" "$root/manifests/$ep/"
  echo "$root"
}

echo "[bench] bench-harvest on $EP" >&2
"$BIN" bench-harvest --ep-id "$EP" --data-root "$DATA" --json 2>/dev/null >"$SCRATCH/bench.json"

median3() { sort -g | sed -n 2p; }
peak() { # episode [flags] -> median peak MiB of three harvest processes
  local root ep="$1"
  shift
  root=$(scratch_root "$ep")
  for _ in 1 2 3; do
    "$BIN" --ep-id "$ep" --faces-embed --data-root "$root" "$@" 2>/dev/null |
      sed -n 's/.*peak memory: \([0-9.]*\) MiB.*/\1/p'
  done | median3
}
echo "[bench] peak memory: $EP and $LONG_EP" >&2
PEAK_SHORT=$(peak "$EP")
PEAK_LONG=$(peak "$LONG_EP")
PEAK_SHORT_8=$(peak "$EP" --embed-batch-size 8)
PEAK_LONG_8=$(peak "$LONG_EP" --embed-batch-size 8)

echo "[bench] Python baseline (OpenCV + onnxruntime) and our harvest, alternately, 3 runs each" >&2
root=$(scratch_root "$EP")
for run in 1 2 3; do
  "$VPY" scripts/baseline_harvest.py --data-root "$DATA" --ep-id "$EP" --inputs "$DATA/ground_truth/$EP" \
    --manifest .deps/models/manifest.json --out "$SCRATCH/baseline" 2>/dev/null |
    tail -n 1 >"$SCRATCH/baseline-$run.json"
  start=$(date +%s.%N)
  "$BIN" --ep-id "$EP" --faces-embed --data-root "$root" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }' >>"$SCRATCH/ours.txt"
done
OURS_WALL=$(median3 <"$SCRATCH/ours.txt")

"$VPY" - "$SCRATCH/bench.json" "$SCRATCH" "$PEAK_SHORT" "$PEAK_LONG" "$OURS_WALL" \
  "$PEAK_SHORT_8" "$PEAK_LONG_8" <<'PY'
import json, sys
bench = json.load(open(sys.argv[1]))
runs = sorted((json.load(open(f"{sys.argv[2]}/baseline-{i}.json")) for i in (1, 2, 3)), key=lambda r: r["wall_s"])
baseline = runs[1]
peak_short, peak_long = float(sys.argv[3]), float(sys.argv[4])
ours_wall = float(sys.argv[5])
decode, inference, e2e = bench["decodeSeconds"], bench["inferenceSeconds"], bench["endToEndSeconds"]
print(f"Faces Harvest benchmark on {bench['episode']}: {bench['frames']} frames, {bench['faces']} faces")
print(f"  decode-only       {decode:7.2f} s   (the harvest's decoder pass alone, all cores)")
print(f"  inference-only    {inference:7.2f} s   (the embedder on the harvested crops alone, all cores)")
print(f"  end-to-end        {e2e:7.2f} s   ({bench['faces'] / e2e:.1f} faces/s)")
print(f"  ratio end-to-end / (decode + inference) = {e2e / (decode + inference):.2f}   target <= 0.85")
peak_short_8, peak_long_8 = float(sys.argv[6]), float(sys.argv[7])
print(f"  peak memory       {peak_short:7.0f} MiB on the sample, {peak_long:.0f} MiB on the 3x episode:"
      f" ratio {peak_long / peak_short:.2f}   target ~1.0 (independent of length)")
print(f"    with --embed-batch-size 8: {peak_short_8:.0f} -> {peak_long_8:.0f} MiB, ratio {peak_long_8 / peak_short_8:.2f}"
      "   (the peak is ONNX Runtime's arena for the largest batch run, at most embed_batch_size faces)")
print(f"  Python baseline   {baseline['wall_s']:7.2f} s for {baseline['faces']} faces (median of 3; reads and converts every frame)")
print(f"  ours, whole run   {ours_wall:7.2f} s   (median of 3, process start to exit)   speed-up {baseline['wall_s'] / ours_wall:.2f}x   target >= 1.4x")
PY

echo "[bench] bench-detect-track on $EP (detector-only, tracker-only, end-to-end; medians of 3)" >&2
echo
echo "Detect & track benchmark (default detector; decoding overlaps detection in the end-to-end run)"
"$BIN" bench-detect-track --ep-id "$EP" --data-root "$DATA" 2>/dev/null | sed 1d

echo "[bench] bench-cluster: 5,000 synthetic tracks, each linkage" >&2
echo
echo "Identity clustering benchmark (exact nearest-neighbour chain, cannot-links; target: a few seconds)"
"$BIN" bench-cluster --tracks 5000 | sed 's/^/  /'

echo "[bench] job server under load (scripts/load_bench.py, on $LONG_EP)" >&2
SERVER="$ROOT/.build/release/faceharvest-server"
root=$(scratch_root "$LONG_EP")
echo
echo "Job server load benchmark (clients on the same 2 cores: latency with normal-priority clients,"
echo "throughput with clients at nice 19 so that their own CPU use is not charged to the server)"
"$VPY" scripts/load_bench.py --server "$SERVER" --data-root "$root" --ep-id "$LONG_EP" --client-nice 0 --runs 2
"$VPY" scripts/load_bench.py --server "$SERVER" --data-root "$root" --ep-id "$LONG_EP" --runs 3

echo "[bench] identity accuracy on both samples (IdentityAccuracyTests, full chain at defaults)" >&2
echo
echo "Identity accuracy (identity F1 = 2·right frames / (ground-truth face frames + attributed frames);"
echo "coverage / identities per person; docs/identities.md, \"Measuring it\")"
swift build -j "$(nproc)" -Xlinker -rpath -Xlinker "$ROOT/.deps/onnxruntime/lib" --build-tests >/dev/null
swift test -j "$(nproc)" -Xlinker -rpath -Xlinker "$ROOT/.deps/onnxruntime/lib" --skip-build \
  --filter IdentityAccuracyTests 2>&1 | grep -E '^identity accuracy|✘' | sed 's/^/  /'
